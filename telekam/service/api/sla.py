"""The SLA quick question: deadline and compensation for a hypothetical order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Query, Router, Schema

from telekam.service.selectors import sla_check

router = Router()


class SlaCheckIn(Schema):
    product: str = Field(..., max_length=40, description="Product code, e.g. digital_circuit")
    sla_class: str = Field(..., alias="class", max_length=16, description="special, urgent, normal")
    accepted: dt.date = Field(..., description="Day of acceptance (not counted)")
    activated: dt.date | None = Field(None, description="Activation day, if known")
    one_time_fee: Decimal | None = Field(
        None, ge=0, max_digits=14, decimal_places=2, description="One-time fee (RMB)"
    )


class SlaCheckOut(Schema):
    product: str
    sla_class: str
    accepted: dt.date
    working_days: int
    deadline: dt.date
    provisional: bool
    price_factor: Decimal
    compensation_rate: Decimal
    activated: dt.date | None
    working_days_late: int | None
    one_time_fee: Decimal | None
    compensation: Decimal | None
    capped: bool


@router.get("/sla/check", response=SlaCheckOut, summary="SLA deadline and compensation")
def sla_check_endpoint(request, params: Query[SlaCheckIn]) -> object:  # type: ignore[no-untyped-def]
    """If an order is accepted on `accepted`: its deadline on the Chinese working-day
    calendar, and for a given activation day and one-time fee, the working days late and
    the compensation owed (rate x days late x fee, capped at the fee)."""
    return sla_check(
        product=params.product,
        sla_class=params.sla_class,
        accepted=params.accepted,
        activated=params.activated,
        one_time_fee=params.one_time_fee,
    )
