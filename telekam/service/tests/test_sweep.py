"""The scheduled sweep: warnings before and after a breach, callbacks owed, idempotence."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from telekam.accounts.tests.factories import AccountFactory, ServiceFactory
from telekam.core import clock
from telekam.core.models import Notification
from telekam.org.tests.factories import UserFactory
from telekam.service import services
from telekam.service.jobs import sla_sweep
from telekam.service.models import Callback, CallbackItem
from telekam.service.tasks import sla_sweep_task
from telekam.service.tests.factories import aware, order

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def people():
    return {
        "am": UserFactory(email="am@example.com"),
        "desk": UserFactory(desk=True, email="desk@example.com"),
        "ops": UserFactory(ops=True, email=""),
    }


def titles(user) -> list[str]:
    return sorted(Notification.objects.filter(user=user).values_list("title", flat=True))


def test_an_order_due_soon_warns_its_owners_once(people, django_capture_on_commit_callbacks):
    account = AccountFactory(owner=people["am"])
    # normal digital circuit accepted 2026-10-26 is due 2026-11-23 (20 working days)
    o = order(actor=people["desk"], account=account, accepted_on=D(2026, 10, 26))
    assert o.deadline == D(2026, 11, 23)
    with clock.frozen(aware(D(2026, 11, 18), 8)):  # 3 working days left: not yet
        assert sla_sweep(now=clock.now()).notifications == 0
    with (
        clock.frozen(aware(D(2026, 11, 19), 8)),  # 2 left (Fri 20, Mon 23)
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = sla_sweep(now=clock.now())
        second = sla_sweep(now=clock.now())
    assert (first.notifications, second.notifications) == (2, 0)
    assert len(titles(people["am"])) == 1
    assert "即将到期" in titles(people["am"])[0]
    assert len(titles(people["desk"])) == 1
    assert len(mail.outbox) == 2  # the AM and the desk agent have addresses


def test_a_late_order_warns_with_the_compensation_so_far(people):
    account = AccountFactory(owner=people["am"])
    order(actor=people["desk"], account=account, accepted_on=D(2026, 9, 21), fee="10000.00")
    with clock.frozen(aware(D(2026, 10, 28), 8)):  # due 10-26: 2 working days late
        sla_sweep(now=clock.now())
        sla_sweep(now=clock.now())
    notes = Notification.objects.filter(user=people["am"], key__startswith="order-late")
    assert notes.count() == 1
    assert "400.00" in notes.get().body


def test_a_fault_near_its_target_warns_operations(people):
    account = AccountFactory(owner=people["am"])
    service = ServiceFactory(account=account, sla_level="gold")  # restore within 240 min
    with clock.frozen(aware(D(2026, 11, 3), 9)):
        services.fault_report(actor=people["desk"], account=account, service=service, subject="断")
    with clock.frozen(aware(D(2026, 11, 3), 11)):  # 120 left: no warning
        assert sla_sweep(now=clock.now()).notifications == 0
    with clock.frozen(aware(D(2026, 11, 3), 12, 1)):  # 59 left (< 25 %)
        sla_sweep(now=clock.now())
    with clock.frozen(aware(D(2026, 11, 3), 13, 1)):  # past the target
        sla_sweep(now=clock.now())
        sla_sweep(now=clock.now())
    keys = sorted(Notification.objects.filter(user=people["ops"]).values_list("key", flat=True))
    assert [k.split(":")[0] for k in keys] == ["fault-due", "fault-late"]


def test_activations_without_a_callback_get_one_and_only_once(people):
    account = AccountFactory(owner=people["am"])
    o = order(
        actor=people["desk"], account=account, accepted_on=D(2026, 11, 2), circuit_number="C1"
    )
    ops = people["ops"]
    with clock.frozen(aware(D(2026, 11, 10))):
        services.order_activate(
            actor=ops, order=o, activated_on=D(2026, 11, 10), expected_version=1
        )
    CallbackItem.objects.all().delete()
    Callback.objects.all().delete()
    with clock.frozen(aware(D(2026, 11, 11))):
        assert sla_sweep(now=clock.now()).callbacks_opened == 1
        assert sla_sweep(now=clock.now()).callbacks_opened == 0
    callback = Callback.objects.get()
    assert callback.due_on == D(2026, 11, 17)
    with clock.frozen(aware(D(2026, 11, 17), 8)):
        sla_sweep(now=clock.now())
        sla_sweep(now=clock.now())
    assert titles(people["desk"]) == ["今日到期或已逾期的回访：1 个"]


def test_the_periodic_task_and_the_command_run_the_same_sweep(people):
    account = AccountFactory(owner=people["am"])
    order(actor=people["desk"], account=account, accepted_on=D(2026, 9, 21))
    with clock.frozen(aware(D(2026, 10, 28), 8)):
        result = sla_sweep_task.call_local()
        out = StringIO()
        call_command("sla", "sweep", stdout=out)
    assert result["notifications"] == 2
    assert result["orders_checked"] == 1
    assert json.loads(out.getvalue())["notifications"] == 0
