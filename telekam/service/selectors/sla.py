"""What the provisioning SLA promises, what a late activation costs, and where each order
stands against it today."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from telekam.core.calendar import WorkingCalendar, working_calendar
from telekam.core.errors import ApplicationError
from telekam.service.errors import ServiceErrorCode
from telekam.service.models import OrderStatus, ProvisioningOrder, ProvisioningPolicy, SlaClass

CENT = Decimal("0.01")


@dataclasses.dataclass(frozen=True)
class SlaAnswer:
    product: str
    sla_class: str
    accepted: dt.date
    working_days: int
    deadline: dt.date
    provisional: bool  # the count ran into a year the calendar does not know yet
    price_factor: Decimal
    compensation_rate: Decimal  # share of the one-time fee per working day late
    activated: dt.date | None
    working_days_late: int | None
    one_time_fee: Decimal | None
    compensation: Decimal | None  # rate x days late x fee, capped at the fee
    capped: bool

    def as_json(self) -> dict[str, object]:
        def text(value: object) -> object:
            if isinstance(value, dt.date | Decimal):
                return str(value) if isinstance(value, Decimal) else value.isoformat()
            return value

        return {f.name: text(getattr(self, f.name)) for f in dataclasses.fields(self)}


def compensation_for(*, rate: Decimal, days_late: int, fee: Decimal) -> tuple[Decimal, bool]:
    """Compensation for a late activation: rate x working days late x one-time fee, never
    more than the fee itself (then the fee is waived). Returns (amount, capped)."""
    raw = rate * days_late * fee
    capped = raw >= fee and fee > 0
    amount = min(raw, fee)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP), capped


def sla_check(
    *,
    product: str,
    sla_class: str,
    accepted: dt.date,
    activated: dt.date | None = None,
    one_time_fee: Decimal | None = None,
) -> SlaAnswer:
    """If an order for `product` at `sla_class` is accepted on `accepted`, when is it due,
    and (given the activation date and one-time fee) what is owed for lateness?

    The deadline is the N-th working day after the day of acceptance (that day not
    counted); lateness counts the working days after the deadline up to and including the
    activation day; both on the Chinese statutory calendar.
    """
    if sla_class not in SlaClass.values:
        raise ApplicationError(
            _("时限等级应为 special、urgent 或 normal。"),
            code=ServiceErrorCode.UNKNOWN_SLA_CLASS,
            field="sla_class",
        )
    policy = (
        ProvisioningPolicy.objects.select_related("product")
        .filter(product__code=product, sla_class=sla_class)
        .first()
    )
    if policy is None:
        raise ApplicationError(
            _("产品“%(p)s”没有该时限等级的开通政策。") % {"p": product},
            code=ServiceErrorCode.NO_POLICY,
            field="product",
        )
    if activated is not None and activated < accepted:
        raise ApplicationError(
            _("开通日期不能早于受理日期。"),
            code=ServiceErrorCode.ACTIVATED_BEFORE_ACCEPTED,
            field="activated",
        )
    if accepted.year > 9000 or (activated is not None and (activated - accepted).days > 3660):
        raise ApplicationError(
            _("开通日期距受理日期超过十年，请检查日期。"),
            code=ServiceErrorCode.DATE_OUT_OF_RANGE,
            field="activated",
        )
    if one_time_fee is not None and one_time_fee < 0:
        raise ApplicationError(
            _("一次性费用不能为负数。"), code=ServiceErrorCode.NEGATIVE_FEE, field="one_time_fee"
        )
    calendar = working_calendar(start=accepted, end=activated)
    due = calendar.add_working_days(accepted, policy.working_days)
    provisional = due.provisional
    days_late: int | None = None
    compensation: Decimal | None = None
    capped = False
    if activated is not None:
        late = calendar.working_days_after(due.date, activated)
        days_late, provisional = late.days, provisional or late.provisional
        if one_time_fee is not None:
            compensation, capped = compensation_for(
                rate=policy.compensation_rate, days_late=days_late, fee=one_time_fee
            )
    return SlaAnswer(
        product=policy.product.code,
        sla_class=sla_class,
        accepted=accepted,
        working_days=policy.working_days,
        deadline=due.date,
        provisional=provisional,
        price_factor=policy.price_factor,
        compensation_rate=policy.compensation_rate,
        activated=activated,
        working_days_late=days_late,
        one_time_fee=one_time_fee,
        compensation=compensation,
        capped=capped,
    )


class Standing(enum.StrEnum):
    ON_TRACK = "on_track"  # open, deadline more than DUE_SOON working days away
    DUE_SOON = "due_soon"  # open, deadline within DUE_SOON working days
    LATE = "late"  # open, deadline passed
    ON_TIME = "on_time"  # activated on or before the deadline
    ACTIVATED_LATE = "activated_late"
    CANCELLED = "cancelled"


DUE_SOON = 2


@dataclasses.dataclass(frozen=True)
class OrderStanding:
    """Where an order stands against its SLA today: the deadline, the working days left
    (open, not yet due) or late (counted up to today for an open order, up to the activation
    day for an activated one) and the compensation owed so far (rate x days late x fee,
    capped at the fee)."""

    order_id: int
    deadline: dt.date
    provisional: bool
    state: Standing
    working_days_left: int | None
    working_days_late: int
    compensation: Decimal
    capped: bool

    @property
    def is_late(self) -> bool:
        return self.working_days_late > 0


def orders_standing(
    *, orders: Iterable[ProvisioningOrder], today: dt.date
) -> dict[int, OrderStanding]:
    """The standing of each order, keyed by id: the calendar is read once (two queries)
    for the whole batch, whatever its size."""
    orders = list(orders)
    if not orders:
        return {}
    first = min(o.accepted_on for o in orders)
    last = max([today, *(o.deadline for o in orders), *(o.activated_on or today for o in orders)])
    calendar = working_calendar(start=first, end=last)
    return {o.pk: _standing(o, today, calendar) for o in orders}


def order_standing(*, order: ProvisioningOrder, today: dt.date) -> OrderStanding:
    return orders_standing(orders=[order], today=today)[order.pk]


def _standing(order: ProvisioningOrder, today: dt.date, calendar: WorkingCalendar) -> OrderStanding:
    provisional = order.deadline_provisional
    left: int | None = None
    late_days = 0
    if order.status == OrderStatus.CANCELLED:
        state = Standing.CANCELLED
    elif order.status == OrderStatus.ACTIVATED and order.activated_on is not None:
        counted = calendar.working_days_after(order.deadline, order.activated_on)
        late_days, provisional = counted.days, provisional or counted.provisional
        state = Standing.ACTIVATED_LATE if late_days else Standing.ON_TIME
    elif today <= order.deadline:
        counted = calendar.working_days_after(today, order.deadline)
        left, provisional = counted.days, provisional or counted.provisional
        state = Standing.DUE_SOON if left <= DUE_SOON else Standing.ON_TRACK
    else:
        counted = calendar.working_days_after(order.deadline, today)
        late_days, provisional = counted.days, provisional or counted.provisional
        # Past the deadline with no working day since (a weekend after a Friday
        # deadline): activating today would still be on time.
        state = Standing.LATE if late_days else Standing.DUE_SOON
        left = None if late_days else 0
    amount, capped = compensation_for(
        rate=order.compensation_rate, days_late=late_days, fee=order.one_time_fee
    )
    return OrderStanding(
        order_id=order.pk,
        deadline=order.deadline,
        provisional=provisional,
        state=state,
        working_days_left=left,
        working_days_late=late_days,
        compensation=amount,
        capped=capped,
    )
