"""Delivery to a key account's headquarters: within 3 working days of activation the AM
delivers the package; the customer's confirmation sets the billing start. Only key
accounts at the top of their group (headquarters or standalone) get a task."""

from __future__ import annotations

import datetime as dt

import pytest

from telekam.accounts.tests.factories import AccountFactory, band
from telekam.core import clock
from telekam.core.errors import ApplicationError, Conflict, PermissionDenied
from telekam.core.models import AuditEntry
from telekam.org.tests.factories import UserFactory, group
from telekam.service import services
from telekam.service.models import DeliveryTask
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
def hq(am):
    return AccountFactory(owner=am, level="hq")


ACCEPTED = D(2026, 9, 1)


def activated(ops, account, on: dt.date, accepted_on: dt.date = ACCEPTED):
    accepted = order_at(actor=account.owner, account=account, accepted_on=accepted_on)
    return activate(actor=ops, order=accepted, on=on)


def deliver(actor, task, delivered_on, today=None, note=""):
    current = reload(task)
    with clock.frozen(aware(today or delivered_on, 17)):
        return services.delivery_mark_delivered(
            actor=actor, task=current, delivered_on=delivered_on, note=note,
            expected_version=current.version,
        )  # fmt: skip


def confirm(actor, task, confirmed_on, name="孙主任", today=None):
    current = reload(task)
    with clock.frozen(aware(today or confirmed_on, 17)):
        return services.delivery_confirm(
            actor=actor, task=current, confirmed_on=confirmed_on, confirmed_by_name=name,
            expected_version=current.version,
        )  # fmt: skip


def state(task) -> tuple:
    fresh = reload(task)
    return (
        fresh.status, fresh.version, fresh.delivered_on, fresh.confirmed_on,
        fresh.confirmed_by_name, fresh.billing_start_on, fresh.note,
    )  # fmt: skip


@pytest.mark.parametrize("level", ["hq", "standalone"])
def test_a_key_account_at_the_top_gets_its_delivery_task(ops, am, level):
    account = AccountFactory(owner=am, level=level)
    # Activated Wed 30 Sep 2026: 1-7 Oct are holidays; Thu 8, Fri 9, Sat 10 (make-up).
    order = activated(ops, account, D(2026, 9, 30))
    task = DeliveryTask.objects.get()
    assert (task.order_id, task.account_id, task.owner_id) == (order.pk, account.pk, am.pk)
    assert (task.due_on, task.due_provisional, task.status) == (D(2026, 10, 10), False, "pending")


def test_due_three_working_days_after_an_ordinary_activation(ops, hq):
    activated(ops, hq, D(2026, 11, 5), accepted_on=D(2026, 10, 12))  # Thu -> Fri, Mon, Tue
    assert DeliveryTask.objects.get().due_on == D(2026, 11, 10)


@pytest.mark.parametrize(
    ("segment", "level"),
    [
        ("key", "branch"),
        ("key", "provincial"),
        ("commercial", "hq"),
        ("commercial", "standalone"),
    ],
)
def test_no_delivery_task_for_others(ops, am, segment, level):
    grade = band("crystal") if segment == "key" else band("a", "commercial")
    parent = AccountFactory(owner=am, level="hq") if level in ("branch", "provincial") else None
    account = AccountFactory(owner=am, segment=segment, grade=grade, level=level, parent=parent)
    order = activated(ops, account, D(2026, 9, 30))
    assert reload(order).status == "activated"
    assert not DeliveryTask.objects.exists()


def test_a_due_date_in_an_unknown_year_is_provisional(ops, hq):
    # Wed 30 Dec 2026: Thu 31 Dec, then 2027 on plain weekends: Fri 1 Jan, Mon 4 Jan.
    activated(ops, hq, D(2026, 12, 30), accepted_on=D(2026, 12, 1))
    task = DeliveryTask.objects.get()
    assert (task.due_on, task.due_provisional) == (D(2027, 1, 4), True)


def test_delivery_open_is_idempotent(ops, hq):
    order = activated(ops, hq, D(2026, 9, 30))
    task = DeliveryTask.objects.get()
    assert services.delivery_open(order=reload(order)).pk == task.pk
    assert DeliveryTask.objects.count() == 1


def test_the_am_delivers_and_the_customer_confirms(ops, am, hq):
    activated(ops, hq, D(2026, 9, 30))
    task = DeliveryTask.objects.get()
    deliver(am, task, D(2026, 10, 9), note=" 已送交行政部 ")
    assert state(task) == ("delivered", 2, D(2026, 10, 9), None, "", None, "已送交行政部")
    confirm(am, task, D(2026, 10, 12), name=" 孙主任 ")
    assert state(task) == (
        "confirmed", 3, D(2026, 10, 9), D(2026, 10, 12), "孙主任", D(2026, 10, 12), "已送交行政部",
    )  # fmt: skip
    assert list(
        AuditEntry.objects.filter(account=hq, target_type="service.deliverytask")
        .order_by("at", "id")
        .values_list("summary", flat=True)
    ) == ["交付资料已送达（2026-10-09）", "客户 孙主任 确认交付，起租日期 2026-10-12"]


def test_the_group_lead_may_deliver(ops, hq):
    activated(ops, hq, D(2026, 9, 30))
    task = DeliveryTask.objects.get()
    deliver(UserFactory(lead=True), task, D(2026, 10, 8))
    assert reload(task).status == "delivered"


@pytest.mark.parametrize("who", ["desk", "ops", "am_same_group", "am_elsewhere", "analyst"])
def test_who_may_not_deliver_or_confirm(ops, am, hq, who):
    actor = {
        "desk": lambda: UserFactory(desk=True),
        "ops": lambda: ops,
        "am_same_group": lambda: UserFactory(),
        "am_elsewhere": lambda: UserFactory(group=group("government")),
        "analyst": lambda: UserFactory(analyst=True),
    }[who]()
    activated(ops, hq, D(2026, 9, 30))
    task = DeliveryTask.objects.get()
    before = state(task)
    with pytest.raises(PermissionDenied):
        deliver(actor, task, D(2026, 10, 8))
    assert state(task) == before
    deliver(am, task, D(2026, 10, 8))
    before = state(task)
    with pytest.raises(PermissionDenied):
        confirm(actor, task, D(2026, 10, 9))
    assert state(task) == before


@pytest.mark.parametrize(
    ("delivered_on", "today", "code", "field"),
    [
        (D(2026, 9, 29), D(2026, 10, 8), "invalid", "delivered_on"),  # before activation
        (D(2026, 10, 9), D(2026, 10, 8), "in_future", "delivered_on"),
    ],
)
def test_delivery_dates_are_checked(ops, am, hq, delivered_on, today, code, field):
    activated(ops, hq, D(2026, 9, 30))
    task = DeliveryTask.objects.get()
    before = state(task)
    with pytest.raises(ApplicationError) as info:
        deliver(am, task, delivered_on, today=today)
    assert (info.value.code, info.value.field) == (code, field)
    assert state(task) == before


def test_confirmation_checks(ops, am, hq):
    activated(ops, hq, D(2026, 9, 30))
    task = DeliveryTask.objects.get()
    before = state(task)
    with pytest.raises(ApplicationError) as info:  # not delivered yet
        confirm(am, task, D(2026, 10, 9))
    assert info.value.code == "bad_transition"
    assert state(task) == before

    deliver(am, task, D(2026, 10, 9))
    before = state(task)
    for kwargs, field in [
        ({"confirmed_on": D(2026, 10, 12), "name": "  "}, "confirmed_by_name"),
        ({"confirmed_on": D(2026, 10, 8)}, "confirmed_on"),  # before the delivery
        ({"confirmed_on": D(2026, 10, 13), "today": D(2026, 10, 12)}, "confirmed_on"),
    ]:
        with pytest.raises(ApplicationError) as info:
            confirm(am, task, **kwargs)
        assert info.value.field == field
    assert state(task) == before

    confirm(am, task, D(2026, 10, 12))
    before = state(task)
    with pytest.raises(ApplicationError) as info:
        deliver(am, task, D(2026, 10, 12))
    assert info.value.code == "bad_transition"
    with pytest.raises(ApplicationError) as info:
        confirm(am, task, D(2026, 10, 13))
    assert info.value.code == "bad_transition"
    assert state(task) == before


def test_delivering_from_a_stale_read_is_a_conflict(ops, am, hq):
    activated(ops, hq, D(2026, 9, 30))
    task = DeliveryTask.objects.get()
    stale = reload(task)
    deliver(am, task, D(2026, 10, 8))
    with clock.frozen(aware(D(2026, 10, 9))), pytest.raises(Conflict):
        services.delivery_mark_delivered(
            actor=am, task=stale, delivered_on=D(2026, 10, 9), expected_version=1
        )
    assert reload(task).delivered_on == D(2026, 10, 8)
