"""Where each order stands against its SLA on a given day: working days left, due soon,
late so far with the compensation owed so far, activated on time or late; and the monthly
SLA report built on it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from telekam.accounts.tests.factories import AccountFactory
from telekam.core import clock
from telekam.org.tests.factories import UserFactory
from telekam.service import services
from telekam.service.models import CompensationForm
from telekam.service.selectors import (
    Standing,
    account_service,
    order_standing,
    orders_standing,
    sla_report,
)
from telekam.service.tests.factories import activate, aware, order_at, reload

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def am():
    return UserFactory()


@pytest.fixture
def ops():
    return UserFactory(ops=True)


@pytest.fixture
def account(am):
    return AccountFactory(owner=am)


@pytest.fixture
def normal(am, account):
    """Normal digital circuit accepted Mon 21 Sep 2026, 10,000 fee: due Mon 26 Oct."""
    return order_at(actor=am, account=account, accepted_on=D(2026, 9, 21), fee="10000.00")


def figures(s) -> tuple:
    return (
        s.state,
        s.working_days_left,
        s.working_days_late,
        s.compensation,
        s.capped,
        s.provisional,
    )


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # left: Oct 8, 9, Sat 10, 12-16, 19-23, 26 = 14 working days
        (D(2026, 9, 30), (Standing.ON_TRACK, 14, 0, "0.00", False, False)),
        (D(2026, 10, 21), (Standing.ON_TRACK, 3, 0, "0.00", False, False)),  # 22, 23, 26
        (D(2026, 10, 22), (Standing.DUE_SOON, 2, 0, "0.00", False, False)),
        (D(2026, 10, 24), (Standing.DUE_SOON, 1, 0, "0.00", False, False)),  # a Saturday
        (D(2026, 10, 26), (Standing.DUE_SOON, 0, 0, "0.00", False, False)),  # the deadline
        (D(2026, 10, 27), (Standing.LATE, None, 1, "200.00", False, False)),  # 2% x 10,000
        (D(2026, 10, 31), (Standing.LATE, None, 4, "800.00", False, False)),  # 27-30 Oct
        # 27-30 Oct (4) + 21 in November + 23 in December = 48: 96 %
        (D(2026, 12, 31), (Standing.LATE, None, 48, "9600.00", False, False)),
        # + Fri 1 Jan 2027 (a plain weekday while 2027 is unknown) + Mon 4 Jan = 50: the fee
        (D(2027, 1, 4), (Standing.LATE, None, 50, "10000.00", True, True)),
    ],
)
def test_an_open_order_day_by_day(normal, today, expected):
    state, left, late, amount, capped, provisional = expected
    standing = order_standing(order=reload(normal), today=today)
    assert standing.deadline == D(2026, 10, 26)
    assert figures(standing) == (state, left, late, Decimal(amount), capped, provisional)
    assert standing.is_late is (late > 0)


@pytest.mark.parametrize(
    ("activated", "expected"),
    [
        (D(2026, 10, 23), (Standing.ON_TIME, None, 0, "0.00", False, False)),
        (D(2026, 10, 26), (Standing.ON_TIME, None, 0, "0.00", False, False)),
        (D(2026, 10, 27), (Standing.ACTIVATED_LATE, None, 1, "200.00", False, False)),
        (D(2026, 11, 2), (Standing.ACTIVATED_LATE, None, 5, "1000.00", False, False)),
    ],
)
def test_an_activated_order_is_judged_at_its_activation(normal, ops, activated, expected):
    state, left, late, amount, capped, provisional = expected
    activate(actor=ops, order=normal, on=activated)
    for today in (activated, D(2026, 12, 31)):  # later days change nothing
        standing = order_standing(order=reload(normal), today=today)
        assert figures(standing) == (state, left, late, Decimal(amount), capped, provisional)


def test_a_cancelled_order_owes_nothing(normal, am):
    with clock.frozen(aware(D(2026, 10, 20))):
        services.order_cancel(actor=am, order=normal, expected_version=1, reason="客户取消")
    standing = order_standing(order=reload(normal), today=D(2026, 11, 30))
    assert figures(standing) == (Standing.CANCELLED, None, 0, Decimal("0.00"), False, False)


def test_a_provisional_deadline_stays_provisional(am, account):
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 12, 10))
    # Dec 21-25 (5), 28-31 (9), Fri 1 Jan (10), 4-7 Jan (14).
    standing = order_standing(order=reload(accepted), today=D(2026, 12, 20))
    assert (standing.deadline, standing.state, standing.working_days_left, standing.provisional) == (
        D(2027, 1, 7), Standing.ON_TRACK, 14, True,
    )  # fmt: skip


def test_a_special_order_past_its_cap(am, account):
    # Special, accepted Tue 22 Sep 2026, due Wed 30 Sep; 4,500 fee at 5 % a working day.
    accepted = order_at(
        actor=am, account=account, accepted_on=D(2026, 9, 22), sla_class="special", fee="4500.00"
    )
    at_19 = order_standing(order=reload(accepted), today=D(2026, 11, 2))
    at_25 = order_standing(order=reload(accepted), today=D(2026, 11, 10))
    assert (at_19.working_days_late, at_19.compensation, at_19.capped) == (
        19,
        Decimal("4275.00"),
        False,
    )
    assert (at_25.working_days_late, at_25.compensation, at_25.capped) == (
        25,
        Decimal("4500.00"),
        True,
    )


def test_activation_the_day_after_a_friday_deadline_on_a_saturday_is_on_time(am, ops, account):
    # Special, accepted Fri 13 Nov 2026: 16-20 Nov -> due Fri 20 Nov.
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 13), sla_class="special")
    assert accepted.deadline == D(2026, 11, 20)
    activate(actor=ops, order=accepted, on=D(2026, 11, 21))
    standing = order_standing(order=reload(accepted), today=D(2026, 11, 21))
    assert (standing.state, standing.working_days_late) == (Standing.ON_TIME, 0)
    assert not CompensationForm.objects.exists()


def test_an_open_order_on_the_weekend_after_its_deadline_is_not_late_yet(am, account):
    # Due Fri 20 Nov: on Sat 21 and Sun 22 activating would still be on time.
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 13), sla_class="special")
    for today in (D(2026, 11, 21), D(2026, 11, 22)):
        standing = order_standing(order=reload(accepted), today=today)
        assert figures(standing) == (Standing.DUE_SOON, 0, 0, Decimal("0.00"), False, False)
        assert standing.is_late is False
    monday = order_standing(order=reload(accepted), today=D(2026, 11, 23))
    assert figures(monday) == (Standing.LATE, None, 1, Decimal("500.00"), False, False)


def test_a_batch_reads_the_calendar_once(normal, ops, am, account, django_assert_num_queries):
    activated = order_at(actor=am, account=account, accepted_on=D(2026, 9, 22), sla_class="special")
    activate(actor=ops, order=activated, on=D(2026, 10, 10))
    provisional = order_at(actor=am, account=account, accepted_on=D(2026, 12, 10))
    orders = [reload(normal), reload(activated), reload(provisional)]
    with django_assert_num_queries(2):
        standing = orders_standing(orders=orders, today=D(2026, 12, 20))
    assert {pk: (s.state, s.working_days_late) for pk, s in standing.items()} == {
        normal.pk: (Standing.LATE, 39),  # 27-30 Oct (4) + 21 in Nov + 14 to 18 Dec
        activated.pk: (Standing.ACTIVATED_LATE, 3),
        provisional.pk: (Standing.ON_TRACK, 0),
    }
    assert orders_standing(orders=[], today=D(2026, 12, 20)) == {}


def test_the_account_service_tab_counts_late_orders(normal, am, account):
    order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))  # due 30 Nov
    tab = account_service(account=account, today=D(2026, 11, 2))
    assert (tab.open_orders, tab.late_orders, tab.open_faults) == (2, 1, 0)
    assert tab.standing[normal.pk].compensation == Decimal("1000.00")  # 27-30 Oct, Nov 2


def test_sla_report_of_a_month(am, ops, account):
    # A: normal, due Mon 26 Oct, activated on it. B: urgent accepted Mon 28 Sep, due Fri
    # 16 Oct, activated Mon 19 Oct (1 late: 5 % x 3,000). C: special accepted Mon 12 Oct, due
    # Mon 19 Oct, still open at the end of October (20-23, 26-30: 9 late, 45 % x 4,500).
    a = order_at(actor=am, account=account, accepted_on=D(2026, 9, 21), fee="10000.00")
    b = order_at(
        actor=am, account=account, accepted_on=D(2026, 9, 28), sla_class="urgent", fee="3000.00"
    )
    c = order_at(
        actor=am, account=account, accepted_on=D(2026, 10, 12), sla_class="special", fee="4500.00"
    )
    cancelled = order_at(actor=am, account=account, accepted_on=D(2026, 9, 22), sla_class="special")
    with clock.frozen(aware(D(2026, 9, 23))):
        services.order_cancel(actor=am, order=cancelled, expected_version=1, reason="客户取消")
    order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))  # due in November
    activate(actor=ops, order=a, on=D(2026, 10, 26))
    activate(actor=ops, order=b, on=D(2026, 10, 19))

    report = sla_report(account=account, month=D(2026, 10, 15), today=D(2026, 12, 2))
    assert report.month == D(2026, 10, 1)
    assert [
        (line.order.pk, line.on_time, line.working_days_late, line.compensation)
        for line in report.orders
    ] == [
        (b.pk, False, 1, Decimal("150.00")),
        (c.pk, False, 9, Decimal("2025.00")),
        (a.pk, True, 0, None),
    ]
    assert (report.orders_due, report.orders_on_time, report.compensation_total) == (
        3, 1, Decimal("2175.00"),
    )  # fmt: skip
    assert (report.faults_count, report.credit_total) == (0, Decimal("0.00"))
    # Both circuits count only their days in service in October.
    assert sorted((c.service.number, c.minutes_in_month) for c in report.circuits) == sorted(
        [(f"ACT-{a.pk:06d}", 6 * 1440), (f"ACT-{b.pk:06d}", 13 * 1440)]
    )

    # A form voided by operations owes nothing.
    form = CompensationForm.objects.get(order=b)
    with clock.frozen(aware(D(2026, 10, 20))):
        services.compensation_void(actor=ops, form=form, reason="客户原因", expected_version=1)
    report = sla_report(account=account, month=D(2026, 10, 1), today=D(2026, 12, 2))
    assert [line.compensation for line in report.orders] == [
        Decimal("0.00"), Decimal("2025.00"), None,
    ]  # fmt: skip
    assert report.compensation_total == Decimal("2025.00")
