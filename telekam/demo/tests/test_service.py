"""The demo's two years of service-desk history at 2% scale: every row is one the services
could have written (terms, deadlines, amounts, statuses, numbers), the queues are alive
today for each demo login, the same seed gives the same rows, and the reset removes them."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, Q

from telekam.accounts.models import ServiceInUse
from telekam.billing.models import BillingCredit
from telekam.core import clock
from telekam.core.calendar import working_calendar
from telekam.core.models import AuditEntry, Sequence
from telekam.demo import generator
from telekam.org.models import User
from telekam.service import selectors
from telekam.service.models import (
    Callback,
    CallbackItem,
    CompensationForm,
    CompensationStatus,
    DeliveryStatus,
    DeliveryTask,
    FaultPause,
    FaultPolicy,
    FaultStatus,
    FaultTicket,
    FollowUp,
    OrderStatus,
    Outage,
    ProvisioningOrder,
    RequestEvent,
    RequestKind,
    ServiceRequest,
)
from telekam.service.selectors import Standing
from telekam.service.services import fault_priority
from telekam.service.services.aftercare import CALLBACK_DAYS, delivery_needed

pytestmark = pytest.mark.django_db

SCALE = 0.02
NOW = dt.datetime(2026, 11, 24, 11, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Tuesday
TODAY = NOW.date()
NUMBER = re.compile(r"^(SR|PF)(\d{8})(\d{4})$")
ROWS = (ServiceRequest, RequestEvent, ProvisioningOrder, CompensationForm, BillingCredit,
        DeliveryTask, FaultTicket, FaultPause, Outage, Callback, CallbackItem, FollowUp)  # fmt: skip


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), clock.frozen(NOW):
        result = generator.generate(scale=SCALE)
    yield result
    with django_db_blocker.unblock():
        generator.reset()


def test_every_kind_of_row_is_there(demo):
    kinds = Counter(ServiceRequest.objects.values_list("kind", flat=True))
    assert set(kinds) == set(RequestKind.values)
    for model in ROWS:
        assert model.objects.exists(), model.__name__
    assert {k: v for k, v in demo.counts.items() if k == "service_requests"} == {
        "service_requests": ServiceRequest.objects.count()
    }
    statuses = set(CompensationForm.objects.values_list("status", flat=True))
    assert statuses == set(CompensationStatus.values)


def test_rows_pass_model_validation(demo):
    for model in ROWS:
        for row in model.objects.all()[:400]:
            row.full_clean(validate_unique=False, validate_constraints=False)


def test_numbers_are_unique_per_day_and_sequences_stand_at_the_highest(demo):
    numbers = list(ServiceRequest.objects.values_list("number", "opened_at"))
    numbers += [(f.number, f.created_at) for f in CompensationForm.objects.all()]
    highest: dict[str, int] = defaultdict(int)
    for number, at in numbers:
        match = NUMBER.match(number)
        assert match, number
        assert match.group(2) == f"{at.astimezone(NOW.tzinfo):%Y%m%d}"
        stem = number[:10]
        highest[stem] = max(highest[stem], int(match.group(3)))
    assert len({n for n, _at in numbers}) == len(numbers)
    assert dict(Sequence.objects.filter(name__in=highest).values_list("name", "value")) == highest


def test_nothing_happens_after_now(demo):
    assert not ServiceRequest.objects.filter(opened_at__gt=NOW).exists()
    assert not RequestEvent.objects.filter(at__gt=NOW).exists()
    assert not FaultTicket.objects.filter(Q(reported_at__gt=NOW) | Q(restored_at__gt=NOW)).exists()
    assert not Callback.objects.filter(done_at__gt=NOW).exists()
    assert not AuditEntry.objects.filter(target_type__startswith="service.", at__gt=NOW).exists()
    assert not ProvisioningOrder.objects.filter(
        Q(accepted_on__gt=TODAY) | Q(activated_on__gt=TODAY)
    ).exists()
    first = ServiceRequest.objects.order_by("opened_at").first()
    assert first is not None
    assert first.opened_at.date() >= TODAY - dt.timedelta(days=731)


def test_request_histories_chain_to_the_current_status(demo):
    history: dict[int, list[RequestEvent]] = defaultdict(list)
    for event in RequestEvent.objects.order_by("at", "id"):
        history[event.request_id].append(event)
    for request in ServiceRequest.objects.all():
        events = history[request.pk]
        assert (events[0].from_status, events[0].note) == ("", "受理")
        for before, after in itertools.pairwise(events):
            assert after.from_status == before.to_status
            assert after.at >= before.at
        assert events[-1].to_status == request.status
        assert (request.resolved_at is not None) == (request.status in ("resolved", "closed"))


def test_orders_follow_the_policy_on_the_working_day_calendar(demo):
    calendar = working_calendar(start=TODAY - dt.timedelta(days=800), end=TODAY)
    orders = list(ProvisioningOrder.objects.select_related("product", "service"))
    standing = selectors.orders_standing(orders=orders, today=TODAY)
    for order in orders:
        due = calendar.add_working_days(order.accepted_on, order.working_days)
        assert (order.deadline, order.deadline_provisional) == (due.date, due.provisional)
        assert order.one_time_fee == (
            order.product.list_one_time_fee * order.price_factor
        ).quantize(selectors.CENT)
        if order.status == OrderStatus.ACTIVATED:
            assert order.service.activated_on == order.activated_on
            assert order.service.number == order.circuit_number
            assert standing[order.pk].working_days_late == order.working_days_late
    activated = [o for o in orders if o.status == OrderStatus.ACTIVATED]
    late = [o for o in activated if o.working_days_late]
    assert 0.04 <= len(late) / len(activated) <= 0.25  # ~8 %, plus the pinned cases
    assert Counter(o.sla_class for o in orders).most_common(1)[0][0] == "normal"
    states = Counter(standing[o.pk].state for o in orders if o.status == OrderStatus.OPEN)
    assert states[Standing.LATE] >= 2
    assert states[Standing.DUE_SOON] >= 2


def test_late_orders_have_their_form_and_the_settled_ones_their_credit(demo):
    late = ProvisioningOrder.objects.filter(working_days_late__gt=0)
    assert set(late.values_list("pk", flat=True)) == set(
        CompensationForm.objects.values_list("order_id", flat=True)
    )
    for form in CompensationForm.objects.select_related("order", "credit"):
        amount, capped = selectors.compensation_for(
            rate=form.order.compensation_rate,
            days_late=form.working_days_late,
            fee=form.one_time_fee,
        )
        assert (form.amount, form.capped) == (amount, capped)
        if form.status == CompensationStatus.SETTLED:
            assert form.credit.amount == form.amount
            assert form.credit.reference == form.number
            assert form.credit.month.day == 1
        if form.status in ("confirmed", "signed", "settled"):
            assert form.order.responsible_segment == form.responsible_segment != ""
    assert (
        BillingCredit.objects.count() == CompensationForm.objects.filter(status="settled").count()
    )


def test_faults_take_their_terms_from_the_circuit_and_outages_match(demo):
    policies = {p.sla_level: p for p in FaultPolicy.objects.all()}
    for fault in FaultTicket.objects.select_related("account", "service"):
        policy = policies[fault.sla_level]
        assert fault.sla_level == fault.service.sla_level
        assert (fault.response_minutes, fault.restore_minutes) == (
            policy.response_minutes,
            policy.restore_minutes,
        )
        assert fault.priority == fault_priority(
            star_level=fault.account.star_level,
            sla_level=fault.sla_level,
            key_account=fault.account.segment == "key",
        )
        assert fault.reported_at.date() > fault.service.activated_on
    outages = Outage.objects.select_related("fault")
    assert all(o.fault.service_affecting and o.fault.status == "restored" for o in outages)
    assert all(o.excluded_minutes == o.fault.paused_seconds // 60 for o in outages)
    restored = FaultTicket.objects.filter(status="restored", service_affecting=True)
    assert restored.count() == outages.count()
    open_states = set(
        FaultTicket.objects.exclude(status="restored").values_list("status", flat=True)
    )
    assert open_states == {FaultStatus.OPEN, FaultStatus.RESPONDED, FaultStatus.WAITING_CUSTOMER}
    assert (
        FaultPause.objects.filter(ended_at__isnull=True).count()
        == FaultTicket.objects.filter(status="waiting_customer").count()
    )


def test_some_circuits_miss_their_availability_most_do_not(demo):
    month = TODAY.replace(day=1) - dt.timedelta(days=1)
    months = [month.replace(day=1)]
    missed = total = 0
    services = list(ServiceInUse.objects.filter(status="active", activated_on__lt=months[0]))
    for row in selectors.circuits_month(services=services, month=months[0]):
        total += 1
        missed += not row.met
    assert 0 < missed < total * 0.1


def test_deliveries_for_key_account_headquarters_and_callbacks_for_each_event(demo):
    activated = ProvisioningOrder.objects.filter(status="activated").select_related("account")
    needing = {o.pk for o in activated if delivery_needed(o.account)}
    assert set(DeliveryTask.objects.values_list("order_id", flat=True)) == needing
    statuses = set(DeliveryTask.objects.values_list("status", flat=True))
    assert {DeliveryStatus.PENDING, DeliveryStatus.CONFIRMED} <= statuses
    assert set(CallbackItem.objects.exclude(order=None).values_list("order_id", flat=True)) == {
        o.pk for o in activated
    }
    restored = set(FaultTicket.objects.filter(status="restored").values_list("pk", flat=True))
    assert (
        set(CallbackItem.objects.exclude(fault=None).values_list("fault_id", flat=True)) == restored
    )
    for callback in Callback.objects.prefetch_related("items"):
        items = list(callback.items.all())
        assert callback.due_on == min(i.due_on for i in items)
        assert callback.opened_on == min(i.event_on for i in items)
        for item in items:
            assert item.due_on == item.event_on + dt.timedelta(days=CALLBACK_DAYS[item.reason])
    assert (
        not Callback.objects.values("account")
        .annotate(n=Count("pk", filter=Q(status="open")))
        .filter(n__gt=1)
    )
    merged = Callback.objects.annotate(n=Count("items")).filter(n__gt=1)
    assert merged.exists()


def test_callback_coverage_is_high_but_not_perfect(demo):
    head = User.objects.get(username="head")
    coverage = selectors.callback_coverage(user=head, today=TODAY, days=365)
    assert coverage.pct is not None
    assert 85 <= coverage.pct < 100
    assert coverage.late + coverage.missed > 0


def test_each_demo_login_finds_work_today(demo):
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["desk", "ops", "am_finance", "head"])
    }
    desk, ops, am, head = users["desk"], users["ops"], users["am_finance"], users["head"]
    assert selectors.callback_queue(user=desk).filter(due_on__lt=TODAY).exists()  # one overdue
    assert selectors.callback_queue(user=desk).filter(due_on__gte=TODAY).exists()
    assert selectors.request_queue(user=desk, filters=selectors.QueueFilters(mine=True)).exists()
    ops_queue = selectors.request_queue(user=ops, filters=selectors.QueueFilters())
    assert set(ops_queue.values_list("kind", flat=True)) == {"order", "fault"}
    assert selectors.compensation_list(user=ops, status="draft").count() >= 2
    assert selectors.compensation_list(user=am, status="confirmed").count() >= 2
    assert selectors.delivery_list(user=am).filter(status="pending").count() >= 2
    assert selectors.follow_up_list(user=am).exists()
    assert selectors.compensation_list(user=head, status="signed").count() >= 2


def test_same_seed_gives_the_same_history_and_reset_removes_it(demo):
    def snapshot() -> dict[str, list[tuple[object, ...]]]:
        return {
            "requests": list(ServiceRequest.objects.order_by("number").values_list(
                "number", "account__code", "kind", "status", "opened_at", "owner__username")),
            "orders": list(ProvisioningOrder.objects.order_by("request__number").values_list(
                "request__number", "circuit_number", "deadline", "activated_on", "status")),
            "forms": list(CompensationForm.objects.order_by("number").values_list("number", "status", "amount")),
            "faults": list(FaultTicket.objects.order_by("request__number").values_list(
                "request__number", "status", "reported_at", "restored_at")),
            "callbacks": list(Callback.objects.order_by("account__code", "opened_on").values_list(
                "account__code", "status", "due_on", "done_at", "outcome")),
            "activated": list(ServiceInUse.objects.order_by("number").values_list("number", "activated_on")),
        }  # fmt: skip

    first = snapshot()
    generator.reset()
    for model in ROWS:
        assert not model.objects.exists(), model.__name__
    with clock.frozen(NOW):
        generator.generate(scale=SCALE)
    assert snapshot() == first
