"""Faults: the priority rule, the targets of each SLA level, the clock that stops only
while waiting on the customer (every pause kept), the outage a restoration leaves on the
circuit, monthly availability and the credit it earns."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest

from telekam.accounts.tests.factories import AccountFactory, ServiceFactory
from telekam.core import clock
from telekam.core.errors import ApplicationError, Conflict, PermissionDenied
from telekam.core.models import AuditEntry
from telekam.org.tests.factories import UserFactory, group
from telekam.service import services
from telekam.service.models import (
    CallbackItem,
    FaultPause,
    FaultPolicy,
    FaultTicket,
    Outage,
    RequestEvent,
    ServiceRequest,
)
from telekam.service.selectors import availability_credit, circuits_month, fault_clock
from telekam.service.tests.factories import aware, fault, reload

pytestmark = pytest.mark.django_db

D = dt.date
DAY = D(2026, 11, 2)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return aware(day, hour, minute)


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
    return AccountFactory(owner=am, star_level=3)


@pytest.fixture
def gold(account):
    return ServiceFactory(account=account, sla_level="gold", monthly_fee=Decimal("2800.00"))


def respond(actor, ticket, when):
    current = reload(ticket)
    with clock.frozen(when):
        return services.fault_respond(actor=actor, fault=current, expected_version=current.version)


def pause(actor, ticket, when, reason="等待客户开门"):
    current = reload(ticket)
    with clock.frozen(when):
        return services.fault_pause(
            actor=actor, fault=current, reason=reason, expected_version=current.version
        )


def resume(actor, ticket, when):
    current = reload(ticket)
    with clock.frozen(when):
        return services.fault_resume(actor=actor, fault=current, expected_version=current.version)


def restore(actor, ticket, when, restored_at=None, cause="光缆中断，已熔接"):
    current = reload(ticket)
    with clock.frozen(when):
        return services.fault_restore(
            actor=actor, fault=current, cause=cause, expected_version=current.version,
            restored_at=restored_at,
        )  # fmt: skip


def state(ticket) -> tuple:
    fresh = reload(ticket)
    return (
        fresh.status, fresh.version, fresh.responded_at, fresh.restored_at, fresh.paused_since,
        fresh.paused_seconds, FaultPause.objects.filter(fault=ticket).count(),
        Outage.objects.filter(fault=ticket).count(), reload(fresh.request).status,
        CallbackItem.objects.filter(fault=ticket).count(),
    )  # fmt: skip


# --- priority ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stars", "level", "key", "priority"),
    [
        (3, "gold", True, 1),  # 3 + 3 + 2 = 8: the lowest P1
        (2, "gold", True, 2),  # 7
        (5, "gold", False, 1),  # 8
        (4, "gold", False, 2),  # 7
        (1, "silver", True, 2),  # 5: the lowest P2
        (0, "silver", True, 3),  # 4
        (2, "silver", False, 3),  # 4
        (2, "bronze", False, 3),  # 3: the lowest P3
        (0, "gold", False, 3),  # 3
        (1, "bronze", False, 4),  # 2
        (0, "bronze", False, 4),  # 1
        (0, "bronze", True, 3),  # 3
        (5, "bronze", True, 1),  # 8
    ],
)
def test_fault_priority_at_its_edges(stars, level, key, priority):
    assert services.fault_priority(star_level=stars, sla_level=level, key_account=key) == priority


@pytest.mark.parametrize(
    ("level", "response", "restore_minutes"),
    [("gold", 15, 240), ("silver", 30, 480), ("bronze", 60, 1440)],
)
def test_report_takes_the_targets_of_the_circuit_sla_level(
    desk, account, level, response, restore_minutes
):
    service = ServiceFactory(account=account, sla_level=level)
    ticket = fault(actor=desk, service=service, at=at(10), subject="电路告警")
    fresh = reload(ticket)
    assert (fresh.sla_level, fresh.response_minutes, fresh.restore_minutes) == (
        level, response, restore_minutes,
    )  # fmt: skip
    assert (fresh.status, fresh.reported_at, fresh.service_affecting) == ("open", at(10), True)
    request = reload(fresh.request)
    assert (request.kind, request.status, request.owner_id, request.subject) == (
        "fault", "new", desk.pk, "电路告警",
    )  # fmt: skip
    assert AuditEntry.objects.filter(account=account, target_id=str(request.pk)).exists()


def test_report_priority_comes_from_the_account(desk):
    key_account = AccountFactory(star_level=3)
    commercial = AccountFactory(segment="commercial", grade=None, star_level=3)
    p_key = fault(
        actor=desk, service=ServiceFactory(account=key_account, sla_level="gold"), at=at(9)
    )
    p_com = fault(
        actor=desk, service=ServiceFactory(account=commercial, sla_level="gold"), at=at(9)
    )
    assert (p_key.priority, p_com.priority) == (1, 2)


def test_a_changed_policy_does_not_move_a_reported_fault(desk, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    FaultPolicy.objects.filter(sla_level="gold").update(response_minutes=5, restore_minutes=60)
    assert (reload(ticket).response_minutes, reload(ticket).restore_minutes) == (15, 240)


def test_report_refusals_change_nothing(desk, account, gold):
    cancelled = ServiceFactory(account=account, status="cancelled", cancelled_on=D(2026, 10, 1))
    cases = [
        (desk, ServiceFactory(account=AccountFactory()), at(10), "service"),  # not this account
        (desk, cancelled, at(10), "service"),
        (desk, gold, at(10, 6), "reported_at"),  # more than 5 minutes in the future
    ]
    for actor, service, reported, field in cases:
        with clock.frozen(at(10)), pytest.raises(ApplicationError) as info:
            services.fault_report(
                actor=actor, account=account, service=service, subject="中断",
                reported_at=reported,
            )  # fmt: skip
        assert info.value.field == field
    for refused in (UserFactory(group=group("government")), UserFactory(analyst=True)):
        with clock.frozen(at(10)), pytest.raises(PermissionDenied):
            services.fault_report(actor=refused, account=account, service=gold, subject="中断")
    assert not FaultTicket.objects.exists()
    assert not ServiceRequest.objects.exists()


def test_the_am_may_report_a_fault_of_its_account(am, gold):
    assert fault(actor=am, service=gold, at=at(10)).request.owner_id == am.pk


# --- respond, pause, resume --------------------------------------------------------------------


def test_respond(desk, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    respond(desk, ticket, at(10, 10))
    fresh = reload(ticket)
    assert (fresh.status, fresh.responded_at, fresh.version) == ("responded", at(10, 10), 2)
    request = reload(fresh.request)
    assert request.status == "in_progress"
    assert list(
        RequestEvent.objects.filter(request=request).values_list("from_status", "to_status", "note")
    ) == [("", "new", "受理"), ("new", "in_progress", "已响应")]


@pytest.mark.parametrize("who", ["am", "head", "lead"])
def test_only_desk_and_operations_work_the_fault(desk, am, gold, who):
    actor = {
        "am": lambda: am,
        "head": lambda: UserFactory(head=True),
        "lead": lambda: UserFactory(lead=True),
    }[who]()
    ticket = fault(actor=desk, service=gold, at=at(10))
    before = state(ticket)
    for step in (
        lambda: respond(actor, ticket, at(10, 5)),
        lambda: pause(actor, ticket, at(10, 5)),
        lambda: restore(actor, ticket, at(11)),
    ):
        with pytest.raises(PermissionDenied):
            step()
    assert state(ticket) == before


def test_the_desk_may_not_restore(desk, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    respond(desk, ticket, at(10, 5))
    before = state(ticket)
    with pytest.raises(PermissionDenied):
        restore(desk, ticket, at(11))
    assert state(ticket) == before


def test_respond_twice_is_refused(desk, ops, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    respond(desk, ticket, at(10, 5))
    before = state(ticket)
    with pytest.raises(ApplicationError) as info:
        respond(ops, ticket, at(10, 6))
    assert info.value.code == "bad_transition"
    assert state(ticket) == before


def test_pause_from_open_counts_as_the_response(desk, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    pause(desk, ticket, at(10, 20), reason="客户联系人未到场")
    fresh = reload(ticket)
    assert (fresh.status, fresh.responded_at, fresh.paused_since) == (
        "waiting_customer", at(10, 20), at(10, 20),
    )  # fmt: skip
    assert reload(fresh.request).status == "waiting_customer"
    row = FaultPause.objects.get(fault=ticket)
    assert (row.started_at, row.ended_at, row.reason, row.started_by_id) == (
        at(10, 20), None, "客户联系人未到场", desk.pk,
    )  # fmt: skip


def test_pause_only_while_open_or_responded(desk, ops, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    pause(desk, ticket, at(10, 20))
    before = state(ticket)
    with pytest.raises(ApplicationError) as info:
        pause(desk, ticket, at(10, 30), reason="再停一次")
    assert info.value.code == "bad_transition"
    assert state(ticket) == before
    restore(ops, ticket, at(11))
    before = state(ticket)
    with pytest.raises(ApplicationError) as info:
        pause(desk, ticket, at(11, 30))
    assert info.value.code == "bad_transition"
    assert state(ticket) == before


def test_pause_needs_a_reason_and_resume_a_pause(desk, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    respond(desk, ticket, at(10, 5))
    before = state(ticket)
    with pytest.raises(ApplicationError) as info:
        pause(desk, ticket, at(10, 20), reason="  ")
    assert info.value.field == "reason"
    with pytest.raises(ApplicationError) as info:
        resume(desk, ticket, at(10, 30))
    assert info.value.code == "bad_transition"
    assert state(ticket) == before


def test_pause_from_a_stale_read_is_a_conflict(desk, ops, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    stale = reload(ticket)
    respond(ops, ticket, at(10, 5))
    with clock.frozen(at(10, 6)), pytest.raises(Conflict):
        services.fault_pause(actor=desk, fault=stale, reason="等客户", expected_version=1)
    assert not FaultPause.objects.exists()
    assert reload(ticket).status == "responded"


# --- the clock ---------------------------------------------------------------------------------


def test_the_clock_with_two_pauses_to_the_minute(desk, ops, gold, account):
    # Gold: respond within 15 minutes, restore within 240.
    ticket = fault(actor=desk, service=gold, at=at(10))
    respond(desk, ticket, at(10, 10))
    pause(desk, ticket, at(10, 30), reason="等待客户开门")

    paused = fault_clock(fault=reload(ticket), now=at(11))
    assert (paused.paused, paused.paused_minutes, paused.elapsed_minutes) == (True, 30, 30)
    assert (paused.restore_due, paused.minutes_left, paused.response_late) == (
        at(14, 30),
        None,
        False,
    )
    assert paused.response_due == at(10, 15)

    resume(desk, ticket, at(11, 45))  # 75 minutes paused
    running = fault_clock(fault=reload(ticket), now=at(12))
    assert (running.paused, running.paused_minutes, running.elapsed_minutes) == (False, 75, 45)
    assert (running.restore_due, running.minutes_left, running.restore_late) == (
        at(15, 15),
        195,
        False,
    )

    pause(desk, ticket, at(13), reason="客户侧设备测试")
    resume(ops, ticket, at(13, 20))  # 95 minutes in all: due 15:35
    on_target = fault_clock(fault=reload(ticket), now=at(15, 35))
    assert (on_target.restore_due, on_target.elapsed_minutes, on_target.minutes_left) == (
        at(15, 35), 240, 0,
    )  # fmt: skip
    assert on_target.restore_late is False
    one_over = fault_clock(fault=reload(ticket), now=at(15, 36))
    assert (one_over.elapsed_minutes, one_over.minutes_left, one_over.restore_late) == (
        241,
        -1,
        True,
    )

    assert list(FaultPause.objects.filter(fault=ticket).values_list("started_at", "ended_at", "reason")) == [
        (at(10, 30), at(11, 45), "等待客户开门"),
        (at(13), at(13, 20), "客户侧设备测试"),
    ]  # fmt: skip

    restore(ops, ticket, at(15, 36))
    fresh = reload(ticket)
    assert (fresh.status, fresh.restored_at, fresh.paused_seconds, fresh.cause) == (
        "restored", at(15, 36), 95 * 60, "光缆中断，已熔接",
    )  # fmt: skip
    done = fault_clock(fault=fresh, now=at(18))  # the clock stops at the restoration
    assert (done.elapsed_minutes, done.restore_late, done.minutes_left, done.paused) == (
        241, True, None, False,
    )  # fmt: skip
    outage = Outage.objects.get(fault=ticket)
    assert (outage.service_id, outage.started_at, outage.ended_at, outage.excluded_minutes) == (
        gold.pk, at(10), at(15, 36), 95,
    )  # fmt: skip
    request = reload(fresh.request)
    assert (request.status, request.resolution) == ("resolved", "已修复：光缆中断，已熔接")
    item = CallbackItem.objects.get(fault=ticket)
    assert (item.reason, item.event_on, item.due_on) == ("fault_repair", DAY, D(2026, 11, 5))
    assert AuditEntry.objects.filter(
        account=account, summary=f"电路 {gold.number} 故障修复：光缆中断，已熔接"
    ).exists()

    # November 2026 (43,200 minutes): 336 down, 95 waiting on the customer -> 241 counted,
    # 99.442 %; gold promises 99.95 %: 0.508 short = 6 started steps of 0.1 -> capped at 50 %.
    (row,) = circuits_month(services=[gold], month=D(2026, 11, 1))
    assert (row.minutes_in_month, row.outage_minutes, row.excluded_minutes) == (43200, 336, 95)
    assert (row.availability_pct, row.target_pct, row.met, row.credit) == (
        Decimal("99.442"), Decimal("99.950"), False, Decimal("1400.00"),
    )  # fmt: skip


@pytest.mark.parametrize(("responded", "late"), [((10, 15), False), ((10, 16), True)])
def test_response_target_edge(desk, gold, responded, late):
    ticket = fault(actor=desk, service=gold, at=at(10))
    assert fault_clock(fault=reload(ticket), now=at(*responded)).response_late is late
    respond(desk, ticket, at(*responded))
    assert fault_clock(fault=reload(ticket), now=at(18)).response_late is late


def test_restore_while_waiting_ends_the_pause_at_the_restoration(desk, ops, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    pause(desk, ticket, at(11), reason="等待客户开门")
    restore(ops, ticket, at(12))
    fresh = reload(ticket)
    assert (fresh.status, fresh.paused_since, fresh.paused_seconds) == ("restored", None, 3600)
    assert FaultPause.objects.get(fault=ticket).ended_at == at(12)
    assert Outage.objects.get(fault=ticket).excluded_minutes == 60
    assert reload(fresh.request).status == "resolved"


def test_back_dated_restoration(desk, ops, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    restore(ops, ticket, at(14), restored_at=at(12, 30))
    fresh = reload(ticket)
    assert (fresh.restored_at, fresh.responded_at) == (at(12, 30), at(12, 30))
    outage = Outage.objects.get(fault=ticket)
    assert (outage.started_at, outage.ended_at, outage.excluded_minutes) == (at(10), at(12, 30), 0)
    assert CallbackItem.objects.get(fault=ticket).due_on == D(2026, 11, 5)


def test_a_fault_that_does_not_interrupt_service_leaves_no_outage(desk, ops, gold):
    ticket = fault(actor=desk, service=gold, at=at(10), service_affecting=False)
    restore(ops, ticket, at(12))
    assert reload(ticket).status == "restored"
    assert not Outage.objects.exists()
    (row,) = circuits_month(services=[gold], month=DAY)
    assert (row.availability_pct, row.credit) == (Decimal("100.000"), Decimal("0.00"))


@pytest.mark.parametrize(
    ("when", "restored_at", "code", "field"),
    [
        (at(12), at(9, 59), "before_event", "restored_at"),
        (at(12), at(12, 6), "in_future", "restored_at"),
    ],
)
def test_restore_refuses_impossible_times(desk, ops, gold, when, restored_at, code, field):
    ticket = fault(actor=desk, service=gold, at=at(10))
    before = state(ticket)
    with pytest.raises(ApplicationError) as info:
        restore(ops, ticket, when, restored_at=restored_at)
    assert (info.value.code, info.value.field) == (code, field)
    assert state(ticket) == before


def test_restore_needs_a_cause_and_happens_once(desk, ops, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    before = state(ticket)
    with pytest.raises(ApplicationError) as info:
        restore(ops, ticket, at(12), cause=" ")
    assert info.value.field == "cause"
    assert state(ticket) == before
    restore(ops, ticket, at(12))
    before = state(ticket)
    with pytest.raises(ApplicationError) as info:
        restore(ops, ticket, at(13))
    assert info.value.code == "bad_transition"
    assert state(ticket) == before
    assert Outage.objects.count() == 1


def test_a_back_dated_restoration_excludes_only_the_pauses_inside_the_outage(desk, ops, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    pause(desk, ticket, at(10, 10), reason="等待客户开门")
    resume(desk, ticket, at(10, 25))  # 15 minutes, inside the outage
    pause(desk, ticket, at(10, 40), reason="客户侧测试")
    resume(desk, ticket, at(11, 40))  # 60 minutes, after the restoration below
    restore(ops, ticket, at(12), restored_at=at(10, 50))
    outage = Outage.objects.get(fault=ticket)
    # 10:00-10:50; waiting 10:10-10:25 and 10:40-10:50 lies inside: 25 minutes.
    assert (outage.started_at, outage.ended_at, outage.excluded_minutes) == (
        at(10), at(10, 50), 25,
    )  # fmt: skip


def test_the_clock_of_a_back_dated_restoration_agrees_with_its_outage(desk, ops, gold):
    ticket = fault(actor=desk, service=gold, at=at(10))
    pause(desk, ticket, at(10, 30), reason="等待客户开门")
    resume(desk, ticket, at(11, 30))
    with contextlib.suppress(ApplicationError):  # refusing the restoration time is a fix too
        restore(ops, ticket, at(12), restored_at=at(10, 20))
    fresh = reload(ticket)
    if fresh.status != "restored":
        return
    outage = Outage.objects.get(fault=ticket)
    assert (outage.ended_at, outage.excluded_minutes) == (at(10, 20), 0)
    clock_ = fault_clock(fault=fresh, now=at(12))
    assert (clock_.elapsed_minutes, clock_.paused_minutes) == (20, 0)


# --- availability across months ---------------------------------------------------------------


def test_an_outage_across_the_month_end_counts_in_each_month(desk, ops, gold):
    ticket = fault(actor=desk, service=gold, at=aware(D(2026, 3, 31), 23))
    restore(ops, ticket, aware(D(2026, 4, 1), 5))  # 360 minutes: 60 in March, 300 in April
    march, april = (circuits_month(services=[gold], month=D(2026, m, 1))[0] for m in (3, 4))
    # March: 60 of 44,640 minutes -> 99.866 %, 0.084 short of 99.95: one step, 10 % of 2800.
    assert (march.minutes_in_month, march.outage_minutes, march.availability_pct, march.credit) == (
        44640, 60, Decimal("99.866"), Decimal("280.00"),
    )  # fmt: skip
    # April: 300 of 43,200 -> 99.306 %, 0.644 short: 7 steps, capped at 50 %.
    assert (april.minutes_in_month, april.outage_minutes, april.availability_pct, april.credit) == (
        43200, 300, Decimal("99.306"), Decimal("1400.00"),
    )  # fmt: skip
    (may,) = circuits_month(services=[gold], month=D(2026, 5, 1))
    assert (may.outage_minutes, may.availability_pct, may.met, may.credit) == (
        0, Decimal("100.000"), True, Decimal("0.00"),
    )  # fmt: skip


def test_availability_counts_only_the_days_in_service(desk, ops, account):
    bronze = ServiceFactory(
        account=account,
        sla_level="bronze",
        activated_on=D(2026, 4, 16),
        monthly_fee=Decimal("1000.00"),
    )
    ticket = fault(actor=desk, service=bronze, at=aware(D(2026, 4, 20), 8))
    restore(ops, ticket, aware(D(2026, 4, 20), 10))
    (row,) = circuits_month(services=[bronze], month=D(2026, 4, 1))
    # 15 days in service = 21,600 minutes; 120 down -> 99.444 %, 0.056 short of 99.5: 10 %.
    assert (row.minutes_in_month, row.outage_minutes, row.availability_pct, row.credit) == (
        21600, 120, Decimal("99.444"), Decimal("100.00"),
    )  # fmt: skip


def test_waiting_on_the_customer_is_not_held_against_the_circuit(desk, ops, account):
    silver = ServiceFactory(account=account, sla_level="silver", monthly_fee=Decimal("2800.00"))
    ticket = fault(actor=desk, service=silver, at=aware(D(2026, 4, 10), 10))
    pause(desk, ticket, aware(D(2026, 4, 10), 11))
    resume(desk, ticket, aware(D(2026, 4, 10), 12))
    restore(ops, ticket, aware(D(2026, 4, 10), 14))
    (row,) = circuits_month(services=[silver], month=D(2026, 4, 1))
    # 240 down, 60 excluded: 180 of 43,200 -> 99.583 %; silver 99.9: 0.317 short, 4 steps.
    assert (row.outage_minutes, row.excluded_minutes, row.availability_pct, row.credit) == (
        240, 60, Decimal("99.583"), Decimal("1120.00"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("availability", "fee", "credit"),
    [
        ("100.000", "2800.00", "0.00"),
        ("99.950", "2800.00", "0.00"),  # exactly at the promise
        ("99.949", "2800.00", "280.00"),  # 0.001 below: one started step
        ("99.850", "2800.00", "280.00"),  # exactly one step below
        ("99.849", "2800.00", "560.00"),
        ("99.451", "2800.00", "1400.00"),  # 5 steps = the 50 % cap
        ("99.450", "2800.00", "1400.00"),
        ("99.449", "2800.00", "1400.00"),  # 6 steps, capped
        ("90.000", "2800.00", "1400.00"),
        ("99.949", "33.35", "3.34"),  # 3.335 rounds half up
        ("99.949", "0.00", "0.00"),
    ],
)
def test_availability_credit_at_its_edges(availability, fee, credit):
    gold_policy = FaultPolicy.objects.get(sla_level="gold")
    assert availability_credit(
        availability=Decimal(availability), policy=gold_policy, monthly_fee=Decimal(fee)
    ) == Decimal(credit)
