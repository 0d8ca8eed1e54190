"""What the service-desk routers share: references by id, bounded dates, output schemas of
the pieces that appear in several answers (an order's SLA standing, a fault's clock)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime

from telekam.accounts import selectors as account_selectors
from telekam.accounts.api.common import confidential
from telekam.accounts.models import Account
from telekam.core import clock
from telekam.core.api import actor
from telekam.core.errors import NotFound, ValidationFailed
from telekam.service import selectors
from telekam.service.models import FaultTicket, ProvisioningOrder

# Dates a desk deals with. Anything outside is a typing error (year 2206 for 2026), refused
# with a 422 before it reaches the working-day calendar, which counts day by day.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY)]


def _moment_in_range(value: dt.datetime) -> dt.datetime:
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise ValueError(_("时间须在 2000 年至 2099 年之间。"))
    return value


# A moment with its time zone ("2026-03-02T10:00:00+08:00"); a naive time is refused.
Moment = Annotated[AwareDatetime, AfterValidator(_moment_in_range)]

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _month_text(value: str) -> str:
    match = MONTH_PATTERN.match(value)
    if match is None or not FIRST_DAY.year <= int(match.group(1)) <= LAST_DAY.year:
        raise ValueError(_("月份格式为 YYYY-MM（2000-01 至 2099-12）。"))
    return value


# A month as "YYYY-MM".
Month = Annotated[
    str, Field(min_length=7, max_length=7, examples=["2026-03"]), AfterValidator(_month_text)
]
# Money in yuan with two places; never negative.
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


def month_start(text: str) -> dt.date:
    """ "2026-03" (validated by `Month`) -> 2026-03-01."""
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


def invalid(field: str, message: str) -> ValidationFailed:
    """A 422 on one field of the input: `field` and `details` name it."""
    error = ValidationFailed(message, errors={field: [message]})
    error.field = field
    return error


def visible_account_by_id(request: Any, account_id: int, *, field: str) -> Account:
    """An account named in a request body: unknown and invisible answer the same 422."""
    try:
        return account_selectors.account_get_visible(user=actor(request), pk=account_id)
    except NotFound:
        raise invalid(field, _("找不到客户 %(id)s，或您无权查看。") % {"id": account_id}) from None


def related_or_none(obj: Any, name: str) -> Any:
    """The reverse one-to-one `name` of `obj` (an order or a fault of a request), or None."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def attach_standing(orders: Iterable[ProvisioningOrder]) -> None:
    """Compute the SLA standing of a batch of orders in one go (the calendar is read once,
    two queries), so rendering a list costs the same whatever its length."""
    orders = list(orders)
    standing = selectors.orders_standing(orders=orders, today=clock.today())
    for order in orders:
        order.sla_standing = standing[order.pk]  # type: ignore[attr-defined]


def standing_of(order: ProvisioningOrder) -> selectors.OrderStanding:
    attached = getattr(order, "sla_standing", None)
    if attached is not None:
        return attached  # type: ignore[no-any-return]
    return selectors.order_standing(order=order, today=clock.today())


# --- output schemas -------------------------------------------------------------------


class AccountIdRef(Schema):
    id: int
    code: str
    name: str


class RequestRef(Schema):
    id: int
    number: str
    kind: str
    status: str
    version: int


class OrderStandingOut(Schema):
    """Where an order stands against its provisioning SLA today."""

    state: str = Field(
        ..., description="on_track, due_soon, late, on_time, activated_late, cancelled"
    )
    deadline: dt.date
    provisional: bool = Field(..., description="The count ran into a year the calendar lacks")
    working_days_left: int | None
    working_days_late: int
    compensation: Decimal = Field(..., description="Owed so far (RMB), capped at the fee")
    capped: bool


class FaultClockOut(Schema):
    """Where a fault stands against its response and restoration targets now."""

    response_due: dt.datetime
    restore_due: dt.datetime
    paused_minutes: int
    elapsed_minutes: int
    response_late: bool
    restore_late: bool
    paused: bool
    minutes_left: int | None


class OrderBriefOut(Schema):
    id: int
    product: str
    product_name: str
    sla_class: str
    circuit_number: str
    accepted_on: dt.date
    deadline: dt.date
    status: str
    activated_on: dt.date | None
    standing: OrderStandingOut

    @staticmethod
    def resolve_product(obj: ProvisioningOrder) -> str:
        return obj.product.code

    @staticmethod
    def resolve_product_name(obj: ProvisioningOrder) -> str:
        return str(obj.product.display_name)

    @staticmethod
    def resolve_standing(obj: ProvisioningOrder) -> selectors.OrderStanding:
        return standing_of(obj)


class OrderOut(OrderBriefOut):
    account: AccountIdRef
    request: RequestRef
    sla_level: str
    working_days: int
    price_factor: Decimal
    compensation_rate: Decimal
    one_time_fee: Decimal
    monthly_fee: Decimal | None = Field(
        None, description="Confidential: null for service desk and operations"
    )
    bandwidth_mbps: Decimal | None
    a_end: str
    z_end: str
    deadline_provisional: bool
    working_days_late: int | None
    service_id: int | None = Field(None, description="The service in use once activated")
    responsible_segment: str
    compensation_id: int | None = Field(None, description="The compensation form, if late")
    version: int

    @staticmethod
    def resolve_monthly_fee(obj: ProvisioningOrder, context: Any) -> Decimal | None:
        return obj.monthly_fee if confidential(context) else None

    @staticmethod
    def resolve_compensation_id(obj: ProvisioningOrder) -> int | None:
        form = related_or_none(obj, "compensation")
        return form.pk if form is not None else None


class FaultBriefOut(Schema):
    id: int
    priority: int
    status: str
    sla_level: str
    service_number: str
    reported_at: dt.datetime
    clock: FaultClockOut

    @staticmethod
    def resolve_service_number(obj: FaultTicket) -> str:
        return obj.service.number

    @staticmethod
    def resolve_clock(obj: FaultTicket) -> selectors.FaultClock:
        return selectors.fault_clock(fault=obj, now=clock.now())


class FaultPauseOut(Schema):
    started_at: dt.datetime
    ended_at: dt.datetime | None
    reason: str


class FaultOut(FaultBriefOut):
    account: AccountIdRef
    request: RequestRef
    service_id: int
    product: str
    response_minutes: int
    restore_minutes: int
    service_affecting: bool
    responded_at: dt.datetime | None
    restored_at: dt.datetime | None
    paused_since: dt.datetime | None
    paused_seconds: int = Field(..., description="Pauses already ended, in seconds")
    cause: str
    pauses: list[FaultPauseOut]
    version: int

    @staticmethod
    def resolve_product(obj: FaultTicket) -> str:
        return obj.service.product.code

    @staticmethod
    def resolve_pauses(obj: FaultTicket) -> list[Any]:
        return list(obj.pauses.all())
