"""Requests of the one-stop desk: the queue, one request with its history, opening a
consultation, billing or technical-support request, moving it, assigning it, notes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from telekam.accounts.api.common import UserRef, user_by_ref
from telekam.core.api import (
    Id,
    InputSchema,
    Page,
    PageQuery,
    actor,
    id_path,
    paginate,
    version_field,
)
from telekam.org.models import IndustryGroup
from telekam.service import selectors, services
from telekam.service.api.common import (
    AccountIdRef,
    FaultBriefOut,
    FaultOut,
    OrderBriefOut,
    OrderOut,
    attach_standing,
    invalid,
    related_or_none,
    visible_account_by_id,
)
from telekam.service.models import (
    RequestChannel,
    RequestEvent,
    RequestKind,
    RequestStatus,
    ServiceRequest,
)

router = Router()

STATUS_FILTERS = ("open", "closed", "all", *RequestStatus.values)


class RequestQuery(PageQuery):
    kind: RequestKind | None = Field(
        None, description="Default: every kind (operations: orders and faults)"
    )
    status: str = Field("open", max_length=20, description="open, closed, all, or one status")
    mine: bool = Field(False, description="Only requests I handle or whose account I manage")
    q: str = Field("", max_length=100, description="Request number, subject, account name or code")
    group: str = Field("", max_length=32, description="Industry group code of the account")

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str:
        if value not in STATUS_FILTERS:
            raise ValueError(_("状态须为 %(s)s 之一。") % {"s": ", ".join(STATUS_FILTERS)})
        return value


class RequestOut(Schema):
    id: int
    number: str
    account: AccountIdRef
    kind: str
    channel: str
    status: str
    subject: str
    owner: UserRef | None
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    version: int
    order: OrderBriefOut | None = Field(None, description="For an order: its SLA standing")
    fault: FaultBriefOut | None = Field(None, description="For a fault: its clock")

    @staticmethod
    def resolve_order(obj: ServiceRequest) -> Any:
        return related_or_none(obj, "order") if obj.kind == RequestKind.ORDER else None

    @staticmethod
    def resolve_fault(obj: ServiceRequest) -> Any:
        return related_or_none(obj, "fault") if obj.kind == RequestKind.FAULT else None


class RequestEventOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    from_status: str
    to_status: str
    note: str

    @staticmethod
    def resolve_actor(obj: RequestEvent) -> str:
        return obj.actor_name


class RequestDetailOut(RequestOut):
    description: str
    contact_name: str
    contact_phone: str
    resolution: str
    opened_by: UserRef | None
    order: OrderOut | None = Field(None, description="For an order: the order and its SLA standing")
    fault: FaultOut | None = Field(None, description="For a fault: the ticket and its clock")
    events: list[RequestEventOut] = Field(..., description="The history, oldest first")

    @staticmethod
    def resolve_events(obj: ServiceRequest) -> list[RequestEvent]:
        return list(obj.events.all())


class RequestOpenIn(InputSchema):
    account_id: Id
    kind: RequestKind = Field(..., description="consultation, billing or tech_support")
    subject: str = Field(..., min_length=1, max_length=200)
    description: str = ""
    channel: RequestChannel = RequestChannel.PHONE
    contact_name: str = Field("", max_length=60)
    contact_phone: str = Field("", max_length=24)
    owner_id: Id | None = Field(None, description="Who handles it; default: yourself")


class RequestTransitionIn(InputSchema):
    to_status: RequestStatus
    note: str = Field("", max_length=500)
    version: int = version_field()


class RequestAssignIn(InputSchema):
    owner_id: Id
    version: int = version_field()


class RequestNoteIn(InputSchema):
    note: str = Field(..., min_length=1, max_length=500)


def _filters(query: RequestQuery) -> selectors.QueueFilters:
    group_id: int | None = None
    if query.group:
        group = IndustryGroup.objects.filter(code=query.group).first()
        if group is None:
            raise invalid("group", _("没有编码为“%(c)s”的行业组。") % {"c": query.group})
        group_id = group.pk
    return selectors.QueueFilters(
        kind=query.kind or "", status=query.status, mine=query.mine, q=query.q, group_id=group_id
    )


def _request(request: Any, request_id: int) -> ServiceRequest:
    return selectors.request_get_visible(user=actor(request), pk=request_id)


@router.get("/service/requests", response=Page[RequestOut])
def request_list(request: Any, query: Query[RequestQuery]) -> dict[str, Any]:
    """The queue: key accounts first by star level, then oldest first. Orders carry their
    SLA standing, faults their clock."""
    rows = selectors.request_queue(user=actor(request), filters=_filters(query))
    page = paginate(rows, query)
    attach_standing(
        order
        for row in page["results"]
        if row.kind == RequestKind.ORDER and (order := related_or_none(row, "order")) is not None
    )
    return page


@router.post("/service/requests", response={201: RequestDetailOut})
def request_open(request: Any, payload: RequestOpenIn) -> ServiceRequest:
    """Open a consultation, billing query or technical-support request (orders and faults
    have their own endpoints)."""
    account = visible_account_by_id(request, payload.account_id, field="account_id")
    owner = user_by_ref(payload.owner_id, field="owner_id") if payload.owner_id else None
    return services.request_open(
        actor=actor(request),
        account=account,
        kind=payload.kind,
        subject=payload.subject,
        description=payload.description,
        channel=payload.channel,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
        owner=owner,
    )


@router.get("/service/requests/{request_id}", response=RequestDetailOut)
def request_detail(request: Any, request_id: int = id_path()) -> ServiceRequest:
    """One request with its history; an order with its SLA standing today, a fault with
    its clock now."""
    return _request(request, request_id)


@router.post("/service/requests/{request_id}/status", response=RequestDetailOut)
def request_status(
    request: Any, payload: RequestTransitionIn, request_id: int = id_path()
) -> ServiceRequest:
    """Move the request to `to_status` (resolving needs a `note`). An order's or a fault's
    request resolves and waits through the order or the fault, not here."""
    item = _request(request, request_id)
    return services.request_transition(
        actor=actor(request),
        request=item,
        to_status=payload.to_status,
        note=payload.note,
        expected_version=payload.version,
    )


@router.post("/service/requests/{request_id}/assign", response=RequestDetailOut)
def request_assign(
    request: Any, payload: RequestAssignIn, request_id: int = id_path()
) -> ServiceRequest:
    """Hand an open request to another handler."""
    item = _request(request, request_id)
    owner = user_by_ref(payload.owner_id, field="owner_id")
    return services.request_assign(
        actor=actor(request), request=item, owner=owner, expected_version=payload.version
    )


@router.post("/service/requests/{request_id}/notes", response={201: RequestEventOut})
def request_note(request: Any, payload: RequestNoteIn, request_id: int = id_path()) -> RequestEvent:
    """Add a note to the request's history (its status does not change)."""
    item = _request(request, request_id)
    return services.request_note(actor=actor(request), request=item, note=payload.note)
