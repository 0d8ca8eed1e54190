from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from telekam.accounts.tests.factories import AccountFactory, product
from telekam.billing.selectors import imports_recent, monthly_spend, spend_by_product, spend_totals
from telekam.billing.services import billing_import
from telekam.billing.tests.helpers import BillingLineFactory, csv_bytes
from telekam.core.errors import NotFound, PermissionDenied
from telekam.org.tests.factories import UserFactory, group

pytestmark = pytest.mark.django_db


@pytest.fixture
def am():
    return UserFactory()


@pytest.fixture
def account(am):
    account = AccountFactory(owner=am, spend_through=dt.date(2026, 10, 1))
    for month, prod, amount in [
        (dt.date(2026, 10, 1), "digital_circuit", "2800.00"),
        (dt.date(2026, 10, 1), "voice_usage", "200.00"),
        (dt.date(2026, 8, 1), "digital_circuit", "2800.00"),
        (dt.date(2026, 6, 1), "idc", "4500.00"),
        (dt.date(2025, 10, 1), "idc", "4500.00"),  # outside a 12-month window ending 2026-10
    ]:
        BillingLineFactory(
            account=account, month=month, product=product(prod), amount=Decimal(amount)
        )
    return account


def test_monthly_spend_lists_every_month_with_zero_gaps(am, account, django_assert_num_queries):
    with django_assert_num_queries(2):
        series = monthly_spend(user=am, account=account, months=6)
    assert series == [
        (dt.date(2026, 5, 1), Decimal("0.00")),
        (dt.date(2026, 6, 1), Decimal("4500.00")),
        (dt.date(2026, 7, 1), Decimal("0.00")),
        (dt.date(2026, 8, 1), Decimal("2800.00")),
        (dt.date(2026, 9, 1), Decimal("0.00")),
        (dt.date(2026, 10, 1), Decimal("3000.00")),
    ]
    assert len(monthly_spend(user=am, account=account)) == 24


def test_spend_by_product_over_the_window(am, account):
    rows = spend_by_product(user=am, account=account)
    assert [(r.product_code, r.total, r.share_pct, r.months_billed) for r in rows] == [
        ("digital_circuit", Decimal("5600.00"), Decimal("54.4"), 2),
        ("idc", Decimal("4500.00"), Decimal("43.7"), 1),
        ("voice_usage", Decimal("200.00"), Decimal("1.9"), 1),
    ]
    assert rows[0].name == "数字电路"


def test_account_selectors_refuse_accounts_the_user_cannot_see(account):
    stranger = UserFactory(group=group("government"))
    with pytest.raises(NotFound):
        monthly_spend(user=stranger, account=account)
    with pytest.raises(NotFound):
        spend_by_product(user=stranger, account=account)


def test_spend_totals_counts_billed_months():
    a = AccountFactory()
    BillingLineFactory(account=a, month=dt.date(2026, 9, 1), amount=Decimal("100.00"))
    BillingLineFactory(
        account=a, month=dt.date(2026, 9, 1), product=product("idc"), amount=Decimal("50.00")
    )
    BillingLineFactory(account=a, month=dt.date(2026, 10, 1), amount=Decimal("30.00"))
    assert spend_totals(start=dt.date(2026, 9, 1), end=dt.date(2026, 10, 1)) == {
        a.pk: (Decimal("180.00"), 2)
    }


def test_imports_recent_newest_first_and_only_for_importers():
    analyst = UserFactory(analyst=True)
    a = AccountFactory(code="KA1")
    first = billing_import(
        actor=analyst, file_name="1.csv", content=csv_bytes([[a.code, "2026-09", "idc", "1"]])
    )
    second = billing_import(
        actor=analyst, file_name="2.csv", content=csv_bytes([[a.code, "2026-10", "idc", "1"]])
    )
    assert imports_recent(user=analyst) == [second, first]
    assert imports_recent(user=analyst, limit=1) == [second]
    with pytest.raises(PermissionDenied):
        imports_recent(user=UserFactory())
