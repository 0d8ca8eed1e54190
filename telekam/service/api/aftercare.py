"""After the work: delivery to a key account's headquarters, and the callback desk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Query, Router, Schema

from telekam.accounts.api.common import UserRef
from telekam.core import clock
from telekam.core.api import InputSchema, Page, PageQuery, actor, id_path, paginate, version_field
from telekam.service import selectors, services
from telekam.service.api.common import AccountIdRef, Day
from telekam.service.models import Callback, CallbackItem, CallbackOutcome, DeliveryTask

router = Router()


# --- delivery -------------------------------------------------------------------------


class DeliveryOrderOut(Schema):
    id: int
    product: str
    circuit_number: str
    activated_on: dt.date | None

    @staticmethod
    def resolve_product(obj: Any) -> str:
        return obj.product.code


class DeliveryOut(Schema):
    id: int
    account: AccountIdRef
    owner: UserRef
    order: DeliveryOrderOut
    due_on: dt.date = Field(..., description="3 working days after activation")
    due_provisional: bool
    status: str
    delivered_on: dt.date | None
    confirmed_on: dt.date | None
    confirmed_by_name: str
    billing_start_on: dt.date | None
    note: str
    version: int


class DeliveryQuery(PageQuery):
    open_only: bool = Field(True, description="false: include those the customer confirmed")


class DeliveryDeliveredIn(InputSchema):
    delivered_on: Day
    note: str = Field("", max_length=300)
    version: int = version_field()


class DeliveryConfirmIn(InputSchema):
    confirmed_on: Day = Field(..., description="Also the billing start")
    confirmed_by_name: str = Field(..., min_length=1, max_length=60)
    version: int = version_field()


def _task(request: Any, task_id: int) -> DeliveryTask:
    return selectors.delivery_get_visible(user=actor(request), pk=task_id)


@router.get("/service/deliveries", response=Page[DeliveryOut])
def delivery_list(request: Any, query: Query[DeliveryQuery]) -> dict[str, Any]:
    """Delivery tasks of the accounts the user sees, by due date."""
    return paginate(selectors.delivery_list(user=actor(request), open_only=query.open_only), query)


@router.post("/service/deliveries/{task_id}/delivered", response=DeliveryOut)
def delivery_delivered(
    request: Any, payload: DeliveryDeliveredIn, task_id: int = id_path()
) -> DeliveryTask:
    """The AM handed over the package."""
    return services.delivery_mark_delivered(
        actor=actor(request),
        task=_task(request, task_id),
        delivered_on=payload.delivered_on,
        note=payload.note,
        expected_version=payload.version,
    )


@router.post("/service/deliveries/{task_id}/confirm", response=DeliveryOut)
def delivery_confirm(
    request: Any, payload: DeliveryConfirmIn, task_id: int = id_path()
) -> DeliveryTask:
    """The customer confirmed the package; that day is the billing start."""
    return services.delivery_confirm(
        actor=actor(request),
        task=_task(request, task_id),
        confirmed_on=payload.confirmed_on,
        confirmed_by_name=payload.confirmed_by_name,
        expected_version=payload.version,
    )


# --- callbacks ------------------------------------------------------------------------


class CallbackItemOut(Schema):
    reason: str = Field(..., description="activation or fault_repair")
    event_on: dt.date
    due_on: dt.date
    order_id: int | None
    fault_id: int | None
    circuit_number: str

    @staticmethod
    def resolve_circuit_number(obj: CallbackItem) -> str:
        if obj.order is not None:
            return obj.order.circuit_number
        return obj.fault.service.number if obj.fault is not None else ""


class CallbackOut(Schema):
    id: int
    account: AccountIdRef
    status: str
    opened_on: dt.date
    due_on: dt.date
    done_at: dt.datetime | None
    done_by: UserRef | None
    contact_name: str
    outcome: str
    notes: str
    items: list[CallbackItemOut]
    version: int

    @staticmethod
    def resolve_items(obj: Callback) -> list[CallbackItem]:
        return list(obj.items.all())


class CallbackQuery(PageQuery):
    status: Literal["open", "done", "all"] = "open"


class CallbackRecordIn(InputSchema):
    outcome: CallbackOutcome
    contact_name: str = Field("", max_length=60)
    notes: str = Field("", description="Required when the customer is dissatisfied")
    version: int = version_field()


class CallbackCoverageQuery(Schema):
    days: int = Field(30, ge=1, le=366, description="The window, ending today")


class CallbackCoverageOut(Schema):
    start: dt.date
    end: dt.date
    due: int = Field(..., description="Callbacks that fell due in the window")
    on_time: int
    late: int = Field(..., description="Done after their due date")
    missed: int = Field(..., description="Past due and still not done")
    pct: Decimal | None = Field(..., description="On time / due, in %; null when none was due")


@router.get("/service/callbacks", response=Page[CallbackOut])
def callback_list(request: Any, query: Query[CallbackQuery]) -> dict[str, Any]:
    """The callback desk's list: open calls by due date, or done calls newest first."""
    status = "" if query.status == "all" else query.status
    return paginate(selectors.callback_queue(user=actor(request), status=status), query)


@router.get("/service/callbacks/coverage", response=CallbackCoverageOut)
def callback_coverage(request: Any, query: Query[CallbackCoverageQuery]) -> selectors.Coverage:
    """Callbacks done on time against those due in the last `days` days (100 % is the
    standard)."""
    return selectors.callback_coverage(user=actor(request), today=clock.today(), days=query.days)


@router.post("/service/callbacks/{callback_id}/record", response=CallbackOut)
def callback_record(
    request: Any, payload: CallbackRecordIn, callback_id: int = id_path()
) -> Callback:
    """The callback desk records the call; a dissatisfied customer opens a follow-up for
    the AM."""
    callback = selectors.callback_get_visible(user=actor(request), pk=callback_id)
    return services.callback_record(
        actor=actor(request),
        callback=callback,
        outcome=payload.outcome,
        contact_name=payload.contact_name,
        notes=payload.notes,
        expected_version=payload.version,
    )
