"""Fault tickets: report, respond, pause the clock while waiting on the customer, restore."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from telekam.accounts.models import Account, Segment, ServiceInUse, ServiceStatus, SlaLevel
from telekam.core import clock
from telekam.core.errors import ApplicationError
from telekam.core.models import AuditAction
from telekam.core.services import audit_entry_create
from telekam.org.models import User
from telekam.service import access
from telekam.service.errors import ServiceErrorCode
from telekam.service.models import (
    CallbackReason,
    FaultPause,
    FaultPolicy,
    FaultStatus,
    FaultTicket,
    Outage,
    RequestKind,
    RequestStatus,
)
from telekam.service.services.aftercare import callback_event_add
from telekam.service.services.common import (
    bad_transition,
    check_version,
    local_date,
    not_in_future,
    require,
    save_new,
    save_versioned,
)
from telekam.service.services.requests import request_create, set_status

LEVEL_WEIGHT = {SlaLevel.GOLD: 3, SlaLevel.SILVER: 2, SlaLevel.BRONZE: 1}


def fault_priority(*, star_level: int, sla_level: str, key_account: bool) -> int:
    """1 (most urgent) to 4, from the account's star level (0-5), the circuit's SLA level
    and whether the account is a key account: key-account faults are repaired first.
    score = stars + level weight (gold 3, silver 2, bronze 1) + 2 for a key account;
    P1 from 8, P2 from 5, P3 from 3, else P4."""
    score = star_level + LEVEL_WEIGHT.get(SlaLevel(sla_level), 1) + (2 if key_account else 0)
    if score >= 8:
        return 1
    if score >= 5:
        return 2
    if score >= 3:
        return 3
    return 4


@transaction.atomic
def fault_report(
    *,
    actor: User,
    account: Account,
    service: ServiceInUse,
    subject: str,
    description: str = "",
    reported_at: dt.datetime | None = None,
    service_affecting: bool = True,
    channel: str = "phone",
    contact_name: str = "",
    contact_phone: str = "",
) -> FaultTicket:
    require(access.can_open_request(actor, account))
    if service.account_id != account.pk:
        raise ApplicationError(_("该电路不属于此客户。"), field="service")
    if service.status != ServiceStatus.ACTIVE:
        raise ApplicationError(
            _("该电路不在用，不能申告故障。"),
            code=ServiceErrorCode.SERVICE_NOT_ACTIVE,
            field="service",
        )
    reported_at = reported_at or clock.now()
    not_in_future(reported_at, field="reported_at")
    policy = FaultPolicy.objects.get(sla_level=service.sla_level)
    request = request_create(
        actor=actor,
        account=account,
        kind=RequestKind.FAULT,
        subject=subject,
        description=description,
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        owner=actor,
    )
    fault = FaultTicket(
        request=request,
        account=account,
        service=service,
        priority=fault_priority(
            star_level=account.star_level,
            sla_level=service.sla_level,
            key_account=account.segment == Segment.KEY,
        ),
        sla_level=service.sla_level,
        response_minutes=policy.response_minutes,
        restore_minutes=policy.restore_minutes,
        service_affecting=service_affecting,
        reported_at=reported_at,
    )
    return save_new(fault)


@transaction.atomic
def fault_respond(*, actor: User, fault: FaultTicket, expected_version: int) -> FaultTicket:
    require(access.can_work_fault(actor))
    check_version(fault, expected_version)
    if fault.status != FaultStatus.OPEN:
        raise bad_transition(_("该故障已响应。"))
    fault.status = FaultStatus.RESPONDED
    fault.responded_at = clock.now()
    save_versioned(fault, expected_version=expected_version, fields=["status", "responded_at"])
    set_status(
        actor=actor, request=fault.request, to_status=RequestStatus.IN_PROGRESS, note=_("已响应")
    )
    return fault


@transaction.atomic
def fault_pause(
    *, actor: User, fault: FaultTicket, reason: str, expected_version: int
) -> FaultTicket:
    """Stop the clock while waiting on the customer (access to the site, a test at their
    end). Only then; every pause is recorded with its reason."""
    require(access.can_work_fault(actor))
    check_version(fault, expected_version)
    if fault.status not in (FaultStatus.OPEN, FaultStatus.RESPONDED):
        raise bad_transition(_("只有处理中的故障可以停钟。"))
    if not reason.strip():
        raise ApplicationError(_("请填写等待客户的原因。"), field="reason")
    now = clock.now()
    fault.status = FaultStatus.WAITING_CUSTOMER
    fault.paused_since = now
    if fault.responded_at is None:
        fault.responded_at = now
    save_versioned(
        fault, expected_version=expected_version, fields=["status", "paused_since", "responded_at"]
    )
    FaultPause.objects.create(fault=fault, started_at=now, reason=reason.strip(), started_by=actor)
    set_status(
        actor=actor,
        request=fault.request,
        to_status=RequestStatus.WAITING_CUSTOMER,
        note=reason.strip(),
    )
    return fault


def _close_pause(fault: FaultTicket, now: dt.datetime) -> None:
    if fault.paused_since is None:
        return
    fault.paused_seconds += max(0, int((now - fault.paused_since).total_seconds()))
    FaultPause.objects.filter(fault=fault, ended_at__isnull=True).update(ended_at=now)
    fault.paused_since = None


@transaction.atomic
def fault_resume(*, actor: User, fault: FaultTicket, expected_version: int) -> FaultTicket:
    require(access.can_work_fault(actor))
    check_version(fault, expected_version)
    if fault.status != FaultStatus.WAITING_CUSTOMER:
        raise bad_transition(_("该故障没有停钟。"))
    _close_pause(fault, clock.now())
    fault.status = FaultStatus.RESPONDED
    save_versioned(
        fault,
        expected_version=expected_version,
        fields=["status", "paused_since", "paused_seconds"],
    )
    set_status(
        actor=actor, request=fault.request, to_status=RequestStatus.IN_PROGRESS, note=_("恢复计时")
    )
    return fault


def _paused_within(fault: FaultTicket, end: dt.datetime) -> int:
    """Seconds of recorded pauses that fall inside the outage (report .. restoration)."""
    total = 0
    for pause in fault.pauses.all():
        stop = min(pause.ended_at or end, end)
        total += max(0, int((stop - max(pause.started_at, fault.reported_at)).total_seconds()))
    return total


@transaction.atomic
def fault_restore(
    *,
    actor: User,
    fault: FaultTicket,
    cause: str,
    expected_version: int,
    restored_at: dt.datetime | None = None,
) -> FaultTicket:
    """Operations restores the service: the outage is recorded against the circuit (less
    the time spent waiting on the customer), the request resolves, and the callback desk
    gets its call."""
    require(access.can_restore_fault(actor), _("只有运维部门可以登记故障修复。"))
    check_version(fault, expected_version)
    if fault.status == FaultStatus.RESTORED:
        raise bad_transition(_("该故障已修复。"))
    if not cause.strip():
        raise ApplicationError(_("请填写故障原因。"), field="cause")
    now = clock.now()
    restored_at = restored_at or now
    not_in_future(restored_at, field="restored_at")
    if restored_at < fault.reported_at:
        raise ApplicationError(
            _("修复时间不能早于申告时间。"), code=ServiceErrorCode.BEFORE_EVENT, field="restored_at"
        )
    _close_pause(fault, min(now, max(restored_at, fault.paused_since or restored_at)))
    # a back-dated restoration counts only the waiting that happened before it
    fault.paused_seconds = _paused_within(fault, restored_at)
    fault.status = FaultStatus.RESTORED
    fault.restored_at = restored_at
    fault.cause = cause.strip()[:300]
    if fault.responded_at is None:
        fault.responded_at = restored_at
    save_versioned(
        fault,
        expected_version=expected_version,
        fields=["status", "restored_at", "cause", "responded_at", "paused_since", "paused_seconds"],
    )
    if fault.service_affecting:
        Outage.objects.create(
            service=fault.service,
            fault=fault,
            started_at=fault.reported_at,
            ended_at=restored_at,
            excluded_minutes=fault.paused_seconds // 60,
        )
    set_status(
        actor=actor,
        request=fault.request,
        to_status=RequestStatus.RESOLVED,
        note=_("已修复：%(c)s") % {"c": fault.cause},
    )
    callback_event_add(
        account=fault.account,
        reason=CallbackReason.FAULT_REPAIR,
        fault=fault,
        event_on=local_date(restored_at),
    )
    audit_entry_create(
        actor=actor,
        action=AuditAction.EVENT,
        target=fault,
        account=fault.account,
        summary=_("电路 %(n)s 故障修复：%(c)s") % {"n": fault.service.number, "c": fault.cause},
    )
    return fault
