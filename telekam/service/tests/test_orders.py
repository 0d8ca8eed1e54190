"""Provisioning orders: the deadline on the Chinese working-day calendar, lateness and
compensation at activation, what activation leaves behind, and who may do it.

Expected dates are worked out by hand from the calendar rows the migration seeds (the
first test pins those rows), never recomputed with the calendar code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telekam.accounts.models import ServiceInUse
from telekam.accounts.tests.factories import AccountFactory, ServiceFactory, product
from telekam.core import clock
from telekam.core.calendar import working_calendar
from telekam.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from telekam.core.models import AuditEntry, CalendarDay, CalendarYear
from telekam.org.tests.factories import UserFactory, group
from telekam.service import services
from telekam.service.models import (
    CallbackItem,
    CompensationForm,
    OrderStatus,
    ProvisioningOrder,
    ProvisioningPolicy,
    RequestEvent,
    ServiceRequest,
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
    return AccountFactory(owner=am, level="hq")


def exceptions(first: dt.date, last: dt.date) -> list[tuple[dt.date, bool]]:
    return list(
        CalendarDay.objects.filter(day__range=(first, last))
        .order_by("day")
        .values_list("day", "is_working_day")
    )


# --- the calendar data the examples rest on --------------------------------------------------


def test_the_calendar_rows_behind_the_examples():
    assert set(CalendarYear.objects.values_list("year", flat=True)) >= {2025, 2026}
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(day__year=2027).exists()
    # National Day and Mid-Autumn 2026: make-up Sun 20 Sep and Sat 10 Oct; Fri 25 Sep and
    # the weekdays 1-7 Oct are off (weekend days off are not stored: only exceptions are).
    assert exceptions(D(2026, 9, 14), D(2026, 10, 31)) == [
        (D(2026, 9, 20), True),
        (D(2026, 9, 25), False),
        (D(2026, 10, 1), False),
        (D(2026, 10, 2), False),
        (D(2026, 10, 5), False),
        (D(2026, 10, 6), False),
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),
    ]
    # Spring Festival 2025: make-up Sun 26 Jan and Sat 8 Feb; Tue 28 Jan - Tue 4 Feb off.
    assert exceptions(D(2025, 1, 20), D(2025, 2, 15)) == [
        (D(2025, 1, 26), True),
        (D(2025, 1, 28), False),
        (D(2025, 1, 29), False),
        (D(2025, 1, 30), False),
        (D(2025, 1, 31), False),
        (D(2025, 2, 3), False),
        (D(2025, 2, 4), False),
        (D(2025, 2, 8), True),
    ]
    # Spring Festival 2026: make-up Sat 14 and Sat 28 Feb; Mon 16 - Mon 23 Feb off.
    assert exceptions(D(2026, 2, 9), D(2026, 3, 6)) == [
        (D(2026, 2, 14), True),
        (D(2026, 2, 16), False),
        (D(2026, 2, 17), False),
        (D(2026, 2, 18), False),
        (D(2026, 2, 19), False),
        (D(2026, 2, 20), False),
        (D(2026, 2, 23), False),
        (D(2026, 2, 28), True),
    ]


# --- the deadline ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "sla_class", "accepted", "deadline"),
    [
        # Mon 21 Sep 2026, 20 working days: 22-24 (3), [25 off] 28-30 (6), [1-7 Oct off]
        # 8, 9, Sat 10 (9), 12-16 (14), 19-23 (19), Mon 26 Oct (20).
        ("digital_circuit", "normal", D(2026, 9, 21), D(2026, 10, 26)),
        # Mon 28 Sep 2026, 10: 29, 30 (2), 8, 9, Sat 10 (5), 12-16 (10) -> Fri 16 Oct.
        ("digital_circuit", "urgent", D(2026, 9, 28), D(2026, 10, 16)),
        # Tue 22 Sep 2026, 5: 23, 24 (2), [25 off], 28, 29, 30 (5) -> Wed 30 Sep.
        ("digital_circuit", "special", D(2026, 9, 22), D(2026, 9, 30)),
        # Fri 24 Jan 2025, 8: Sun 26 (1), Mon 27 (2), [28 Jan - 4 Feb off], 5, 6, 7 (5),
        # Sat 8 (6), 10 (7), Tue 11 Feb (8).
        ("ddn", "special", D(2025, 1, 24), D(2025, 2, 11)),
        # Thu 12 Feb 2026, 8: 13 (1), Sat 14 (2), [15-23 off], 24-27 (6), Sat 28 (7),
        # Mon 2 Mar (8).
        ("ddn", "special", D(2026, 2, 12), D(2026, 3, 2)),
        # Fri 13 Feb 2026, 13: Sat 14 (1), 24-27 (5), Sat 28 (6), 2-6 Mar (11), 9, 10 (13).
        ("frame_relay", "urgent", D(2026, 2, 13), D(2026, 3, 10)),
    ],
)
def test_deadline_is_n_working_days_after_acceptance(
    account, am, code, sla_class, accepted, deadline
):
    accepted_order = order_at(
        actor=am, account=account, accepted_on=accepted, code=code, sla_class=sla_class
    )
    fresh = reload(accepted_order)
    assert (fresh.deadline, fresh.deadline_provisional, fresh.status) == (deadline, False, "open")


def test_terms_of_the_policy_are_copied_at_acceptance(account, am):
    accepted = order_at(
        actor=am, account=account, accepted_on=D(2026, 9, 22), sla_class="special", fee="4500.00"
    )
    ProvisioningPolicy.objects.filter(product__code="digital_circuit", sla_class="special").update(
        working_days=30, compensation_rate=Decimal("0.1")
    )
    fresh = reload(accepted)
    assert (fresh.working_days, fresh.price_factor, fresh.compensation_rate) == (
        5, Decimal("1.50"), Decimal("0.0500"),
    )  # fmt: skip
    assert fresh.deadline == D(2026, 9, 30)


@pytest.mark.parametrize(
    ("code", "sla_class", "fee"),
    [
        ("digital_circuit", "special", Decimal("4500.00")),  # 3000 x 1.50
        ("digital_circuit", "normal", Decimal("3000.00")),
        ("ddn", "urgent", Decimal("3250.00")),  # 2500 x 1.30
        ("atm", "special", Decimal("7500.00")),  # 5000 x 1.50
    ],
)
def test_one_time_fee_defaults_to_catalogue_fee_times_class_factor(
    account, am, code, sla_class, fee
):
    with clock.frozen(aware(D(2026, 11, 2))):
        accepted = services.order_accept(
            actor=am, account=account, product=product(code), sla_class=sla_class,
            accepted_on=D(2026, 11, 2),
        )  # fmt: skip
    assert reload(accepted).one_time_fee == fee


def test_a_count_running_into_an_unknown_year_is_provisional(account, am):
    # Thu 10 Dec 2026, 20 working days: 11, 14-18, 21-25, 28-31 (15), then 2027 is not in
    # the calendar: Fri 1 Jan counts as a plain weekday (16), 4-7 Jan (20) -> Thu 7 Jan.
    late_in_year = order_at(actor=am, account=account, accepted_on=D(2026, 12, 10))
    assert (late_in_year.deadline, late_in_year.deadline_provisional) == (D(2027, 1, 7), True)
    # Mon 2 Nov 2026: the count stays in 2026 -> Mon 30 Nov, not provisional.
    within = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    assert (within.deadline, within.deadline_provisional) == (D(2026, 11, 30), False)


def test_without_the_years_data_the_count_falls_back_to_plain_weekends(account, am):
    CalendarDay.objects.filter(day__year=2026).delete()
    CalendarYear.objects.filter(year=2026).delete()
    # Mon 21 Sep 2026 on plain weekends: 22-25 (4), 28 Sep - 2 Oct (9), 5-9 (14),
    # 12-16 (19), Mon 19 Oct (20).
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 9, 21))
    assert (accepted.deadline, accepted.deadline_provisional) == (D(2026, 10, 19), True)


def test_acceptance_opens_the_request_with_its_history_and_timeline(account, am):
    with clock.frozen(aware(D(2026, 11, 2), 9, 30)):
        accepted = services.order_accept(
            actor=am, account=account, product=product("digital_circuit"), sla_class="normal",
            accepted_on=D(2026, 11, 2), one_time_fee=Decimal("10000.00"),
            monthly_fee=Decimal("2800.00"), sla_level="gold", circuit_number="BJ-DC-100001",
        )  # fmt: skip
    request = ServiceRequest.objects.get(pk=accepted.request_id)
    assert (request.number, request.kind, request.status, request.owner_id, request.account_id) == (
        "SR202611020001", "order", "in_progress", am.pk, account.pk,
    )  # fmt: skip
    assert request.subject == "数字电路开通（普通）"
    assert list(RequestEvent.objects.filter(request=request).values_list("from_status", "to_status", "note")) == [
        ("", "in_progress", "受理")
    ]  # fmt: skip
    entry = AuditEntry.objects.get(account=account)
    assert (entry.action, entry.target_type, entry.target_id, entry.actor_id) == (
        "create", "service.servicerequest", str(request.pk), am.pk,
    )  # fmt: skip
    assert entry.summary == "受理业务受理 SR202611020001：数字电路开通（普通）"
    fresh = reload(accepted)
    assert (fresh.sla_level, fresh.monthly_fee, fresh.circuit_number, fresh.deadline) == (
        "gold", Decimal("2800.00"), "BJ-DC-100001", D(2026, 11, 30),
    )  # fmt: skip


@pytest.mark.parametrize("who", ["ops", "analyst", "presales", "am_elsewhere", "lead_elsewhere"])
def test_who_may_not_accept_an_order(account, who):
    actor = {
        "ops": lambda: UserFactory(ops=True),
        "analyst": lambda: UserFactory(analyst=True),
        "presales": lambda: UserFactory(presales=True),
        "am_elsewhere": lambda: UserFactory(group=group("government")),
        "lead_elsewhere": lambda: UserFactory(lead=True, group=group("government")),
    }[who]()
    with pytest.raises(PermissionDenied):
        order_at(actor=actor, account=account, accepted_on=D(2026, 11, 2))
    assert not ServiceRequest.objects.exists()
    assert not ProvisioningOrder.objects.exists()


@pytest.mark.parametrize("who", ["desk", "head", "lead", "owner"])
def test_who_may_accept_an_order(account, am, who):
    actor = {
        "desk": lambda: UserFactory(desk=True),
        "head": lambda: UserFactory(head=True),
        "lead": lambda: UserFactory(lead=True),  # the account's group (finance)
        "owner": lambda: am,
    }[who]()
    accepted = order_at(actor=actor, account=account, accepted_on=D(2026, 11, 2))
    assert reload(accepted).request.owner_id == actor.pk


def test_acceptance_refuses_a_future_date_and_a_class_without_policy(account, am):
    ProvisioningPolicy.objects.filter(product__code="cloud", sla_class="normal").delete()
    with clock.frozen(aware(D(2026, 11, 2))):
        with pytest.raises(ApplicationError) as future:
            services.order_accept(
                actor=am, account=account, product=product("ddn"), sla_class="normal",
                accepted_on=D(2026, 11, 3),
            )  # fmt: skip
        with pytest.raises(ApplicationError) as no_policy:
            services.order_accept(
                actor=am, account=account, product=product("cloud"), sla_class="normal",
                accepted_on=D(2026, 11, 2),
            )  # fmt: skip
        with pytest.raises(ApplicationError) as no_class:
            services.order_accept(
                actor=am, account=account, product=product("ddn"), sla_class="rush",
                accepted_on=D(2026, 11, 2),
            )  # fmt: skip
    assert (future.value.code, future.value.field) == ("in_future", "accepted_on")
    assert (no_policy.value.code, no_policy.value.field) == ("no_policy", "sla_class")
    assert (no_class.value.code, no_class.value.field) == ("no_policy", "sla_class")
    assert not ServiceRequest.objects.exists()


# --- activation: lateness and compensation ----------------------------------------------------


@pytest.mark.parametrize(
    ("activated", "late", "amount", "capped"),
    [
        (D(2026, 9, 29), 0, None, False),  # early
        (D(2026, 9, 30), 0, None, False),  # on the deadline
        (D(2026, 10, 7), 0, None, False),  # holidays only after the deadline
        (D(2026, 10, 8), 1, "225.00", False),  # first working day after: 5% x 4500
        (D(2026, 10, 10), 3, "675.00", False),  # 8, 9, Sat 10 (make-up)
        (D(2026, 10, 11), 3, "675.00", False),  # a plain Sunday adds nothing
        # 8, 9, 10 (3), 12-16 (8), 19-23 (13), 26-30 (18), Mon 2 Nov (19): 95%
        (D(2026, 11, 2), 19, "4275.00", False),
        (D(2026, 11, 3), 20, "4500.00", True),  # 100%: the whole fee
        (D(2026, 11, 10), 25, "4500.00", True),  # 125% -> capped at the fee
    ],
)
def test_lateness_and_compensation_at_activation(account, am, ops, activated, late, amount, capped):
    # Special digital circuit accepted Tue 22 Sep 2026: due Wed 30 Sep, before National Day.
    accepted = order_at(
        actor=am, account=account, accepted_on=D(2026, 9, 22), sla_class="special", fee="4500.00"
    )
    assert accepted.deadline == D(2026, 9, 30)
    activate(actor=ops, order=accepted, on=activated)
    fresh = reload(accepted)
    assert (fresh.status, fresh.activated_on, fresh.working_days_late) == (
        "activated", activated, late,
    )  # fmt: skip
    form = CompensationForm.objects.filter(order=accepted).first()
    if amount is None:
        assert form is None
        return
    assert form is not None
    assert (form.number, form.status, form.account_id) == (
        f"PF{activated:%Y%m%d}0001", "draft", account.pk,
    )  # fmt: skip
    assert (form.working_days_late, form.rate, form.one_time_fee, form.amount, form.capped) == (
        late, Decimal("0.0500"), Decimal("4500.00"), Decimal(amount), capped,
    )  # fmt: skip


def test_normal_order_one_working_day_late_costs_two_percent(account, am, ops):
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 9, 21), fee="10000.00")
    activate(actor=ops, order=accepted, on=D(2026, 10, 27))  # deadline Mon 26 Oct
    form = CompensationForm.objects.get(order=accepted)
    assert (form.working_days_late, form.amount, form.capped) == (1, Decimal("200.00"), False)


def test_activation_leaves_the_service_the_resolved_request_and_the_callback(account, am, ops):
    accepted = order_at(
        actor=am, account=account, accepted_on=D(2026, 11, 2), fee="10000.00",
        monthly_fee=Decimal("2800.00"), sla_level="silver", bandwidth_mbps=Decimal("2.048"),
        a_end="金融街 8 号", z_end="亦庄数据中心",
    )  # fmt: skip
    with clock.frozen(aware(D(2026, 11, 25), 16, 40)):
        services.order_activate(
            actor=ops, order=accepted, activated_on=D(2026, 11, 24), expected_version=1,
            circuit_number=" BJ-DC-200001 ",
        )  # fmt: skip
    service = ServiceInUse.objects.get(account=account)
    assert (
        service.number, service.product.code, service.activated_on, service.monthly_fee,
        service.sla_level, service.bandwidth_mbps, service.a_end, service.z_end, service.status,
    ) == (
        "BJ-DC-200001", "digital_circuit", D(2026, 11, 24), Decimal("2800.00"),
        "silver", Decimal("2.048"), "金融街 8 号", "亦庄数据中心", "active",
    )  # fmt: skip
    fresh = reload(accepted)
    assert (fresh.service_id, fresh.circuit_number, fresh.working_days_late, fresh.version) == (
        service.pk, "BJ-DC-200001", 0, 2,
    )  # fmt: skip
    request = reload(fresh.request)
    assert (request.status, request.resolution, request.resolved_at) == (
        "resolved", "已开通，电路号 BJ-DC-200001", aware(D(2026, 11, 25), 16, 40),
    )  # fmt: skip
    assert list(
        RequestEvent.objects.filter(request=request).values_list("from_status", "to_status")
    ) == [("", "in_progress"), ("in_progress", "resolved")]
    item = CallbackItem.objects.get(order=accepted)
    assert (item.reason, item.event_on, item.due_on) == (
        "activation", D(2026, 11, 24), D(2026, 12, 1),
    )  # fmt: skip
    assert (item.callback.account_id, item.callback.due_on, item.callback.opened_on) == (
        account.pk, D(2026, 12, 1), D(2026, 11, 25),
    )  # fmt: skip
    assert not CompensationForm.objects.exists()
    entry = AuditEntry.objects.filter(
        account=account, target_type="service.provisioningorder"
    ).get()
    assert entry.summary == "数字电路 BJ-DC-200001 按时开通"


def test_late_activation_is_on_the_timeline_with_its_days(account, am, ops):
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 9, 22), sla_class="special")
    activate(actor=ops, order=accepted, on=D(2026, 10, 10), circuit_number="BJ-DC-300001")
    entry = AuditEntry.objects.filter(
        account=account, target_type="service.provisioningorder"
    ).get()
    assert entry.summary == "数字电路 BJ-DC-300001 开通，超时 3 个工作日"


def test_the_order_circuit_number_is_used_when_none_is_given(account, am, ops):
    accepted = order_at(
        actor=am, account=account, accepted_on=D(2026, 11, 2), circuit_number="BJ-DC-400001"
    )
    with clock.frozen(aware(D(2026, 11, 20))):
        services.order_activate(
            actor=ops, order=accepted, activated_on=D(2026, 11, 20), expected_version=1
        )
    assert ServiceInUse.objects.get(account=account).number == "BJ-DC-400001"


def test_a_second_activation_is_refused_and_changes_nothing(account, am, ops):
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    activate(actor=ops, order=accepted, on=D(2026, 11, 20), circuit_number="BJ-DC-500001")
    fresh = reload(accepted)
    with clock.frozen(aware(D(2026, 12, 1))), pytest.raises(ApplicationError) as info:
        services.order_activate(
            actor=ops, order=fresh, activated_on=D(2026, 12, 1), expected_version=fresh.version,
            circuit_number="BJ-DC-500002",
        )  # fmt: skip
    assert info.value.code == "bad_transition"
    again = reload(accepted)
    assert (again.activated_on, again.circuit_number, again.version) == (
        D(2026, 11, 20), "BJ-DC-500001", 2,
    )  # fmt: skip
    assert list(ServiceInUse.objects.values_list("number", flat=True)) == ["BJ-DC-500001"]
    assert CallbackItem.objects.count() == 1


def assert_still_open(accepted: ProvisioningOrder) -> None:
    fresh = reload(accepted)
    assert (fresh.status, fresh.activated_on, fresh.service_id, fresh.version) == (
        "open", None, None, 1,
    )  # fmt: skip
    assert reload(fresh.request).status == "in_progress"
    assert not CallbackItem.objects.filter(order=accepted).exists()
    assert not CompensationForm.objects.filter(order=accepted).exists()


@pytest.mark.parametrize("who", ["owner", "desk", "head", "lead", "admin"])
def test_only_operations_activates(account, am, who):
    actor = {
        "owner": lambda: am,
        "desk": lambda: UserFactory(desk=True),
        "head": lambda: UserFactory(head=True),
        "lead": lambda: UserFactory(lead=True),
        "admin": lambda: UserFactory(admin=True),
    }[who]()
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 9, 22), sla_class="special")
    with pytest.raises(PermissionDenied):
        activate(actor=actor, order=accepted, on=D(2026, 10, 10))
    assert_still_open(accepted)
    assert not ServiceInUse.objects.exists()


@pytest.mark.parametrize(
    ("activated_on", "today", "circuit", "code", "field"),
    [
        (D(2026, 9, 21), D(2026, 10, 10), "BJ-X-1", "activated_before_accepted", "activated_on"),
        (D(2026, 10, 11), D(2026, 10, 10), "BJ-X-1", "in_future", "activated_on"),
        (D(2026, 10, 10), D(2026, 10, 10), "  ", "invalid", "circuit_number"),
    ],
)
def test_activation_refuses_bad_input(account, am, ops, activated_on, today, circuit, code, field):
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 9, 22), sla_class="special")
    with clock.frozen(aware(today)), pytest.raises(ApplicationError) as info:
        services.order_activate(
            actor=ops, order=accepted, activated_on=activated_on, expected_version=1,
            circuit_number=circuit,
        )  # fmt: skip
    assert (info.value.code, info.value.field) == (code, field)
    assert_still_open(accepted)
    assert not ServiceInUse.objects.exists()


def test_activation_with_a_circuit_number_in_use_changes_nothing(account, am, ops):
    ServiceFactory(account=AccountFactory(), number="BJ-DC-600001")
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 9, 22), sla_class="special")
    with pytest.raises(ValidationFailed):
        activate(actor=ops, order=accepted, on=D(2026, 10, 10), circuit_number="BJ-DC-600001")
    assert_still_open(accepted)
    assert not ServiceInUse.objects.filter(account=account).exists()


def test_a_cancelled_order_is_not_activated(account, am, ops):
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    with clock.frozen(aware(D(2026, 11, 3))):
        services.order_cancel(actor=am, order=accepted, expected_version=1, reason="客户取消需求")
    with pytest.raises(ApplicationError) as info:
        activate(actor=ops, order=reload(accepted), on=D(2026, 11, 20))
    assert info.value.code == "bad_transition"
    fresh = reload(accepted)
    assert (fresh.status, fresh.activated_on) == ("cancelled", None)
    assert not ServiceInUse.objects.exists()


# --- cancelling --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "ops", "desk"])
def test_cancel_an_open_order(account, am, who):
    actor = {
        "owner": lambda: am,
        "ops": lambda: UserFactory(ops=True),
        "desk": lambda: UserFactory(desk=True),
    }[who]()
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    with clock.frozen(aware(D(2026, 11, 3))):
        services.order_cancel(actor=actor, order=accepted, expected_version=1, reason=" 客户取消 ")
    fresh = reload(accepted)
    assert (fresh.status, fresh.version) == (OrderStatus.CANCELLED, 2)
    assert list(
        RequestEvent.objects.filter(request=fresh.request).values_list(
            "from_status", "to_status", "note"
        )
    ) == [("", "in_progress", "受理"), ("in_progress", "cancelled", "客户取消")]


@pytest.mark.parametrize("who", ["analyst", "am_elsewhere"])
def test_cancel_refused_to_those_without_the_right(account, am, who):
    actor = (
        UserFactory(analyst=True) if who == "analyst" else UserFactory(group=group("government"))
    )
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    with clock.frozen(aware(D(2026, 11, 3))), pytest.raises(PermissionDenied):
        services.order_cancel(actor=actor, order=accepted, expected_version=1, reason="取消")
    assert_still_open(accepted)


def test_cancel_needs_a_reason_and_an_open_order(account, am, ops):
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    with clock.frozen(aware(D(2026, 11, 3))), pytest.raises(ApplicationError) as info:
        services.order_cancel(actor=am, order=accepted, expected_version=1, reason="  ")
    assert info.value.field == "reason"
    assert_still_open(accepted)
    activate(actor=ops, order=accepted, on=D(2026, 11, 20))
    activated = reload(accepted)
    with clock.frozen(aware(D(2026, 11, 21))), pytest.raises(ApplicationError) as info:
        services.order_cancel(actor=am, order=activated, expected_version=2, reason="取消")
    assert info.value.code == "bad_transition"
    assert reload(accepted).status == "activated"


# --- properties ----------------------------------------------------------------------------

POLICIES = [
    ("digital_circuit", "special", 5),
    ("digital_circuit", "urgent", 10),
    ("digital_circuit", "normal", 20),
    ("ddn", "special", 8),
    ("ddn", "urgent", 13),
    ("frame_relay", "normal", 20),
]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    accepted=st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 11, 20)),
    policy=st.sampled_from(POLICIES),
)
def test_deadline_is_a_working_day_n_working_days_after_acceptance(am, accepted, policy):
    code, sla_class, days = policy
    account = AccountFactory(owner=am)
    accepted_order = order_at(
        actor=am, account=account, accepted_on=accepted, code=code, sla_class=sla_class
    )
    cal = working_calendar(start=D(2025, 1, 1), end=D(2026, 12, 31))
    deadline = accepted_order.deadline
    assert deadline > accepted
    assert cal.is_working_day(deadline)
    assert cal.working_days_after(accepted, deadline).days == days
    # the day before the deadline is not yet N working days on
    assert cal.working_days_after(accepted, deadline - dt.timedelta(days=1)).days == days - 1
    assert accepted_order.deadline_provisional is False


@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 10, 31)),
    k=st.integers(min_value=0, max_value=30),
)
def test_days_late_after_a_deadline_count_back_to_k(start, k):
    cal = working_calendar(start=D(2025, 1, 1), end=D(2026, 12, 31))
    deadline = cal.add_working_days(start, 5).date
    activated = cal.add_working_days(deadline, k).date
    assert cal.working_days_after(deadline, activated).days == k
    # any non-working days right after `activated` add nothing
    after = activated + dt.timedelta(days=1)
    while not cal.is_working_day(after):
        assert cal.working_days_after(deadline, after).days == k
        after += dt.timedelta(days=1)
    assert cal.working_days_after(deadline, after).days == k + 1
