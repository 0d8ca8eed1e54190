"""Requests of the one-stop desk: open, move through their statuses, assign, annotate."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from telekam.accounts import access as account_access
from telekam.accounts.models import Account
from telekam.core import clock
from telekam.core.errors import ApplicationError
from telekam.core.models import AuditAction
from telekam.core.services import audit_entry_create
from telekam.org.models import User
from telekam.service import access
from telekam.service.errors import ServiceErrorCode
from telekam.service.models import RequestEvent, RequestKind, RequestStatus, ServiceRequest
from telekam.service.services.common import (
    bad_transition,
    check_version,
    next_number,
    require,
    save_new,
    save_versioned,
)

# Which status may follow which. Orders and faults move their request themselves (an
# order's request resolves when it is activated, a fault's when it is restored).
TRANSITIONS: dict[str, set[str]] = {
    RequestStatus.NEW: {
        RequestStatus.IN_PROGRESS,
        RequestStatus.WAITING_CUSTOMER,
        RequestStatus.RESOLVED,
        RequestStatus.CANCELLED,
    },
    RequestStatus.IN_PROGRESS: {
        RequestStatus.WAITING_CUSTOMER,
        RequestStatus.RESOLVED,
        RequestStatus.CANCELLED,
    },
    RequestStatus.WAITING_CUSTOMER: {RequestStatus.IN_PROGRESS, RequestStatus.RESOLVED},
    RequestStatus.RESOLVED: {RequestStatus.CLOSED, RequestStatus.IN_PROGRESS},
    RequestStatus.CLOSED: set(),
    RequestStatus.CANCELLED: set(),
}
# Statuses an order's or a fault's request reaches only through the order or the fault
# (activation, cancellation with the order, pauses, restoration). By hand, such a request
# is only closed once resolved; reopening one would leave it open with nothing to resolve it.
DRIVEN: dict[str, set[str]] = {
    RequestKind.ORDER: {
        RequestStatus.RESOLVED,
        RequestStatus.WAITING_CUSTOMER,
        RequestStatus.CANCELLED,
    },
    RequestKind.FAULT: {
        RequestStatus.RESOLVED,
        RequestStatus.WAITING_CUSTOMER,
        RequestStatus.CANCELLED,
    },
}


def event_add(
    *, request: ServiceRequest, actor: Any, to_status: str, from_status: str = "", note: str = ""
) -> RequestEvent:
    return RequestEvent.objects.create(
        request=request,
        at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=(actor.get_full_name() or actor.get_username()) if actor else "",
        from_status=from_status,
        to_status=to_status,
        note=note[:500],
    )


def request_create(
    *,
    actor: User,
    account: Account,
    kind: str,
    subject: str,
    description: str = "",
    channel: str = "phone",
    contact_name: str = "",
    contact_phone: str = "",
    owner: User | None = None,
    status: str = RequestStatus.NEW,
) -> ServiceRequest:
    """The request row, its first history entry and the timeline entry on the account.
    Callers have checked permission."""
    now = clock.now()
    request = ServiceRequest(
        number=next_number("SR", clock.today()),
        account=account,
        kind=kind,
        channel=channel,
        subject=subject,
        description=description,
        contact_name=contact_name,
        contact_phone=contact_phone,
        status=status,
        owner=owner,
        opened_by=actor,
        opened_at=now,
    )
    save_new(request)
    event_add(request=request, actor=actor, to_status=status, note=_("受理"))
    audit_entry_create(
        actor=actor,
        action=AuditAction.CREATE,
        target=request,
        account=account,
        summary=_("受理%(kind)s %(number)s：%(subject)s")
        % {"kind": request.get_kind_display(), "number": request.number, "subject": subject},
    )
    return request


@transaction.atomic
def request_open(
    *,
    actor: User,
    account: Account,
    kind: str,
    subject: str,
    description: str = "",
    channel: str = "phone",
    contact_name: str = "",
    contact_phone: str = "",
    owner: User | None = None,
) -> ServiceRequest:
    """Open a consultation, billing query or technical-support request. Orders and faults
    are opened by `order_accept` and `fault_report`, which carry their details."""
    require(access.can_open_request(actor, account))
    if kind in (RequestKind.ORDER, RequestKind.FAULT):
        raise ApplicationError(
            _("业务受理和故障申告请使用各自的表单（需填写产品或故障电路）。"),
            code=ServiceErrorCode.WRONG_KIND,
            field="kind",
        )
    if owner is not None and not account_access.can_view_account(owner, account):
        raise ApplicationError(_("处理人看不到该客户，不能分派给他。"), field="owner")
    return request_create(
        actor=actor,
        account=account,
        kind=kind,
        subject=subject,
        description=description,
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        owner=owner or actor,
    )


def set_status(
    *,
    actor: Any,
    request: ServiceRequest,
    to_status: str,
    note: str = "",
    expected_version: int | None = None,
) -> ServiceRequest:
    """Move `request` to `to_status` with its history entry (no permission check; the
    order and fault services call it). With `expected_version`, a concurrent change is a
    Conflict; without, the row is locked and re-read."""
    if expected_version is None:
        request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
        expected_version = request.version
    before = request.status
    if before == to_status:
        return request
    request.status = to_status
    fields = ["status"]
    if to_status == RequestStatus.RESOLVED:
        request.resolved_at = clock.now()
        request.resolution = note or request.resolution
        fields += ["resolved_at", "resolution"]
    elif before == RequestStatus.RESOLVED and to_status != RequestStatus.CLOSED:
        request.resolved_at = None  # reopened: the earlier result no longer stands
        request.resolution = ""
        fields += ["resolved_at", "resolution"]
    save_versioned(request, expected_version=expected_version, fields=fields)
    event_add(request=request, actor=actor, from_status=before, to_status=to_status, note=note)
    return request


@transaction.atomic
def request_transition(
    *,
    actor: User,
    request: ServiceRequest,
    to_status: str,
    expected_version: int,
    note: str = "",
) -> ServiceRequest:
    require(access.can_work_request(actor, request.account))
    check_version(request, expected_version)
    if to_status not in TRANSITIONS.get(request.status, set()):
        raise bad_transition(
            _("受理单不能从“%(a)s”改为“%(b)s”。")
            % {
                "a": request.get_status_display(),
                "b": RequestStatus(to_status).label if to_status in RequestStatus.values else "?",
            }
        )
    driven = request.kind in DRIVEN
    if to_status in DRIVEN.get(request.kind, set()) or (
        driven and request.status == RequestStatus.RESOLVED and to_status != RequestStatus.CLOSED
    ):
        raise bad_transition(_("该状态由工单自身决定（开通、停钟或修复），请在工单上操作。"))
    if to_status == RequestStatus.RESOLVED and not note.strip():
        raise ApplicationError(_("请填写处理结果。"), field="note")
    set_status(
        actor=actor,
        request=request,
        to_status=to_status,
        note=note,
        expected_version=expected_version,
    )
    if to_status in (RequestStatus.RESOLVED, RequestStatus.CANCELLED, RequestStatus.CLOSED):
        audit_entry_create(
            actor=actor,
            action=AuditAction.EVENT,
            target=request,
            account=request.account,
            summary=_("受理单 %(number)s %(status)s")
            % {"number": request.number, "status": request.get_status_display()},
        )
    return request


@transaction.atomic
def request_assign(
    *, actor: User, request: ServiceRequest, owner: User, expected_version: int
) -> ServiceRequest:
    require(access.can_work_request(actor, request.account))
    check_version(request, expected_version)
    if not request.is_open:
        raise bad_transition(_("已办结的受理单不能再分派。"))
    if not account_access.can_view_account(owner, request.account):
        raise ApplicationError(_("处理人看不到该客户，不能分派给他。"), field="owner")
    if not owner.is_active:
        raise ApplicationError(_("处理人已停用。"), field="owner")
    request.owner = owner
    save_versioned(request, expected_version=expected_version, fields=["owner"])
    event_add(
        request=request,
        actor=actor,
        from_status=request.status,
        to_status=request.status,
        note=_("分派给 %(name)s") % {"name": owner.get_full_name() or owner.username},
    )
    return request


@transaction.atomic
def request_note(*, actor: User, request: ServiceRequest, note: str) -> RequestEvent:
    require(access.can_work_request(actor, request.account))
    if not note.strip():
        raise ApplicationError(_("请填写说明。"), field="note")
    return event_add(
        request=request,
        actor=actor,
        from_status=request.status,
        to_status=request.status,
        note=note.strip(),
    )
