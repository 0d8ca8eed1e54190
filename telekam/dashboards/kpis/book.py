"""The book: per-account, per-month facts of a user's key accounts, read in a fixed number
of queries."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from telekam.accounts import access as account_access
from telekam.accounts.models import Segment
from telekam.billing.models import BillingLine
from telekam.dashboards.kpis.definitions import (
    KPIS,
    Kpi,
    Period,
    month_add,
    month_first,
    month_last_day,
)
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

ANSWERED = (CallbackOutcome.SATISFIED, CallbackOutcome.NEUTRAL, CallbackOutcome.DISSATISFIED)


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
