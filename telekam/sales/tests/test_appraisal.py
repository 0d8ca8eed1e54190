"""Project evaluation figures against textbook cases worked out by hand (and checked here
with exact fractions or a closed formula, never with the code under test), the
recommendation at the edges of its rules, properties of the IRR search, and the
`appraise` command."""

from __future__ import annotations

import io
import json
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from telekam.core.errors import ApplicationError
from telekam.sales.appraisal import (
    MAX_FLOWS,
    Thresholds,
    Verdict,
    appraisal_recommend,
    appraise,
    discounted_payback_periods,
    irrs,
    npv,
    payback_periods,
    period_rate,
    project_flows,
    recommend,
    roi,
    sign_changes,
)
from telekam.sales.management.commands.appraise import Command


def flows(*amounts: object) -> list[Decimal]:
    return [Decimal(str(amount)) for amount in amounts]


def exact_npv(values: list[Decimal], rate: Decimal | Fraction) -> Fraction:
    """sum f_t / (1 + r)^t in exact rational arithmetic."""
    r = Fraction(rate)
    return sum((Fraction(f) / (1 + r) ** t for t, f in enumerate(values)), Fraction(0))


def cents(value: Fraction, places: str = "0.01") -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
            Decimal(places), rounding=ROUND_HALF_UP
        )


TEXTBOOK = flows(-1000, 300, 400, 500)


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


# -- the textbook project: -1000, 300, 400, 500 at 8 % a year ----------------------------


def test_npv_of_the_textbook_project():
    # By hand: -1000 + 300/1.08 + 400/1.08^2 + 500/1.08^3
    #        = -1000 + 277.777778 + 342.935528 + 396.916107 = 17.629413 -> 17.63
    assert exact_npv(TEXTBOOK, Decimal("0.08")) == (
        -1000 + Fraction(300) / Fraction("1.08") + Fraction(400) / Fraction("1.1664")
        + Fraction(500) / Fraction("1.259712")
    )  # fmt: skip
    assert cents(exact_npv(TEXTBOOK, Decimal("0.08"))) == Decimal("17.63")
    assert npv(rate=Decimal("0.08"), flows=TEXTBOOK) == Decimal("17.63")
    assert npv(rate=Decimal("0"), flows=TEXTBOOK) == Decimal("200.00")  # the plain sum


def cardano_root() -> Decimal:
    """The IRR of -1000, 300, 400, 500, solved independently: with x = 1 + r,
    -1000 x^3 + 300 x^2 + 400 x + 500 = 0, i.e. x^3 - 0.3 x^2 - 0.4 x - 0.5 = 0.
    x = y + 0.1 removes the square: y^3 + p y + q = 0 with
      p = -0.4 - 0.3^2 / 3 = -0.43,
      q = 2 (-0.3)^3 / 27 - (-0.3)(-0.4) / 3 - 0.5 = -0.002 - 0.04 - 0.5 = -0.542.
    D = (q/2)^2 + (p/3)^3 = 0.073441 - 0.002944704 = 0.070496296 > 0: one real root,
      y = cbrt(-q/2 + sqrt(D)) + cbrt(-q/2 - sqrt(D)) = cbrt(0.5365114) + cbrt(0.0054886)
        = 0.8125679 + 0.1763955 = 0.9889634,  x = 1.0889634,  r = 0.0889634 (8.896 %)."""
    with localcontext() as ctx:
        ctx.prec = 40
        p, q = Decimal("-0.43"), Decimal("-0.542")
        disc = (q / 2) ** 2 + (p / 3) ** 3
        third = Decimal(1) / 3
        u = (-q / 2 + disc.sqrt()) ** third
        w = (-q / 2 - disc.sqrt()) ** third  # positive: sqrt(D) < -q/2
        return u + w + Decimal("0.1") - 1


def test_irr_of_the_textbook_project_is_the_root_of_the_cubic():
    root = cardano_root()
    assert abs(exact_npv(TEXTBOOK, root)) < Fraction(1, 10**20)  # Cardano is right
    assert root.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP) == Decimal("0.088963")
    assert irrs(flows=TEXTBOOK) == [Decimal("0.088963")]
    assert sign_changes(flows=TEXTBOOK) == 1


def test_payback_roi_and_discounted_payback_of_the_textbook_project():
    # Cumulative: -1000, -700, -300, +200: recovered in year 3, which needs 300 of its 500.
    assert payback_periods(flows=TEXTBOOK) == Decimal("2.60")
    # Discounted at 8 %: -1000, 277.7778, 342.9355, 396.9161; cumulative -722.2222,
    # -379.2867, +17.6294: 2 + 379.2867 / 396.9161 = 2.9556 -> 2.96.
    d1, d2, d3 = (Fraction(f) / Fraction("1.08") ** t for t, f in enumerate(TEXTBOOK) if t)
    expected = 2 + (1000 - d1 - d2) / d3
    assert cents(expected) == Decimal("2.96")
    assert discounted_payback_periods(rate=Decimal("0.08"), flows=TEXTBOOK) == Decimal("2.96")
    # (sum of flows) / (sum of outflows) = 200 / 1000
    assert roi(flows=TEXTBOOK) == Decimal("0.2000")


def test_appraise_gathers_every_figure():
    result = appraise(flows=TEXTBOOK, rate=Decimal("0.08"))
    assert result.as_json() == {
        "period": "year",
        "annual_rate": "0.08",
        "rate_per_period": "0.08",
        "npv": "17.63",
        "irrs": ["0.088963"],
        "irrs_annual": ["0.088963"],
        "sign_changes": 1,
        "payback_periods": "2.60",
        "discounted_payback_periods": "2.96",
        "roi": "0.2000",
    }
    assert result.payback_months == Decimal("31.20")


# -- several IRRs, none, double roots -----------------------------------------------------


def test_the_classic_two_irr_project():
    # -100, 230, -132: with x = 1 + r, -100 x^2 + 230 x - 132 = 0,
    # x = (230 +- sqrt(52900 - 52800)) / 200 = (230 +- 10) / 200 = 1.1 or 1.2.
    assert irrs(flows=flows(-100, 230, -132)) == [Decimal("0.100000"), Decimal("0.200000")]
    assert sign_changes(flows=flows(-100, 230, -132)) == 2
    # Between the roots the NPV is positive, outside negative:
    # at 15 %: -100 + 200 - 132 / 1.3225 = 0.189...; at 8 %: -0.206...
    assert npv(rate=Decimal("0.15"), flows=flows(-100, 230, -132)) == Decimal("0.19")
    assert npv(rate=Decimal("0.08"), flows=flows(-100, 230, -132)) == Decimal("-0.21")
    # Cumulative -100, +130, -2: first recovered after 100/230 of year 1; ROI -2/232.
    assert payback_periods(flows=flows(-100, 230, -132)) == Decimal("0.43")
    assert roi(flows=flows(-100, 230, -132)) == Decimal("-0.0086")


@pytest.mark.parametrize(
    "values",
    [flows(100, 200, 300), flows(-100, -200, -300), flows(0, 0), flows(-5, 0, 0, -1), flows(7)],
)
def test_no_sign_change_no_irr(values):
    assert sign_changes(flows=values) == 0
    assert irrs(flows=values) == []


def test_sign_changes_but_no_real_irr():
    # -100 x^2 + 230 x - 133: discriminant 52900 - 53200 < 0, so Descartes' 2 becomes 0.
    assert sign_changes(flows=flows(-100, 230, -133)) == 2
    assert irrs(flows=flows(-100, 230, -133)) == []


def test_zero_irr():
    assert irrs(flows=flows(-100, 100)) == [Decimal("0.000000")]
    assert irrs(flows=flows(-100, 40, 60)) == [Decimal("0.000000")]


def test_double_root_at_zero_is_one_irr():
    # -1, 2, -1: NPV = -1 + 2v - v^2 = -(1 - v)^2 = -(1 - 1/(1+r))^2 <= 0, touching 0 at r = 0
    # without changing sign. At r = 50 %: -(1 - 2/3)^2 = -1/9; times 900 -> -100.
    assert irrs(flows=flows(-1, 2, -1)) == [Decimal("0.000000")]
    assert npv(rate=Decimal("0.5"), flows=flows(-900, 1800, -900)) == Decimal("-100.00")


def test_double_root_away_from_zero():
    # -100, 220, -121 = -(10x - 11)^2 with x = 1 + r: a double root at r = 10 %. The same
    # with decimals (-1, 2.2, -1.21) is not exact in floats and must still give one IRR.
    assert irrs(flows=flows(-100, 220, -121)) == [Decimal("0.100000")]
    assert irrs(flows=flows(-1, "2.2", "-1.21")) == [Decimal("0.100000")]
    # A hair off: -121.01 has no real root at all, -120.99 has two close ones:
    # 100 x^2 - 220 x + 120.99 = 0 -> x = 1.1 +- 0.01.
    assert irrs(flows=flows(-100, 220, "-121.01")) == []
    assert irrs(flows=flows(-100, 220, "-120.99")) == [Decimal("0.090000"), Decimal("0.110000")]


def test_two_roots_closer_than_the_grid():
    # -(x - 1.1)(x - 1.1001) = -x^2 + 2.2001 x - 1.21011: IRRs 10 % and 10.01 %.
    assert irrs(flows=flows(-1, "2.2001", "-1.21011")) == [
        Decimal("0.100000"),
        Decimal("0.100100"),
    ]


def test_triple_root():
    # -1000, 3300, -3630, 1331 = -(10x - 11)^3: one IRR (a sign change) at 10 %.
    assert irrs(flows=flows(-1000, 3300, -3630, 1331)) == [Decimal("0.100000")]
    assert irrs(flows=flows(-1, 3, -3, 1)) == [Decimal("0.000000")]


def test_the_ends_of_the_search_range():
    assert irrs(flows=flows(-1, 11)) == [Decimal("10.000000")]  # 1000 %: included
    assert irrs(flows=flows(-1, 12)) == []  # 1100 %: outside
    assert irrs(flows=flows(-10000, 1)) == [Decimal("-0.999900")]  # -99.99 %: included
    assert irrs(flows=flows(-100000, 1)) == []  # -99.999 %: outside


# -- payback, ROI, rates, project flows ----------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (flows(-100, 50, 50), Decimal("2.00")),  # exactly at the end of period 2
        (flows(-100, 50), None),  # never recovered
        (flows(5, 5), Decimal("0.00")),  # never below zero: nothing to recover
        (flows(0, -1000, 600, 600), Decimal("2.67")),  # 2 + 400/600
        (flows(100, -200, 300), Decimal("1.33")),  # cumulative 100, -100, 200: 1 + 100/300
        (flows(-1000, 0, 0, 1000), Decimal("3.00")),
    ],
)
def test_payback_edges(values, expected):
    assert payback_periods(flows=values) == expected


def test_roi_edges():
    assert roi(flows=flows(10, 20)) is None  # no outflow
    assert roi(flows=flows(-300, 100)) == Decimal("-0.6667")  # -200 / 300
    assert roi(flows=flows(-1, -2, 4)) == Decimal("0.3333")  # 1 / 3


def test_period_rate():
    assert period_rate(annual_rate=Decimal("0.08"), period="year") == Decimal("0.08")
    monthly = period_rate(annual_rate=Decimal("0.08"), period="month")
    assert monthly == Decimal("0.0064340301100035")
    # Twelve months compound back to the annual rate (to the 1e-16 of the rounding).
    assert abs((1 + Fraction(monthly)) ** 12 - Fraction("1.08")) < Fraction(1, 10**14)
    assert period_rate(annual_rate=Decimal("0"), period="month") == Decimal("0")
    with pytest.raises(ApplicationError) as info:
        period_rate(annual_rate=Decimal("0.08"), period="week")
    assert info.value.field == "period"


def test_project_flows():
    assert project_flows(
        capex=Decimal("120000"), monthly_opex=Decimal("2000"), monthly_revenue=Decimal("7000"),
        one_time_revenue=Decimal("10000"), term_months=3,
    ) == flows(-110000, 5000, 5000, 5000)  # fmt: skip
    with pytest.raises(ApplicationError):
        project_flows(
            capex=Decimal(1), monthly_opex=Decimal(0), monthly_revenue=Decimal(1),
            one_time_revenue=Decimal(0), term_months=0,
        )  # fmt: skip


def annuity(rate: Fraction, months: int) -> Fraction:
    """(1 - (1 + m)^-n) / m: what 1 a month for n months is worth today."""
    return (1 - (1 + rate) ** -months) / rate


def test_a_monthly_project():
    # Capex 120,000, one-time revenue 10,000; 7,000 a month in, 2,000 out, for 36 months:
    # month 0 = -110,000, months 1..36 = +5,000. At 8 % a year the monthly rate is
    # m = 1.08^(1/12) - 1 = 0.0064340301100035, and (1 + m)^36 = 1.08^3 = 1.259712, so
    # NPV = -110,000 + 5,000 x (1 - 1/1.259712) / m = -110,000 + 5,000 x 32.043331 = 50,216.66.
    values = project_flows(
        capex=Decimal("120000"), monthly_opex=Decimal("2000"), monthly_revenue=Decimal("7000"),
        one_time_revenue=Decimal("10000"), term_months=36,
    )  # fmt: skip
    result = appraise(flows=values, rate=Decimal("0.08"), period="month")
    m = Fraction(result.rate_per_period)
    assert result.rate_per_period == Decimal("0.0064340301100035")
    assert cents(-110000 + 5000 * annuity(m, 36)) == Decimal("50216.66")
    assert result.npv == Decimal("50216.66")
    # Payback: 110,000 / 5,000 = 22 months exactly. ROI: (180,000 - 110,000) / 110,000.
    assert result.payback_periods == Decimal("22.00")
    assert result.payback_months == Decimal("22.00")
    assert result.roi == Decimal("0.6364")
    # Discounted payback: the first month k with 5,000 x annuity(m, k) >= 110,000,
    # interpolated on month k's discounted 5,000.
    k = next(k for k in range(1, 37) if 5000 * annuity(m, k) >= 110000)
    before = 110000 - 5000 * annuity(m, k - 1)
    expected = (k - 1) + before / (5000 / (1 + m) ** k)
    assert (k, cents(expected)) == (24, Decimal("23.80"))
    assert result.discounted_payback_periods == Decimal("23.80")
    # The monthly IRR: the rate at which the annuity factor is 110,000 / 5,000 = 22; the
    # factor falls as the rate rises, so 22 lies between its values 1e-6 either side.
    (irr,) = result.irrs
    assert irr == Decimal("0.029488")
    assert (
        annuity(Fraction(irr) - Fraction(1, 10**6), 36)
        > 22
        > annuity(Fraction(irr) + Fraction(1, 10**6), 36)
    )
    # Annualised: (1 + irr)^12 - 1.
    (annual,) = result.irrs_annual
    assert abs(Fraction(annual) - ((1 + Fraction(irr)) ** 12 - 1)) < Fraction(2, 10**5)
    assert annual == Decimal("0.417279")


# -- wrong input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: npv(rate=Decimal("-1"), flows=TEXTBOOK), "rate"),
        (lambda: npv(rate=Decimal("NaN"), flows=TEXTBOOK), "rate"),
        (lambda: npv(rate=Decimal("0.1"), flows=flows("1", "Infinity")), "flows"),
        (lambda: irrs(flows=[]), "flows"),
        (lambda: irrs(flows=[Decimal(1)] * (MAX_FLOWS + 1)), "flows"),
        (lambda: appraise(flows=flows(-1), rate=Decimal("0.1")), "flows"),
        (lambda: appraise(flows=TEXTBOOK, rate=Decimal("-2")), "rate"),
        (lambda: appraise(flows=TEXTBOOK, rate=Decimal("0.1"), period="day"), "period"),
    ],
)
def test_wrong_input_is_a_clear_error(call, field):
    with pytest.raises(ApplicationError) as info:
        call()
    assert info.value.field == field
    assert info.value.message


# -- the recommendation ----------------------------------------------------------------------

RULES = Thresholds(
    min_irr_annual=Decimal("0.12"), max_payback_months=36, reconsider_margin=Decimal("0.04")
)


@pytest.mark.parametrize(
    ("npv_", "irr", "payback", "several", "verdict"),
    [
        ("0.01", "0.12", "36", False, "pursue"),  # every edge inclusive
        ("0.01", "0.119999", "36", False, "reconsider"),  # IRR a hair below the hurdle
        ("0.01", "0.12", "36.01", False, "reconsider"),  # payback a hair too long
        ("0", "0.20", "12", False, "reconsider"),  # NPV exactly zero
        ("0.01", None, "12", False, "reconsider"),  # positive NPV but no IRR
        ("-0.01", "0.08", "12", False, "reconsider"),  # IRR exactly hurdle - margin
        ("-0.01", "0.079999", "12", False, "decline"),  # just below it
        ("-0.01", "0.11", "12", False, "reconsider"),  # within the margin
        ("-0.01", None, "12", False, "decline"),  # negative NPV, no IRR
        ("100", "0.30", None, False, "decline"),  # never paid back
        ("0.01", None, "36", True, "pursue"),  # several IRRs: the NPV decides
        ("-0.01", None, "12", True, "decline"),
        ("0.01", None, "37", True, "reconsider"),
        ("0", None, "12", True, "reconsider"),
    ],
)
def test_recommendation_at_the_edges(npv_, irr, payback, several, verdict):
    answer = recommend(
        npv=Decimal(npv_),
        irr_annual=Decimal(irr) if irr else None,
        payback_months=Decimal(payback) if payback else None,
        thresholds=RULES,
        several_irrs=several,
    )
    assert answer.verdict == verdict
    assert isinstance(answer.verdict, Verdict)


def test_recommendation_reasons():
    answer = recommend(
        npv=Decimal("17.63"), irr_annual=Decimal("0.088963"), payback_months=Decimal("31.20"),
        thresholds=RULES,
    )  # fmt: skip
    assert answer.as_json() == {
        "verdict": "reconsider",
        "reasons": [
            "净现值为正",
            "年化内部收益率 8.90%，低于最低要求 12.00%",
            "回收期 31.20 个月，不超过 36 个月",
        ],
    }
    answer = recommend(
        npv=Decimal("-5"), irr_annual=Decimal("0.05"), payback_months=Decimal("40"),
        thresholds=RULES,
    )  # fmt: skip
    assert answer.reasons == (
        "净现值为负",
        "年化内部收益率 5.00%，低于最低要求 12.00% 减去再议区间后的 8.00%",
        "回收期 40 个月，超过 36 个月",
    )
    assert answer.verdict == "decline"


def test_recommendation_of_appraisals():
    # The classic two-IRR flows, yearly, at 15 % (between the IRRs, NPV +0.19) and at 8 %.
    two = appraise(flows=flows(-100, 230, -132), rate=Decimal("0.15"))
    answer = appraisal_recommend(appraisal=two, thresholds=RULES)
    assert answer.verdict == "pursue"  # payback 0.43 years = 5.16 months
    assert answer.reasons == ("净现值为正", "存在多个内部收益率，以净现值为准", "回收期 5.16 个月，不超过 36 个月")  # fmt: skip
    two = appraise(flows=flows(-100, 230, -132), rate=Decimal("0.08"))
    assert appraisal_recommend(appraisal=two, thresholds=RULES).verdict == "decline"
    # No sign change: all inflows, no IRR. A positive NPV, but nothing to judge a return on.
    free = appraisal_recommend(appraisal=appraise(flows=flows(100, 50), rate=Decimal("0.1")), thresholds=RULES)  # fmt: skip
    assert free.verdict == "reconsider"
    assert "现金流没有正负变化，没有内部收益率" in free.reasons
    # Sign changes but no IRR (see test_sign_changes_but_no_real_irr): the NPV is negative
    # at every rate.
    none = appraisal_recommend(appraisal=appraise(flows=flows(-100, 230, -133), rate=Decimal("0.1")), thresholds=RULES)  # fmt: skip
    assert none.verdict == "decline"
    assert "现金流有正负变化，但在搜索范围内没有内部收益率" in none.reasons
    # The monthly project of test_a_monthly_project: NPV > 0, IRR 41.7 % a year, 22 months.
    project = project_flows(
        capex=Decimal("120000"), monthly_opex=Decimal("2000"), monthly_revenue=Decimal("7000"),
        one_time_revenue=Decimal("10000"), term_months=36,
    )  # fmt: skip
    good = appraise(flows=project, rate=Decimal("0.08"), period="month")
    assert appraisal_recommend(appraisal=good, thresholds=RULES).reasons == (
        "净现值为正",
        "年化内部收益率 41.73%，不低于最低要求 12.00%",
        "回收期 22.00 个月，不超过 36 个月",
    )


# -- properties --------------------------------------------------------------------------------

amounts = st.integers(min_value=-(10**8), max_value=10**8).map(lambda n: Decimal(n).scaleb(-2))
cash_flows = st.lists(amounts, min_size=2, max_size=8)


def slope_bound(values: list[Decimal], rate: Fraction) -> Fraction:
    """An upper bound of |NPV'| on [rate, oo): sum t |f_t| / (1 + rate)^(t + 1)."""
    return sum(
        (t * abs(Fraction(f)) / (1 + rate) ** (t + 1) for t, f in enumerate(values)), Fraction(0)
    )


@settings(max_examples=200, deadline=None)
@given(cash_flows)
def test_each_irr_found_zeroes_the_npv(values):
    """Each IRR, rounded to 1e-6, is within 5e-7 of a true root, so the exact NPV there is
    at most 5e-7 x the steepest slope nearby (plus the Decimal search's 1e-30)."""
    found = irrs(flows=values)
    assert found == sorted(set(found))
    assert len(found) <= sign_changes(flows=values)  # Descartes
    for irr in found:
        assert Decimal("-0.9999") <= irr <= 10
        near = Fraction(irr) - Fraction(1, 10**6)
        tolerance = slope_bound(values, near) * Fraction(6, 10**7) + Fraction(1, 10**20) * sum(
            abs(Fraction(f)) / (1 + near) ** t for t, f in enumerate(values)
        )
        assert abs(exact_npv(values, irr)) <= tolerance


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=10**7),
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=7),
)
def test_a_conventional_project_has_exactly_one_irr(outlay, inflows):
    """-a, then inflows >= 0, at least one > 0: the NPV -a + sum f_t v^t falls strictly as r
    rises (every v^t does), from +oo near r = -1 to -a, so it crosses zero exactly once.
    The IRR is > 0 when the inflows sum to more than a (NPV(0) > 0), 0 when to exactly a,
    < 0 when to less. Cases whose root lies outside the searched range are skipped."""
    assume(any(inflows))
    values = [Decimal(-outlay), *(Decimal(f) for f in inflows)]
    assume(exact_npv(values, Decimal("-0.9999")) > 0 > exact_npv(values, Decimal(10)))
    (irr,) = irrs(flows=values)
    step = Fraction(1, 10**6)
    assert exact_npv(values, Fraction(irr) - step) > 0 > exact_npv(values, Fraction(irr) + step)
    total = sum(inflows) - outlay
    if total > 0:
        assert irr >= 0
    elif total < 0:
        assert irr <= 0
    else:
        assert irr == 0


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=60), st.integers(min_value=1, max_value=60))
def test_two_chosen_roots_are_found(p1, p2):
    """-(x - x1)(x - x2) with x = 1 + r and x_i = 1 + p_i %: flows -1, x1 + x2, -x1 x2 have
    IRRs p1 % and p2 % (a double root when p1 = p2)."""
    x1, x2 = 1 + Decimal(p1) / 100, 1 + Decimal(p2) / 100
    found = irrs(flows=[Decimal(-1), x1 + x2, -x1 * x2])
    expected = sorted({Decimal(p1) / 100, Decimal(p2) / 100})
    assert found == [e.quantize(Decimal("0.000001")) for e in expected]


@settings(max_examples=100, deadline=None)
@given(cash_flows, st.integers(min_value=1, max_value=1000))
def test_irrs_do_not_depend_on_the_scale_or_the_sign(values, k):
    assert irrs(flows=[k * v for v in values]) == irrs(flows=values)
    assert irrs(flows=[-v for v in values]) == irrs(flows=values)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=10**5))
def test_payback_of_a_level_annuity(outlay, inflow):
    """-a, then c every period: recovered after a / c periods."""
    periods = -(-outlay // inflow)  # enough periods to recover
    assume(periods < 200)
    values = [Decimal(-outlay)] + [Decimal(inflow)] * periods
    assert payback_periods(flows=values) == cents(Fraction(outlay, inflow))


# -- the command -----------------------------------------------------------------------------


def run(**options: str) -> dict[str, object]:
    out = io.StringIO()
    call_command("appraise", stdout=out, **options)
    return json.loads(out.getvalue())


def test_command_prints_the_figures_as_json():
    assert run(cashflows="-1000,300,400,500", rate="0.08") == {
        "period": "year",
        "annual_rate": "0.08",
        "rate_per_period": "0.08",
        "npv": "17.63",
        "irrs": ["0.088963"],
        "irrs_annual": ["0.088963"],
        "sign_changes": 1,
        "payback_periods": "2.60",
        "discounted_payback_periods": "2.96",
        "roi": "0.2000",
    }


def test_command_monthly_and_without_irr():
    data = run(cashflows="-1000, 300，400,500", rate="0.08", period="month")
    assert data["rate_per_period"] == "0.0064340301100035"
    assert data["irrs"] == ["0.088963"]  # per month now
    # NPV at the monthly rate m: -1000 + 300/(1+m) + 400/(1+m)^2 + 500/(1+m)^3
    m = Fraction(Decimal("0.0064340301100035"))
    assert data["npv"] == str(cents(exact_npv(TEXTBOOK, m))) == "183.46"
    assert run(cashflows="100,200", rate="0.1")["irrs"] == []
    assert run(cashflows="-100,230,-132", rate="0.1")["irrs"] == ["0.100000", "0.200000"]


def test_command_reads_negative_values_from_the_real_command_line(capsys):
    # (--skip-checks: the system checks are not what this is about.)
    argv = ["telekam", "appraise", "--cashflows", "-1000,300,400,500", "--rate", "-5e-2"]
    Command().run_from_argv([*argv, "--skip-checks"])
    data = json.loads(capsys.readouterr().out)
    assert (data["annual_rate"], data["npv"]) == ("-0.05", "342.18")
    # -1000 + 300/0.95 + 400/0.95^2 + 500/0.95^3
    #   = -1000 + 315.789474 + 443.213296 + 583.175389 = 342.178159
    assert str(cents(exact_npv(TEXTBOOK, Decimal("-0.05")))) == "342.18"
    with pytest.raises(SystemExit) as info:
        Command().run_from_argv(
            ["telekam", "appraise", "--cashflows", "-1,x", "--rate", "0.1", "--skip-checks"]
        )
    assert info.value.code == 1
    assert "第 1 期现金流不是数字：'x'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("cashflows", "rate", "message"),
    [
        ("-1000,abc,400", "0.08", "第 1 期现金流不是数字：'abc'"),
        ("-1000,,400", "0.08", "第 1 期现金流不是数字：''"),
        ("", "0.08", "现金流不能为空"),
        ("-1000", "0.08", "至少需要 2 期现金流"),
        ("-1000,nan", "0.08", "第 1 期现金流不是有限的数"),
        ("-1000,Infinity", "0.08", "第 1 期现金流不是有限的数"),
        (",".join(["1"] * (MAX_FLOWS + 1)), "0.08", "现金流最多 1200 期"),
        ("-1000,1100", "-1", "折现率必须是大于 -1 的有限数：-1"),
        ("-1000,1100", "-1.5", "折现率必须是大于 -1 的有限数"),
        ("-1000,1100", "nan", "折现率必须是大于 -1 的有限数：NaN"),
        ("-1000,1100", "inf", "折现率必须是大于 -1 的有限数：Infinity"),
        ("-1000,1100", "8%", "折现率不是数字：'8%'"),
    ],
)
def test_command_refuses_bad_input(cashflows, rate, message):
    with pytest.raises(CommandError, match=message):
        call_command("appraise", cashflows=cashflows, rate=rate)


def test_command_asks_for_what_is_missing():
    with pytest.raises(CommandError, match="请用 --cashflows 给出各期现金流"):
        call_command("appraise", rate="0.1")
    with pytest.raises(CommandError, match="请用 --rate 给出年折现率"):
        call_command("appraise", "--cashflows=-1,2")


def test_command_refuses_an_unknown_period():
    with pytest.raises(CommandError, match="期间应为 year 或 month：week"):
        call_command("appraise", cashflows="-1,2", rate="0.1", period="week")


def test_command_takes_the_longest_flows():
    data = run(cashflows=",".join(["-1000"] + ["10"] * (MAX_FLOWS - 1)), rate="0.1", period="month")
    assert data["payback_periods"] == "100.00"
    assert len(data["irrs"]) == 1
