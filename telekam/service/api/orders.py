"""Provisioning orders and their compensation forms: accept, activate, cancel; confirm,
void, sign (with the customer's signed scan), settle."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import field_validator

from telekam.accounts.api.common import UserRef
from telekam.accounts.models import SlaLevel
from telekam.catalog.models import Product
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
from telekam.core.errors import ApplicationError
from telekam.service import selectors, services
from telekam.service.api.common import (
    AccountIdRef,
    Day,
    Money,
    Month,
    OrderOut,
    month_start,
    visible_account_by_id,
)
from telekam.service.errors import ServiceErrorCode
from telekam.service.models import (
    CompensationForm,
    CompensationStatus,
    ProvisioningOrder,
    RequestChannel,
    ResponsibleSegment,
    SlaClass,
)

router = Router()

COMPENSATION_FILTERS = ("", "all", "pending", *CompensationStatus.values)


# --- orders ---------------------------------------------------------------------------


class OrderAcceptIn(InputSchema):
    account_id: Id
    product: str = Field(..., max_length=40, description="Product code, e.g. digital_circuit")
    sla_class: SlaClass = Field(..., description="special, urgent or normal")
    accepted_on: Day = Field(..., description="Day of acceptance (not counted); not after today")
    one_time_fee: Money | None = Field(
        None, description="Default: the catalogue fee times the class's price factor"
    )
    monthly_fee: Money = Decimal("0.00")
    sla_level: SlaLevel = SlaLevel.BRONZE
    circuit_number: str = Field("", max_length=40)
    bandwidth_mbps: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=3)
    a_end: str = Field("", max_length=120)
    z_end: str = Field("", max_length=120)
    description: str = ""
    channel: RequestChannel = RequestChannel.ACCOUNT_MANAGER
    contact_name: str = Field("", max_length=60)
    contact_phone: str = Field("", max_length=24)


class OrderActivateIn(InputSchema):
    activated_on: Day = Field(..., description="Not before acceptance, not after today")
    circuit_number: str = Field("", max_length=40, description="Default: the order's number")
    version: int = version_field()


class OrderCancelIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=500)
    version: int = version_field()


def _order(request: Any, order_id: int) -> ProvisioningOrder:
    return selectors.order_get_visible(user=actor(request), pk=order_id)


@router.post("/service/orders", response={201: OrderOut})
def order_accept(request: Any, payload: OrderAcceptIn) -> ProvisioningOrder:
    """Accept a provisioning order: its deadline is the N-th working day after the day of
    acceptance on the Chinese statutory calendar."""
    account = visible_account_by_id(request, payload.account_id, field="account_id")
    product = Product.objects.filter(code=payload.product).first()
    if product is None:
        raise ApplicationError(
            _("产品目录中没有编码“%(c)s”。") % {"c": payload.product},
            code=ServiceErrorCode.UNKNOWN_PRODUCT,
            field="product",
        )
    order = services.order_accept(
        actor=actor(request),
        account=account,
        product=product,
        sla_class=payload.sla_class,
        accepted_on=payload.accepted_on,
        one_time_fee=payload.one_time_fee,
        monthly_fee=payload.monthly_fee,
        sla_level=payload.sla_level,
        circuit_number=payload.circuit_number,
        bandwidth_mbps=payload.bandwidth_mbps,
        a_end=payload.a_end,
        z_end=payload.z_end,
        description=payload.description,
        channel=payload.channel,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
    )
    return order


@router.get("/service/orders/{order_id}", response=OrderOut)
def order_detail(request: Any, order_id: int = id_path()) -> ProvisioningOrder:
    """One order with its SLA standing today."""
    return _order(request, order_id)


@router.post("/service/orders/{order_id}/activate", response=OrderOut)
def order_activate(
    request: Any, payload: OrderActivateIn, order_id: int = id_path()
) -> ProvisioningOrder:
    """Operations records the activation: the working days late are counted, a late order
    gets its draft compensation form, the callback desk its call."""
    order = _order(request, order_id)
    services.order_activate(
        actor=actor(request),
        order=order,
        activated_on=payload.activated_on,
        circuit_number=payload.circuit_number,
        expected_version=payload.version,
    )
    return _order(request, order_id)  # read again: the request moved too


@router.post("/service/orders/{order_id}/cancel", response=OrderOut)
def order_cancel(
    request: Any, payload: OrderCancelIn, order_id: int = id_path()
) -> ProvisioningOrder:
    """Withdraw an order still being built."""
    order = _order(request, order_id)
    services.order_cancel(
        actor=actor(request), order=order, reason=payload.reason, expected_version=payload.version
    )
    return _order(request, order_id)


# --- compensation forms ---------------------------------------------------------------


class CompensationOrderOut(Schema):
    id: int
    product: str
    circuit_number: str
    sla_class: str
    accepted_on: dt.date
    deadline: dt.date
    activated_on: dt.date | None

    @staticmethod
    def resolve_product(obj: ProvisioningOrder) -> str:
        return obj.product.code


class CompensationCreditOut(Schema):
    month: str = Field(..., description="YYYY-MM")
    amount: Decimal
    reference: str

    @staticmethod
    def resolve_month(obj: Any) -> str:
        return f"{obj.month:%Y-%m}"


class CompensationOut(Schema):
    id: int
    number: str
    account: AccountIdRef
    order: CompensationOrderOut
    one_time_fee: Decimal
    rate: Decimal = Field(..., description="Share of the one-time fee per working day late")
    working_days_late: int
    amount: Decimal
    capped: bool = Field(..., description="Reached the fee: the one-time fee is waived")
    status: str
    responsible_segment: str
    signed_on: dt.date | None
    created_at: dt.datetime
    version: int


class CompensationDetailOut(CompensationOut):
    request_number: str
    finding: str
    confirmed_by: UserRef | None
    confirmed_at: dt.datetime | None
    customer_signatory: str
    signature_scan: bool = Field(..., description="The signed scan is on file")
    signed_by: UserRef | None
    settled_by: UserRef | None
    settled_at: dt.datetime | None
    credit: CompensationCreditOut | None
    void_reason: str

    @staticmethod
    def resolve_request_number(obj: CompensationForm) -> str:
        return obj.order.request.number

    @staticmethod
    def resolve_signature_scan(obj: CompensationForm) -> bool:
        return bool(obj.signature_scan)


class CompensationQuery(PageQuery):
    status: str = Field(
        "", max_length=16, description="pending (not settled nor void), all, or one status"
    )

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str:
        if value not in COMPENSATION_FILTERS:
            raise ValueError(
                _("状态须为 %(s)s 之一。") % {"s": ", ".join(v for v in COMPENSATION_FILTERS if v)}
            )
        return value


class CompensationConfirmIn(InputSchema):
    segment: ResponsibleSegment = Field(..., description="The segment responsible for the delay")
    finding: str = Field("", max_length=500)
    version: int = version_field()


class CompensationVoidIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=300)
    version: int = version_field()


class CompensationSignIn(InputSchema):
    signatory: str = Field(
        ..., min_length=1, max_length=60, description="Who signed for the customer"
    )
    signed_on: Day
    version: int = version_field()


class CompensationSettleIn(InputSchema):
    month: Month = Field(..., description="The bill the credit goes on, YYYY-MM")
    version: int = version_field()


def _form(request: Any, form_id: int) -> CompensationForm:
    return selectors.compensation_get_visible(user=actor(request), pk=form_id)


@router.get("/service/compensation", response=Page[CompensationOut])
def compensation_list(request: Any, query: Query[CompensationQuery]) -> dict[str, Any]:
    """Compensation forms of the accounts the user sees, newest first."""
    status = "" if query.status == "all" else query.status
    return paginate(selectors.compensation_list(user=actor(request), status=status), query)


@router.get("/service/compensation/{form_id}", response=CompensationDetailOut)
def compensation_detail(request: Any, form_id: int = id_path()) -> CompensationForm:
    return _form(request, form_id)


@router.post("/service/compensation/{form_id}/confirm", response=CompensationDetailOut)
def compensation_confirm(
    request: Any, payload: CompensationConfirmIn, form_id: int = id_path()
) -> CompensationForm:
    """Operations confirms the breach and names the segment responsible."""
    return services.compensation_confirm(
        actor=actor(request),
        form=_form(request, form_id),
        segment=payload.segment,
        finding=payload.finding,
        expected_version=payload.version,
    )


@router.post("/service/compensation/{form_id}/void", response=CompensationDetailOut)
def compensation_void(
    request: Any, payload: CompensationVoidIn, form_id: int = id_path()
) -> CompensationForm:
    """Operations voids a form not yet signed (e.g. the delay was the customer's)."""
    return services.compensation_void(
        actor=actor(request),
        form=_form(request, form_id),
        reason=payload.reason,
        expected_version=payload.version,
    )


@router.post("/service/compensation/{form_id}/sign", response=CompensationDetailOut)
def compensation_sign(
    request: Any,
    payload: Form[CompensationSignIn],
    scan: File[UploadedFile | None] = None,
    form_id: int = id_path(),
) -> CompensationForm:
    """The account's AM records the customer's signature: multipart/form-data with the
    fields `signatory`, `signed_on`, `version` and the file `scan` (PDF, PNG or JPG, at
    most 10 MB)."""
    return services.compensation_sign(
        actor=actor(request),
        form=_form(request, form_id),
        signatory=payload.signatory,
        signed_on=payload.signed_on,
        scan=scan,
        expected_version=payload.version,
    )


@router.post("/service/compensation/{form_id}/settle", response=CompensationDetailOut)
def compensation_settle(
    request: Any, payload: CompensationSettleIn, form_id: int = id_path()
) -> CompensationForm:
    """The department head settles a signed form as a credit on the account's bill."""
    return services.compensation_settle(
        actor=actor(request),
        form=_form(request, form_id),
        month=month_start(payload.month),
        expected_version=payload.version,
    )
