"""The churn analysis figures on a hand-computed world (see `world` for the arithmetic),
the dashboard and the lost cases behind a figure, and who may see them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

import config.urls
from telekam.accounts.models import Industry, Segment
from telekam.accounts.tests.factories import AccountFactory, band, product
from telekam.billing.models import BillingLine
from telekam.core import clock
from telekam.org.tests.factories import UserFactory, group
from telekam.retention import analysis
from telekam.retention import urls as retention_urls
from telekam.retention.analysis import Period, parse_period, period_containing
from telekam.retention.models import (
    CaseStatus,
    WarningSource,
    WarningStatus,
)
from telekam.retention.tests.factories import ChurnWarningFactory, RetentionCaseFactory
from telekam.retention.views import analysis as analysis_views

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
Q3 = period_containing("quarter", dt.date(2026, 7, 1))
JUNE = dt.date(2026, 6, 1)

# The lost cases behind a figure get their URL in telekam/retention/urls.py; until then
# these tests mount it themselves.
retention_patterns = [
    p for p in retention_urls.urlpatterns if getattr(p, "name", "") != "analysis_cases"
] + [path("analysis/cases/", analysis_views.analysis_cases, name="analysis_cases")]
urlpatterns = [
    p for p in config.urls.urlpatterns if getattr(p, "namespace", None) != "retention"
] + [path("retention/", include((retention_patterns, "retention")))]


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def lost(account: Any, closed_on: dt.date, revenue: str, reason: str, outcome: str = "lost"):
    return RetentionCaseFactory(
        account=account,
        opened_on=closed_on - dt.timedelta(days=20),
        status=CaseStatus.CLOSED,
        outcome=outcome,
        reason=reason,
        competitor="china_unicom" if reason.startswith("competitor") else "",
        monthly_revenue_lost=Decimal(revenue),
        closed_on=closed_on,
    )


def warned(account: Any, source: str, raised_on: dt.date, **kw: Any):
    return ChurnWarningFactory(
        account=account,
        source=source,
        raised_on=raised_on,
        evidence_on=raised_on,
        ack_due=kw.pop("ack_due", raised_on + dt.timedelta(days=2)),
        status=kw.pop("status", WarningStatus.CLOSED),
        **kw,
    )


@pytest.fixture
def world() -> dict[str, Any]:
    """Q3 2026 (base month June 2026):

    - 20 key accounts at the start of Q3, each billed 10,000 in June: 15 of the finance
      group (10 finance industry, 5 manufacturing), 5 of the government group
      (government industry). Base: 20 accounts, 200,000 a month.
    - D (finance group, key) was fully lost on 2026-05-10 (3,000): not in the Q3 base, not
      billed in June; it is the only loss of Q2.
    - Lost in Q3: A (government, gold) partly on 07-05 (1,000) and fully on 08-20 (5,000),
      competitor long distance: one account, 6,000; B (finance, silver) partly on 07-10
      (2,000), business trouble; C (manufacturing, crystal) on 09-01 (2,000), price.
      3 accounts / 20 = 15.00 %; 10,000 / 200,000 = 5.00 %.
    - Not counted: a retained case of Q3, a loss of 10-01, a commercial account lost in Q3.
    - Warnings before the loss: A calls 06-05 (30 days before 07-05) and field 06-25 (10);
      C calls 08-12 (20 days before 09-01); B only on (07-10) or after (07-15) its loss.
    - Open today (11-15): a finance calls warning due 11-10 (overdue), a government spend
      warning due 11-20, an acknowledged finance field warning.
    """
    finance, government = group("finance"), group("government")
    am = UserFactory(username="am_fin", group=finance)
    am_gov = UserFactory(username="am_gov", group=government)
    accounts = []
    for i in range(15):
        accounts.append(
            AccountFactory(
                owner=am,
                industry=Industry.FINANCE if i < 10 else Industry.MANUFACTURING,
            )
        )
    for _i in range(5):
        accounts.append(AccountFactory(owner=am_gov, industry=Industry.GOVERNMENT))
    a, b, c = accounts[15], accounts[0], accounts[10]
    a.grade, b.grade = band("gold"), band("silver")
    a.save(update_fields=["grade"])
    b.save(update_fields=["grade"])
    BillingLine.objects.bulk_create(
        BillingLine(account=x, month=JUNE, product=product(), amount=Decimal("10000"))
        for x in accounts
    )
    d = AccountFactory(owner=am, industry=Industry.FINANCE)
    lost(d, dt.date(2026, 5, 10), "3000", "price")
    lost(a, dt.date(2026, 7, 5), "1000", "competitor_ld", outcome="partly_lost")
    lost(a, dt.date(2026, 8, 20), "5000", "competitor_ld")
    lost(b, dt.date(2026, 7, 10), "2000", "business_trouble", outcome="partly_lost")
    lost(c, dt.date(2026, 9, 1), "2000", "price")
    RetentionCaseFactory(
        account=accounts[1],
        status=CaseStatus.CLOSED,
        outcome="retained",
        closed_on=dt.date(2026, 8, 1),
        opened_on=dt.date(2026, 7, 1),
    )
    lost(accounts[2], dt.date(2026, 10, 1), "4000", "price")
    commercial = AccountFactory(owner=am, segment=Segment.COMMERCIAL, grade=None)
    lost(commercial, dt.date(2026, 8, 1), "9000", "price")
    warned(a, WarningSource.CALLS, dt.date(2026, 6, 5))
    warned(a, WarningSource.FIELD, dt.date(2026, 6, 25))
    warned(c, WarningSource.CALLS, dt.date(2026, 8, 12))
    warned(b, WarningSource.CANCELLATION, dt.date(2026, 7, 10))
    warned(b, WarningSource.SPEND, dt.date(2026, 7, 15))
    warned(accounts[3], WarningSource.CALLS, dt.date(2026, 11, 6), status="open")  # due 11-08
    warned(
        accounts[16],
        WarningSource.SPEND,
        dt.date(2026, 11, 14),
        status="open",
        ack_due=dt.date(2026, 11, 20),
    )
    warned(accounts[4], WarningSource.FIELD, dt.date(2026, 11, 1), status="acknowledged")
    return {
        "head": UserFactory(username="head", head=True),
        "lead": UserFactory(username="lead_fin", lead=True, group=finance),
        "am": am,
        "desk": UserFactory(username="desk", desk=True),
        "a": a,
        "b": b,
        "c": c,
        "d": d,
    }


# --- periods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026-09", "month", dt.date(2026, 9, 1), dt.date(2026, 9, 30)),
        ("2026-Q3", "quarter", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("2024-q1", "quarter", dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        ("2025", "year", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        ("month", "month", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        ("year", "year", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ("", "quarter", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
    ],
)
def test_parse_period(text, kind, start, end):
    assert parse_period(text, today=TODAY) == Period(kind=kind, start=start, end=end)


@pytest.mark.parametrize(
    "text", ["2026-12", "2027", "2026-13", "2026-Q5", "1999", "26-01", "x", "2026-1", "2026-00"]
)
def test_parse_period_refuses_nonsense_and_the_future(text):
    with pytest.raises(ValueError, match=r"."):
        parse_period(text, today=TODAY)


def test_period_keys_base_month_and_trend_periods():
    assert (Q3.key, Q3.base_month, Q3.previous().key) == ("2026-Q3", JUNE, "2026-Q2")
    months = analysis.periods_back(period_containing("month", dt.date(2026, 3, 9)), 12)
    assert [p.key for p in (months[0], months[-1])] == ["2025-04", "2026-03"]
    assert len(months) == 12


# --- the figures ------------------------------------------------------------------------


def test_churn_rate_by_count_and_revenue(world):
    rate = analysis.churn_rate(user=world["head"], period=Q3)
    assert rate == analysis.ChurnRate(
        period=Q3,
        base_accounts=20,
        lost_accounts=3,
        count_rate=Decimal("15.00"),
        base_revenue=Decimal("200000.00"),
        revenue_source="billing",
        lost_revenue=Decimal("10000.00"),
        revenue_rate=Decimal("5.00"),
    )


def test_revenue_base_falls_back_to_average_spend_without_a_bill(world):
    # Q2: base month March has no bill: 21 accounts x 5,000 average spend; D lost 3,000
    rate = analysis.churn_rate(user=world["head"], period=Q3.previous())
    assert (rate.base_accounts, rate.lost_accounts, rate.count_rate) == (21, 1, Decimal("4.76"))
    assert (rate.revenue_source, rate.base_revenue, rate.revenue_rate) == (
        "avg_spend",
        Decimal("105000.00"),
        Decimal("2.86"),
    )


def test_by_reason(world):
    data = analysis.churn_by_reason(user=world["head"], period=Q3)
    assert data.lost_revenue == Decimal("10000.00")
    rows = [
        (r.reason, r.cases, r.accounts, r.lost_revenue, r.share, r.revenue_rate) for r in data.rows
    ]
    assert rows[:3] == [
        ("competitor_ld", 2, 1, Decimal("6000.00"), Decimal("60.00"), Decimal("3.00")),
        ("business_trouble", 1, 1, Decimal("2000.00"), Decimal("20.00"), Decimal("1.00")),
        ("price", 1, 1, Decimal("2000.00"), Decimal("20.00"), Decimal("1.00")),
    ]  # a tie keeps the order of the reasons
    assert {r.reason for r in data.rows[3:]} == {
        "competitor_data",
        "service_quality",
        "relocation",
        "other",
    }
    assert all(r.cases == 0 and r.share == Decimal("0.00") for r in data.rows[3:])
    assert data.rows[0].reference_share == Decimal("32")


def test_by_industry(world):
    data = analysis.churn_by_industry(user=world["head"], period=Q3)
    rows = {
        r.key: (
            r.base_accounts,
            r.lost_accounts,
            r.count_rate,
            r.base_revenue,
            r.lost_revenue,
            r.revenue_rate,
            r.share,
        )
        for r in data.rows
    }
    assert rows == {
        "government": (
            5,
            1,
            Decimal("20.00"),
            Decimal("50000.00"),
            Decimal("6000.00"),
            Decimal("12.00"),
            Decimal("60.00"),
        ),
        "finance": (
            10,
            1,
            Decimal("10.00"),
            Decimal("100000.00"),
            Decimal("2000.00"),
            Decimal("2.00"),
            Decimal("20.00"),
        ),
        "manufacturing": (
            5,
            1,
            Decimal("20.00"),
            Decimal("50000.00"),
            Decimal("2000.00"),
            Decimal("4.00"),
            Decimal("20.00"),
        ),
    }
    assert data.rows[0].key == "government"
    assert data.rows[0].label == "党政军"
    assert data.rows[0].reference_share == Decimal("26.53")


def test_by_grade(world):
    data = analysis.churn_by_grade(user=world["head"], period=Q3)
    rows = {
        r.label: (r.base_accounts, r.lost_accounts, r.count_rate, r.revenue_rate, r.share)
        for r in data.rows
    }
    assert rows == {
        "金": (1, 1, Decimal("100.00"), Decimal("60.00"), Decimal("60.00")),
        "银": (1, 1, Decimal("100.00"), Decimal("20.00"), Decimal("20.00")),
        str(band("crystal")): (18, 1, Decimal("5.56"), Decimal("1.11"), Decimal("20.00")),
    }
    assert sum(r.base_accounts for r in data.rows) == 20


def test_trend_by_quarter_ends_with_the_period(world):
    trend = analysis.churn_trend(user=world["head"], period=Q3)
    assert [p.period.key for p in trend.points] == [
        "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3",
    ]  # fmt: skip
    assert [
        (p.lost_accounts, p.base_accounts, p.count_rate, p.revenue_rate) for p in trend.points
    ] == [(0, 21, Decimal("0.00"), Decimal("0.00"))] * 6 + [
        (1, 21, Decimal("4.76"), Decimal("2.86")),
        (3, 20, Decimal("15.00"), Decimal("5.00")),
    ]
    assert trend.points[-1] == analysis.churn_rate(user=world["head"], period=Q3)


def test_trend_by_month_counts_an_account_in_each_month_it_lost_revenue(world):
    trend = analysis.churn_trend(
        user=world["head"], period=period_containing("month", dt.date(2026, 9, 1))
    )
    assert len(trend.points) == 12
    by_month = {
        p.period.key: (p.lost_accounts, p.base_accounts, p.lost_revenue) for p in trend.points
    }
    assert by_month["2026-07"] == (2, 20, Decimal("3000.00"))  # A partly, B partly
    assert by_month["2026-08"] == (1, 20, Decimal("5000.00"))  # A fully
    assert by_month["2026-09"] == (1, 19, Decimal("2000.00"))  # C; A gone before September


def test_warning_hit_rate_and_lead_time(world):
    hit = analysis.warning_hit_rate(user=world["head"], period=Q3)
    assert hit.lost_accounts == 3
    assert (hit.overall.warned_accounts, hit.overall.hit_rate) == (2, Decimal("66.67"))
    assert (hit.overall.median_days, hit.overall.mean_days) == (Decimal("25.0"), Decimal("25.0"))
    rows = {
        r.source: (r.warned_accounts, r.hit_rate, r.median_days, r.mean_days) for r in hit.by_source
    }
    assert rows == {
        "calls": (2, Decimal("66.67"), Decimal("25.0"), Decimal("25.0")),
        "field": (1, Decimal("33.33"), Decimal("10.0"), Decimal("10.0")),
        "spend": (0, Decimal("0.00"), None, None),  # after B's loss
        "cancellation": (0, Decimal("0.00"), None, None),  # on B's loss day: not before
    }


def test_warning_workload(world):
    load = analysis.warning_workload(user=world["head"], today=TODAY)
    assert {r.source: (r.open, r.overdue, r.acknowledged) for r in load.rows} == {
        "calls": (1, 1, 0),
        "spend": (1, 0, 0),
        "cancellation": (0, 0, 0),
        "field": (0, 0, 1),
    }
    assert (load.total.open, load.total.overdue, load.total.acknowledged) == (2, 1, 1)


def test_a_group_lead_sees_the_figures_of_its_group_only(world):
    data = analysis.churn_analysis(user=world["lead"], period=Q3, today=TODAY)
    assert (data.rate.base_accounts, data.rate.lost_accounts, data.rate.count_rate) == (
        15,
        2,
        Decimal("13.33"),
    )
    assert (data.rate.base_revenue, data.rate.lost_revenue, data.rate.revenue_rate) == (
        Decimal("150000.00"),
        Decimal("4000.00"),
        Decimal("2.67"),
    )
    assert "government" not in {r.key for r in data.by_industry.rows}
    assert data.by_reason.rows[0].reason in {"price", "business_trouble"}
    assert data.by_reason.rows[0].lost_revenue == Decimal("2000.00")
    assert (data.hit_rate.lost_accounts, data.hit_rate.overall.warned_accounts) == (2, 1)
    assert data.hit_rate.overall.median_days == Decimal("20.0")
    assert (data.workload.total.open, data.workload.total.overdue) == (1, 1)
    assert data.trend.points[-2].base_accounts == 16  # D is of the finance group


def test_a_lead_of_a_group_without_accounts_and_the_desk_see_nothing(world):
    other = UserFactory(username="lead_ent", lead=True, group=group("enterprise"))
    data = analysis.churn_analysis(user=other, period=Q3, today=TODAY)
    assert (data.rate.base_accounts, data.rate.count_rate, data.rate.revenue_rate) == (
        0,
        None,
        None,
    )
    desk = analysis.churn_analysis(user=world["desk"], period=Q3, today=TODAY)
    assert (desk.rate.lost_accounts, desk.hit_rate.lost_accounts, desk.workload.total.open) == (
        0,
        0,
        0,
    )


def test_an_empty_period_has_no_rate_to_divide_by():
    data = analysis.churn_analysis(user=UserFactory(head=True), period=Q3, today=TODAY)
    assert (data.rate.count_rate, data.rate.revenue_rate, data.hit_rate.overall.hit_rate) == (
        None,
        None,
        None,
    )
    assert all(r.share is None for r in data.by_reason.rows)


def _queries(user: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        analysis.churn_analysis(user=user, period=Q3, today=TODAY)
    return len(ctx.captured_queries)


def test_the_analysis_runs_a_fixed_number_of_queries(world):
    head = world["head"]
    small = _queries(head)
    for i in range(10):
        account = AccountFactory(owner=world["am"], industry=Industry.RETAIL)
        BillingLine.objects.create(
            account=account, month=JUNE, product=product(), amount=Decimal("100")
        )
        lost(account, dt.date(2026, 8, 1 + i), "50", "other")
        warned(account, WarningSource.SPEND, dt.date(2026, 7, 1 + i))
    assert _queries(head) == small
    assert small <= 25


# --- the lost cases behind a figure -------------------------------------------------------


def test_lost_case_rows_filters_and_lead_days(world):
    count, rows = analysis.lost_case_rows(user=world["head"], period=Q3)
    assert count == 4  # A twice, B, C
    assert [(r.case.account_id, r.case.closed_on) for r in rows] == [
        (world["c"].pk, dt.date(2026, 9, 1)),
        (world["a"].pk, dt.date(2026, 8, 20)),
        (world["b"].pk, dt.date(2026, 7, 10)),
        (world["a"].pk, dt.date(2026, 7, 5)),
    ]
    a_row = rows[1]
    assert (a_row.loss_day, a_row.first_warning, a_row.lead_days, a_row.sources) == (
        dt.date(2026, 7, 5),
        dt.date(2026, 6, 5),
        30,
        ("calls", "field"),
    )
    assert analysis.lost_case_rows(user=world["head"], period=Q3, reason="price")[0] == 1
    assert analysis.lost_case_rows(user=world["head"], period=Q3, industry="government")[0] == 2
    assert (
        analysis.lost_case_rows(user=world["head"], period=Q3, grade=str(band("silver").pk))[0] == 1
    )
    assert analysis.lost_case_rows(user=world["head"], period=Q3, warned="1")[0] == 3
    assert analysis.lost_case_rows(user=world["head"], period=Q3, warned="0")[0] == 1
    assert analysis.lost_case_rows(user=world["head"], period=Q3, source="field")[0] == 2
    assert analysis.lost_case_rows(user=world["lead"], period=Q3)[0] == 2
    assert analysis.lost_case_rows(user=world["head"], period=Q3, limit=2)[0] == 4


# --- the pages --------------------------------------------------------------------------


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.urls(__name__)
def test_dashboard_shows_the_figures(world):
    response = _client(world["head"]).get("/retention/analysis/", {"period": "2026-Q3"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="revenue-rate">5.00%<' in html
    assert 'data-testid="count-rate">15.00%<' in html
    assert 'data-testid="hit-rate">66.67%<' in html
    assert 'data-testid="open-warnings-total">2<' in html
    assert "2026年第3季度" in html
    assert 'data-testid="trend-chart"' in html
    assert html.count('<rect class="tk-bar"') >= 8
    assert "/retention/analysis/cases/?period=2026-Q3&reason=competitor_ld" in html
    assert "<script" not in html.split("</nav>", 1)[1]  # no chart library


@pytest.mark.urls(__name__)
def test_dashboard_period_defaults_to_this_quarter_on_nonsense(world):
    response = _client(world["head"]).get("/retention/analysis/", {"period": "2099-Q9"})
    assert response.status_code == 200
    assert response.context["period"].key == "2026-Q4"


@pytest.mark.urls(__name__)
def test_dashboard_for_a_group_lead_shows_its_group(world):
    response = _client(world["lead"]).get("/retention/analysis/", {"period": "2026-Q3"})
    assert response.status_code == 200
    assert 'data-testid="count-rate">13.33%<' in response.content.decode()


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("who", ["am", "desk"])
def test_dashboard_and_cases_are_refused_to_others(world, who):
    client = _client(world[who])
    assert client.get("/retention/analysis/").status_code == 403
    assert client.get("/retention/analysis/cases/").status_code == 403


@pytest.mark.urls(__name__)
def test_analysis_cases_page(world):
    client = _client(world["head"])
    response = client.get("/retention/analysis/cases/", {"period": "2026-Q3", "warned": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="lost-case"') == 3
    assert "流失前有预警" in html
    lead = _client(world["lead"]).get("/retention/analysis/cases/", {"period": "2026-Q3"})
    assert lead.content.decode().count('data-testid="lost-case"') == 2
