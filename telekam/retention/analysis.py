"""Churn analysis (domain §7): how much of the key-account base was lost in a period, why,
where, the trend, whether a warning came first, and the warning workload.

Each figure is one function returning a frozen dataclass; `churn_analysis` is the facade
the page and the API call. Every figure is scoped to what the user may see (the accounts,
cases and warnings of `telekam.accounts.access` / `telekam.retention.access`: a group lead
its group, the head, the analyst and the administrator everything) and runs a fixed number
of aggregate queries whatever the number of accounts.

Definitions (percentages with two places, None when the base is zero):

- **Lost in the period**: a retention case in scope, closed with outcome lost or partly
  lost, `closed_on` within the period, of a key account (segment "key"). An account counts
  once however many such cases it has; its lost revenue is the sum of their
  `monthly_revenue_lost`.
- **Base (count)**: the key accounts in scope at the start of the period: every key
  account on file, less those fully lost (outcome "lost") before the period started. The
  account file has no acquisition date (`created_at` is the record's own, e.g. an import
  day), so an account on file counts for past periods too.
- **Base (revenue)**: the monthly revenue of the base at the start of the period: the
  billed amount (billing lines) of the month *before* the period starts, of the base
  accounts. That month is complete and billed, unlike the period's own first month, which
  for the current period is usually not billed yet and is already reduced by early losses.
  When that month has no billing line at all in scope, the sum of `avg_monthly_spend` of
  the base is used instead (`revenue_source` says which).
- **Count rate** = accounts lost / base count; **revenue rate** = monthly revenue lost /
  base revenue (both monthly amounts, so a quarter's or year's rate stays comparable with
  the 3.06 % of domain §7).
- **By reason**: for each churn reason, its cases, accounts and lost revenue, its share of
  all lost revenue (the "competitor long distance 32 %" kind) and its lost revenue over
  the base revenue.
- **By industry / by grade** (the account's current industry and grade): per value, base,
  lost, count and revenue rates within the value, and the value's share of all lost
  revenue (the "government 26.53 %" kind).
- **Warning hit rate**: of the accounts lost in the period (loss day = the earliest
  `closed_on` of their lost cases in the period), those with a visible warning raised
  before the loss day (`raised_on < loss day`); lead time = loss day - `raised_on` of the
  first such warning, in days (median and mean), overall and per warning source.
- **Workload** (as of `today`, not of the period): warnings waiting for acknowledgement
  (status open), overdue (open and `ack_due` before today), acknowledged, per source.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear
from django.utils.translation import gettext as _

from telekam.accounts.access import accounts_visible_to
from telekam.accounts.models import Account, GradeBand, Industry, Segment
from telekam.billing.models import BillingLine
from telekam.retention import access
from telekam.retention.models import (
    LOST_OUTCOMES,
    CaseOutcome,
    CaseStatus,
    ChurnReason,
    RetentionCase,
    WarningSource,
    WarningStatus,
)

PERIOD_KINDS = ("month", "quarter", "year")
TREND_LENGTH = {"month": 12, "quarter": 8, "year": 5}
FIRST_YEAR, LAST_YEAR = 2000, 2099
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")

# Domain §7, one branch, H1 2005: for comparison on the page.
REFERENCE_REVENUE_RATE = Decimal("3.06")
REFERENCE_REASON_SHARE = {
    ChurnReason.COMPETITOR_LD.value: Decimal("32"),
    ChurnReason.COMPETITOR_DATA.value: Decimal("8.5"),
    ChurnReason.BUSINESS_TROUBLE.value: Decimal("40"),
}
# The source names "mining and manufacturing" as one industry; we keep them apart.
REFERENCE_INDUSTRY_SHARE = {
    Industry.GOVERNMENT.value: Decimal("26.53"),
    Industry.MINING.value: Decimal("14.82"),
    Industry.MANUFACTURING.value: Decimal("14.82"),
    Industry.REAL_ESTATE.value: Decimal("13.57"),
}


# --- periods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter or year
    start: dt.date
    end: dt.date  # the last day, inclusive

    @property
    def key(self) -> str:
        """How the period is asked for: 2026-11, 2026-Q4, 2026."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(y)d年%(m)d月") % {"y": self.start.year, "m": self.start.month}
        if self.kind == "quarter":
            return _("%(y)d年第%(q)d季度") % {
                "y": self.start.year,
                "q": (self.start.month - 1) // 3 + 1,
            }
        return _("%(y)d年") % {"y": self.start.year}

    @property
    def short_label(self) -> str:
        """For chart axes: 11月, Q4, 2026."""
        if self.kind == "month":
            return f"{self.start:%y-%m}"
        if self.kind == "quarter":
            return f"{self.start:%y}Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def base_month(self) -> dt.date:
        """The month before the period: its bill is the revenue base."""
        return (self.start - dt.timedelta(days=1)).replace(day=1)

    def previous(self) -> Period:
        return period_containing(self.kind, self.start - dt.timedelta(days=1))


def period_containing(kind: str, day: dt.date) -> Period:
    if kind == "month":
        start = day.replace(day=1)
        months = 1
    elif kind == "quarter":
        start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        months = 3
    elif kind == "year":
        start = dt.date(day.year, 1, 1)
        months = 12
    else:
        raise ValueError(kind)
    last_month = start.month + months - 1
    end = dt.date(start.year, last_month, calendar.monthrange(start.year, last_month)[1])
    return Period(kind=kind, start=start, end=end)


_PERIOD_RE = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|[Qq]([1-4])))?$")


def parse_period(text: str | None, *, today: dt.date) -> Period:
    """ "2026-11", "2026-Q4", "2026", or "month"/"quarter"/"year" for the one holding
    `today`; empty means this quarter. ValueError for anything else and for a period that
    starts after today."""
    text = (text or "").strip()
    if not text:
        return period_containing("quarter", today)
    if text in PERIOD_KINDS:
        return period_containing(text, today)
    match = _PERIOD_RE.match(text)
    if match is None:
        raise ValueError(text)
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(text)
    if match.group(2):
        period = period_containing("month", dt.date(year, int(match.group(2)), 1))
    elif match.group(3):
        period = period_containing("quarter", dt.date(year, (int(match.group(3)) - 1) * 3 + 1, 1))
    else:
        period = period_containing("year", dt.date(year, 1, 1))
    if period.start > today:
        raise ValueError(text)
    return period


def periods_back(period: Period, count: int) -> list[Period]:
    """`count` periods of the same kind ending with `period`, oldest first."""
    out = [period]
    while len(out) < count and out[-1].start.year > FIRST_YEAR:
        out.append(out[-1].previous())
    return out[::-1]


def period_choices(*, today: dt.date) -> dict[str, list[Period]]:
    """What the period picker offers: recent periods of each kind, newest first."""
    return {
        kind: periods_back(period_containing(kind, today), n)[::-1]
        for kind, n in (("month", 24), ("quarter", 12), ("year", 5))
    }


# --- the figures ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnRate:
    period: Period
    base_accounts: int
    lost_accounts: int
    count_rate: Decimal | None  # %
    base_revenue: Decimal  # yuan a month
    revenue_source: str  # "billing" (the month before the period) or "avg_spend"
    lost_revenue: Decimal  # yuan a month
    revenue_rate: Decimal | None  # %


@dataclass(frozen=True)
class ReasonRow:
    reason: str
    label: str
    cases: int
    accounts: int
    lost_revenue: Decimal
    share: Decimal | None  # % of all lost revenue
    revenue_rate: Decimal | None  # % of the base revenue
    reference_share: Decimal | None


@dataclass(frozen=True)
class ChurnByReason:
    period: Period
    lost_revenue: Decimal
    rows: tuple[ReasonRow, ...]


@dataclass(frozen=True)
class SegmentRow:
    key: str  # the industry code, the grade id as text, or "none" (no grade)
    label: str
    base_accounts: int
    lost_accounts: int
    count_rate: Decimal | None
    base_revenue: Decimal
    lost_revenue: Decimal
    revenue_rate: Decimal | None
    share: Decimal | None  # % of all lost revenue
    reference_share: Decimal | None


@dataclass(frozen=True)
class ChurnBreakdown:
    period: Period
    dimension: str  # industry or grade
    revenue_source: str
    rows: tuple[SegmentRow, ...]


@dataclass(frozen=True)
class ChurnTrend:
    kind: str
    points: tuple[ChurnRate, ...]  # oldest first


@dataclass(frozen=True)
class HitRow:
    source: str  # "" for any source
    label: str
    warned_accounts: int
    hit_rate: Decimal | None  # % of the accounts lost
    median_days: Decimal | None
    mean_days: Decimal | None


@dataclass(frozen=True)
class WarningHitRate:
    period: Period
    lost_accounts: int
    overall: HitRow
    by_source: tuple[HitRow, ...]


@dataclass(frozen=True)
class WorkloadRow:
    source: str  # "" for the total
    label: str
    open: int
    overdue: int
    acknowledged: int


@dataclass(frozen=True)
class WarningWorkload:
    today: dt.date
    rows: tuple[WorkloadRow, ...]
    total: WorkloadRow


@dataclass(frozen=True)
class ChurnAnalysis:
    period: Period
    rate: ChurnRate
    by_reason: ChurnByReason
    by_industry: ChurnBreakdown
    by_grade: ChurnBreakdown
    trend: ChurnTrend
    hit_rate: WarningHitRate
    workload: WarningWorkload


def pct(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


# --- scope ------------------------------------------------------------------------------


def key_accounts(user: Any) -> QuerySet[Account]:
    return accounts_visible_to(user).filter(segment=Segment.KEY)


def _gone_before(user: Any, day: dt.date) -> QuerySet[Any]:
    """Cases that fully lost a key account in scope before `day` (their account ids)."""
    return RetentionCase.objects.filter(
        status=CaseStatus.CLOSED,
        outcome=CaseOutcome.LOST,
        closed_on__lt=day,
        account__in=key_accounts(user),
    ).values("account_id")


def base_accounts(user: Any, period: Period) -> QuerySet[Account]:
    """The count base: key accounts in scope not fully lost before the period started."""
    return key_accounts(user).exclude(pk__in=_gone_before(user, period.start))


def lost_cases(user: Any, period: Period) -> QuerySet[RetentionCase]:
    """The cases behind "lost in the period" (see the module's definitions)."""
    return access.cases_visible_to(user).filter(
        status=CaseStatus.CLOSED,
        outcome__in=LOST_OUTCOMES,
        closed_on__gte=period.start,
        closed_on__lte=period.end,
        account__segment=Segment.KEY,
    )


# --- churn rate and trend ---------------------------------------------------------------


def _rates(user: Any, periods: list[Period]) -> list[ChurnRate]:
    """The churn rate of each period, in five queries whatever the number of periods."""
    if not periods:
        return []
    kind = periods[0].kind
    keys = key_accounts(user)
    totals = keys.aggregate(n=Count("pk"), spend=Sum("avg_monthly_spend"))
    # accounts fully lost, with the day they went and their spend (2)
    gone = list(
        RetentionCase.objects.filter(
            status=CaseStatus.CLOSED, outcome=CaseOutcome.LOST, account__in=keys
        )
        .values("account_id")
        .annotate(first=Min("closed_on"), spend=Max("account__avg_monthly_spend"))
        .values_list("account_id", "first", "spend")
    )
    months = sorted({p.base_month for p in periods})
    billed = dict(
        BillingLine.objects.filter(month__in=months, account__in=keys)
        .values("month")
        .annotate(total=Sum("amount"))
        .values_list("month", "total")
    )
    gone_billed: dict[tuple[dt.date, int], Decimal] = {}
    if gone:
        gone_billed = {
            (month, account_id): total
            for month, account_id, total in BillingLine.objects.filter(
                month__in=months, account_id__in=[g[0] for g in gone]
            )
            .values("month", "account_id")
            .annotate(total=Sum("amount"))
            .values_list("month", "account_id", "total")
        }
    trunc = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}[kind]
    lost_rows = (
        access.cases_visible_to(user)
        .filter(
            status=CaseStatus.CLOSED,
            outcome__in=LOST_OUTCOMES,
            closed_on__gte=periods[0].start,
            closed_on__lte=periods[-1].end,
            account__segment=Segment.KEY,
        )
        .annotate(bucket=trunc("closed_on"))
        .values("bucket", "account_id")
        .annotate(revenue=Sum("monthly_revenue_lost"))
        .values_list("bucket", "account_id", "revenue")
    )
    lost_accounts: dict[dt.date, set[int]] = defaultdict(set)
    lost_revenue: dict[dt.date, Decimal] = defaultdict(Decimal)
    for bucket, account_id, revenue in lost_rows:
        day = bucket.date() if isinstance(bucket, dt.datetime) else bucket
        lost_accounts[day].add(account_id)
        lost_revenue[day] += revenue or ZERO

    out = []
    for period in periods:
        before = [g for g in gone if g[1] < period.start]
        base_n = (totals["n"] or 0) - len(before)
        month = period.base_month
        if month in billed:
            gone_ids = {g[0] for g in before}
            base_revenue = _money(billed[month]) - sum(
                (v for (m, a), v in gone_billed.items() if m == month and a in gone_ids), ZERO
            )
            source = "billing"
        else:
            base_revenue = _money(totals["spend"]) - sum((g[2] or ZERO for g in before), ZERO)
            source = "avg_spend"
        lost_n = len(lost_accounts.get(period.start, ()))
        revenue = _money(lost_revenue.get(period.start, ZERO))
        out.append(
            ChurnRate(
                period=period,
                base_accounts=base_n,
                lost_accounts=lost_n,
                count_rate=pct(lost_n, base_n),
                base_revenue=_money(base_revenue),
                revenue_source=source,
                lost_revenue=revenue,
                revenue_rate=pct(revenue, base_revenue),
            )
        )
    return out


def churn_rate(*, user: Any, period: Period) -> ChurnRate:
    return _rates(user, [period])[0]


def churn_trend(*, user: Any, period: Period, length: int | None = None) -> ChurnTrend:
    """The last 12 months, 8 quarters or 5 years ending with `period`."""
    periods = periods_back(period, length or TREND_LENGTH[period.kind])
    return ChurnTrend(kind=period.kind, points=tuple(_rates(user, periods)))


# --- breakdowns -------------------------------------------------------------------------


def _lost_rows(user: Any, period: Period) -> list[tuple[int, str, int | None, str, Decimal, int]]:
    """(account, industry, grade, reason, revenue lost, cases) of the period's losses."""
    return list(
        lost_cases(user, period)
        .values("account_id", "account__industry", "account__grade_id", "reason")
        .annotate(revenue=Sum("monthly_revenue_lost"), cases=Count("pk"))
        .values_list(
            "account_id", "account__industry", "account__grade_id", "reason", "revenue", "cases"
        )
    )


def churn_by_reason(*, user: Any, period: Period) -> ChurnByReason:
    rows = _lost_rows(user, period)
    base_revenue = churn_rate(user=user, period=period).base_revenue
    cases: dict[str, int] = defaultdict(int)
    accounts: dict[str, set[int]] = defaultdict(set)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for account_id, _industry, _grade, reason, lost, n in rows:
        cases[reason] += n
        accounts[reason].add(account_id)
        revenue[reason] += lost or ZERO
    total = _money(sum(revenue.values(), ZERO))
    labels = dict(ChurnReason.choices)
    reasons = list(ChurnReason.values) + sorted(set(revenue) - set(ChurnReason.values))
    out = [
        ReasonRow(
            reason=reason,
            label=str(labels.get(reason, reason or _("未填写"))),
            cases=cases[reason],
            accounts=len(accounts[reason]),
            lost_revenue=_money(revenue[reason]),
            share=pct(revenue[reason], total),
            revenue_rate=pct(revenue[reason], base_revenue),
            reference_share=REFERENCE_REASON_SHARE.get(reason),
        )
        for reason in reasons
    ]
    out.sort(key=lambda r: (-r.lost_revenue, -r.cases, reasons.index(r.reason)))
    return ChurnByReason(period=period, lost_revenue=total, rows=tuple(out))


def _breakdown(user: Any, period: Period, dimension: str) -> ChurnBreakdown:
    field = {"industry": "industry", "grade": "grade_id"}[dimension]
    base = base_accounts(user, period)
    base_rows = base.values(field).annotate(n=Count("pk"), spend=Sum("avg_monthly_spend"))
    base_n = {r[field]: r["n"] for r in base_rows}
    base_spend = {r[field]: _money(r["spend"]) for r in base_rows}
    billed = {
        r[f"account__{field}"]: _money(r["total"])
        for r in BillingLine.objects.filter(month=period.base_month, account__in=base)
        .values(f"account__{field}")
        .annotate(total=Sum("amount"))
    }
    # same rule as churn_rate: billing when the base month has any bill in scope
    billing_found = BillingLine.objects.filter(
        month=period.base_month, account__in=key_accounts(user)
    ).exists()
    base_revenue = billed if billing_found else base_spend
    accounts: dict[Any, set[int]] = defaultdict(set)
    revenue: dict[Any, Decimal] = defaultdict(Decimal)
    for account_id, industry, grade_id, _reason, lost, _n in _lost_rows(user, period):
        value = industry if dimension == "industry" else grade_id
        accounts[value].add(account_id)
        revenue[value] += lost or ZERO
    total = sum(revenue.values(), ZERO)
    values = set(base_n) | set(revenue)
    if dimension == "industry":
        labels: dict[Any, str] = {k: str(v) for k, v in Industry.choices}
        references: dict[Any, Decimal] = dict(REFERENCE_INDUSTRY_SHARE)
    else:
        grades = GradeBand.objects.filter(pk__in=[v for v in values if v is not None])
        labels = {g.pk: str(g) for g in grades}
        references = {}
    rows = [
        SegmentRow(
            key="none" if value is None else str(value),
            label=labels.get(value, _("未定级") if value is None else str(value)),
            base_accounts=base_n.get(value, 0),
            lost_accounts=len(accounts[value]),
            count_rate=pct(len(accounts[value]), base_n.get(value, 0)),
            base_revenue=base_revenue.get(value, ZERO),
            lost_revenue=_money(revenue[value]),
            revenue_rate=pct(revenue[value], base_revenue.get(value, ZERO)),
            share=pct(revenue[value], total),
            reference_share=references.get(value),
        )
        for value in values
    ]
    rows.sort(key=lambda r: (-r.lost_revenue, -r.lost_accounts, -r.base_accounts, r.label))
    return ChurnBreakdown(
        period=period,
        dimension=dimension,
        revenue_source="billing" if billing_found else "avg_spend",
        rows=tuple(rows),
    )


def churn_by_industry(*, user: Any, period: Period) -> ChurnBreakdown:
    return _breakdown(user, period, "industry")


def churn_by_grade(*, user: Any, period: Period) -> ChurnBreakdown:
    return _breakdown(user, period, "grade")


# --- warnings ---------------------------------------------------------------------------


def loss_days(user: Any, period: Period) -> dict[int, dt.date]:
    """Each account lost in the period and its loss day (its earliest lost case's close)."""
    return dict(
        lost_cases(user, period)
        .values("account_id")
        .annotate(day=Min("closed_on"))
        .values_list("account_id", "day")
    )


def first_warnings(
    user: Any, period: Period, lost: dict[int, dt.date]
) -> dict[int, dict[str, dt.date]]:
    """For each lost account, the first visible warning of each source raised before its
    loss day (one query)."""
    if not lost:
        return {}
    rows = (
        access.warnings_visible_to(user)
        .filter(account__in=lost_cases(user, period).values("account_id"))
        .filter(raised_on__lt=period.end)
        .values_list("account_id", "source", "raised_on")
    )
    out: dict[int, dict[str, dt.date]] = defaultdict(dict)
    for account_id, source, raised_on in rows:
        day = lost.get(account_id)
        if day is None or raised_on >= day:
            continue
        first = out[account_id].get(source)
        if first is None or raised_on < first:
            out[account_id][source] = raised_on
    return dict(out)


def _hit_row(source: str, label: str, gaps: list[int], lost_n: int) -> HitRow:
    def tenth(value: float) -> Decimal:
        return Decimal(str(value)).quantize(TENTH, rounding=ROUND_HALF_UP)

    return HitRow(
        source=source,
        label=label,
        warned_accounts=len(gaps),
        hit_rate=pct(len(gaps), lost_n),
        median_days=tenth(statistics.median(gaps)) if gaps else None,
        mean_days=tenth(statistics.fmean(gaps)) if gaps else None,
    )


def warning_hit_rate(*, user: Any, period: Period) -> WarningHitRate:
    lost = loss_days(user, period)
    firsts = first_warnings(user, period, lost)
    overall = [(lost[a] - min(by_source.values())).days for a, by_source in firsts.items()]
    by_source = []
    for source, label in WarningSource.choices:
        gaps = [(lost[a] - s[source]).days for a, s in firsts.items() if source in s]
        by_source.append(_hit_row(source, str(label), gaps, len(lost)))
    return WarningHitRate(
        period=period,
        lost_accounts=len(lost),
        overall=_hit_row("", _("任一来源"), overall, len(lost)),
        by_source=tuple(by_source),
    )


def warning_workload(*, user: Any, today: dt.date) -> WarningWorkload:
    rows = {
        r["source"]: r
        for r in access.warnings_visible_to(user)
        .exclude(status=WarningStatus.CLOSED)
        .values("source")
        .annotate(
            open=Count("pk", filter=Q(status=WarningStatus.OPEN)),
            overdue=Count("pk", filter=Q(status=WarningStatus.OPEN, ack_due__lt=today)),
            acknowledged=Count("pk", filter=Q(status=WarningStatus.ACKNOWLEDGED)),
        )
    }
    out = tuple(
        WorkloadRow(
            source=source,
            label=str(label),
            open=rows.get(source, {}).get("open", 0),
            overdue=rows.get(source, {}).get("overdue", 0),
            acknowledged=rows.get(source, {}).get("acknowledged", 0),
        )
        for source, label in WarningSource.choices
    )
    return WarningWorkload(
        today=today,
        rows=out,
        total=WorkloadRow(
            source="",
            label=_("合计"),
            open=sum(r.open for r in out),
            overdue=sum(r.overdue for r in out),
            acknowledged=sum(r.acknowledged for r in out),
        ),
    )


# --- the facade -------------------------------------------------------------------------


def churn_analysis(*, user: Any, period: Period, today: dt.date) -> ChurnAnalysis:
    """Every figure of the page for `period`, scoped to `user`."""
    trend = churn_trend(user=user, period=period)
    return ChurnAnalysis(
        period=period,
        rate=trend.points[-1],
        by_reason=churn_by_reason(user=user, period=period),
        by_industry=churn_by_industry(user=user, period=period),
        by_grade=churn_by_grade(user=user, period=period),
        trend=trend,
        hit_rate=warning_hit_rate(user=user, period=period),
        workload=warning_workload(user=user, today=today),
    )


# --- the cases behind a figure ----------------------------------------------------------


@dataclass(frozen=True)
class LostCaseRow:
    case: RetentionCase
    loss_day: dt.date
    first_warning: dt.date | None
    lead_days: int | None
    sources: tuple[str, ...]  # the sources that warned before the loss


def lost_case_rows(
    *,
    user: Any,
    period: Period,
    reason: str = "",
    industry: str = "",
    grade: str = "",
    source: str = "",
    warned: str = "",
    limit: int = 500,
) -> tuple[int, list[LostCaseRow]]:
    """The lost cases behind a figure, newest first, with the warnings that came before:
    (how many match, the first `limit`). `grade` is a grade id or "none"; `warned` is "1"
    (warned before the loss), "0" (not) or ""; `source` keeps accounts a source warned."""
    qs = lost_cases(user, period).select_related("account", "account__grade", "owner")
    if reason:
        qs = qs.filter(reason=reason)
    if industry:
        qs = qs.filter(account__industry=industry)
    if grade == "none":
        qs = qs.filter(account__grade__isnull=True)
    elif grade.isdigit():
        qs = qs.filter(account__grade_id=int(grade))
    lost = loss_days(user, period)
    firsts = first_warnings(user, period, lost)
    if warned == "1" or source:
        ids = [a for a, s in firsts.items() if not source or source in s]
        qs = qs.filter(account_id__in=ids)
    elif warned == "0":
        qs = qs.exclude(account_id__in=list(firsts))
    cases = list(qs.order_by("-closed_on", "-id")[: limit + 1])
    count = qs.count() if len(cases) > limit else len(cases)
    rows = []
    for case in cases[:limit]:
        warned_by = firsts.get(case.account_id, {})
        first = min(warned_by.values()) if warned_by else None
        loss_day = lost.get(case.account_id) or case.closed_on or period.end
        rows.append(
            LostCaseRow(
                case=case,
                loss_day=loss_day,
                first_warning=first,
                lead_days=(loss_day - first).days if first else None,
                sources=tuple(s for s in WarningSource.values if s in warned_by),
            )
        )
    return count, rows


def sources_label(sources: Iterable[str]) -> str:
    labels = dict(WarningSource.choices)
    return "、".join(str(labels[s]) for s in sources)
