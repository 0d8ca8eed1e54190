"""Billing writes: statement import and the spend figures derived from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Max, Sum

from telekam.accounts.models import Account
from telekam.billing.models import BillingLine

WINDOW_MONTHS = 12
CENT = Decimal("0.01")


def month_add(month: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months after `month` (n may be negative)."""
    index = month.year * 12 + (month.month - 1) + n
    return dt.date(index // 12, index % 12 + 1, 1)


def latest_billed_month() -> dt.date | None:
    return BillingLine.objects.aggregate(m=Max("month"))["m"]


@transaction.atomic
def account_spend_refresh(
    *, account_ids: Iterable[int] | None = None, through: dt.date | None = None
) -> int:
    """Recompute Account.avg_monthly_spend: the average of the billed months among the
    12 months ending at `through` (default: the latest billed month in the system).

    Months without any bill do not count (a customer of three months is averaged over
    three). Accounts with no bill in the window get 0. Returns the number of accounts set.
    """
    end = through or latest_billed_month()
    accounts = Account.objects.all()
    if account_ids is not None:
        accounts = accounts.filter(pk__in=list(account_ids))
    if end is None:
        return accounts.update(avg_monthly_spend=Decimal("0.00"), spend_through=None)
    start = month_add(end, -(WINDOW_MONTHS - 1))
    lines = BillingLine.objects.filter(month__gte=start, month__lte=end)
    if account_ids is not None:
        lines = lines.filter(account_id__in=accounts.values("pk"))
    sums = {
        row["account_id"]: (row["total"], row["months"])
        for row in lines.values("account_id").annotate(
            total=Sum("amount"), months=Count("month", distinct=True)
        )
    }
    batch: list[Account] = []
    for account in accounts.only("pk", "avg_monthly_spend", "spend_through").iterator(chunk_size=2000):
        total, months = sums.get(account.pk, (Decimal("0"), 0))
        account.avg_monthly_spend = (
            (Decimal(total) / months).quantize(CENT, rounding=ROUND_HALF_UP) if months else Decimal("0.00")
        )
        account.spend_through = end
        batch.append(account)
    Account.objects.bulk_update(batch, ["avg_monthly_spend", "spend_through"], batch_size=1000)
    return len(batch)
