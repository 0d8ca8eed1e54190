"""Project evaluation (domain §4): the figures by which a new customer or project is judged
(net present value, every internal rate of return, payback, ROI) and the pursue /
reconsider / decline recommendation built on them. Pure functions: no database, no clock.

Conventions shared by every function here:

- Cash flows are a sequence of `Decimal` amounts, one per period; flow 0 falls at time 0
  (not discounted), flow t at the end of period t. Outflows are negative.
- Rates are per period as fractions (0.08 = 8 %), except where a name says `annual`.
- Money and ratios come back as `Decimal`, rounded half up: NPV to 0.01, ROI to 0.0001,
  payback to 0.01 periods. The arithmetic behind them is exact `Decimal` arithmetic at
  50 significant digits, rounded once at the end.
- IRRs are found with binary floats (a root search needs thousands of evaluations), to
  about 1e-12, and come back as `Decimal` rounded half up to 1e-6 (0.088963 = 8.8963 %).
- A monthly rate derived from an annual one is rounded to 1e-16; that is the rate every
  monthly figure is computed with.
- Wrong input raises `ApplicationError` (code `invalid`, `field` names the argument) with
  a message for the user; the API and the `appraise` command show it as it is.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.utils.translation import gettext as _

from telekam.core.errors import ApplicationError, ErrorCode

CENT = Decimal("0.01")
ROI_QUANTUM = Decimal("0.0001")
PAYBACK_QUANTUM = Decimal("0.01")
IRR_QUANTUM = Decimal("0.000001")
MONTHLY_RATE_QUANTUM = Decimal("1e-16")
MAX_FLOWS = 1200  # a hundred years of months; also bounds the work of the IRR search
PERIODS = ("year", "month")

# The IRR search range, per period: -99.99 % to +1000 %, both ends included.
LOWEST_IRR = -0.9999
HIGHEST_IRR = 10.0

_PRECISION = 50  # significant digits of the Decimal arithmetic
_ROOT_WIDTH = 1e-12  # brackets are narrowed until they are this narrow
# A cell of the search grid where |NPV| / sum |f_t| v^t is below this times the cell's
# width in ln(1 + r) at both ends is looked at closer; _MAX_POINTS bounds that work.
_CROWDED = 1e-3
_MAX_POINTS = 20_000


def _invalid(message: str, field: str) -> ApplicationError:
    return ApplicationError(message, code=ErrorCode.INVALID, field=field)


def _checked_flows(flows: Sequence[Decimal], *, minimum: int = 1) -> list[Decimal]:
    values = [Decimal(flow) for flow in flows]
    if len(values) < minimum:
        raise _invalid(
            _("至少需要 %(min)d 期现金流（第 0 期在时间 0）。") % {"min": minimum}, "flows"
        )
    if len(values) > MAX_FLOWS:
        raise _invalid(_("现金流最多 %(max)d 期。") % {"max": MAX_FLOWS}, "flows")
    for period, value in enumerate(values):
        if not value.is_finite():
            raise _invalid(
                _("第 %(period)d 期现金流不是有限的数：%(value)s")
                % {"period": period, "value": value},
                "flows",
            )
    return values


def _checked_rate(rate: Decimal, *, field: str = "rate") -> Decimal:
    rate = Decimal(rate)
    if not rate.is_finite() or rate <= -1:
        raise _invalid(_("折现率必须是大于 -1 的有限数：%(rate)s") % {"rate": rate}, field)
    return rate


def _round(value: Decimal, quantum: Decimal) -> Decimal:
    """Half up to `quantum`, however large the value (quantize needs the digits)."""
    places = -int(quantum.as_tuple().exponent)
    with localcontext() as ctx:
        ctx.prec = max(_PRECISION, value.adjusted() + places + 5)
        rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
        return rounded if rounded else abs(rounded)  # never "-0.00"


def _discounted(flows: Sequence[Decimal], rate: Decimal) -> list[Decimal]:
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        factor = 1 / (1 + rate)
        out = []
        discount = Decimal(1)
        for flow in flows:
            out.append(flow * discount)
            discount *= factor
        return out


# -- net present value, ROI, payback -----------------------------------------------------


def npv(*, rate: Decimal, flows: Sequence[Decimal]) -> Decimal:
    """Net present value at `rate` per period: sum of flow_t / (1 + rate)^t, flow 0 at
    time 0 (undiscounted). Rounded half up to 0.01."""
    values = _checked_flows(flows)
    rate = _checked_rate(rate)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        factor = 1 / (1 + rate)
        total = Decimal(0)
        for flow in reversed(values):  # Horner: f0 + v(f1 + v(f2 + ...))
            total = total * factor + flow
    return _round(total, CENT)


def roi(*, flows: Sequence[Decimal]) -> Decimal | None:
    """Return on investment, undiscounted: (sum of all flows) / (sum of the outflows'
    absolute values), rounded half up to 0.0001 (0.2000 = 20 %). None without an outflow."""
    values = _checked_flows(flows)
    invested = sum((-flow for flow in values if flow < 0), Decimal(0))
    if not invested:
        return None
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        ratio = sum(values, Decimal(0)) / invested
    return _round(ratio, ROI_QUANTUM)


def _payback(values: Sequence[Decimal]) -> Decimal | None:
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        cumulative = Decimal(0)
        owing = False  # has the cumulative been below zero yet?
        for period, flow in enumerate(values):
            before = cumulative
            cumulative += flow
            if cumulative < 0:
                owing = True
            elif owing:  # recovered during this period: interpolate linearly within it
                return _round(period - 1 + (-before) / flow, PAYBACK_QUANTUM)
        return None if owing else _round(Decimal(0), PAYBACK_QUANTUM)


def payback_periods(*, flows: Sequence[Decimal]) -> Decimal | None:
    """Undiscounted payback: the first time the cumulative flow, having been below zero,
    is back at zero or above, interpolated linearly within that period and rounded half
    up to 0.01 periods (-1000, 300, 400, 500 -> 2.60: 300 of the 500 of period 3 are
    needed). 0.00 when the cumulative is never below zero (nothing to recover); None
    when it never comes back. Later outflows that push the cumulative below zero again do
    not move this first payback."""
    return _payback(_checked_flows(flows))


def discounted_payback_periods(*, rate: Decimal, flows: Sequence[Decimal]) -> Decimal | None:
    """`payback_periods` on the flows discounted at `rate` per period (flow t divided by
    (1 + rate)^t), interpolated linearly within the period on the discounted flow."""
    values = _checked_flows(flows)
    return _payback(_discounted(values, _checked_rate(rate)))


# -- internal rates of return -------------------------------------------------------------


def sign_changes(*, flows: Sequence[Decimal]) -> int:
    """How many times the flows change sign, zeros skipped (Descartes' bound on the IRRs)."""
    signs = [flow > 0 for flow in _checked_flows(flows) if flow]
    return sum(1 for a, b in itertools.pairwise(signs) if a != b)


def _build_grid() -> list[float]:
    """Rates r with ln(1 + r) geometric away from 0 (1 % apart from 1e-5 on): dense near
    0, where per-period rates live, and never coarser than 1 % of ln(1 + r) elsewhere."""
    steps: list[float] = []
    x = 1e-5
    while x < max(-math.log1p(LOWEST_IRR), math.log1p(HIGHEST_IRR)):
        steps.append(x)
        x *= 1.01
    lower = [math.expm1(-x) for x in reversed(steps) if math.expm1(-x) > LOWEST_IRR]
    upper = [math.expm1(x) for x in steps if math.expm1(x) < HIGHEST_IRR]
    return [LOWEST_IRR, *lower, 0.0, *upper, HIGHEST_IRR]


_GRID = _build_grid()


class _Search:
    """The NPV of one set of flows, evaluated for the IRR search.

    Two forms of it: from r = -0.1 % up the NPV itself, a polynomial in v = 1 / (1 + r);
    below, the future value at the last period, sum f_t (1 + r)^(n - t) = NPV x (1 + r)^n.
    They differ by a positive factor, so they have the same sign and the same roots with
    the same multiplicities, and in floats neither overflows on its side of the range.
    The flows are divided by the largest |f_t| first (the roots stay where they are).

    Floats first (fast); wherever a float value is too close to zero for its sign to be
    certain, it is worked out again in Decimal at 50 digits, where it counts as zero
    below 1e-30 of the same polynomial on the absolute flows (sum |f_t| v^t, the
    "scale"). So signs are exact, a double or triple root is told apart from two nearby
    roots or none, and bisection goes on to full precision even at a multiple root.
    """

    DECIMAL_ZERO = Decimal("1e-30")

    def __init__(self, values: Sequence[Decimal]) -> None:
        biggest = max(abs(value) for value in values)
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            exact = [value / biggest for value in values]  # same roots, |f_t| <= 1
        floats = [float(value) for value in exact]
        # Highest power first, for Horner: in v the last flow leads, in 1 + r the first.
        self.exact = {True: exact[::-1], False: exact}
        self.floats = {
            in_v: [(c, abs(c)) for c in (floats[::-1] if in_v else floats)]
            for in_v in (True, False)
        }
        # Horner in floats errs by at most about 2n x 1.1e-16 of sum |f_t| v^t, and as much
        # again from rounding v and the flows: below 2e-15 (n + 1) of it, a sign is doubtful.
        self.doubt = 2e-15 * len(values)

    @staticmethod
    def in_v(r: float | Decimal) -> bool:
        """Which form: the NPV in v from just below 0 up (v <= 1.001: v^1200 stays small)."""
        return r >= -1e-3

    def float_value(self, r: float) -> tuple[float, float]:
        """(value, scale) in floats, in the form for r; scale = the value on |f_t|."""
        in_v = self.in_v(r)
        x = 1 / (1 + r) if in_v else 1 + r
        value = scale = 0.0
        for c, m in self.floats[in_v]:
            value = value * x + c
            scale = scale * x + m
        return value, scale

    def float_slope(self, r: float, in_v: bool) -> float:
        """A number with the sign of d(form)/dr, in the form `in_v`."""
        x = 1 / (1 + r) if in_v else 1 + r
        value = slope = 0.0
        for c, _m in self.floats[in_v]:
            slope = slope * x + value
            value = value * x + c
        return -slope if in_v else slope  # v falls as r rises

    def exact_value(self, r: Decimal, in_v: bool) -> Decimal:
        """The value in Decimal at 50 digits, in the form `in_v`."""
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            x = 1 / (1 + r) if in_v else 1 + r
            value = Decimal(0)
            for c in self.exact[in_v]:
                value = value * x + c
            return value

    def exact_slope(self, r: Decimal, in_v: bool) -> Decimal:
        """A Decimal with the sign of d(form)/dr, in the form `in_v`."""
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            x = 1 / (1 + r) if in_v else 1 + r
            value = slope = Decimal(0)
            for c in self.exact[in_v]:
                slope = slope * x + value
                value = value * x + c
            return -slope if in_v else slope

    def exact_sign(self, r: Decimal, scale: float) -> tuple[int, float]:
        """(sign of the NPV at r in Decimal, 0 below 1e-30 of the scale; |value| / scale)."""
        value = self.exact_value(r, self.in_v(r))
        size = float(abs(value)) / scale if scale else 0.0
        if abs(value) <= self.DECIMAL_ZERO * Decimal(scale):
            return 0, size
        return (1 if value > 0 else -1), size

    def sign(self, r: float) -> tuple[int, float]:
        """(sign of the NPV at r: -1, 0 or 1; |value| / scale)."""
        value, scale = self.float_value(r)
        if abs(value) > self.doubt * scale:
            return (1 if value > 0 else -1), abs(value) / scale
        return self.exact_sign(Decimal(r), scale)

    def root(self, a: float, b: float, sign_a: int) -> float:
        """Bisection: a root in [a, b], the NPV having sign `sign_a` at a and the other at b."""
        while b - a > _ROOT_WIDTH * max(1.0, abs(a)):
            mid = (a + b) / 2
            if mid in (a, b):
                break
            sign, _size = self.sign(mid)
            if sign == 0:
                return mid
            if sign == sign_a:
                a = mid
            else:
                b = mid
        return (a + b) / 2

    def turn(self, a: float, b: float) -> float | None:
        """Where the NPV turns in [a, b] (its slope changes sign), in floats; None if the
        slope has the same sign at both ends."""
        in_v = self.in_v(a)
        rising = self.float_slope(a, in_v) > 0
        if (self.float_slope(b, in_v) > 0) == rising:
            return None
        while b - a > _ROOT_WIDTH * max(1.0, abs(a)):
            mid = (a + b) / 2
            if mid in (a, b):
                break
            if (self.float_slope(mid, in_v) > 0) == rising:
                a = mid
            else:
                b = mid
        return (a + b) / 2

    def exact_turn(self, a: float, b: float) -> tuple[Decimal, int] | None:
        """`turn` in Decimal, to 1e-25: (where, sign of the NPV there: -1, 0 or 1)."""
        in_v = self.in_v(a)
        low, high = Decimal(a), Decimal(b)
        rising = self.exact_slope(low, in_v) > 0
        if (self.exact_slope(high, in_v) > 0) == rising:
            return None
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            while high - low > Decimal("1e-25"):
                mid = (low + high) / 2
                if (self.exact_slope(mid, in_v) > 0) == rising:
                    low = mid
                else:
                    high = mid
            where = (low + high) / 2
        return where, self.exact_sign(where, self.float_value(float(where))[1])[0]

    def dip(self, a: float, b: float, sign: int, *, doubtful: bool) -> list[float]:
        """The roots in [a, b] where the NPV has `sign` at both ends and turns once between:
        none, one double root, or two. `doubtful`: near zero already, skip the floats."""
        if not doubtful:
            turn = self.turn(a, b)
            if turn is None:
                return []
            value, scale = self.float_value(turn)
            if abs(value) > self.doubt * scale:
                turn_sign = 1 if value > 0 else -1
                if turn_sign == sign:
                    return []
                return [self.root(a, turn, sign), self.root(turn, b, turn_sign)]
        exact = self.exact_turn(a, b)  # too close to zero to tell in floats
        if exact is None:
            return []
        turn, turn_sign = float(exact[0]), exact[1]
        if turn_sign == 0:
            return [turn]
        if turn_sign == sign:
            return []
        return [self.root(a, turn, sign), self.root(turn, b, turn_sign)]


def _irr_floats(values: Sequence[Decimal]) -> list[float]:
    """Every IRR in [LOWEST_IRR, HIGHEST_IRR], as floats, sorted (see `irrs`)."""
    if not any(values):
        return []
    search = _Search(values)
    points = [(r, *search.sign(r)) for r in _GRID]  # (rate, sign, |NPV| / scale)
    # Where the NPV is close to zero at both ends of a cell, for a cell that wide (across
    # a single root it would change about as much as the cell is wide), roots may crowd
    # together, three in a cell showing as one sign change: look 16 times closer there,
    # three times over, which takes clusters apart down to ~1e-6 of 1 + r.
    for _depth in range(3):
        finer = [points[0]]
        for (a, _sign_a, size_a), right in itertools.pairwise(points):
            width = math.log1p(right[0]) - math.log1p(a)
            if max(size_a, right[2]) < _CROWDED * width and len(finer) < _MAX_POINTS:
                step = (right[0] - a) / 16
                finer.extend((r, *search.sign(r)) for r in (a + k * step for k in range(1, 16)))
            finer.append(right)
        if len(finer) == len(points):
            break
        points = finer
    roots = [r for r, sign, _size in points if sign == 0]
    for (a, sign_a, _sa), (b, sign_b, _sb) in itertools.pairwise(points):
        if sign_a * sign_b < 0:  # a sign change: a simple root, or one of odd multiplicity
            roots.append(search.root(a, b, sign_a))
    for (a, sign_a, size_a), (_r, sign, size), (b, sign_b, size_b) in zip(
        points, points[1:], points[2:], strict=False
    ):
        # |NPV| dips towards zero without crossing it: a double root (the NPV touches zero)
        # or two roots closer together than the grid, or neither. Look where it turns.
        if sign_a == sign == sign_b != 0 and size <= min(size_a, size_b) < max(size_a, size_b):
            roots.extend(search.dip(a, b, sign, doubtful=size <= search.doubt))
    distinct: list[float] = []
    for r in sorted(roots):
        if not distinct or r - distinct[-1] > 1e-9 * max(1.0, abs(r)):
            distinct.append(r)
    return distinct


def _rounded_irrs(rates: Sequence[float]) -> tuple[Decimal, ...]:
    out: list[Decimal] = []
    for rate in rates:
        value = _round(Decimal(rate), IRR_QUANTUM)
        if not out or value != out[-1]:
            out.append(value)
    return tuple(out)


def irrs(*, flows: Sequence[Decimal]) -> list[Decimal]:
    """Every internal rate of return per period, sorted, each rounded half up to 1e-6: the
    rates r at which the NPV is zero.

    With v = 1 / (1 + r), the NPV is the polynomial f_0 + f_1 v + ... + f_n v^n, and each
    rate r > -1 is a positive v. By Descartes' rule of signs the number of positive roots
    (counted with multiplicity) is at most the number of sign changes in the flows (zeros
    skipped), and falls short of it by an even number. Hence: flows that never change sign
    have no IRR (the answer is []); one sign change (the conventional project: outflows,
    then inflows) gives exactly one IRR above -100 %; k sign changes give at most k.

    Searched: from -99.99 % to +1000 % per period, both ends included (`LOWEST_IRR`,
    `HIGHEST_IRR`); a root outside that range is not reported. How:

    - the sign of the NPV on about 2,600 rates, ln(1 + r) spaced geometrically away from
      0 (1 % apart from 1e-5 on) and 0 itself;
    - where |NPV| at both ends of a cell is below 1e-3 of sum |f_t| v^t times the cell's
      width in ln(1 + r), roots may crowd together: that cell is looked at 16, 256 and
      4096 times finer;
    - each sign change between neighbours is narrowed by bisection to 1e-12;
    - each place where |NPV| dips towards zero without a sign change is examined where
      the NPV turns (bisection on its slope): if it touches zero there, that is a double
      root (as -1, 2, -1 at 0 %), reported once; if it crosses, two roots closer together
      than the grid, both reported;
    - signs near zero are settled in 50-digit Decimal arithmetic, where the NPV counts as
      zero below 1e-30 of sum |f_t| v^t; a root of multiplicity m >= 3 is thus located to
      about 1e-30^(1/m) (1e-10 for a triple root, 3e-8 for a quadruple one).

    Distinct IRRs that round to the same 1e-6 are reported once. About 0.2 s for 1,200
    flows; more (up to a few seconds) when long flows have a multiple root.
    """
    values = _checked_flows(flows)
    if not sign_changes(flows=values):
        return []
    return list(_rounded_irrs(_irr_floats(values)))


# -- rates and flows of a project ---------------------------------------------------------


def period_rate(*, annual_rate: Decimal, period: str) -> Decimal:
    """The discount rate per period: "year" -> the annual rate as given; "month" -> the
    effective monthly rate (1 + annual)^(1/12) - 1, rounded half up to 1e-16 (0.08 a year
    -> 0.0064340301100035 a month), so that twelve months compound to the annual rate."""
    annual_rate = _checked_rate(annual_rate, field="annual_rate")
    if period not in PERIODS:
        raise _invalid(_("期间应为 year 或 month：%(period)s") % {"period": period}, "period")
    if period == "year":
        return annual_rate
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        monthly = (1 + annual_rate) ** (Decimal(1) / 12) - 1
    return _round(monthly, MONTHLY_RATE_QUANTUM)


def project_flows(
    *,
    capex: Decimal,
    monthly_opex: Decimal,
    monthly_revenue: Decimal,
    one_time_revenue: Decimal,
    term_months: int,
) -> list[Decimal]:
    """The monthly flows of a project: month 0 = one-time revenue - capex, then each month
    of the term (1..term_months) = monthly revenue - monthly opex."""
    if not 1 <= term_months <= MAX_FLOWS - 1:
        raise _invalid(_("期限应为 1 到 %(max)d 个月。") % {"max": MAX_FLOWS - 1}, "term_months")
    amounts = _checked_flows([capex, monthly_opex, monthly_revenue, one_time_revenue])
    capex, monthly_opex, monthly_revenue, one_time_revenue = amounts
    return [one_time_revenue - capex] + [monthly_revenue - monthly_opex] * term_months


# -- the recommendation ------------------------------------------------------------------


class Verdict(enum.StrEnum):
    PURSUE = "pursue"
    RECONSIDER = "reconsider"
    DECLINE = "decline"


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """min_irr_annual: the hurdle rate; max_payback_months: the longest acceptable
    undiscounted payback; reconsider_margin: how far below the hurdle an IRR may fall
    before a project with a negative NPV is declined rather than reconsidered."""

    min_irr_annual: Decimal
    max_payback_months: int
    reconsider_margin: Decimal


@dataclasses.dataclass(frozen=True)
class Recommendation:
    verdict: Verdict  # a StrEnum: compares equal to "pursue", "reconsider", "decline"
    reasons: tuple[str, ...]  # one sentence per criterion, for the user

    def as_json(self) -> dict[str, object]:
        return {"verdict": str(self.verdict), "reasons": list(self.reasons)}


def _percent(rate: Decimal) -> str:
    return f"{_round(rate * 100, CENT)}%"


def recommend(
    *,
    npv: Decimal,
    irr_annual: Decimal | None,
    payback_months: Decimal | None,
    thresholds: Thresholds,
    several_irrs: bool = False,
    flows_change_sign: bool | None = None,
) -> Recommendation:
    """Pursue, reconsider or decline a project, with the reasons.

    `irr_annual` is the project's only IRR, annualised; None when it has none or several
    (then say `several_irrs=True`: with several IRRs no IRR is a yardstick, and the NPV
    decides). `flows_change_sign` only words the reason when there is no IRR. The rules:

    - pursue: NPV > 0, and a single IRR >= min_irr_annual (several IRRs: this test is
      dropped), and the payback is known and <= max_payback_months;
    - decline: the investment is never paid back; or NPV < 0 and either there is no IRR,
      or the single IRR is below min_irr_annual - reconsider_margin, or there are several;
    - reconsider: everything else (NPV exactly 0; NPV > 0 with an IRR below the hurdle,
      with no IRR at all, or with a payback too long; NPV < 0 with an IRR within the
      margin below the hurdle).
    All comparisons at the edges are inclusive as written: an IRR equal to the hurdle or a
    payback equal to the limit passes; an IRR equal to hurdle - margin is not declined.
    """
    reasons: list[str] = []
    if npv > 0:
        reasons.append(_("净现值为正"))
    elif npv < 0:
        reasons.append(_("净现值为负"))
    else:
        reasons.append(_("净现值为零"))

    single = irr_annual is not None and not several_irrs
    floor = thresholds.min_irr_annual - thresholds.reconsider_margin
    if several_irrs:
        reasons.append(_("存在多个内部收益率，以净现值为准"))
        irr_passes, irr_fails = True, True
    elif irr_annual is None:
        if flows_change_sign is None:
            reasons.append(_("没有内部收益率"))
        elif flows_change_sign:
            reasons.append(_("现金流有正负变化，但在搜索范围内没有内部收益率"))
        else:
            reasons.append(_("现金流没有正负变化，没有内部收益率"))
        irr_passes, irr_fails = False, True
    else:
        irr_passes = irr_annual >= thresholds.min_irr_annual
        irr_fails = irr_annual < floor
        values = {
            "irr": _percent(irr_annual),
            "min": _percent(thresholds.min_irr_annual),
            "floor": _percent(floor),
        }
        if irr_passes:
            reasons.append(_("年化内部收益率 %(irr)s，不低于最低要求 %(min)s") % values)
        elif irr_fails:
            reasons.append(
                _("年化内部收益率 %(irr)s，低于最低要求 %(min)s 减去再议区间后的 %(floor)s")
                % values
            )
        else:
            reasons.append(_("年化内部收益率 %(irr)s，低于最低要求 %(min)s") % values)

    if payback_months is None:
        reasons.append(_("累计现金流始终未回正，投资无法收回"))
        payback_passes = False
    else:
        payback_passes = payback_months <= thresholds.max_payback_months
        months = {"months": payback_months, "max": thresholds.max_payback_months}
        if payback_passes:
            reasons.append(_("回收期 %(months)s 个月，不超过 %(max)s 个月") % months)
        else:
            reasons.append(_("回收期 %(months)s 个月，超过 %(max)s 个月") % months)

    if npv > 0 and (single or several_irrs) and irr_passes and payback_passes:
        verdict = Verdict.PURSUE
    elif payback_months is None or (npv < 0 and irr_fails):
        verdict = Verdict.DECLINE
    else:
        verdict = Verdict.RECONSIDER
    return Recommendation(verdict=verdict, reasons=tuple(reasons))


# -- the whole appraisal -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Appraisal:
    """The figures of one set of flows. Not the `sales.Appraisal` model: that one holds a
    deal's inputs; this is what they come to."""

    period: str  # "year" or "month": the length of one period of the flows
    annual_rate: Decimal  # the discount rate as given, per year
    rate_per_period: Decimal  # the rate used: per year, or the effective monthly rate
    npv: Decimal  # at rate_per_period, to 0.01
    irrs: tuple[Decimal, ...]  # every IRR per period, sorted, to 1e-6; () when none
    irrs_annual: tuple[Decimal, ...]  # the same annualised: (1 + irr)^12 - 1 for months
    sign_changes: int  # Descartes: at most this many IRRs; 0 -> none
    payback_periods: Decimal | None  # undiscounted, to 0.01 periods; None: never
    discounted_payback_periods: Decimal | None  # at rate_per_period
    roi: Decimal | None  # undiscounted, to 0.0001; None: no outflow

    def as_json(self) -> dict[str, object]:
        """Decimals as strings, the IRRs as lists of strings, None as null."""

        def text(value: object) -> object:
            if isinstance(value, tuple):
                return [str(item) for item in value]
            if isinstance(value, Decimal):
                return str(value)
            return value

        return {f.name: text(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @property
    def payback_months(self) -> Decimal | None:
        if self.payback_periods is None or self.period == "month":
            return self.payback_periods
        return self.payback_periods * 12


def appraise(*, flows: Sequence[Decimal], rate: Decimal, period: str = "year") -> Appraisal:
    """All the figures of `flows` (2 to 1200 periods of one year or one month each, flow 0
    at time 0) at the annual discount rate `rate`; see the module docstring for rounding."""
    values = _checked_flows(flows, minimum=2)
    annual_rate = _checked_rate(rate)
    per_period = period_rate(annual_rate=annual_rate, period=period)
    changes = sign_changes(flows=values)
    found = _irr_floats(values) if changes else []
    annualised = [(1 + r) ** 12 - 1 for r in found] if period == "month" else found
    return Appraisal(
        period=period,
        annual_rate=annual_rate,
        rate_per_period=per_period,
        npv=npv(rate=per_period, flows=values),
        irrs=_rounded_irrs(found),
        irrs_annual=_rounded_irrs(annualised),
        sign_changes=changes,
        payback_periods=payback_periods(flows=values),
        discounted_payback_periods=discounted_payback_periods(rate=per_period, flows=values),
        roi=roi(flows=values),
    )


def appraisal_recommend(*, appraisal: Appraisal, thresholds: Thresholds) -> Recommendation:
    """`recommend` on an appraisal: its NPV, its only annual IRR (or several / none), its
    undiscounted payback in months."""
    several = len(appraisal.irrs_annual) > 1
    return recommend(
        npv=appraisal.npv,
        irr_annual=appraisal.irrs_annual[0] if len(appraisal.irrs_annual) == 1 else None,
        payback_months=appraisal.payback_months,
        thresholds=thresholds,
        several_irrs=several,
        flows_change_sign=appraisal.sign_changes > 0,
    )
