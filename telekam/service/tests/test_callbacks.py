"""The callback desk (回访): every activation within a week, every fault repair within 3
days, one call per account however many events are waiting, recorded by the desk only; a
dissatisfied customer goes to the AM as a follow-up; coverage of the calls that fell due."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from telekam.accounts.tests.factories import AccountFactory, ServiceFactory
from telekam.core import clock
from telekam.core.errors import ApplicationError, PermissionDenied
from telekam.core.models import AuditEntry, Notification
from telekam.org.tests.factories import UserFactory, group
from telekam.service import services
from telekam.service.models import Callback, CallbackItem, FollowUp
from telekam.service.selectors import callback_coverage
from telekam.service.tests.factories import activate, aware, fault, order_at, reload

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def am():
    return UserFactory()


@pytest.fixture
def desk():
    return UserFactory(desk=True)


@pytest.fixture
def ops():
    return UserFactory(ops=True)


@pytest.fixture
def account(am):
    return AccountFactory(owner=am, name="华北能源集团有限公司")


ACCEPTED = D(2026, 10, 12)


def activated(ops, account, on: dt.date, accepted_on: dt.date = ACCEPTED):
    accepted = order_at(actor=account.owner, account=account, accepted_on=accepted_on)
    return activate(actor=ops, order=accepted, on=on)


def repaired(desk, ops, account, on: dt.date):
    ticket = fault(actor=desk, service=ServiceFactory(account=account), at=aware(on, 8))
    with clock.frozen(aware(on, 11)):
        return services.fault_restore(
            actor=ops, fault=reload(ticket), cause="板卡故障，已更换", expected_version=1
        )


def record(actor, callback, outcome="satisfied", notes="", when=None, contact="李主任"):
    current = reload(callback)
    with clock.frozen(when or aware(D(2026, 11, 6), 15)):
        return services.callback_record(
            actor=actor, callback=current, outcome=outcome, contact_name=contact, notes=notes,
            expected_version=current.version,
        )  # fmt: skip


def state(callback) -> tuple:
    fresh = reload(callback)
    return (
        fresh.status, fresh.version, fresh.outcome, fresh.done_at, fresh.done_by_id, fresh.notes,
        fresh.due_on, fresh.items.count(), FollowUp.objects.count(), Notification.objects.count(),
    )  # fmt: skip


# --- one call per account ------------------------------------------------------------------


def test_events_of_one_account_join_the_open_call_due_by_the_earliest(desk, ops, account):
    first = activated(ops, account, D(2026, 11, 2))  # due 9 Nov
    call = Callback.objects.get(account=account)
    assert (call.status, call.opened_on, call.due_on) == ("open", D(2026, 11, 2), D(2026, 11, 9))

    repair = repaired(desk, ops, account, D(2026, 11, 4))  # due 7 Nov: earlier
    second = activated(ops, account, D(2026, 11, 5))  # due 12 Nov: later

    assert Callback.objects.filter(account=account).count() == 1
    call = reload(call)
    assert (call.status, call.opened_on, call.due_on) == ("open", D(2026, 11, 2), D(2026, 11, 7))
    assert list(call.items.values_list("reason", "order_id", "fault_id", "event_on", "due_on")) == [
        ("activation", first.pk, None, D(2026, 11, 2), D(2026, 11, 9)),
        ("fault_repair", None, repair.pk, D(2026, 11, 4), D(2026, 11, 7)),
        ("activation", second.pk, None, D(2026, 11, 5), D(2026, 11, 12)),
    ]  # fmt: skip


def test_calls_of_different_accounts_stay_apart(ops, account):
    activated(ops, account, D(2026, 11, 2))
    other = AccountFactory()
    activated(ops, other, D(2026, 11, 2))
    assert Callback.objects.count() == 2
    assert Callback.objects.get(account=other).items.count() == 1


def test_after_the_call_a_new_event_opens_a_new_call(desk, ops, account):
    activated(ops, account, D(2026, 11, 2))
    first_call = Callback.objects.get(account=account)
    record(desk, first_call, when=aware(D(2026, 11, 6), 15))
    later = activated(ops, account, D(2026, 11, 10))
    calls = list(Callback.objects.filter(account=account).order_by("id"))
    assert [(c.status, c.opened_on, c.due_on, c.items.count()) for c in calls] == [
        ("done", D(2026, 11, 2), D(2026, 11, 9), 1),
        ("open", D(2026, 11, 10), D(2026, 11, 17), 1),
    ]
    assert CallbackItem.objects.get(order=later).callback_id == calls[1].pk


def test_an_event_is_listed_once_however_often_it_is_added(desk, ops, account):
    activated_order = activated(ops, account, D(2026, 11, 2))
    repair = repaired(desk, ops, account, D(2026, 11, 4))
    call = Callback.objects.get(account=account)
    before = state(call)
    item = CallbackItem.objects.get(order=activated_order)
    with clock.frozen(aware(D(2026, 11, 5))):
        again = services.callback_event_add(
            account=account, reason="activation", order=activated_order, event_on=D(2026, 11, 1)
        )
        again_fault = services.callback_event_add(
            account=account, reason="fault_repair", fault=repair, event_on=D(2026, 11, 1)
        )
    assert again.pk == item.pk
    assert again_fault.pk == CallbackItem.objects.get(fault=repair).pk
    assert state(call) == before
    assert CallbackItem.objects.count() == 2
    assert reload(item).due_on == D(2026, 11, 9)


# --- recording the call -----------------------------------------------------------------------


def test_the_desk_records_a_satisfied_call(desk, ops, account):
    activated(ops, account, D(2026, 11, 2))
    call = Callback.objects.get(account=account)
    version = call.version
    record(desk, call, contact=" 李主任 ", notes=" 很满意 ", when=aware(D(2026, 11, 6), 15))
    fresh = reload(call)
    assert (fresh.status, fresh.outcome, fresh.contact_name, fresh.notes) == (
        "done", "satisfied", "李主任", "很满意",
    )  # fmt: skip
    assert (fresh.done_at, fresh.done_by_id, fresh.version) == (
        aware(D(2026, 11, 6), 15), desk.pk, version + 1,
    )  # fmt: skip
    assert AuditEntry.objects.filter(
        account=account, target_type="service.callback", summary="回访：满意（很满意）"
    ).exists()
    assert not FollowUp.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize("who", ["am", "ops", "head", "lead", "admin"])
def test_only_the_desk_records(ops, am, account, who):
    actor = {
        "am": lambda: am,
        "ops": lambda: ops,
        "head": lambda: UserFactory(head=True),
        "lead": lambda: UserFactory(lead=True),
        "admin": lambda: UserFactory(admin=True),
    }[who]()
    activated(ops, account, D(2026, 11, 2))
    call = Callback.objects.get(account=account)
    before = state(call)
    with pytest.raises(PermissionDenied):
        record(actor, call)
    assert state(call) == before


@pytest.mark.parametrize(
    ("outcome", "notes", "field"),
    [("", "", "outcome"), ("happy", "", "outcome"), ("dissatisfied", "  ", "notes")],
)
def test_recording_refuses_bad_input(desk, ops, account, outcome, notes, field):
    activated(ops, account, D(2026, 11, 2))
    call = Callback.objects.get(account=account)
    before = state(call)
    with pytest.raises(ApplicationError) as info:
        record(desk, call, outcome=outcome, notes=notes)
    assert info.value.field == field
    assert state(call) == before


def test_a_done_call_is_not_recorded_again(desk, ops, account):
    activated(ops, account, D(2026, 11, 2))
    call = Callback.objects.get(account=account)
    record(desk, call, outcome="unreachable")
    before = state(call)
    with pytest.raises(ApplicationError) as info:
        record(desk, call, outcome="satisfied")
    assert info.value.code == "bad_transition"
    assert state(call) == before


def test_a_dissatisfied_customer_goes_to_the_am(desk, ops, am, account):
    activated(ops, account, D(2026, 9, 29), accepted_on=D(2026, 9, 1))
    call = Callback.objects.get(account=account)
    # Recorded Wed 30 Sep 2026: 1-7 Oct are holidays, then Thu 8, Fri 9, Sat 10 (make-up).
    record(desk, call, outcome="dissatisfied", notes="开通拖延，安装人员态度差",
           when=aware(D(2026, 9, 30), 16))  # fmt: skip
    follow_up = FollowUp.objects.get()
    assert (follow_up.callback_id, follow_up.account_id, follow_up.owner_id) == (
        call.pk, account.pk, am.pk,
    )  # fmt: skip
    assert (follow_up.due_on, follow_up.status, follow_up.opened_at) == (
        D(2026, 10, 10), "open", aware(D(2026, 9, 30), 16),
    )  # fmt: skip
    note = Notification.objects.get()
    assert (note.user_id, note.key, note.title, note.body, note.url) == (
        am.pk, f"follow-up:{follow_up.pk}", "客户不满意，请跟进：华北能源集团有限公司",
        "开通拖延，安装人员态度差", reverse("service:follow_up_detail", args=[follow_up.pk]),
    )  # fmt: skip
    assert AuditEntry.objects.filter(
        account=account, summary="回访：不满意（开通拖延，安装人员态度差）"
    ).exists()


def test_follow_up_is_closed_by_its_am_with_a_resolution(desk, ops, am, account):
    activated(ops, account, D(2026, 11, 2))
    record(desk, Callback.objects.get(account=account), outcome="dissatisfied", notes="故障多")
    follow_up = FollowUp.objects.get()

    def close(actor, resolution="已上门致歉并更换设备"):
        current = reload(follow_up)
        with clock.frozen(aware(D(2026, 11, 9), 10)):
            return services.follow_up_close(
                actor=actor, follow_up=current, resolution=resolution,
                expected_version=current.version,
            )  # fmt: skip

    for refused in (desk, ops, UserFactory(group=group("government"))):
        with pytest.raises(PermissionDenied):
            close(refused)
    with pytest.raises(ApplicationError) as info:
        close(am, resolution=" ")
    assert info.value.field == "resolution"
    assert (reload(follow_up).status, reload(follow_up).version) == ("open", 1)

    close(am)
    fresh = reload(follow_up)
    assert (fresh.status, fresh.resolution, fresh.closed_at, fresh.version) == (
        "closed", "已上门致歉并更换设备", aware(D(2026, 11, 9), 10), 2,
    )  # fmt: skip
    with pytest.raises(ApplicationError) as info:
        close(am, resolution="再次处理")
    assert info.value.code == "bad_transition"
    assert reload(follow_up).resolution == "已上门致歉并更换设备"


# --- coverage ---------------------------------------------------------------------------------


def test_coverage_of_the_calls_that_fell_due(desk, ops, am):
    other_am = UserFactory()
    mine = {n: AccountFactory(owner=am) for n in "AB"}
    theirs = {n: AccountFactory(owner=other_am) for n in "CDEG"}
    accounts = {**mine, **theirs}
    # account -> activation day (the call is due 7 days later)
    for name, day in {
        "A": D(2026, 10, 29),  # due 5 Nov, done 5 Nov 23:30: on time
        "B": D(2026, 11, 3),  # due 10 Nov, done 11 Nov 00:30 (10 Nov in UTC): late
        "C": D(2026, 11, 13),  # due 20 Nov, never done: missed
        "D": D(2026, 10, 24),  # due 31 Oct: before the window
        "E": D(2026, 11, 24),  # due 1 Dec: after today
        "G": D(2026, 11, 16),  # due 23 Nov, done the same day: on time
    }.items():
        activated(ops, accounts[name], day)
    calls = {n: Callback.objects.get(account=a) for n, a in accounts.items()}
    record(desk, calls["A"], when=aware(D(2026, 11, 5), 23, 30))
    record(desk, calls["B"], when=aware(D(2026, 11, 11), 0, 30))
    record(desk, calls["D"], when=aware(D(2026, 11, 2), 9))
    record(desk, calls["G"], when=aware(D(2026, 11, 16), 14))

    everyone = callback_coverage(user=desk, today=D(2026, 11, 30), days=30)
    assert (everyone.start, everyone.end) == (D(2026, 11, 1), D(2026, 11, 30))
    assert (everyone.due, everyone.on_time, everyone.late, everyone.missed) == (4, 2, 1, 1)
    assert everyone.pct == Decimal("50.0")

    only_mine = callback_coverage(user=am, today=D(2026, 11, 30), days=30)
    assert (only_mine.due, only_mine.on_time, only_mine.late, only_mine.missed) == (2, 1, 1, 0)

    week = callback_coverage(user=desk, today=D(2026, 11, 30), days=7)  # 24-30 Nov
    assert (week.due, week.pct) == (0, None)


def test_a_call_due_today_is_not_missed_yet(ops, desk, account):
    activated(ops, account, D(2026, 11, 23))  # due 30 Nov
    coverage = callback_coverage(user=desk, today=D(2026, 11, 30), days=30)
    assert (coverage.due, coverage.on_time, coverage.late, coverage.missed) == (0, 0, 0, 0)
    record(desk, Callback.objects.get(account=account), when=aware(D(2026, 11, 30), 18))
    coverage = callback_coverage(user=desk, today=D(2026, 11, 30), days=30)
    assert (coverage.due, coverage.on_time, coverage.late, coverage.missed) == (1, 1, 0, 0)
    # the next day it would have been missed
    tomorrow = callback_coverage(user=desk, today=D(2026, 12, 1), days=30)
    assert (tomorrow.due, tomorrow.on_time) == (1, 1)
