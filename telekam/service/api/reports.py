"""The monthly SLA report of one account."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema

from telekam.accounts import selectors as account_selectors
from telekam.accounts.api.common import confidential
from telekam.core import clock
from telekam.core.api import actor, id_path
from telekam.service import selectors
from telekam.service.api.common import AccountIdRef, Month, month_start

router = Router()


class SlaCircuitOut(Schema):
    service_id: int
    number: str
    product: str
    sla_level: str
    sla_level_label: str
    monthly_fee: Decimal | None = Field(
        None, description="Confidential: null for service desk and operations"
    )
    minutes_in_month: int = Field(..., description="Minutes in service this month")
    outage_minutes: int
    excluded_minutes: int = Field(..., description="Outage spent waiting on the customer")
    availability_pct: Decimal
    target_pct: Decimal
    met: bool
    credit: Decimal = Field(..., description="Credit owed on the monthly fee (RMB)")

    @staticmethod
    def resolve_service_id(obj: selectors.CircuitMonth) -> int:
        return obj.service.pk

    @staticmethod
    def resolve_number(obj: selectors.CircuitMonth) -> str:
        return obj.service.number

    @staticmethod
    def resolve_product(obj: selectors.CircuitMonth) -> str:
        return obj.service.product.code

    @staticmethod
    def resolve_monthly_fee(obj: selectors.CircuitMonth, context: Any) -> Decimal | None:
        return obj.service.monthly_fee if confidential(context) else None


class SlaOrderLineOut(Schema):
    order_id: int
    product: str
    circuit_number: str
    sla_class: str
    accepted_on: dt.date
    deadline: dt.date
    status: str
    activated_on: dt.date | None
    on_time: bool | None = Field(..., description="null: open and not yet due")
    working_days_late: int | None
    compensation: Decimal | None

    @staticmethod
    def resolve_order_id(obj: selectors.OrderLine) -> int:
        return obj.order.pk

    @staticmethod
    def resolve_product(obj: selectors.OrderLine) -> str:
        return obj.order.product.code

    @staticmethod
    def resolve_circuit_number(obj: selectors.OrderLine) -> str:
        return obj.order.circuit_number

    @staticmethod
    def resolve_sla_class(obj: selectors.OrderLine) -> str:
        return obj.order.sla_class

    @staticmethod
    def resolve_accepted_on(obj: selectors.OrderLine) -> dt.date:
        return obj.order.accepted_on

    @staticmethod
    def resolve_deadline(obj: selectors.OrderLine) -> dt.date:
        return obj.order.deadline

    @staticmethod
    def resolve_status(obj: selectors.OrderLine) -> str:
        return obj.order.status

    @staticmethod
    def resolve_activated_on(obj: selectors.OrderLine) -> dt.date | None:
        return obj.order.activated_on


class SlaReportOut(Schema):
    account: AccountIdRef
    month: str = Field(..., description="YYYY-MM")
    circuits: list[SlaCircuitOut]
    orders: list[SlaOrderLineOut] = Field(..., description="Orders due in the month")
    faults_count: int
    orders_due: int
    orders_on_time: int
    compensation_total: Decimal
    credit_total: Decimal

    @staticmethod
    def resolve_month(obj: selectors.SlaReport) -> str:
        return f"{obj.month:%Y-%m}"


class SlaReportQuery(Schema):
    month: Month = Field(..., description="YYYY-MM")


@router.get("/service/accounts/{account_id}/sla-report", response=SlaReportOut)
def sla_report(
    request: Any, query: Query[SlaReportQuery], account_id: int = id_path()
) -> selectors.SlaReport:
    """One account's month against its SLA: availability and credit per circuit, the
    orders due in the month and whether they were on time, compensation and credits."""
    account = account_selectors.account_get_visible(user=actor(request), pk=account_id)
    return selectors.sla_report(
        account=account, month=month_start(query.month), today=clock.today()
    )
