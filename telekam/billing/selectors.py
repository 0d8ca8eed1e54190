"""Reads of billing data. Account-level reads check visibility through the accounts app."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from telekam.accounts import access
from telekam.accounts.models import Account
from telekam.accounts.selectors import account_checked
from telekam.billing.models import BillingImport, BillingLine
from telekam.billing.services import month_add
from telekam.core import clock
from telekam.core.errors import PermissionDenied

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def spend_average(total: Decimal, months: int) -> Decimal:
    """Average monthly spend over the billed months, in yuan to the fen (half up)."""
    if not months:
        return ZERO
    return (Decimal(total) / months).quantize(CENT, rounding=ROUND_HALF_UP)


def spend_totals(
    *, start: dt.date, end: dt.date, accounts: QuerySet[Account] | None = None
) -> dict[int, tuple[Decimal, int]]:
    """account id -> (total amount, number of billed months) for months start..end.

    One query, however many accounts. No permission check: for services and selectors
    that have checked already.
    """
    lines = BillingLine.objects.filter(month__gte=start, month__lte=end)
    if accounts is not None:
        lines = lines.filter(account__in=accounts.values("pk"))
    rows = (
        lines.order_by()
        .values("account_id")
        .annotate(total=Sum("amount"), months=Count("month", distinct=True))
        .values_list("account_id", "total", "months")
    )
    return {account_id: (Decimal(total), months) for account_id, total, months in rows}


def _window_end(account: Account) -> dt.date:
    """The last month of an account's charts: the month its spend was computed up to
    (the latest billed month of the system), or the current month before any import."""
    return account.spend_through or month_start(clock.today())


def monthly_spend(
    *, user: Any, account: Account, months: int = 24
) -> list[tuple[dt.date, Decimal]]:
    """The account's bill per month, oldest first, for the `months` months up to the latest
    billed month; months without a bill are listed with 0 (a gap is a churn signal).

    NotFound if the user may not see the account. Two queries: the visibility check and one
    aggregate.
    """
    visible = account_checked(user=user, account=account)
    end = _window_end(visible)
    start = month_add(end, -(months - 1))
    totals = dict(
        BillingLine.objects.filter(account_id=visible.pk, month__gte=start, month__lte=end)
        .order_by()
        .values("month")
        .annotate(total=Sum("amount"))
        .values_list("month", "total")
    )
    series = []
    for i in range(months):
        month = month_add(start, i)
        series.append((month, Decimal(totals.get(month, ZERO)).quantize(CENT)))
    return series


@dataclasses.dataclass(frozen=True)
class ProductSpend:
    product_code: str
    name_zh: str
    name_en: str
    total: Decimal
    share_pct: Decimal  # of the account's total over the window; 0 when that is not positive
    months_billed: int

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


def spend_by_product(*, user: Any, account: Account, months: int = 12) -> list[ProductSpend]:
    """What the account spent on each product over the last `months` billed months, largest
    first. NotFound if the user may not see the account. Two queries."""
    visible = account_checked(user=user, account=account)
    end = _window_end(visible)
    start = month_add(end, -(months - 1))
    rows = list(
        BillingLine.objects.filter(account_id=visible.pk, month__gte=start, month__lte=end)
        .order_by()
        .values("product_id", "product__code", "product__name_zh", "product__name_en")
        .annotate(total=Sum("amount"), months=Count("month", distinct=True))
    )
    grand = sum((Decimal(r["total"]) for r in rows), ZERO)
    result = [
        ProductSpend(
            product_code=r["product__code"],
            name_zh=r["product__name_zh"],
            name_en=r["product__name_en"],
            total=Decimal(r["total"]).quantize(CENT),
            share_pct=(
                (Decimal(r["total"]) * 100 / grand).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
                if grand > 0
                else Decimal("0.0")
            ),
            months_billed=r["months"],
        )
        for r in rows
    ]
    result.sort(key=lambda p: (-p.total, p.product_code))
    return result


def imports_recent(*, user: Any, limit: int = 20) -> list[BillingImport]:
    """The latest statement imports, newest first; for those who may import billing."""
    if not access.can_import_billing(user):
        raise PermissionDenied(_("您无权查看账单导入记录。"))
    return list(
        BillingImport.objects.select_related("imported_by").order_by("-imported_at", "-id")[:limit]
    )
