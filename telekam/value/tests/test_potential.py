"""Potential value, the composite score and grade advice on a cohort whose sBG answer is
known in closed form.

Ten crystal finance accounts first billed in January 2024: four leave in 2024 (last bill
June 2024), two in 2025 (last bill June 2025), four are billed to October 2026. Survivors
by calendar year: n = [10, 6, 4]. Two periods and three outcomes: the sBG maximum
likelihood matches the observed shares exactly,

    P(T=1) = α/(α+β) = 4/10,  P(T=2 | T>1) = α/(α+β+1) = 2/6   ->   α = 2, β = 3,

and S(t) = B(2, 3+t)/B(2, 3) = 12 / ((t+3)(t+4)).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from telekam.accounts.models import Industry
from telekam.accounts.tests.factories import AccountFactory, band, product
from telekam.billing.models import BillingCredit, BillingLine
from telekam.billing.services import month_add
from telekam.core import clock
from telekam.core.models import AuditEntry
from telekam.org.tests.factories import UserFactory
from telekam.value import composite, potential, sbg
from telekam.value.models import IndustryGrowth, IntangibleSheet, ShareOfWallet
from telekam.value.tests.helpers import OCT, D

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
API = "/api/v1/value"
START = dt.date(2024, 1, 1)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    potential._fit_one.cache_clear()
    potential._fit_pool.cache_clear()
    with clock.frozen(NOW):
        yield


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def billed(account: Any, first: dt.date, last: dt.date, amount: Any) -> list[BillingLine]:
    """One line a month from `first` to `last`; `amount` is a number or month -> number."""
    lines, month = [], first
    circuit = product("digital_circuit")
    while month <= last:
        value = amount(month) if callable(amount) else amount
        lines.append(BillingLine(account=account, month=month, product=circuit, amount=D(value)))
        month = month_add(month, 1)
    return lines


@pytest.fixture
def cohort() -> dict[str, Any]:
    am = UserFactory(username="am_t")
    crystal = band("crystal")
    target = AccountFactory(name="甲银行", owner=am, grade=crystal, industry=Industry.FINANCE)
    others = [AccountFactory(grade=crystal, industry=Industry.FINANCE) for _ in range(9)]
    lines = billed(target, START, OCT, lambda m: "6000" if m >= dt.date(2025, 11, 1) else "5000")
    for i, account in enumerate(others):
        last = dt.date(2024, 6, 1) if i < 4 else dt.date(2025, 6, 1) if i < 6 else OCT
        lines += billed(account, START, last, "1000")
    BillingLine.objects.bulk_create(lines)
    BillingCredit.objects.create(
        account=target, month=OCT, amount=D("600.00"), reason="SLA", reference="CMP-9"
    )
    return {"target": target, "am": am, "others": others}


# S(2 + t) / S(2) for α = 2, β = 3: 30 / ((t + 5)(t + 6)).
def ratio(t: int) -> Fraction:
    return Fraction(30, (t + 5) * (t + 6))


def hand_factor(growth: Fraction, discount: Fraction = Fraction(1, 10), horizon: int = 5):
    return sum(growth**t * ratio(t) / (1 + discount) ** t for t in range(1, horizon + 1))


def hand_derl(discount: float = 0.10) -> float:
    return sum(float(ratio(t)) / (1 + discount) ** t for t in range(1, 3000))


def test_the_cohort_survivors_and_their_closed_form_fit(cohort):
    spans = potential.spans(through=OCT)
    survivors = potential.cohort_survivors(spans, year=2026)

    assert survivors == {(band("crystal").pk, "finance", 2024): (10, 6, 4)}
    fit = potential.cohort_fits(survivors)[(band("crystal").pk, "finance", 2024)]
    assert fit is not None
    assert fit.level == "cohort"
    assert (fit.alpha, fit.beta) == pytest.approx((2.0, 3.0), abs=1e-5)
    assert ratio(1) == Fraction(5, 7)  # the closed form agrees with the recursion's first step


def test_the_direct_factor_against_fractions():
    factor = potential.direct_factor(
        alpha=2, beta=3, renewals=2, growth=1.2, discount=0.1, horizon=5
    )
    assert factor == pytest.approx(float(hand_factor(Fraction(6, 5))), rel=1e-12)
    # t = 1 alone: 1.2 · 5/7 / 1.1
    one = potential.direct_factor(alpha=2, beta=3, renewals=2, growth=1.2, discount=0.1, horizon=1)
    assert one == pytest.approx(1.2 * 5 / 7 / 1.1, rel=1e-12)


def test_indirect_potential_by_hand():
    # 72,000 × (100/40 − 1) × 1.05 = 72,000 × 1.5 × 1.05 = 113,400
    assert potential.indirect_potential(
        annual=D("72000.00"), share_pct=D("40"), growth_pct=D("5")
    ) == D("113400.00")
    # 10,000 × (100/30 − 1) × 0.97 = 22,633.333… -> 22,633.33
    assert potential.indirect_potential(
        annual=D("10000"), share_pct=D("30"), growth_pct=D("-3")
    ) == D("22633.33")


def test_trend_is_clamped_and_neutral_without_a_previous_year():
    assert potential.trend(D("72000"), D("60000")) == pytest.approx(1.2)
    assert potential.trend(D("300"), D("100")) == 1.5
    assert potential.trend(D("10"), D("100")) == 0.5
    assert potential.trend(D("10"), None) == 1.0
    assert potential.trend(D("10"), D("0")) == 1.0


def test_the_accounts_potential_by_hand(cohort, django_assert_max_num_queries):
    ShareOfWallet.objects.create(
        account=cohort["target"], share_pct=D("40"), entered_by=cohort["am"]
    )
    IndustryGrowth.objects.create(industry="finance", year=2025, growth_pct=D("9"))
    IndustryGrowth.objects.create(industry="finance", year=2026, growth_pct=D("5"))

    with django_assert_max_num_queries(11):
        found = potential.potentials(month=OCT)

    p = found[cohort["target"].pk]
    assert set(found) == {cohort["target"].pk, *(a.pk for a in cohort["others"][6:])}
    assert (p.annual_revenue, p.previous_revenue) == (D("72000.00"), D("60000.00"))
    assert p.trend == pytest.approx(1.2)
    assert (p.start_year, p.renewals, p.months_billed) == (2024, 2, 12)
    assert p.retention == pytest.approx([float(ratio(t)) for t in range(1, 6)], rel=1e-5)
    expected = D("72000") * D(float(hand_factor(Fraction(6, 5))))
    assert p.direct == pytest.approx(expected, abs=D("0.05"))
    assert p.derl == pytest.approx(hand_derl(), rel=1e-5)
    assert p.margin_pct == D("90.0")  # October: 6,000 billed, 600 credited, no cost pools
    assert p.lifetime_value == pytest.approx(D(72000 * 0.9 * hand_derl()), abs=D("0.5"))
    assert (p.share_pct, p.growth_pct, p.growth_year) == (D("40.00"), D("5.00"), 2026)
    assert p.indirect == D("113400.00")
    assert p.added_value is None
    other = found[cohort["others"][6].pk]
    assert other.trend == 1.0
    assert other.direct == pytest.approx(
        D("12000") * D(float(hand_factor(Fraction(1)))), abs=D("0.05")
    )
    assert other.indirect is None  # no share of wallet entered


def test_a_case_closed_as_lost_ends_the_account_and_its_potential(cohort):
    from telekam.retention.tests.factories import RetentionCaseFactory

    lost = cohort["others"][6]  # billed to October 2026, lost in March 2026
    case = RetentionCaseFactory(
        account=lost, outcome="lost", closed_on=dt.date(2026, 3, 10), status="closed"
    )
    partly = cohort["others"][7]
    RetentionCaseFactory(
        account=partly, outcome="partly_lost", closed_on=dt.date(2025, 3, 10), status="closed"
    )

    survivors = potential.cohort_survivors(potential.spans(through=OCT), year=2026)
    found = potential.potentials(month=OCT)

    # alive at the start of 2026 still: the survivors do not change
    assert survivors == {(band("crystal").pk, "finance", 2024): (10, 6, 4)}
    assert found[lost.pk].lost_on == dt.date(2026, 3, 10)
    assert (found[lost.pk].direct, found[lost.pk].derl) == (D("0.00"), 0.0)
    assert found[lost.pk].lifetime_value == D("0.00")
    assert found[partly.pk].direct > 0

    # lost in 2025: it left in period 2, n = [10, 6, 3]; the sBG cannot fit a hazard that
    # rises (4/10 then 3/6), so the accounts get the constant churn: 7 lost over 16 at risk
    case.closed_on = dt.date(2025, 3, 10)
    case.save()
    survivors = potential.cohort_survivors(potential.spans(through=OCT), year=2026)
    assert survivors == {(band("crystal").pk, "finance", 2024): (10, 6, 3)}
    after = potential.potentials(month=OCT)[partly.pk]
    assert after.fit.level == "constant"
    assert after.fit.churn_pct == pytest.approx(100 * 7 / 16)
    assert after.direct is not None


def test_thin_cohorts_fall_back_to_the_grade_then_to_all(cohort):
    young = AccountFactory(grade=band("crystal"), industry=Industry.RETAIL)
    silver = AccountFactory(grade=band("silver"), industry=Industry.FINANCE)
    BillingLine.objects.bulk_create(
        billed(young, dt.date(2026, 3, 1), OCT, "4000")
        + billed(silver, dt.date(2026, 1, 1), OCT, "20000")
    )

    found = potential.potentials(month=OCT)

    assert found[young.pk].fit.level == "grade"
    assert found[silver.pk].fit.level == "all"
    assert found[cohort["target"].pk].fit.level == "cohort"
    for p in (found[young.pk], found[silver.pk]):
        assert (p.fit.alpha, p.fit.beta) == pytest.approx((2.0, 3.0), abs=1e-5)
    assert found[young.pk].renewals == 0
    assert found[young.pk].previous_revenue is None


def test_no_fit_at_all_gives_no_direct_potential():
    account = AccountFactory()
    BillingLine.objects.bulk_create(billed(account, dt.date(2025, 1, 1), OCT, "5000"))

    p = potential.potentials(month=OCT)[account.pk]

    assert p.fit is None
    assert (p.direct, p.derl, p.lifetime_value) == (None, None, None)


def test_the_pooled_fit_sums_the_likelihoods():
    pooled = sbg.fit_many([[10, 6, 4], [1], [8, 5]])
    ll = sbg.log_likelihood(pooled.alpha, pooled.beta, [10, 6, 4]) + sbg.log_likelihood(
        pooled.alpha, pooled.beta, [8, 5]
    )
    grid = max(
        sbg.log_likelihood(a / 50, b / 50, [10, 6, 4]) + sbg.log_likelihood(a / 50, b / 50, [8, 5])
        for a in range(20, 200)
        for b in range(40, 300)
    )
    assert pooled.log_likelihood == pytest.approx(ll)
    assert pooled.log_likelihood >= grid - 1e-9
    assert pooled.survivors == (18, 11)
    assert sbg.fit_many([[10, 6, 4], [1]]).alpha == pytest.approx(2.0, abs=1e-5)
    with pytest.raises(sbg.SbgError, match="nobody left"):
        sbg.fit_many([[5, 5], [3, 3, 3]])


def test_the_composite_score_ranks_and_grade_advice(cohort, django_assert_max_num_queries):
    target = cohort["target"]
    IntangibleSheet.objects.create(
        account=target,
        year=2026,
        marks={},
        weights={},
        score=D("80.0"),
        status="approved",
        filled_by=cohort["am"],
    )

    with django_assert_max_num_queries(20):
        table = composite.composite_table()

    row = table.rows[target.pk]
    assert table.month == OCT
    assert (row.current_score, row.potential_score, row.intangible_score) == (
        D("100.0"),
        D("100.0"),
        D("80.0"),
    )
    assert row.score == D("96.0")  # (50·100 + 30·100 + 20·80) / 100
    assert (row.grade_rank, row.industry_rank) == ((1, 4), (1, 4))
    assert (row.avg_monthly_spend, row.suggested_grade.code, row.advice) == (
        D("6000.00"),
        "crystal",
        "keep",
    )
    other = table.rows[cohort["others"][6].pk]
    # 3 others equal, 1 above: 100 · (0 + ½ · 2) / 3 = 33.3 on both; no sheet, weights 50 + 30
    assert (other.current_score, other.potential_score, other.intangible_score) == (
        D("33.3"),
        D("33.3"),
        None,
    )
    assert other.score == D("33.3")
    assert other.grade_rank == (2, 4)
    assert (other.suggested_segment, other.suggested_grade.code, other.advice) == (
        "commercial",
        "b",
        "down",
    )


def test_percentiles_and_ranks_by_hand():
    assert composite.percentiles({1: D(5), 2: D(5), 3: D(9), 4: D(1)}) == {
        1: D("50.0"),  # (1 + ½·1) / 3
        2: D("50.0"),
        3: D("100.0"),
        4: D("0.0"),
    }
    assert composite.percentiles({7: D(3)}) == {7: D(50)}
    assert composite.ranks({1: D(9), 2: D(9), 3: D(5), 4: D(1)}, lambda k: k == 4) == {
        1: (1, 3),
        2: (1, 3),
        3: (3, 3),
        4: (1, 1),
    }


# --- API, pages, permissions -------------------------------------------------------------


def test_the_api_gives_potential_and_composite(cohort, django_assert_max_num_queries):
    client = client_of(cohort["am"])
    url = f"{API}/accounts/{cohort['target'].pk}"

    with django_assert_max_num_queries(20):
        body = client.get(f"{url}/potential").json()
    assert body["month"] == "2026-10-01"
    assert body["annual_revenue"] == "72000.00"
    assert body["fit"]["level"] == "cohort"
    assert body["fit"]["survivors"] == [10, 6, 4]
    assert D(body["direct"]) == pytest.approx(
        D("72000") * D(float(hand_factor(Fraction(6, 5)))), abs=D("0.05")
    )
    assert body["indirect"] is None
    assert body["added_value"] is None
    assert "暂无数据支持" in body["added_value_note"]
    assert body["can_enter_share"] is True

    with django_assert_max_num_queries(28):
        comp = client.get(f"{url}/composite?month=2026-10").json()
    assert comp["score"] == "100.0"  # no sheet: (50·100 + 30·100) / 80
    assert comp["grade_rank"] == {"rank": 1, "of": 4}
    assert (comp["current_grade"]["code"], comp["suggested_grade"]["code"]) == (
        "crystal",
        "crystal",
    )
    assert comp["advice"] == "keep"

    cohorts = client.get(f"{API}/cohorts").json()
    assert [c["survivors"] for c in cohorts["cohorts"]] == [[10, 6, 4]]

    assert client.get(f"{url}/potential?month=2026-13").status_code == 422


def test_value_figures_are_refused_to_the_desk_and_hidden_outside_scope(cohort):
    url = f"{API}/accounts/{cohort['target'].pk}"
    desk = client_of(UserFactory(desk=True))
    for path in ("potential", "composite"):
        assert desk.get(f"{url}/{path}").status_code in (403, 404)
    assert desk.get(f"{API}/cohorts").status_code == 403
    stranger = client_of(UserFactory())  # an AM of the same group, not on the account
    assert stranger.get(f"{url}/potential").status_code == 404
    assert stranger.get(f"{url}/composite").status_code == 404


def test_share_of_wallet_versions_and_who_may_enter_it(cohort):
    target = cohort["target"]
    url = f"{API}/accounts/{target.pk}/share-of-wallet"
    am = client_of(cohort["am"])

    first = am.put(url, {"share_pct": "40", "note": "年报估算", "version": 0}, "application/json")
    assert first.status_code == 200, first.content
    assert first.json()["share_pct"] == "40.00"
    assert first.json()["share_version"] == 1

    audits = AuditEntry.objects.count()
    stale = am.put(url, {"share_pct": "55", "version": 0}, "application/json")
    assert stale.status_code == 409
    assert ShareOfWallet.objects.get(account=target).share_pct == D("40.00")
    assert AuditEntry.objects.count() == audits

    second = am.put(url, {"share_pct": "50", "version": 1}, "application/json")
    assert second.status_code == 200
    assert am.put(url, {"share_pct": "60", "version": 1}, "application/json").status_code == 409
    assert ShareOfWallet.objects.get(account=target).share_pct == D("50.00")

    analyst = client_of(UserFactory(analyst=True))  # sees the account, is not its AM
    refused = analyst.put(url, {"share_pct": "10", "version": 2}, "application/json")
    assert refused.status_code == 403
    assert analyst.get(f"/value/accounts/{target.pk}/share/").status_code == 403
    assert analyst.get(f"{API}/accounts/{target.pk}/potential").json()["can_enter_share"] is False
    assert ShareOfWallet.objects.get(account=target).share_pct == D("50.00")
    assert am.put(url, {"share_pct": "0", "version": 2}, "application/json").status_code == 422


def test_the_share_page_saves_and_refuses_a_stale_version(cohort):
    target = cohort["target"]
    am = client_of(cohort["am"])
    url = f"/value/accounts/{target.pk}/share/"
    assert am.get(url).status_code == 200

    saved = am.post(url, {"share_pct": "30", "note": "", "version": "0"})
    assert saved.status_code == 302
    again = am.post(url, {"share_pct": "35", "note": "", "version": "0"})
    assert again.status_code == 200  # the form again, with the conflict
    assert "请刷新" in again.content.decode()
    assert am.post(url, {"share_pct": "abc", "version": "1"}).status_code == 200
    assert ShareOfWallet.objects.get(account=target).share_pct == D("30.00")


def test_parameters_and_growth_are_kept_by_the_head_and_analysts(cohort):
    am = client_of(cohort["am"])
    analyst = client_of(UserFactory(analyst=True))
    body = {
        "discount_rate_pct": "8",
        "horizon_years": 3,
        "weight_current": "60",
        "weight_potential": "20",
        "weight_intangible": "20",
        "version": 0,
    }
    assert am.put(f"{API}/parameters", body, "application/json").status_code == 403
    assert analyst.get(f"{API}/parameters").json()["discount_rate_pct"] == "10.00"
    saved = analyst.put(f"{API}/parameters", body, "application/json")
    assert saved.status_code == 200
    assert saved.json()["version"] == 1
    assert analyst.put(f"{API}/parameters", body, "application/json").status_code == 409
    zero = {**body, "weight_current": "0", "weight_potential": "0", "weight_intangible": "0"}
    assert (
        analyst.put(f"{API}/parameters", {**zero, "version": 1}, "application/json").status_code
        == 422
    )

    p = potential.potentials(month=OCT)[cohort["target"].pk]
    assert p.horizon == 3
    assert p.direct == pytest.approx(
        D("72000") * D(float(hand_factor(Fraction(6, 5), Fraction(8, 100), 3))), abs=D("0.05")
    )

    growth = {"industry": "finance", "year": 2026, "growth_pct": "5", "version": 0}
    assert am.put(f"{API}/industry-growth", growth, "application/json").status_code == 403
    assert analyst.put(f"{API}/industry-growth", growth, "application/json").status_code == 200
    assert analyst.put(f"{API}/industry-growth", growth, "application/json").status_code == 409
    listed = analyst.get(f"{API}/industry-growth?year=2026").json()
    assert [(g["industry"], g["growth_pct"]) for g in listed] == [("finance", "5.00")]


def test_the_inputs_page_saves_growth_and_parameters(cohort):
    analyst = client_of(UserFactory(analyst=True))
    assert analyst.get("/value/inputs/").status_code == 200
    saved = analyst.post(
        "/value/inputs/",
        {
            "which": "growth",
            "growth-industry": "finance",
            "growth-year": "2026",
            "growth-growth_pct": "4.5",
            "growth-version": "0",
        },
    )
    assert saved.status_code == 302
    assert IndustryGrowth.objects.get().growth_pct == D("4.50")
    bad = analyst.post("/value/inputs/", {"which": "params", "params-horizon_years": "x"})
    assert bad.status_code == 200
    params = analyst.post(
        "/value/inputs/",
        {
            "which": "params",
            "params-discount_rate_pct": "12",
            "params-horizon_years": "4",
            "params-weight_current": "40",
            "params-weight_potential": "40",
            "params-weight_intangible": "20",
            "params-version": "0",
        },
    )
    assert params.status_code == 302
    assert potential.value_parameters().horizon_years == 4


def test_the_value_tab_shows_potential_composite_and_advice(cohort):
    client = client_of(cohort["am"])
    html = client.get(f"/accounts/{cohort['target'].pk}/tab/value/").content.decode()

    assert 'data-testid="potential-direct"' in html
    assert 'data-testid="composite-score">100.0<' in html
    assert 'data-testid="grade-rank">1 / 4<' in html
    assert 'data-testid="share-edit"' in html
    assert "暂无数据支持" in html
    assert math.isfinite(hand_derl())


def test_the_overview_ranks_the_users_accounts_by_composite(cohort, django_assert_max_num_queries):
    client = client_of(cohort["am"])
    with django_assert_max_num_queries(40):
        html = client.get("/value/").content.decode()
    table = html.split('data-testid="composite-top"')[1].split("</table>")[0]
    assert "甲银行" in table  # its own account; the others are not the AM's
    assert table.count("<tr>") == 2  # the header and its one account


def test_without_any_curve_the_constant_churn_of_all_cohorts():
    """Churn that rises with tenure (nobody left in the first year) cannot be fitted by
    the sBG, alone or pooled: the accounts get the constant churn estimated over every
    cohort, losses over periods at risk."""
    rising = {(None, "finance", 2024): (10, 10, 8), (None, "retail", 2025): (5, 5)}
    assert potential._fit_pool(tuple(sorted(rising.values()))) is None
    fits = potential.cohort_fits(rising)
    fit = fits[(None, "finance", 2024)]
    assert fit is fits[(None, "retail", 2025)]
    assert fit.level == "constant"
    p = 2 / (10 + 10 + 5)  # 2 lost over 25 account-years at risk
    assert fit.churn_pct == pytest.approx(100 * p)
    curve = sbg.survival(fit.alpha, fit.beta, 3)
    assert curve == pytest.approx([1, 1 - p, (1 - p) ** 2, (1 - p) ** 3], rel=1e-8)
    assert potential.cohort_fits({(None, "it", 2025): (4, 4, 4)}) == {(None, "it", 2025): None}
