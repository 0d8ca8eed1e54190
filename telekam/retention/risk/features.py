"""The churn model's features per key account, from the operator's own data, as of a day.

Every feature reads only what was known on `day` (dates <= day, times before the end of
that day), so the same code builds the training snapshot (`today - 180 days`) and today's
table. A fixed number of aggregate queries whatever the number of accounts.

| column | meaning |
|---|---|
| industry | the account's industry (categorical) |
| grade_rank | rank of the grade held on `day` (current grade, undone by approved grade changes decided after `day`); missing without a grade |
| spend_recent | average monthly bill (yuan) over the last 3 billed months |
| spend_trend | those 3 months against the 3 before: sum / sum - 1 (-0.4 = spend fell 40 %); missing when the 3 before were 0 |
| tenure_days | days since the first billed month or the account's creation, whichever is earlier |
| faults_180d | fault tickets reported in the 180 days to `day` |
| sla_breaches_180d | of those, faults restored later than their SLA target (or still open past it on `day`), plus provisioning orders activated in the window after their deadline |
| dissatisfied_callbacks_180d | callbacks done in the window with outcome "dissatisfied" |
| days_since_contact | days since the last visit or call log; missing when there is none |
| days_to_contract_end | days to the nearest end of a signed contract running on `day`; missing when there is none |
| open_warnings | churn warnings raised by `day` and not closed by then |
| competitor_share, ld_change | from the call records (`retention.signals_store.call_features`); 0.0 when unknown |

"The last 3 billed months" are the latest month before `day`'s month that has any billing
line (for any account) and the two before it; an account without lines in a month spent 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import pandas as pd
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from telekam.accounts.models import (
    Account,
    AccountStatus,
    DecisionStatus,
    GradeChangeProposal,
    Segment,
)
from telekam.billing.models import BillingLine
from telekam.engagement.models import ContactLog
from telekam.retention.models import ChurnWarning, RetentionCase
from telekam.retention.models.warnings import LOST_OUTCOMES
from telekam.sales.models import Contract, ContractStatus
from telekam.service.models import Callback, CallbackOutcome, FaultTicket, ProvisioningOrder

WINDOW_DAYS = 180  # faults, breaches and callbacks are counted over this many days
HORIZON_DAYS = 180  # the label: lost within this many days after the snapshot
CATEGORICAL = ("industry",)
NUMERIC = (
    "grade_rank",
    "spend_recent",
    "spend_trend",
    "tenure_days",
    "faults_180d",
    "sla_breaches_180d",
    "dissatisfied_callbacks_180d",
    "days_since_contact",
    "days_to_contract_end",
    "open_warnings",
    "competitor_share",
    "ld_change",
)
FEATURES = (*CATEGORICAL, *NUMERIC)
CALL_KEYS = ("competitor_share", "ld_change")

CallFeatures = Mapping[int, Mapping[str, float]]


def end_of(day: dt.date) -> dt.datetime:
    """The first moment after `day` in the operator's time zone."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


# --- who -----------------------------------------------------------------------------------


def scoring_accounts() -> QuerySet[Account]:
    """The accounts scored today: active key accounts."""
    return Account.objects.filter(segment=Segment.KEY, status=AccountStatus.ACTIVE)


def training_accounts(*, snapshot: dt.date) -> QuerySet[Account]:
    """Key accounts that were customers on `snapshot`: billed by then or created by then,
    and active now or changed status after it (an account suspended or churned before the
    snapshot was no longer there to lose). The segment is today's."""
    end = end_of(snapshot)
    billed = BillingLine.objects.filter(account=OuterRef("pk"), month__lte=snapshot)
    return (
        Account.objects.filter(segment=Segment.KEY)
        .filter(Q(status=AccountStatus.ACTIVE) | Q(updated_at__gte=end))
        .filter(Q(created_at__lt=end) | Exists(billed))
    )


def lost_accounts(*, after: dt.date, through: dt.date) -> set[int]:
    """Accounts lost in (after, through]: a retention case closed as lost or partly lost in
    that window, or the account marked churned (its last change falls in the window; the
    account has no separate churn date)."""
    cases = RetentionCase.objects.filter(
        outcome__in=LOST_OUTCOMES, closed_on__gt=after, closed_on__lte=through
    ).values_list("account_id", flat=True)
    churned = Account.objects.filter(
        status=AccountStatus.CHURNED,
        updated_at__gte=end_of(after),
        updated_at__lt=end_of(through),
    ).values_list("pk", flat=True)
    return set(cases) | set(churned)


# --- call records --------------------------------------------------------------------------


def call_signals(*, day: dt.date, today: dt.date) -> CallFeatures | None:
    """Competitor share and long-distance change per account from the call records as of
    `day` (the daily aggregates in the lake answer for past days too), or None when the
    lake has no call records for that time."""
    from telekam.retention import signals_store

    figures = signals_store.call_features(as_of=None if day >= today else day)
    return dict(figures) if figures else None


# --- features ------------------------------------------------------------------------------


def _counts(qs: QuerySet[Any]) -> dict[int, int]:
    return {row["account_id"]: row["n"] for row in qs.values("account_id").annotate(n=Count("id"))}


def _spend(accounts: QuerySet[Account], day: dt.date) -> dict[int, tuple[float, float]]:
    """account -> (average of the recent 3 billed months, trend); trend NaN without a base."""
    first_of_month = day.replace(day=1)
    anchor = BillingLine.objects.filter(month__lt=first_of_month).aggregate(m=Max("month"))["m"]
    if anchor is None:
        return {}
    recent_from = add_months(anchor, -2)
    totals: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    rows = (
        BillingLine.objects.filter(
            account__in=accounts, month__gte=add_months(anchor, -5), month__lte=anchor
        )
        .values("account_id", "month")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        totals[row["account_id"]][0 if row["month"] >= recent_from else 1] += float(row["total"])
    spend = {}
    for account_id, (recent, previous) in totals.items():
        trend = recent / previous - 1 if previous > 0 else math.nan
        spend[account_id] = (recent / 3, trend)
    return spend


def _grade_ranks(accounts: QuerySet[Account], day: dt.date) -> dict[int, float]:
    """The rank of the grade each account held on `day`."""
    ranks = {row["pk"]: row["grade__rank"] for row in accounts.values("pk", "grade__rank")}
    # The earliest approved change after `day` tells what the grade was before it.
    later = (
        GradeChangeProposal.objects.filter(
            account__in=accounts, status=DecisionStatus.APPROVED, decided_at__gte=end_of(day)
        )
        .order_by("-decided_at", "-id")
        .values_list("account_id", "from_grade__rank")
    )
    for account_id, rank in later:  # latest first, so the earliest change is written last
        ranks[account_id] = rank
    return {k: float(v) if v is not None else math.nan for k, v in ranks.items()}


def _sla_breaches(accounts: QuerySet[Account], day: dt.date) -> dict[int, int]:
    start, end = end_of(day - dt.timedelta(days=WINDOW_DAYS)), end_of(day)
    breaches: dict[int, int] = defaultdict(int)
    faults = FaultTicket.objects.filter(
        account__in=accounts, reported_at__gte=start, reported_at__lt=end
    ).values_list("account_id", "reported_at", "restored_at", "restore_minutes", "paused_seconds")
    for account_id, reported, restored, restore_minutes, paused in faults:
        until = restored if restored is not None and restored < end else end
        running = (until - reported).total_seconds() - paused
        if running > restore_minutes * 60:
            breaches[account_id] += 1
    late_orders = ProvisioningOrder.objects.filter(
        account__in=accounts,
        activated_on__gt=day - dt.timedelta(days=WINDOW_DAYS),
        activated_on__lte=day,
        working_days_late__gt=0,
    )
    for account_id, n in _counts(late_orders).items():
        breaches[account_id] += n
    return breaches


def account_features(
    *, accounts: QuerySet[Account], day: dt.date, calls: CallFeatures | None = None
) -> pd.DataFrame:
    """One row per account of `accounts` (index: account id, ascending), columns FEATURES,
    as of `day`."""
    start, end = end_of(day - dt.timedelta(days=WINDOW_DAYS)), end_of(day)
    base = list(accounts.order_by("pk").values("pk", "industry", "created_at"))
    if not base:
        return pd.DataFrame(columns=list(FEATURES), index=pd.Index([], name="account_id"))
    ranks = _grade_ranks(accounts, day)
    spend = _spend(accounts, day)
    first_billed = {
        row["account_id"]: row["first"]
        for row in BillingLine.objects.filter(account__in=accounts, month__lte=day)
        .values("account_id")
        .annotate(first=Min("month"))
    }
    faults = _counts(
        FaultTicket.objects.filter(
            account__in=accounts, reported_at__gte=start, reported_at__lt=end
        )
    )
    breaches = _sla_breaches(accounts, day)
    dissatisfied = _counts(
        Callback.objects.filter(
            account__in=accounts,
            outcome=CallbackOutcome.DISSATISFIED,
            done_at__gte=start,
            done_at__lt=end,
        )
    )
    last_contact = {
        row["account_id"]: row["last"]
        for row in ContactLog.objects.filter(account__in=accounts, happened_on__lte=day)
        .values("account_id")
        .annotate(last=Max("happened_on"))
    }
    contract_end = {
        row["account_id"]: row["nearest"]
        for row in Contract.objects.filter(
            account__in=accounts,
            status__in=[ContractStatus.SIGNED, ContractStatus.TERMINATED],
            signed_on__lte=day,
            start_on__lte=day,
            end_on__gte=day,
        )
        .values("account_id")
        .annotate(nearest=Min("end_on"))
    }
    warnings = _counts(
        ChurnWarning.objects.filter(account__in=accounts, raised_on__lte=day).exclude(
            closed_at__lt=end
        )
    )
    calls = calls or {}
    rows = []
    for account in base:
        pk = account["pk"]
        created = timezone.localdate(account["created_at"])
        began = min(
            d for d in (first_billed.get(pk), created if created <= day else None, day) if d
        )
        recent, trend = spend.get(pk, (0.0, math.nan))
        contacted = last_contact.get(pk)
        ends = contract_end.get(pk)
        signals = calls.get(pk) or {}
        rows.append(
            {
                "industry": account["industry"],
                "grade_rank": ranks.get(pk, math.nan),
                "spend_recent": round(recent, 2),
                "spend_trend": round(trend, 4) if not math.isnan(trend) else math.nan,
                "tenure_days": float((day - began).days),
                "faults_180d": float(faults.get(pk, 0)),
                "sla_breaches_180d": float(breaches.get(pk, 0)),
                "dissatisfied_callbacks_180d": float(dissatisfied.get(pk, 0)),
                "days_since_contact": float((day - contacted).days) if contacted else math.nan,
                "days_to_contract_end": float((ends - day).days) if ends else math.nan,
                "open_warnings": float(warnings.get(pk, 0)),
                **{key: float(signals.get(key) or 0.0) for key in CALL_KEYS},
            }
        )
    frame = pd.DataFrame(rows, index=pd.Index([a["pk"] for a in base], name="account_id"))
    frame["industry"] = frame["industry"].astype(object)
    return frame[list(FEATURES)]
