"""Fault tickets: report, respond, pause the clock while waiting on the customer, resume,
restore."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Router

from telekam.accounts import selectors as account_selectors
from telekam.accounts.models import ServiceInUse
from telekam.core.api import Id, InputSchema, actor, id_path, version_field
from telekam.core.errors import NotFound
from telekam.service import access, services
from telekam.service.api.common import FaultOut, Moment, invalid, visible_account_by_id
from telekam.service.models import FaultTicket, RequestChannel

router = Router()


class FaultReportIn(InputSchema):
    account_id: Id
    service_id: Id = Field(..., description="The circuit (service in use) at fault")
    subject: str = Field(..., min_length=1, max_length=200)
    description: str = ""
    service_affecting: bool = Field(True, description="Counts against the circuit's availability")
    reported_at: Moment | None = Field(None, description="Default: now; with its time zone")
    channel: RequestChannel = RequestChannel.PHONE
    contact_name: str = Field("", max_length=60)
    contact_phone: str = Field("", max_length=24)


class FaultStepIn(InputSchema):
    version: int = version_field()


class FaultPauseIn(InputSchema):
    reason: str = Field(
        ..., min_length=1, max_length=300, description="What we wait on the customer for"
    )
    version: int = version_field()


class FaultRestoreIn(InputSchema):
    cause: str = Field(..., min_length=1, max_length=300)
    restored_at: Moment | None = Field(None, description="Default: now; with its time zone")
    version: int = version_field()


def _fault(request: Any, fault_id: int) -> FaultTicket:
    """A fault of an account the user sees (the same 404 for one it may not see)."""
    qs = access.visible(
        FaultTicket.objects.select_related("account", "request", "service", "service__product"),
        actor(request),
    )
    fault = qs.filter(pk=fault_id).first()
    if fault is None:
        raise NotFound()
    return fault


def _service(request: Any, service_id: int) -> ServiceInUse:
    service = (
        account_selectors.services_visible_to(user=actor(request)).filter(pk=service_id).first()
    )
    if service is None:
        raise invalid("service_id", _("找不到电路 %(id)s，或您无权查看。") % {"id": service_id})
    return service


@router.post("/service/faults", response={201: FaultOut})
def fault_report(request: Any, payload: FaultReportIn) -> FaultTicket:
    """Report a fault on a circuit: its priority and its response and restoration targets
    come from the account and the circuit's SLA level."""
    account = visible_account_by_id(request, payload.account_id, field="account_id")
    fault = services.fault_report(
        actor=actor(request),
        account=account,
        service=_service(request, payload.service_id),
        subject=payload.subject,
        description=payload.description,
        reported_at=payload.reported_at,
        service_affecting=payload.service_affecting,
        channel=payload.channel,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
    )
    return _fault(request, fault.pk)


@router.get("/service/faults/{fault_id}", response=FaultOut)
def fault_detail(request: Any, fault_id: int = id_path()) -> FaultTicket:
    """One fault with its pauses and its clock now."""
    return _fault(request, fault_id)


@router.post("/service/faults/{fault_id}/respond", response=FaultOut)
def fault_respond(request: Any, payload: FaultStepIn, fault_id: int = id_path()) -> FaultTicket:
    """Take the fault (service desk or operations)."""
    services.fault_respond(
        actor=actor(request), fault=_fault(request, fault_id), expected_version=payload.version
    )
    return _fault(request, fault_id)


@router.post("/service/faults/{fault_id}/pause", response=FaultOut)
def fault_pause(request: Any, payload: FaultPauseIn, fault_id: int = id_path()) -> FaultTicket:
    """Stop the restoration clock while waiting on the customer, with the reason."""
    services.fault_pause(
        actor=actor(request),
        fault=_fault(request, fault_id),
        reason=payload.reason,
        expected_version=payload.version,
    )
    return _fault(request, fault_id)


@router.post("/service/faults/{fault_id}/resume", response=FaultOut)
def fault_resume(request: Any, payload: FaultStepIn, fault_id: int = id_path()) -> FaultTicket:
    """Start the clock again."""
    services.fault_resume(
        actor=actor(request), fault=_fault(request, fault_id), expected_version=payload.version
    )
    return _fault(request, fault_id)


@router.post("/service/faults/{fault_id}/restore", response=FaultOut)
def fault_restore(request: Any, payload: FaultRestoreIn, fault_id: int = id_path()) -> FaultTicket:
    """Operations records the repair: the outage goes on the circuit (less the time waited
    on the customer), the request resolves, the callback desk gets its call."""
    services.fault_restore(
        actor=actor(request),
        fault=_fault(request, fault_id),
        cause=payload.cause,
        restored_at=payload.restored_at,
        expected_version=payload.version,
    )
    return _fault(request, fault_id)
