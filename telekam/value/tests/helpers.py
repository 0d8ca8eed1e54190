"""Helpers of the value tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from telekam.accounts.tests.factories import product
from telekam.billing.tests.helpers import BillingLineFactory

OCT = dt.date(2026, 10, 1)
D = Decimal


def bill(account, code: str, amount: str, month: dt.date = OCT) -> None:
    BillingLineFactory(account=account, product=product(code), month=month, amount=D(amount))
