"""Two agents acting on one record at once never lose an update: the second writer, who
read the same version, gets a Conflict and the database keeps the first one's change.

The first half plays the race out step by step in one thread (load twice, act with both);
the second half runs it for real, with threads on their own database connections, on
SQLite and on PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connections

from telekam.accounts.models import ServiceInUse
from telekam.accounts.tests.factories import AccountFactory
from telekam.core import clock
from telekam.core.errors import Conflict
from telekam.org.tests.factories import UserFactory
from telekam.service import services
from telekam.service.models import (
    Callback,
    CallbackItem,
    CallbackStatus,
    OrderStatus,
    ProvisioningOrder,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
)
from telekam.service.tests.factories import aware, order_at

D = dt.date


def run_together(*actions: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run each action in its own thread on its own connection, all released at once;
    ("ok", result) or ("error", exception) per action, in the order given.

    The caller freezes the clock around this call: `clock.frozen` is process-wide, so a
    thread must never enter or leave it itself.

    SQLite's in-memory test database is shared between connections in shared-cache mode,
    where a writer locks other connections out with "database table is locked" at once
    instead of making them wait (the busy timeout of the production file database does not
    apply). An action that hits that lock rolled back entirely and is simply tried again,
    which is what the production timeout does."""
    barrier = threading.Barrier(len(actions))
    results: list[tuple[str, Any]] = [("none", None)] * len(actions)

    def work(i: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            for _attempt in range(2000):
                try:
                    results[i] = ("ok", action())
                    break
                except OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.005)
        except Exception as exc:  # the test inspects it
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


# --- in one thread: load twice, act with both ------------------------------------------------


@pytest.mark.django_db
def test_two_agents_working_one_request_the_second_gets_a_conflict():
    desk1, desk2 = UserFactory(desk=True), UserFactory(desk=True)
    account = AccountFactory()
    with clock.frozen(aware(D(2026, 11, 2))):
        request = services.request_open(
            actor=desk1, account=account, kind="consultation", subject="带宽咨询"
        )
    seen_by_1 = ServiceRequest.objects.get(pk=request.pk)
    seen_by_2 = ServiceRequest.objects.get(pk=request.pk)
    events_before = RequestEvent.objects.filter(request=request).count()

    with clock.frozen(aware(D(2026, 11, 2), 11)):
        services.request_transition(
            actor=desk1,
            request=seen_by_1,
            to_status=RequestStatus.IN_PROGRESS,
            expected_version=seen_by_1.version,
        )
        with pytest.raises(Conflict):
            services.request_assign(
                actor=desk2, request=seen_by_2, owner=desk2, expected_version=seen_by_2.version
            )

    fresh = ServiceRequest.objects.get(pk=request.pk)
    assert (fresh.status, fresh.owner_id, fresh.version) == ("in_progress", desk1.pk, 2)
    assert RequestEvent.objects.filter(request=request).count() == events_before + 1


@pytest.mark.django_db
def test_two_agents_moving_one_request_to_different_statuses():
    desk1, desk2 = UserFactory(desk=True), UserFactory(desk=True)
    with clock.frozen(aware(D(2026, 11, 2))):
        request = services.request_open(
            actor=desk1, account=AccountFactory(), kind="billing", subject="账单疑问"
        )
    seen_by_1 = ServiceRequest.objects.get(pk=request.pk)
    seen_by_2 = ServiceRequest.objects.get(pk=request.pk)
    with clock.frozen(aware(D(2026, 11, 3))):
        services.request_transition(
            actor=desk1, request=seen_by_1, to_status="resolved", note="已解释", expected_version=1
        )
        with pytest.raises(Conflict):
            services.request_transition(
                actor=desk2, request=seen_by_2, to_status="cancelled", expected_version=1
            )
    fresh = ServiceRequest.objects.get(pk=request.pk)
    assert (fresh.status, fresh.resolution) == ("resolved", "已解释")
    assert list(
        RequestEvent.objects.filter(request=request).values_list("from_status", "to_status")
    ) == [("", "new"), ("new", "resolved")]


@pytest.mark.django_db
def test_two_operators_activating_one_order_with_different_circuits():
    am, ops1, ops2 = UserFactory(), UserFactory(ops=True), UserFactory(ops=True)
    account = AccountFactory(owner=am)
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    seen_by_1 = ProvisioningOrder.objects.get(pk=accepted.pk)
    seen_by_2 = ProvisioningOrder.objects.get(pk=accepted.pk)

    with clock.frozen(aware(D(2026, 11, 20))):
        services.order_activate(
            actor=ops1, order=seen_by_1, activated_on=D(2026, 11, 20),
            expected_version=seen_by_1.version, circuit_number="BJ-A-1",
        )  # fmt: skip
        with pytest.raises(Conflict):
            services.order_activate(
                actor=ops2, order=seen_by_2, activated_on=D(2026, 11, 19),
                expected_version=seen_by_2.version, circuit_number="BJ-B-2",
            )  # fmt: skip

    fresh = ProvisioningOrder.objects.get(pk=accepted.pk)
    assert (fresh.status, fresh.activated_on, fresh.circuit_number, fresh.version) == (
        "activated", D(2026, 11, 20), "BJ-A-1", 2,
    )  # fmt: skip
    assert list(ServiceInUse.objects.filter(account=account).values_list("number", flat=True)) == [
        "BJ-A-1"
    ]
    assert CallbackItem.objects.filter(order=accepted).count() == 1


@pytest.mark.django_db
def test_second_stale_activation_with_the_same_circuit_is_a_conflict():
    am, ops1, ops2 = UserFactory(), UserFactory(ops=True), UserFactory(ops=True)
    account = AccountFactory(owner=am)
    accepted = order_at(
        actor=am, account=account, accepted_on=D(2026, 11, 2), circuit_number="BJ-DC-777"
    )
    seen_by_1 = ProvisioningOrder.objects.get(pk=accepted.pk)
    seen_by_2 = ProvisioningOrder.objects.get(pk=accepted.pk)
    with clock.frozen(aware(D(2026, 11, 20))):
        services.order_activate(
            actor=ops1, order=seen_by_1, activated_on=D(2026, 11, 20), expected_version=1
        )
        with pytest.raises(Conflict):
            services.order_activate(
                actor=ops2, order=seen_by_2, activated_on=D(2026, 11, 20), expected_version=1
            )
    assert ServiceInUse.objects.filter(number="BJ-DC-777").count() == 1


@pytest.mark.django_db
def test_two_desk_agents_recording_one_callback():
    am, ops = UserFactory(), UserFactory(ops=True)
    desk1, desk2 = UserFactory(desk=True), UserFactory(desk=True)
    account = AccountFactory(owner=am)
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    with clock.frozen(aware(D(2026, 11, 20))):
        services.order_activate(
            actor=ops, order=accepted, activated_on=D(2026, 11, 20), expected_version=1,
            circuit_number="BJ-CB-1",
        )  # fmt: skip
    seen_by_1 = Callback.objects.get(account=account)
    seen_by_2 = Callback.objects.get(account=account)
    with clock.frozen(aware(D(2026, 11, 23), 9)):
        services.callback_record(
            actor=desk1, callback=seen_by_1, outcome="satisfied", contact_name="李主任",
            notes="", expected_version=seen_by_1.version,
        )  # fmt: skip
    with clock.frozen(aware(D(2026, 11, 23), 9, 5)), pytest.raises(Conflict):
        services.callback_record(
            actor=desk2, callback=seen_by_2, outcome="neutral", contact_name="王工",
            notes="一般", expected_version=seen_by_2.version,
        )  # fmt: skip
    fresh = Callback.objects.get(pk=seen_by_1.pk)
    assert (fresh.status, fresh.outcome, fresh.contact_name, fresh.done_by_id, fresh.notes) == (
        "done", "satisfied", "李主任", desk1.pk, "",
    )  # fmt: skip
    assert fresh.done_at == aware(D(2026, 11, 23), 9)


@pytest.mark.django_db
def test_an_event_joining_an_open_call_makes_a_stale_record_a_conflict():
    am, ops, desk = UserFactory(), UserFactory(ops=True), UserFactory(desk=True)
    account = AccountFactory(owner=am)
    first = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    second = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    with clock.frozen(aware(D(2026, 11, 20))):
        services.order_activate(
            actor=ops, order=first, activated_on=D(2026, 11, 20), expected_version=1,
            circuit_number="BJ-J-1",
        )  # fmt: skip
    seen_by_desk = Callback.objects.get(account=account)  # one item, due 27 Nov
    with clock.frozen(aware(D(2026, 11, 19))):  # back-dated activation: due 26 Nov
        services.order_activate(
            actor=ops, order=second, activated_on=D(2026, 11, 19), expected_version=1,
            circuit_number="BJ-J-2",
        )  # fmt: skip
    with clock.frozen(aware(D(2026, 11, 23))), pytest.raises(Conflict):
        services.callback_record(
            actor=desk, callback=seen_by_desk, outcome="satisfied", contact_name="李",
            notes="", expected_version=seen_by_desk.version,
        )  # fmt: skip
    fresh = Callback.objects.get(pk=seen_by_desk.pk)
    assert (fresh.status, fresh.outcome, fresh.done_at, fresh.due_on, fresh.items.count()) == (
        "open", "", None, D(2026, 11, 26), 2,
    )  # fmt: skip


# --- really at once: threads on their own connections ------------------------------------


THREADED = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@THREADED
def test_threads_activating_one_order_only_one_wins():
    am = UserFactory()
    ops1, ops2 = UserFactory(ops=True), UserFactory(ops=True)
    account = AccountFactory(owner=am)
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    seen_by_1 = ProvisioningOrder.objects.get(pk=accepted.pk)
    seen_by_2 = ProvisioningOrder.objects.get(pk=accepted.pk)

    def activate_as(actor, seen, circuit):
        return lambda: services.order_activate(
            actor=actor, order=seen, activated_on=D(2026, 11, 20), expected_version=1,
            circuit_number=circuit,
        )  # fmt: skip

    with clock.frozen(aware(D(2026, 11, 20))):
        results = run_together(
            activate_as(ops1, seen_by_1, "BJ-T-1"), activate_as(ops2, seen_by_2, "BJ-T-2")
        )

    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    winner = next(r.circuit_number for kind, r in results if kind == "ok")
    loser = next(e for kind, e in results if kind == "error")
    assert isinstance(loser, Conflict), repr(loser)
    fresh = ProvisioningOrder.objects.get(pk=accepted.pk)
    assert (fresh.status, fresh.circuit_number, fresh.version) == (OrderStatus.ACTIVATED, winner, 2)
    assert list(ServiceInUse.objects.filter(account=account).values_list("number", flat=True)) == [
        winner
    ]
    request = ServiceRequest.objects.get(pk=accepted.request_id)
    assert (request.status, request.version) == (RequestStatus.RESOLVED, 2)
    assert RequestEvent.objects.filter(request=request).count() == 2  # accepted, resolved
    assert CallbackItem.objects.filter(order=accepted).count() == 1


@THREADED
def test_threads_activating_one_order_with_its_own_circuit_number_lose_nothing():
    am = UserFactory()
    ops1, ops2 = UserFactory(ops=True), UserFactory(ops=True)
    account = AccountFactory(owner=am)
    accepted = order_at(
        actor=am, account=account, accepted_on=D(2026, 11, 2), circuit_number="BJ-SAME-1"
    )
    seen = [ProvisioningOrder.objects.get(pk=accepted.pk) for _ in range(2)]

    def activate_as(actor, copy, day):
        return lambda: services.order_activate(
            actor=actor, order=copy, activated_on=day, expected_version=1
        )

    with clock.frozen(aware(D(2026, 11, 20))):
        results = run_together(
            activate_as(ops1, seen[0], D(2026, 11, 19)), activate_as(ops2, seen[1], D(2026, 11, 20))
        )

    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    winner = next(r for kind, r in results if kind == "ok")
    # The loser is refused with a Conflict and nothing of its attempt is left.
    assert isinstance(next(e for kind, e in results if kind == "error"), Conflict)
    fresh = ProvisioningOrder.objects.get(pk=accepted.pk)
    assert (fresh.status, fresh.activated_on, fresh.version) == (
        OrderStatus.ACTIVATED, winner.activated_on, 2,
    )  # fmt: skip
    assert ServiceInUse.objects.get(number="BJ-SAME-1").activated_on == winner.activated_on
    assert CallbackItem.objects.get(order=accepted).event_on == winner.activated_on


@THREADED
def test_threads_recording_one_callback_only_one_wins():
    am, ops = UserFactory(), UserFactory(ops=True)
    desk1, desk2 = UserFactory(desk=True), UserFactory(desk=True)
    account = AccountFactory(owner=am)
    accepted = order_at(actor=am, account=account, accepted_on=D(2026, 11, 2))
    with clock.frozen(aware(D(2026, 11, 20))):
        services.order_activate(
            actor=ops, order=accepted, activated_on=D(2026, 11, 20), expected_version=1,
            circuit_number="BJ-TC-1",
        )  # fmt: skip
    seen_by_1 = Callback.objects.get(account=account)
    seen_by_2 = Callback.objects.get(account=account)
    version = seen_by_1.version

    def record_as(actor, seen, outcome):
        return lambda: services.callback_record(
            actor=actor, callback=seen, outcome=outcome, contact_name=actor.username,
            notes="", expected_version=version,
        )  # fmt: skip

    with clock.frozen(aware(D(2026, 11, 23))):
        results = run_together(
            record_as(desk1, seen_by_1, "satisfied"), record_as(desk2, seen_by_2, "neutral")
        )

    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    winner = next(r for kind, r in results if kind == "ok")
    assert isinstance(next(e for kind, e in results if kind == "error"), Conflict)
    fresh = Callback.objects.get(pk=seen_by_1.pk)
    assert (fresh.status, fresh.outcome, fresh.done_by_id, fresh.version) == (
        CallbackStatus.DONE, winner.outcome, winner.done_by_id, version + 1,
    )  # fmt: skip


@THREADED
def test_threads_opening_requests_get_distinct_numbers():
    desks = [UserFactory(desk=True) for _ in range(6)]
    account = AccountFactory()

    def open_as(actor):
        return lambda: services.request_open(
            actor=actor, account=account, kind="consultation", subject="咨询"
        ).number

    with clock.frozen(aware(D(2026, 11, 2))):
        results = run_together(*(open_as(d) for d in desks))

    assert [kind for kind, _ in results] == ["ok"] * 6, results
    assert sorted(number for _, number in results) == [f"SR20261102{n:04d}" for n in range(1, 7)]
    assert ServiceRequest.objects.filter(account=account).count() == 6
    assert RequestEvent.objects.filter(request__account=account).count() == 6
