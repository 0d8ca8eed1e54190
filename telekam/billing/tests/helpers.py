"""Helpers for billing tests: statement files and a frozen clock."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from factory.django import DjangoModelFactory

from telekam.accounts.tests.factories import AccountFactory, product
from telekam.billing.models import BillingLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The tests' "now": mid-November 2026, so 2026-11 is the current month, 2026-12 the future.
NOW = dt.datetime(2026, 11, 15, 10, 0, tzinfo=SHANGHAI)
HEADER = ("客户编码", "账期", "产品编码", "金额")


def csv_bytes(
    rows: Iterable[Sequence[object]], *, header: Sequence[str] = HEADER, encoding: str = "utf-8"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Iterable[Sequence[object]], *, header: Sequence[str] = HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class BillingLineFactory(DjangoModelFactory):
    class Meta:
        model = BillingLine

    account = factory.SubFactory(AccountFactory)
    month = dt.date(2026, 9, 1)
    product = factory.LazyFunction(lambda: product("digital_circuit"))
    amount = Decimal("1000.00")


def totals() -> dict[tuple[str, str, str], Decimal]:
    """(account code, 'YYYY-MM', product code) -> amount for every stored line."""
    return {
        (code, f"{month:%Y-%m}", prod): amount
        for code, month, prod, amount in BillingLine.objects.values_list(
            "account__code", "month", "product__code", "amount"
        )
    }
