"""The service desk's scheduled work (run by the job runner, see tasks.py, or by hand with
`telekam sla sweep`): check deadlines, open the callbacks that are owed, and warn owners
before a breach. Idempotent: every warning has a key and is stored once per user, and a
callback is opened once per event, so running the sweep twice changes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from telekam.core.services import notification_send
from telekam.org.models import Role, User
from telekam.service.models import Callback as CallbackModel
from telekam.service.models import (
    CallbackReason,
    CallbackStatus,
    DeliveryStatus,
    DeliveryTask,
    FaultStatus,
    FaultTicket,
    FollowUp,
    FollowUpStatus,
    OrderStatus,
    ProvisioningOrder,
)
from telekam.service.selectors import Standing, fault_clock, orders_standing
from telekam.service.services.aftercare import callback_event_add

# Look back this far for activations and repairs that have no callback yet.
CATCH_UP_DAYS = 14
# Warn about a fault when less than this share of its restoration time is left.
FAULT_WARN_SHARE = 0.25


@dataclasses.dataclass
class SweepReport:
    notifications: int = 0
    callbacks_opened: int = 0
    orders_checked: int = 0
    faults_checked: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def _tell(
    report: SweepReport, users: list[Any], *, key: str, title: str, url: str, body: str = ""
) -> None:
    seen: set[int] = set()
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        if notification_send(user=user, key=key, title=title, body=body, url=url):
            report.notifications += 1


def sla_sweep(*, now: dt.datetime) -> SweepReport:
    """One pass over everything open. Each part commits on its own."""
    report = SweepReport()
    today = timezone.localdate(now)
    _orders(report, today)
    _faults(report, now)
    _callbacks(report, today)
    _deliveries(report, today)
    _follow_ups(report, today)
    return report


@transaction.atomic
def _orders(report: SweepReport, today: dt.date) -> None:
    orders = list(
        ProvisioningOrder.objects.filter(status=OrderStatus.OPEN).select_related(
            "request", "request__owner", "account", "account__owner", "product"
        )
    )
    report.orders_checked = len(orders)
    standings = orders_standing(orders=orders, today=today)
    for order in orders:
        s = standings[order.pk]
        url = reverse("service:request_detail", args=[order.request_id])
        users = [order.request.owner, order.account.owner]
        name = f"{order.account.name} · {order.product.display_name}"
        if s.state == Standing.DUE_SOON:
            _tell(
                report,
                users,
                key=f"order-due:{order.pk}:{order.deadline}",
                title=_("开通即将到期（%(d)s）：%(n)s") % {"d": order.deadline, "n": name},
                body=_("剩余 %(k)d 个工作日；超时将按每工作日 %(r)s 赔付一次性费用。")
                % {"k": s.working_days_left or 0, "r": order.compensation_rate},
                url=url,
            )
        elif s.state == Standing.LATE:
            _tell(
                report,
                users,
                key=f"order-late:{order.pk}",
                title=_("开通已超时：%(n)s") % {"n": name},
                body=_("时限 %(d)s 已过，至今应赔 %(a)s 元。")
                % {"d": order.deadline, "a": s.compensation},
                url=url,
            )


@transaction.atomic
def _faults(report: SweepReport, now: dt.datetime) -> None:
    faults = list(
        FaultTicket.objects.exclude(status=FaultStatus.RESTORED).select_related(
            "request", "request__owner", "account", "account__owner", "service"
        )
    )
    report.faults_checked = len(faults)
    operations = list(User.objects.filter(role=Role.OPERATIONS, is_active=True))
    for fault in faults:
        clock = fault_clock(fault=fault, now=now)
        url = reverse("service:request_detail", args=[fault.request_id])
        users = [fault.request.owner, fault.account.owner, *operations]
        label = f"P{fault.priority} {fault.account.name} · {fault.service.number}"
        if clock.restore_late:
            _tell(
                report,
                users,
                key=f"fault-late:{fault.pk}",
                title=_("故障修复已超时：%(n)s") % {"n": label},
                url=url,
            )
        elif (
            clock.minutes_left is not None
            and clock.minutes_left <= fault.restore_minutes * FAULT_WARN_SHARE
        ):
            _tell(
                report,
                users,
                key=f"fault-due:{fault.pk}",
                title=_("故障修复即将超时（剩 %(m)d 分钟）：%(n)s")
                % {"m": clock.minutes_left, "n": label},
                url=url,
            )


def _callbacks(report: SweepReport, today: dt.date) -> None:
    """Open the callbacks owed for recent activations and repairs that have none (e.g.
    entered before the desk existed, or by an import), and remind the desk of the day's
    calls."""
    since = today - dt.timedelta(days=CATCH_UP_DAYS)
    with transaction.atomic():
        orders = ProvisioningOrder.objects.filter(
            status=OrderStatus.ACTIVATED, activated_on__gte=since, callback_item__isnull=True
        ).select_related("account")
        for order in orders:
            assert order.activated_on is not None  # noqa: S101 (activated orders have it)
            callback_event_add(
                account=order.account,
                reason=CallbackReason.ACTIVATION,
                order=order,
                event_on=order.activated_on,
            )
            report.callbacks_opened += 1
        faults = FaultTicket.objects.filter(
            status=FaultStatus.RESTORED,
            restored_at__date__gte=since,
            callback_item__isnull=True,
        ).select_related("account")
        for fault in faults:
            assert fault.restored_at is not None  # noqa: S101
            callback_event_add(
                account=fault.account,
                reason=CallbackReason.FAULT_REPAIR,
                fault=fault,
                event_on=timezone.localdate(fault.restored_at),
            )
            report.callbacks_opened += 1
    due = CallbackModel.objects.filter(status=CallbackStatus.OPEN, due_on__lte=today).count()
    if due:
        desk = list(User.objects.filter(role=Role.SERVICE_DESK, is_active=True))
        _tell(
            report,
            desk,
            key=f"callbacks-due:{today}",
            title=_("今日到期或已逾期的回访：%(n)d 个") % {"n": due},
            url=reverse("service:callback_queue"),
        )


@transaction.atomic
def _deliveries(report: SweepReport, today: dt.date) -> None:
    tasks = DeliveryTask.objects.filter(
        status=DeliveryStatus.PENDING, due_on__lte=today + dt.timedelta(days=1)
    ).select_related("owner", "account")
    for task in tasks:
        late = task.due_on < today
        _tell(
            report,
            [task.owner],
            key=f"delivery-{'late' if late else 'due'}:{task.pk}",
            title=(_("交付已逾期：%(a)s") if late else _("交付即将到期：%(a)s"))
            % {"a": task.account.name},
            body=_("交付时限 %(d)s") % {"d": task.due_on},
            url=reverse("service:delivery_detail", args=[task.pk]),
        )


@transaction.atomic
def _follow_ups(report: SweepReport, today: dt.date) -> None:
    late = FollowUp.objects.filter(status=FollowUpStatus.OPEN, due_on__lt=today).select_related(
        "owner", "account", "account__group"
    )
    leads = {u.group_id: u for u in User.objects.filter(role=Role.GROUP_LEAD, is_active=True)}
    for follow_up in late:
        _tell(
            report,
            [follow_up.owner, leads.get(follow_up.account.group_id)],
            key=f"follow-up-late:{follow_up.pk}",
            title=_("不满意回访的跟进已逾期：%(a)s") % {"a": follow_up.account.name},
            url=reverse("service:follow_up_detail", args=[follow_up.pk]),
        )
