"""Potential value of the key accounts (domain §8, issue 7 point 2): retention curves
fitted to the operator's own cohorts, the direct method (the account's future revenue from
its retention outlook and spend trend, discounted) and the indirect method (the wallet we
do not have yet, grown with the industry). Added value is reported as not available: see
`ADDED_VALUE_NOTE`.

Cohorts. An account starts in the calendar year of its first billed month (the bills are
the only record of when the relationship began: `Account.created_at` is when the file was
typed in, and `key_list_year` the year it joined the key list). It ends in the year of its
last billed month, or of the first retention case closed as lost (outright, not partly
lost) if that is earlier: the department's own record of the loss, which comes before the
bills stop. Periods are calendar years: the account is *alive in period t* (t = 0 the
start year) while its end year is start + t or later, so with L the year of the month

    n_t = #{accounts of the cohort ending in year start + t or later},  t = 0..L - start

Accounts billed in the first months of the data may have started earlier; they count as
starting then. A cohort is the key accounts (segment key, whatever their status) of one
grade, industry and start year; grade and industry are today's.

The fit. Each account's retention curve is the sBG fit (`telekam.value.sbg`) of its own
cohort when the cohort was observed for at least two periods after the start (n_0, n_1,
n_2...) and the fit determines α and β; otherwise the pooled fit of every cohort of its
grade (`sbg.fit_many`), otherwise that of all key-account cohorts; otherwise none (no
potential). `CohortFit.level` says which ("cohort", "grade", "all"). Fits depend only on
the counts and are memoised on them in the process.

The direct method, for an account of age n = L - start (the periods it has renewed), with A
its revenue over the 12 months up to the latest billed month, d the yearly discount rate
and H the horizon in years (both `ValueParameters`):

    trend g  = A / A_prev clamped to [0.5, 1.5], where A_prev is the revenue of the 12
               months before; g = 1 when the account was not billed 24 months ago or
               A_prev <= 0
    factor F = Σ_{t=1..H} g^t · S(n + t) / S(n) / (1 + d)^t
    direct potential = A · F                                     (yuan, to the fen)
    DERL     = Σ_{t>n} S(t) / S(n) · (1 + d)^-(t - n)            (years; sbg.py)
    residual lifetime value = A · m · DERL,  m = profit / revenue of the latest month
               (`selectors.direct_values`); none when that month has no revenue

An account with a retention case closed as lost (outright) has no future with us: its
direct potential, DERL and residual lifetime value are 0.

The indirect method, with s the share of wallet the AM entered (%) and G the industry's
growth (%) of this year, or else of the latest earlier year entered:

    indirect potential = A · (100 / s - 1) · (1 + G / 100)       (yuan, to the fen)

i.e. the part of the customer's telecom spend held by others, grown by a year of its
industry's growth. None when s or G is missing.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Max, Min, Q, Sum
from django.utils.translation import gettext_lazy as _

from telekam.accounts.models import Segment
from telekam.accounts.selectors import account_get_visible
from telekam.billing.models import BillingLine
from telekam.billing.services import month_add
from telekam.core import clock
from telekam.core.errors import PermissionDenied
from telekam.value import access, sbg
from telekam.value.models import (
    PARAMETER_DEFAULTS,
    IndustryGrowth,
    ShareOfWallet,
    ValueParameters,
)
from telekam.value.selectors import (
    DirectValue,
    direct_values,
    latest_billed_month,
    month_end,
)

CENT = Decimal("0.01")
TREND_LOW, TREND_HIGH = 0.5, 1.5
MIN_COHORT_PERIODS = 2  # a cohort's own fit needs n_0, n_1 and n_2 at least
ADDED_VALUE_NOTE = _(
    "暂无数据支持：话单只记录本客户线路的呼出通话由哪家运营商承载（其收入已计入本客户账单），"
    "不记录被叫方是否为本网其他客户，也没有为其他客户群带来的收入数据，因此不计算附加价值。"
)


def value_parameters() -> ValueParameters:
    """The saved parameters, or the defaults (unsaved, version 0). One query."""
    saved = ValueParameters.objects.filter(pk=1).first()
    return saved or ValueParameters(pk=1, version=0, **PARAMETER_DEFAULTS)


# --- cohorts and fits ------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    account_id: int
    grade_id: int | None
    industry: str
    first: dt.date
    last: dt.date  # the last billed month
    lost_on: dt.date | None = None  # the first retention case closed as lost

    @property
    def end_year(self) -> int:
        return min(self.last.year, self.lost_on.year) if self.lost_on else self.last.year


CohortKey = tuple[int | None, str, int]  # grade id, industry, start year


@dataclass(frozen=True)
class CohortFit:
    level: str  # "cohort", "grade", "all", or "constant" (see `constant_churn`)
    alpha: float
    beta: float
    survivors: tuple[int, ...]  # the cohort's own (level cohort) or the pooled sums
    cohorts: int  # how many cohorts were fitted together

    @property
    def churn_pct(self) -> float:
        """The churn of the first period, alpha / (alpha + beta), in %: for the constant
        level, the churn of every period."""
        return 100 * self.alpha / (self.alpha + self.beta)


@dataclass(frozen=True)
class Cohort:
    grade_id: int | None
    industry: str
    start_year: int
    survivors: tuple[int, ...]
    fit: CohortFit | None


def spans(*, through: dt.date) -> dict[int, Span]:
    """Every key account's first and last billed month up to `through`, its first loss
    (a retention case closed as lost by the end of that month), grade and industry. Two
    queries."""
    from telekam.retention.models import CaseOutcome, RetentionCase

    rows = (
        BillingLine.objects.filter(account__segment=Segment.KEY, month__lte=through)
        .order_by()
        .values_list("account_id", "account__grade_id", "account__industry")
        .annotate(first=Min("month"), last=Max("month"))
    )
    lost = dict(
        RetentionCase.objects.filter(
            account__segment=Segment.KEY,
            outcome=CaseOutcome.LOST,
            closed_on__lte=month_end(through),
        )
        .order_by()
        .values_list("account_id")
        .annotate(on=Min("closed_on"))
    )
    return {a: Span(a, g, i, f, la, lost.get(a)) for a, g, i, f, la in rows}


def cohort_survivors(all_spans: dict[int, Span], *, year: int) -> dict[CohortKey, tuple[int, ...]]:
    """n_0..n_k of every cohort, k = `year` - start year (see the module docstring)."""
    last_years: dict[CohortKey, list[int]] = defaultdict(list)
    for s in all_spans.values():
        if s.first.year <= year:
            last_years[(s.grade_id, s.industry, s.first.year)].append(min(s.end_year, year))
    return {
        key: tuple(sum(1 for y in lasts if y >= key[2] + t) for t in range(year - key[2] + 1))
        for key, lasts in last_years.items()
    }


@functools.lru_cache(maxsize=4096)
def _fit_one(survivors: tuple[int, ...]) -> sbg.SbgFit | None:
    try:
        return sbg.fit(survivors)
    except sbg.SbgError:
        return None


@functools.lru_cache(maxsize=1024)
def _fit_pool(cohorts: tuple[tuple[int, ...], ...]) -> sbg.SbgFit | None:
    try:
        return sbg.fit_many(cohorts)
    except sbg.SbgError:
        return None


CONSTANT_K = 1e9  # alpha + beta of the constant-churn limit


def constant_churn(cohorts: list[tuple[int, ...]]) -> CohortFit | None:
    """The last resort when no sBG curve can be fitted to the key accounts' cohorts (too
    little history, or churn that rises with tenure, as in a billing history that starts
    for everyone in the same month): the sBG's limit as the customers' heterogeneity
    vanishes, a constant churn p per period, estimated by maximum likelihood from every
    cohort as losses over periods at risk (p = Σ(n_0 - n_k) / Σ_{t<k} n_t). It is kept as an
    sBG with alpha = p·K and beta = (1-p)·K, K = 10⁹, whose S(t) is (1-p)^t to nine digits.
    None when nobody has left."""
    lost = sum(c[0] - c[-1] for c in cohorts)
    at_risk = sum(sum(c[:-1]) for c in cohorts)
    if lost <= 0 or at_risk <= 0:
        return None
    p = lost / at_risk
    pooled = tuple(sum(c[t] for c in cohorts if len(c) > t) for t in range(max(map(len, cohorts))))
    return CohortFit("constant", p * CONSTANT_K, (1 - p) * CONSTANT_K, pooled, len(cohorts))


def cohort_fits(survivors: dict[CohortKey, tuple[int, ...]]) -> dict[CohortKey, CohortFit | None]:
    """The fit each cohort's accounts use: their own, their grade's pooled, or all."""
    by_grade: dict[int | None, list[tuple[int, ...]]] = defaultdict(list)
    for key, counts in survivors.items():
        by_grade[key[0]].append(counts)

    def pooled(level: str, cohorts: list[tuple[int, ...]]) -> CohortFit | None:
        result = _fit_pool(tuple(sorted(cohorts)))
        if result is None:
            return None
        return CohortFit(level, result.alpha, result.beta, result.survivors, len(cohorts))

    everyone = pooled("all", list(survivors.values())) if survivors else None
    if everyone is None and survivors:
        everyone = constant_churn(list(survivors.values()))
    grade_fits = {g: pooled("grade", c) for g, c in by_grade.items()}
    out: dict[CohortKey, CohortFit | None] = {}
    for key, counts in survivors.items():
        own = _fit_one(counts) if len(counts) > MIN_COHORT_PERIODS else None
        if own is not None:
            out[key] = CohortFit("cohort", own.alpha, own.beta, counts, 1)
        else:
            out[key] = grade_fits[key[0]] or everyone
    return out


def cohorts(*, user: Any, month: dt.date | None = None) -> tuple[dt.date | None, list[Cohort]]:
    """The key-account cohorts up to `month` (default the latest billed) with their
    survivors and the fit their accounts use. Department-wide counts (no account named):
    for those who see value figures. Two queries."""
    if not access.sees_value(user):
        raise PermissionDenied("value figures are financial information")
    month = month or latest_billed_month(on_or_before=clock.today())
    if month is None:
        return None, []
    survivors = cohort_survivors(spans(through=month), year=month.year)
    fits = cohort_fits(survivors)
    rows = [Cohort(k[0], k[1], k[2], v, fits[k]) for k, v in survivors.items()]
    rows.sort(key=lambda c: (c.grade_id or 0, c.industry, c.start_year))
    return month, rows


# --- the two methods -------------------------------------------------------------------


def trend(last12: Decimal, prev12: Decimal | None) -> float:
    """A / A_prev clamped to [0.5, 1.5]; 1 without a previous year to compare."""
    if prev12 is None or prev12 <= 0:
        return 1.0
    return min(max(float(last12 / prev12), TREND_LOW), TREND_HIGH)


def direct_factor(
    *, alpha: float, beta: float, renewals: int, growth: float, discount: float, horizon: int
) -> float:
    """F = Σ_{t=1..H} g^t · S(n + t) / S(n) / (1 + d)^t."""
    total, alive = 0.0, 1.0
    for t in range(1, horizon + 1):
        k = renewals + t  # the period survived into
        alive *= (beta + k - 1) / (alpha + beta + k - 1)
        total += growth**t * alive / (1 + discount) ** t
    return total


def indirect_potential(*, annual: Decimal, share_pct: Decimal, growth_pct: Decimal) -> Decimal:
    """A · (100 / s - 1) · (1 + G / 100), to the fen (half up)."""
    value = annual * (100 / share_pct - 1) * (1 + growth_pct / 100)
    return value.quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Potential:
    account_id: int
    month: dt.date
    annual_revenue: Decimal  # A: the 12 months up to `month`
    previous_revenue: Decimal | None  # A_prev, None when not billed 24 months ago
    months_billed: int  # billed months among the 12
    start_year: int
    renewals: int  # n
    trend: float
    fit: CohortFit | None
    lost_on: dt.date | None  # a retention case closed as lost: no future
    discount_pct: Decimal
    horizon: int
    retention: list[float]  # S(n + t) / S(n), t = 1..H
    factor: float | None
    direct: Decimal | None
    derl: float | None
    margin_pct: Decimal | None
    lifetime_value: Decimal | None
    share_pct: Decimal | None
    share_version: int
    growth_pct: Decimal | None
    growth_year: int | None
    indirect: Decimal | None

    @property
    def avg_monthly_spend(self) -> Decimal:
        """Average over the billed months among the 12 (the grading rule)."""
        if not self.months_billed:
            return Decimal("0.00")
        return (self.annual_revenue / self.months_billed).quantize(CENT, ROUND_HALF_UP)

    @property
    def added_value(self) -> None:
        return None

    @property
    def added_value_note(self) -> str:
        return str(ADDED_VALUE_NOTE)


def _windows(month: dt.date, account_ids: list[int] | None) -> dict[int, tuple[Any, Any, int]]:
    """account id -> (revenue of the 12 months to `month`, of the 12 before, billed months
    among the first 12). One query."""
    start, cut = month_add(month, -23), month_add(month, -11)
    lines = BillingLine.objects.filter(month__gte=start, month__lte=month)
    if account_ids is None:
        lines = lines.filter(account__segment=Segment.KEY)
    else:
        lines = lines.filter(account_id__in=account_ids)
    rows = (
        lines.order_by()
        .values_list("account_id")
        .annotate(
            last=Sum("amount", filter=Q(month__gte=cut)),
            prev=Sum("amount", filter=Q(month__lt=cut)),
            months=Count("month", distinct=True, filter=Q(month__gte=cut)),
        )
    )
    return {a: (last, prev, months) for a, last, prev, months in rows}


def _growths(year: int) -> dict[str, tuple[int, Decimal]]:
    """industry -> (year, growth %) of `year` or the latest year before. One query."""
    out: dict[str, tuple[int, Decimal]] = {}
    for g in IndustryGrowth.objects.filter(year__lte=year).order_by("industry", "-year"):
        out.setdefault(g.industry, (g.year, g.growth_pct))
    return out


def potentials(
    *,
    month: dt.date,
    account_ids: list[int] | None = None,
    values: dict[int, DirectValue] | None = None,
    params: ValueParameters | None = None,
) -> dict[int, Potential]:
    """The potential value of the given key accounts (default: every key account billed
    in `month`) as of `month`. `values` (the month's `direct_values` of those accounts)
    and `params` save their queries when the caller has them. No permission check. A
    fixed number of queries (eleven at most)."""
    params = params or value_parameters()
    all_spans = spans(through=month)
    survivors = cohort_survivors(all_spans, year=month.year)
    fits = cohort_fits(survivors)
    windows = _windows(month, account_ids)
    if values is None:
        values = direct_values(month=month, account_ids=account_ids)
    ids = sorted(values) if account_ids is None else list(account_ids)
    shares = {s.account_id: s for s in ShareOfWallet.objects.filter(account_id__in=ids).order_by()}
    growths = _growths(clock.today().year)
    discount = params.discount_rate_pct / 100
    out = {}
    for account_id in ids:
        span = all_spans.get(account_id)
        if span is None:
            continue
        last, prev, months = windows.get(account_id, (None, None, 0))
        annual = Decimal(last or 0).quantize(CENT)
        previous = (
            Decimal(prev or 0).quantize(CENT) if span.first <= month_add(month, -23) else None
        )
        renewals = month.year - span.first.year
        fit = fits.get((span.grade_id, span.industry, span.first.year))
        g = trend(annual, previous)
        retention: list[float] = []
        factor = derl = None
        direct = lifetime = None
        if span.lost_on is not None:
            retention = [0.0] * params.horizon_years
            factor, derl = 0.0, 0.0
            direct, lifetime = Decimal("0.00"), Decimal("0.00")
        elif fit is not None:
            alive = sbg.survival(fit.alpha, fit.beta, renewals + params.horizon_years)
            retention = [
                alive[renewals + t] / alive[renewals] for t in range(1, params.horizon_years + 1)
            ]
            factor = direct_factor(
                alpha=fit.alpha,
                beta=fit.beta,
                renewals=renewals,
                growth=g,
                discount=float(discount),
                horizon=params.horizon_years,
            )
            direct = (annual * Decimal(factor)).quantize(CENT, ROUND_HALF_UP)
            derl = sbg.discounted_expected_residual_lifetime(
                fit.alpha, fit.beta, renewals=renewals, discount=float(discount)
            )
        value = values.get(account_id)
        margin = None
        if value is not None and value.revenue > 0:
            margin = value.profit / value.revenue
            if derl is not None and lifetime is None:
                lifetime = (annual * margin * Decimal(derl)).quantize(CENT, ROUND_HALF_UP)
        share = shares.get(account_id)
        growth = growths.get(span.industry)
        indirect = None
        if share is not None and growth is not None:
            indirect = indirect_potential(
                annual=annual, share_pct=share.share_pct, growth_pct=growth[1]
            )
        out[account_id] = Potential(
            account_id=account_id,
            month=month,
            annual_revenue=annual,
            previous_revenue=previous,
            months_billed=months,
            start_year=span.first.year,
            renewals=renewals,
            trend=g,
            fit=fit,
            lost_on=span.lost_on,
            discount_pct=params.discount_rate_pct,
            horizon=params.horizon_years,
            retention=retention,
            factor=factor,
            direct=direct,
            derl=derl,
            margin_pct=(margin * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if margin is not None
            else None,
            lifetime_value=lifetime,
            share_pct=share.share_pct if share else None,
            share_version=share.version if share else 0,
            growth_pct=growth[1] if growth else None,
            growth_year=growth[0] if growth else None,
            indirect=indirect,
        )
    return out


@dataclass(frozen=True)
class AccountPotential:
    account: Any
    month: dt.date | None
    potential: Potential | None
    can_enter_share: bool


def account_potential(
    *, user: Any, account_id: int, month: dt.date | None = None
) -> AccountPotential:
    """The account's potential value as of `month` (default the latest billed): NotFound
    outside the user's accounts, PermissionDenied for those who do not see value."""
    account = account_get_visible(user=user, pk=account_id)
    if not access.sees_value(user):
        raise PermissionDenied("value figures are financial information")
    month = month or latest_billed_month(on_or_before=clock.today())
    found = potentials(month=month, account_ids=[account.pk]) if month else {}
    return AccountPotential(
        account=account,
        month=month,
        potential=found.get(account.pk),
        can_enter_share=access.can_enter_share(user, account),
    )
