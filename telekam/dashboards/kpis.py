"""The key-account KPIs (domain §8, issue 7 point 6): one book of per-account, per-month
facts for the key accounts a user sees, from which every figure of every dashboard,
league table, drill-down, report and API answer is summed.

A period is a month, or a year to date (January to the month). The *opening book* is the
month before the period starts, the *closing book* the period's last month:

- retention by count: of the key accounts billed in the opening month, the share still
  billed in the closing month and not lost (a retention case closed as lost in the period);
- retention by revenue: over the same accounts, the closing month's revenue kept, each
  account capped at its opening revenue (growth is not retention), over the opening
  revenue;
- satisfaction: callbacks answered in the period (done, not unreachable) and survey
  answers of the period that were satisfied, over those answered;
- new key accounts: billed in the closing month and not in the opening month;
- revenue growth: the closing month's revenue over the opening month's, less one;
- average customer value: the closing month's revenue per key account billed in it;
- SLA on time: provisioning orders activated in the period by their deadline, over those
  activated;
- callback coverage: callbacks due in the period (and due by today, or done) that were
  done by their due day, over those due (the rule of the service desk's coverage);
- visit compliance: planned visits and calls due in the period (due by today, or done)
  that were done, over those due (the rule of the visit part's compliance);
- warning response: churn warnings raised in the period (their acknowledgement due by
  today, or acknowledged) acknowledged by their due day, over those.

Every account counts for its current AM (owner) and industry group. A fixed number of
queries whatever the number of accounts or months (see `book_load`)."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telekam.accounts import access as account_access
from telekam.accounts.models import Segment
from telekam.billing.models import BillingLine
from telekam.engagement.models import PlannedContact, PlanStatus
from telekam.retention.models import CaseOutcome, CaseStatus, ChurnWarning, RetentionCase
from telekam.service.models import (
    Callback,
    CallbackOutcome,
    CallbackStatus,
    ProvisioningOrder,
    SurveyRating,
    SurveyResponse,
)
from telekam.service.models.orders import OrderStatus

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")
CENT = Decimal("0.01")
ANSWERED = (CallbackOutcome.SATISFIED, CallbackOutcome.NEUTRAL, CallbackOutcome.DISSATISFIED)


class Kpi(enum.StrEnum):
    RETENTION_COUNT = "retention_count"
    RETENTION_REVENUE = "retention_revenue"
    SATISFACTION = "satisfaction"
    NEW_ACCOUNTS = "new_accounts"
    REVENUE_GROWTH = "revenue_growth"
    AVG_VALUE = "avg_value"
    SLA_ON_TIME = "sla_on_time"
    CALLBACK_COVERAGE = "callback_coverage"
    VISIT_COMPLIANCE = "visit_compliance"
    WARNING_RESPONSE = "warning_response"


@dataclasses.dataclass(frozen=True)
class KpiInfo:
    label: Any
    unit: str  # "%", "yuan" or "count"
    # Whether a year's target also stands for each of its months: yes for the shares of
    # things done on time, satisfaction and the average monthly value (a month is measured
    # as the year is); no for retention, growth and new accounts (a year's retention or
    # growth piles up twelve months', a month's is much smaller).
    year_for_months: bool


KPI_INFO: dict[Kpi, KpiInfo] = {
    Kpi.RETENTION_COUNT: KpiInfo(_("客户保有率（户数）"), "%", year_for_months=False),
    Kpi.RETENTION_REVENUE: KpiInfo(_("收入保有率"), "%", year_for_months=False),
    Kpi.SATISFACTION: KpiInfo(_("满意度"), "%", year_for_months=True),
    Kpi.NEW_ACCOUNTS: KpiInfo(_("新增大客户"), "count", year_for_months=False),
    Kpi.REVENUE_GROWTH: KpiInfo(_("收入增长率"), "%", year_for_months=False),
    Kpi.AVG_VALUE: KpiInfo(_("户均月收入"), "yuan", year_for_months=True),
    Kpi.SLA_ON_TIME: KpiInfo(_("开通及时率"), "%", year_for_months=True),
    Kpi.CALLBACK_COVERAGE: KpiInfo(_("回访覆盖率"), "%", year_for_months=True),
    Kpi.VISIT_COMPLIANCE: KpiInfo(_("拜访达标率"), "%", year_for_months=True),
    Kpi.WARNING_RESPONSE: KpiInfo(_("预警响应及时率"), "%", year_for_months=True),
}
KPIS = tuple(Kpi)


# --- periods --------------------------------------------------------------------------------


def month_first(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_add(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_last_day(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


class PeriodKind(enum.StrEnum):
    MONTH = "month"
    YEAR = "year"


@dataclasses.dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: dt.date  # first day
    end: dt.date  # last day
    opening: dt.date  # the month before the period (its first day)
    closing: dt.date  # the period's last month (its first day)

    @property
    def months(self) -> list[dt.date]:
        out, m = [], self.start
        while m <= self.closing:
            out.append(m)
            m = month_add(m, 1)
        return out

    @property
    def year(self) -> int:
        return self.closing.year

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.YEAR:
            return f"{self.start:%Y-%m}—{self.closing:%Y-%m}"
        return f"{self.closing:%Y-%m}"

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def period_of(kind: PeriodKind | str, month: dt.date) -> Period:
    """The month of `month`, or its year to date."""
    closing = month_first(month)
    start = closing if kind == PeriodKind.MONTH else closing.replace(month=1)
    return Period(
        kind=PeriodKind(kind),
        start=start,
        end=month_last_day(closing),
        opening=month_add(start, -1),
        closing=closing,
    )


# --- the book ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AccountRef:
    id: int
    code: str
    name: str
    owner_id: int | None
    group_id: int | None
    grade_id: int | None


Counts = dict[dt.date, list[int]]  # month -> [num, den]


@dataclasses.dataclass
class Book:
    """Per-account facts by month for a user's key accounts, over `first`..`last`."""

    loaded: dict[Kpi, dt.date]  # each KPI's facts are there from this month
    summed: dict[Kpi, tuple[dt.date, dt.date]]  # KPIs counted over one period, not by month
    first: dt.date
    last: dt.date
    today: dt.date
    accounts: dict[int, AccountRef]
    revenue: dict[int, dict[dt.date, Decimal]]  # account -> month -> billed
    lost_on: dict[int, dt.date]  # account -> day its case was closed as lost
    rates: dict[Kpi, dict[int, Counts]]  # the counted KPIs: account -> month -> [num, den]


COUNTED = (Kpi.SATISFACTION, Kpi.SLA_ON_TIME, Kpi.CALLBACK_COVERAGE, Kpi.VISIT_COMPLIANCE,
           Kpi.WARNING_RESPONSE)  # fmt: skip


def key_accounts_visible_to(user: Any) -> Any:
    return account_access.accounts_visible_to(user).filter(segment=Segment.KEY)


BOOK_KPIS = frozenset(
    {
        Kpi.RETENTION_COUNT,
        Kpi.RETENTION_REVENUE,
        Kpi.NEW_ACCOUNTS,
        Kpi.REVENUE_GROWTH,
        Kpi.AVG_VALUE,
    }
)


def book_load(
    *,
    user: Any,
    first: dt.date,
    last: dt.date,
    today: dt.date,
    long_kpi: Kpi | None = None,
    long_first: dt.date | None = None,
    period: Period | None = None,
) -> Book:
    """The facts of the months `first`..`last` (first days) for the key accounts `user`
    sees: 9 queries, whatever the number of accounts and months. `long_kpi`'s facts are
    read from `long_first` instead (a trend's months), and only its: a page with a
    12-month trend of one KPI does not read 12 months of every other. With `period`, the
    counted KPIs other than `long_kpi` are summed over the period in one bucket (the
    database counts once, not month by month); the book then answers for that period
    only (`Book.summed`)."""
    first, last = month_first(first), month_first(last)
    end = month_last_day(last)
    loaded = dict.fromkeys(KPIS, first)
    if long_kpi is not None and long_first is not None:
        for kpi in BOOK_KPIS if long_kpi in BOOK_KPIS else {long_kpi}:
            loaded[kpi] = month_first(long_first)
    summed: dict[Kpi, tuple[dt.date, dt.date]] = {}
    if period is not None:
        for kpi in COUNTED:
            if kpi != long_kpi:
                summed[kpi] = (period.start, period.end)
                loaded[kpi] = period.start
    first_of = loaded.__getitem__

    def buckets(kpi: Kpi) -> list[tuple[dt.date, dt.date]]:
        """The (first, last) days the database counts `kpi` in: the period, or each month."""
        if kpi in summed:
            return [summed[kpi]]
        return [(m, month_last_day(m)) for m in _months(first_of(kpi), last)]

    scope = key_accounts_visible_to(user)
    ids = scope.values("pk")
    accounts = {
        a["pk"]: AccountRef(
            a["pk"], a["code"], a["name"], a["owner_id"], a["group_id"], a["grade_id"]
        )
        for a in scope.values("pk", "code", "name", "owner_id", "group_id", "grade_id")
    }
    months = _months(first_of(Kpi.AVG_VALUE), last)
    revenue: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    # One row per account, a column per month: the database sums, no date function needed.
    for row in (
        BillingLine.objects.filter(account_id__in=ids, month__gte=months[0], month__lte=last)
        .values("account_id")
        .annotate(**{f"m{i}": Sum("amount", filter=Q(month=m)) for i, m in enumerate(months)})
    ):
        for i, m in enumerate(months):
            if row[f"m{i}"] is not None:
                revenue[row["account_id"]][m] = row[f"m{i}"]
    lost_on: dict[int, dt.date] = {
        account_id: closed_on
        for account_id, closed_on in RetentionCase.objects.filter(
            account_id__in=ids,
            status=CaseStatus.CLOSED,
            outcome=CaseOutcome.LOST,
            closed_on__gte=first_of(Kpi.RETENTION_COUNT),
            closed_on__lte=end,
        )
        .order_by("closed_on")
        .values_list("account_id", "closed_on")
        if closed_on is not None
    }
    rates: dict[Kpi, dict[int, Counts]] = {k: defaultdict(dict) for k in COUNTED}
    tz = timezone.get_current_timezone()

    def add(kpi: Kpi, account_id: int, day: dt.date, num: int, den: int) -> None:
        span = summed.get(kpi)
        if span is not None and not span[0] <= day <= span[1]:
            return
        cell = rates[kpi][account_id].setdefault(span[0] if span else month_first(day), [0, 0])
        cell[0] += num
        cell[1] += den

    # Satisfaction: callbacks answered in the window, by the day they were done.
    start_dt = dt.datetime.combine(first_of(Kpi.SATISFACTION), dt.time.min, tzinfo=tz)
    end_dt = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    for account_id, done_at, outcome in Callback.objects.filter(
        account_id__in=ids,
        status=CallbackStatus.DONE,
        outcome__in=ANSWERED,
        done_at__gte=start_dt,
        done_at__lt=end_dt,
    ).values_list("account_id", "done_at", "outcome"):
        if done_at is not None:
            add(Kpi.SATISFACTION, account_id, done_at.astimezone(tz).date(),
                int(outcome == CallbackOutcome.SATISFIED), 1)  # fmt: skip
    # ... and the survey answers of the window, by the day of the survey.
    for account_id, surveyed_on, rating in SurveyResponse.objects.filter(
        account_id__in=ids, surveyed_on__gte=first_of(Kpi.SATISFACTION), surveyed_on__lte=end
    ).values_list("account_id", "surveyed_on", "rating"):
        add(Kpi.SATISFACTION, account_id, surveyed_on, int(rating == SurveyRating.SATISFIED), 1)
    # Callback coverage: due in the window, counted once done or past due.
    for account_id, due_on, status, done_at in (
        Callback.objects.filter(
            account_id__in=ids, due_on__gte=first_of(Kpi.CALLBACK_COVERAGE), due_on__lte=end
        )
        .filter(Q(status=CallbackStatus.DONE) | Q(due_on__lt=today))
        .values_list("account_id", "due_on", "status", "done_at")
    ):
        on_time = (
            status == CallbackStatus.DONE
            and done_at is not None
            and done_at.astimezone(tz).date() <= due_on
        )
        add(Kpi.CALLBACK_COVERAGE, account_id, due_on, int(on_time), 1)
    # Visit compliance: planned visits and calls due in the window, due by today or done.
    done = Q(status=PlanStatus.DONE)
    spans = buckets(Kpi.VISIT_COMPLIANCE)
    for row in (
        PlannedContact.objects.filter(
            account_id__in=ids, due_on__gte=spans[0][0], due_on__lte=spans[-1][1]
        )
        .filter(Q(due_on__lte=today) | done)
        .values("account_id")
        .annotate(**_per_bucket("due_on", spans, done))
    ):
        _add_buckets(add, Kpi.VISIT_COMPLIANCE, row, spans)
    # SLA on time: orders activated in the window, by their deadline.
    spans = buckets(Kpi.SLA_ON_TIME)
    for row in (
        ProvisioningOrder.objects.filter(
            account_id__in=ids,
            status=OrderStatus.ACTIVATED,
            activated_on__gte=spans[0][0],
            activated_on__lte=spans[-1][1],
        )
        .values("account_id")
        .annotate(**_per_bucket("activated_on", spans, Q(activated_on__lte=F("deadline"))))
    ):
        _add_buckets(add, Kpi.SLA_ON_TIME, row, spans)
    # Warning response: raised in the window, acknowledged by the due day.
    for account_id, raised_on, ack_due, acknowledged_at in (
        ChurnWarning.objects.filter(
            account_id__in=ids, raised_on__gte=first_of(Kpi.WARNING_RESPONSE), raised_on__lte=end
        )
        .filter(Q(acknowledged_at__isnull=False) | Q(ack_due__lt=today))
        .values_list("account_id", "raised_on", "ack_due", "acknowledged_at")
    ):
        on_time = acknowledged_at is not None and acknowledged_at.astimezone(tz).date() <= ack_due
        add(Kpi.WARNING_RESPONSE, account_id, raised_on, int(on_time), 1)
    return Book(
        loaded=loaded,
        summed=summed,
        first=first,
        last=last,
        today=today,
        accounts=accounts,
        revenue=dict(revenue),
        lost_on=lost_on,
        rates={k: dict(v) for k, v in rates.items()},
    )


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = month_add(m, 1)
    return out


def _per_bucket(field: str, spans: list[tuple[dt.date, dt.date]], hit: Q) -> dict[str, Any]:
    """Per bucket a count of all (`a<i>`) and of those matching `hit` (`h<i>`)."""
    out: dict[str, Any] = {}
    for i, (start, stop) in enumerate(spans):
        inside = Q(**{f"{field}__gte": start, f"{field}__lte": stop})
        out[f"a{i}"] = Count("pk", filter=inside)
        out[f"h{i}"] = Count("pk", filter=inside & hit)
    return out


def _add_buckets(add: Any, kpi: Kpi, row: dict[str, Any], spans: list[tuple[dt.date, dt.date]]) -> None:  # fmt: skip
    for i, (start, _stop) in enumerate(spans):
        if row[f"a{i}"]:
            add(kpi, row["account_id"], start, row[f"h{i}"], row[f"a{i}"])


# --- figures ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Figure:
    """A KPI's value with what it is made of: `num` over `den` for a rate (value in %),
    the count or the amount otherwise (den = the number of accounts it is spread over)."""

    kpi: Kpi
    value: Decimal | None
    num: Decimal
    den: Decimal

    @property
    def info(self) -> KpiInfo:
        return KPI_INFO[self.kpi]


def _pct(num: Decimal | int, den: Decimal | int) -> Decimal | None:
    if not den:
        return None
    return (Decimal(num) * 100 / Decimal(den)).quantize(TENTH, ROUND_HALF_UP)


@dataclasses.dataclass(frozen=True)
class AccountFacts:
    """One account's part in every KPI of a period: (num, den) per KPI."""

    account: AccountRef
    parts: dict[Kpi, tuple[Decimal, Decimal]]


def account_facts(
    book: Book, period: Period, account_id: int, months: list[dt.date] | None = None
) -> AccountFacts:
    parts = _book_part(book, period, account_id)
    for kpi in COUNTED:
        num = den = 0
        by_month = book.rates[kpi].get(account_id, {})
        span = book.summed.get(kpi)
        if span is not None and span != (period.start, period.end):
            raise ValueError(f"the book holds {kpi} for {span}, not for {period.label}")
        for month in [span[0]] if span else period.months if months is None else months:
            cell = by_month.get(month)
            if cell:
                num += cell[0]
                den += cell[1]
        parts[kpi] = (Decimal(num), Decimal(den))
    return AccountFacts(book.accounts[account_id], parts)


def _book_sum(book: Book, period: Period, kpi: Kpi, refs: list[int]) -> tuple[Decimal, Decimal]:
    """One book KPI summed over `refs`: what `_book_part` gives, without the others (the
    trend asks this for each of its months)."""
    num = den = Decimal(0)
    for pk in refs:
        months = book.revenue.get(pk)
        opening = months.get(period.opening, ZERO) if months else ZERO
        closing = months.get(period.closing, ZERO) if months else ZERO
        if kpi == Kpi.AVG_VALUE:
            if closing > 0:
                num += closing
                den += 1
            continue
        if kpi == Kpi.NEW_ACCOUNTS:
            num += closing > 0 and opening <= 0
            continue
        if kpi == Kpi.REVENUE_GROWTH:
            num += closing - opening
            den += opening
            continue
        if opening <= 0:
            continue
        lost_on = book.lost_on.get(pk)
        kept = closing > 0 and not (lost_on is not None and period.contains(lost_on))
        if kpi == Kpi.RETENTION_COUNT:
            num += kept
            den += 1
        else:
            num += min(closing, opening) if kept else ZERO
            den += opening
    return num, den


def _book_part(book: Book, period: Period, account_id: int) -> dict[Kpi, tuple[Decimal, Decimal]]:
    """The KPIs of the opening and closing book for one account."""
    months = book.revenue.get(account_id, {})
    opening = months.get(period.opening, ZERO)
    closing = months.get(period.closing, ZERO)
    lost = account_id in book.lost_on and period.contains(book.lost_on[account_id])
    in_base = opening > 0
    kept = in_base and closing > 0 and not lost
    one, none = Decimal(1), Decimal(0)
    parts: dict[Kpi, tuple[Decimal, Decimal]] = {
        Kpi.RETENTION_COUNT: (one if kept else none, one if in_base else none),
        Kpi.RETENTION_REVENUE: (min(closing, opening) if kept else ZERO, opening),
        Kpi.NEW_ACCOUNTS: (one if closing > 0 and not in_base else none, none),
        Kpi.REVENUE_GROWTH: (closing - opening, opening),
        Kpi.AVG_VALUE: (closing, one if closing > 0 else none),
    }
    return parts


def figure(kpi: Kpi, num: Decimal, den: Decimal) -> Figure:
    if kpi == Kpi.NEW_ACCOUNTS:
        return Figure(kpi, num, num, den)
    if kpi == Kpi.AVG_VALUE:
        value = (num / den).quantize(CENT, ROUND_HALF_UP) if den else None
        return Figure(kpi, value, num, den)
    return Figure(kpi, _pct(num, den), num, den)


def sum_figures(facts: Iterable[AccountFacts]) -> dict[Kpi, Figure]:
    totals = {k: [Decimal(0), Decimal(0)] for k in KPIS}
    for f in facts:
        for k, (num, den) in f.parts.items():
            totals[k][0] += num
            totals[k][1] += den
    return {k: figure(k, num, den) for k, (num, den) in totals.items()}


@dataclasses.dataclass(frozen=True)
class Scope:
    """Whose accounts: the whole book, one industry group, or one AM (and one grade)."""

    group_id: int | None = None
    owner_id: int | None = None
    grade_id: int | None = None  # a drill-down may narrow to one grade

    def holds(self, ref: AccountRef) -> bool:
        if self.group_id is not None and ref.group_id != self.group_id:
            return False
        if self.grade_id is not None and ref.grade_id != self.grade_id:
            return False
        return self.owner_id is None or ref.owner_id == self.owner_id


EVERYONE = Scope()


def facts_in(book: Book, period: Period, scope: Scope = EVERYONE) -> list[AccountFacts]:
    months = period.months
    return [
        account_facts(book, period, pk, months)
        for pk, ref in book.accounts.items()
        if scope.holds(ref)
    ]


def figures(book: Book, period: Period, scope: Scope = EVERYONE) -> dict[Kpi, Figure]:
    return sum_figures(facts_in(book, period, scope))


def league(book: Book, period: Period, *, by: str, scope: Scope = EVERYONE,
           facts: list[AccountFacts] | None = None) -> dict[Any, dict[Kpi, Figure]]:  # fmt: skip
    """Every KPI per industry group (`by="group"`) or per AM (`by="owner"`)."""
    buckets: dict[Any, list[AccountFacts]] = defaultdict(list)
    for f in facts if facts is not None else facts_in(book, period, scope):
        buckets[f.account.group_id if by == "group" else f.account.owner_id].append(f)
    return {key: sum_figures(rows) for key, rows in buckets.items()}


def trend(book: Book, kpi: Kpi, months: list[dt.date], scope: Scope = EVERYONE) -> list[tuple[dt.date, Figure]]:  # fmt: skip
    """A KPI month by month (each month a period of its own): only that KPI's part of
    each account is summed."""
    if kpi in book.summed:
        raise ValueError(f"the book holds {kpi} for one period, not month by month")
    if months:
        needed = months[0] if kpi in COUNTED else month_add(months[0], -1)
        if needed < book.loaded[kpi]:
            raise ValueError(f"the book holds {kpi} from {book.loaded[kpi]}, not {needed}")
    refs = [pk for pk, ref in book.accounts.items() if scope.holds(ref)]
    out = []
    for m in months:
        period = period_of(PeriodKind.MONTH, m)
        num = den = Decimal(0)
        if kpi in COUNTED:
            rates = book.rates[kpi]
            for pk in refs:
                cell = rates.get(pk, {}).get(m)
                if cell:
                    num += cell[0]
                    den += cell[1]
        else:
            num, den = _book_sum(book, period, kpi, refs)
        out.append((m, figure(kpi, num, den)))
    return out


@dataclasses.dataclass(frozen=True)
class DrillLine:
    account: AccountRef
    num: Decimal
    den: Decimal
    value: Decimal | None


def drill(book: Book, period: Period, kpi: Kpi, scope: Scope = EVERYONE) -> list[DrillLine]:
    """The accounts behind a KPI: those with a part in it, the weakest first (for a rate,
    the most missed; for an amount, the smallest)."""
    out = []
    for f in facts_in(book, period, scope):
        num, den = f.parts[kpi]
        if kpi == Kpi.NEW_ACCOUNTS:
            if num:
                out.append(DrillLine(f.account, num, den, num))
            continue
        if not den and not num:
            continue
        out.append(DrillLine(f.account, num, den, figure(kpi, num, den).value))
    if kpi in (Kpi.AVG_VALUE, Kpi.NEW_ACCOUNTS):
        out.sort(key=lambda d: (-(d.num), d.account.name))
    elif kpi == Kpi.REVENUE_GROWTH:
        out.sort(key=lambda d: (d.num, d.account.name))
    else:
        out.sort(key=lambda d: (d.num - d.den, d.account.name))
    return out


def window_for(period: Period, trend_months: int = 12) -> tuple[dt.date, dt.date]:
    """The months a dashboard needs: the period with its opening month, and the trend's
    months each with its own opening month."""
    first = min(period.opening, month_add(period.closing, -trend_months))
    return first, period.closing
