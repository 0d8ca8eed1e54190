"""Delivery to a key account's headquarters and the callback desk (domain §5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from telekam.accounts.models import Account, AccountLevel, Segment
from telekam.core import clock
from telekam.core.calendar import working_calendar
from telekam.core.errors import ApplicationError
from telekam.core.models import AuditAction
from telekam.core.services import audit_entry_create, notification_send
from telekam.org.models import User
from telekam.service import access
from telekam.service.models import (
    Callback,
    CallbackItem,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    DeliveryStatus,
    DeliveryTask,
    FaultTicket,
    FollowUp,
    FollowUpStatus,
    ProvisioningOrder,
)
from telekam.service.services.common import (
    bad_transition,
    check_version,
    not_after_today,
    require,
    save_versioned,
)

DELIVERY_WORKING_DAYS = 3
# Callbacks: every activation within one week, every fault repair within 3 days (domain §5).
CALLBACK_DAYS: dict[str, int] = {CallbackReason.ACTIVATION: 7, CallbackReason.FAULT_REPAIR: 3}
FOLLOW_UP_WORKING_DAYS = 3


def delivery_needed(account: Account) -> bool:
    """A key account's headquarters (or a key account with no group above it)."""
    return account.segment == Segment.KEY and account.level in (
        AccountLevel.HEADQUARTERS,
        AccountLevel.STANDALONE,
    )


def delivery_open(*, order: ProvisioningOrder) -> DeliveryTask | None:
    """The delivery task of an activated order, due 3 working days after activation; only
    for a key account's headquarters. Idempotent."""
    account = order.account
    if not delivery_needed(account) or order.activated_on is None:
        return None
    existing = DeliveryTask.objects.filter(order=order).first()
    if existing is not None:
        return existing
    due = working_calendar(start=order.activated_on).add_working_days(
        order.activated_on, DELIVERY_WORKING_DAYS
    )
    return DeliveryTask.objects.create(
        order=order,
        account=account,
        owner_id=account.owner_id,
        due_on=due.date,
        due_provisional=due.provisional,
    )


@transaction.atomic
def delivery_mark_delivered(
    *, actor: User, task: DeliveryTask, delivered_on: dt.date, expected_version: int, note: str = ""
) -> DeliveryTask:
    require(access.can_deliver(actor, task.account))
    check_version(task, expected_version)
    if task.status != DeliveryStatus.PENDING:
        raise bad_transition(_("该交付任务已交付。"))
    not_after_today(delivered_on, field="delivered_on")
    if task.order.activated_on and delivered_on < task.order.activated_on:
        raise ApplicationError(_("交付日期不能早于开通日期。"), field="delivered_on")
    task.status = DeliveryStatus.DELIVERED
    task.delivered_on = delivered_on
    task.note = note.strip()[:300]
    save_versioned(
        task, expected_version=expected_version, fields=["status", "delivered_on", "note"]
    )
    _audit(actor, task, _("交付资料已送达（%(d)s）") % {"d": delivered_on})
    return task


@transaction.atomic
def delivery_confirm(
    *,
    actor: User,
    task: DeliveryTask,
    confirmed_on: dt.date,
    confirmed_by_name: str,
    expected_version: int,
) -> DeliveryTask:
    """The customer confirms the package; that day is also the billing start."""
    require(access.can_deliver(actor, task.account))
    check_version(task, expected_version)
    if task.status == DeliveryStatus.CONFIRMED:
        raise bad_transition(_("客户已确认该交付。"))
    if task.status != DeliveryStatus.DELIVERED:
        raise bad_transition(_("请先登记交付，再登记客户确认。"))
    if not confirmed_by_name.strip():
        raise ApplicationError(_("请填写客户确认人。"), field="confirmed_by_name")
    not_after_today(confirmed_on, field="confirmed_on")
    if task.delivered_on and confirmed_on < task.delivered_on:
        raise ApplicationError(_("确认日期不能早于交付日期。"), field="confirmed_on")
    task.status = DeliveryStatus.CONFIRMED
    task.confirmed_on = confirmed_on
    task.confirmed_by_name = confirmed_by_name.strip()
    task.billing_start_on = confirmed_on
    save_versioned(
        task,
        expected_version=expected_version,
        fields=["status", "confirmed_on", "confirmed_by_name", "billing_start_on"],
    )
    _audit(
        actor,
        task,
        _("客户 %(n)s 确认交付，起租日期 %(d)s") % {"n": task.confirmed_by_name, "d": confirmed_on},
    )
    return task


def callback_due(*, reason: str, event_on: dt.date) -> dt.date:
    return event_on + dt.timedelta(days=CALLBACK_DAYS[reason])


def callback_event_add(
    *,
    account: Account,
    reason: str,
    event_on: dt.date,
    order: ProvisioningOrder | None = None,
    fault: FaultTicket | None = None,
) -> CallbackItem:
    """Put an activation or a fault repair on the callback desk's list. If the account
    already has a call waiting, the event joins it (one call, due by the earliest due
    date); otherwise a new call opens. An event is listed once however often this runs."""
    lookup: dict[str, Any] = {"order": order} if order is not None else {"fault": fault}
    existing = CallbackItem.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    due = callback_due(reason=reason, event_on=event_on)
    with transaction.atomic():
        callback = (
            Callback.objects.select_for_update()
            .filter(account=account, status=CallbackStatus.OPEN)
            .first()
        )
        if callback is None:
            try:
                with transaction.atomic():
                    callback = Callback.objects.create(
                        account=account, opened_on=clock.today(), due_on=due
                    )
                joined = False
            except IntegrityError:  # another event of this account opened one meanwhile
                callback = Callback.objects.select_for_update().get(
                    account=account, status=CallbackStatus.OPEN
                )
                joined = True
        else:
            joined = True
        if joined:
            # The call now covers one more event: a desk agent holding the older version
            # must reload before recording it.
            Callback.objects.filter(pk=callback.pk).update(
                due_on=min(due, callback.due_on), version=F("version") + 1
            )
        return CallbackItem.objects.create(
            callback=callback, reason=reason, event_on=event_on, due_on=due, **lookup
        )


@transaction.atomic
def callback_record(
    *,
    actor: User,
    callback: Callback,
    outcome: str,
    contact_name: str,
    notes: str,
    expected_version: int,
) -> Callback:
    """The desk records the call. A dissatisfied customer opens a follow-up for the AM."""
    require(access.can_do_callbacks(actor), _("回访由客服回访台统一进行。"))
    check_version(callback, expected_version)
    if callback.status != CallbackStatus.OPEN:
        raise bad_transition(_("该回访已完成。"))
    if outcome not in CallbackOutcome.values:
        raise ApplicationError(_("请选择回访结果。"), field="outcome")
    if outcome == CallbackOutcome.DISSATISFIED and not notes.strip():
        raise ApplicationError(_("客户不满意时请记录原因。"), field="notes")
    callback.status = CallbackStatus.DONE
    callback.outcome = outcome
    callback.contact_name = contact_name.strip()[:60]
    callback.notes = notes.strip()
    callback.done_at = clock.now()
    callback.done_by = actor
    save_versioned(
        callback,
        expected_version=expected_version,
        fields=["status", "outcome", "contact_name", "notes", "done_at", "done_by"],
    )
    account = callback.account
    _audit(
        actor,
        callback,
        _("回访：%(o)s%(n)s")
        % {
            "o": callback.get_outcome_display(),
            "n": f"（{callback.notes[:200]}）" if callback.notes else "",
        },
    )
    if outcome == CallbackOutcome.DISSATISFIED:
        due = working_calendar(start=clock.today()).add_working_days(
            clock.today(), FOLLOW_UP_WORKING_DAYS
        )
        follow_up = FollowUp.objects.create(
            callback=callback, account=account, owner_id=account.owner_id, due_on=due.date
        )
        url = reverse("service:follow_up_detail", args=[follow_up.pk])
        notification_send(
            user=account.owner,
            key=f"follow-up:{follow_up.pk}",
            title=_("客户不满意，请跟进：%(a)s") % {"a": account.name},
            body=callback.notes[:500],
            url=url,
        )
    return callback


@transaction.atomic
def follow_up_close(
    *, actor: User, follow_up: FollowUp, resolution: str, expected_version: int
) -> FollowUp:
    require(
        access.can_close_follow_up(actor, owner_id=follow_up.owner_id, account=follow_up.account)
    )
    check_version(follow_up, expected_version)
    if follow_up.status != FollowUpStatus.OPEN:
        raise bad_transition(_("该跟进已处理。"))
    if not resolution.strip():
        raise ApplicationError(_("请填写处理结果。"), field="resolution")
    follow_up.status = FollowUpStatus.CLOSED
    follow_up.resolution = resolution.strip()
    follow_up.closed_at = clock.now()
    save_versioned(
        follow_up, expected_version=expected_version, fields=["status", "resolution", "closed_at"]
    )
    _audit(actor, follow_up, _("不满意回访已跟进：%(r)s") % {"r": follow_up.resolution[:200]})
    return follow_up


def _audit(actor: Any, target: Any, summary: str) -> None:
    audit_entry_create(
        actor=actor,
        action=AuditAction.EVENT,
        target=target,
        account=target.account,
        summary=summary,
    )
