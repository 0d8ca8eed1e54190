"""Solutions and quotes: a solution for an opportunity, versioned quotes with their lines
and figures, submitting, approving or rejecting a discount, the customer's acceptance, the
quotes awaiting the user; contracts and their signature."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema

from telekam.accounts.api.common import UserRef
from telekam.core.api import Id, InputSchema, Page, PageQuery, id_path, paginate, version_field
from telekam.sales import selectors, services
from telekam.sales.api.common import (
    SalesOpportunityRef,
    SalesPercent,
    SalesQuoteBriefOut,
    SalesSolutionOut,
    SalesUnitPrice,
    figures,
    products_by_code,
    sales_user,
    user_of,
    visible_opportunity,
    visible_quote,
    visible_solution,
)
from telekam.sales.models import Contract, ContractLine, Quote, QuoteLine, Solution
from telekam.service.api.common import AccountIdRef, Day

router = Router()

MAX_LINES = 100


# --- solutions ------------------------------------------------------------------------


class SalesSolutionIn(InputSchema):
    title: str = Field(..., min_length=1, max_length=200)
    proposal: str = Field("", description="The technical proposal")
    presales_id: Id | None = Field(
        None, description="The pre-sales engineer; default: the caller if pre-sales"
    )


@router.post("/sales/opportunities/{opportunity_id}/solutions", response={201: SalesSolutionOut})
def solution_create(
    request: Any, payload: SalesSolutionIn, opportunity_id: int = id_path()
) -> Solution:
    """A technical proposal for the opportunity (its editors and pre-sales of its group)."""
    opportunity = visible_opportunity(request, opportunity_id)
    presales = user_of(payload.presales_id, field="presales_id") if payload.presales_id else None
    solution = services.solution_create(
        actor=sales_user(request),
        opportunity=opportunity,
        title=payload.title,
        proposal=payload.proposal,
        presales=presales,
    )
    return (
        Solution.objects.select_related("presales").prefetch_related("quotes").get(pk=solution.pk)
    )


# --- quotes ---------------------------------------------------------------------------


class SalesQuoteLineIn(InputSchema):
    product: str = Field(..., min_length=1, max_length=40, description="Product code")
    quantity: int = Field(1, ge=1, le=9_999)
    term_months: int = Field(12, ge=1, le=120)
    monthly_price: SalesUnitPrice | None = Field(
        None, description="Per unit, before discount; default: the catalogue's list fee"
    )
    one_time_price: SalesUnitPrice | None = Field(
        None, description="Per unit, before discount; default: the catalogue's list fee"
    )
    discount_pct: SalesPercent = Decimal("0.00")


class SalesQuoteIn(InputSchema):
    valid_until: Day = Field(..., description="Not before today")
    note: str = Field("", max_length=2000)
    lines: list[SalesQuoteLineIn] = Field(..., max_length=MAX_LINES)


class SalesQuoteStepIn(InputSchema):
    version: int = version_field()
    note: str = Field(
        "",
        max_length=300,
        description="The approver's comment (approve, reject: required to reject); "
        "not used by submit and accept",
    )


class SalesQuoteLineOut(Schema):
    id: int
    product: str
    product_name: str
    quantity: int
    term_months: int
    monthly_price: Decimal
    one_time_price: Decimal
    discount_pct: Decimal
    net_monthly: Decimal
    net_one_time: Decimal
    contract_value: Decimal

    @staticmethod
    def resolve_product(obj: QuoteLine) -> str:
        return obj.product.code

    @staticmethod
    def resolve_product_name(obj: QuoteLine) -> str:
        return str(obj.product.display_name)


class SalesSolutionRef(Schema):
    id: int
    title: str


class SalesQuoteOut(SalesQuoteBriefOut):
    opportunity: SalesOpportunityRef
    solution: SalesSolutionRef
    note: str
    submitted_by: UserRef | None
    submitted_at: dt.datetime | None
    decided_by: UserRef | None
    decided_at: dt.datetime | None
    decision_note: str
    grade_limit: Decimal | None = Field(
        ..., description="The largest discount the account's grade merits; null: no grade"
    )
    lines: list[SalesQuoteLineOut]
    created_at: dt.datetime

    @staticmethod
    def resolve_opportunity(obj: Quote) -> Any:
        return obj.solution.opportunity

    @staticmethod
    def resolve_grade_limit(obj: Quote) -> Decimal | None:
        return figures(obj).grade_limit

    @staticmethod
    def resolve_lines(obj: Quote) -> list[QuoteLine]:
        return list(obj.lines.all())


class SalesApprovalOut(SalesQuoteBriefOut):
    opportunity: SalesOpportunityRef
    submitted_by: UserRef | None
    submitted_at: dt.datetime | None

    @staticmethod
    def resolve_opportunity(obj: Quote) -> Any:
        return obj.solution.opportunity


@router.post("/sales/solutions/{solution_id}/quotes", response={201: SalesQuoteOut})
def quote_create(request: Any, payload: SalesQuoteIn, solution_id: int = id_path()) -> Quote:
    """A new version of the solution's price proposal (earlier versions not yet accepted
    are superseded). Prices default to the catalogue's list fees."""
    solution = visible_solution(request, solution_id)
    products = products_by_code([line.product for line in payload.lines], field="lines.{}.product")
    lines = [{**line.model_dump(), "product": products[line.product]} for line in payload.lines]
    quote = services.quote_create(
        actor=sales_user(request),
        solution=solution,
        lines=lines,
        valid_until=payload.valid_until,
        note=payload.note,
    )
    return visible_quote(request, quote.pk)


@router.get("/sales/quotes/{quote_id}", response=SalesQuoteOut)
def quote_detail(request: Any, quote_id: int = id_path()) -> Quote:
    """One quote: its lines, totals, largest discount, and whether the discount is beyond
    what the account's grade merits."""
    return visible_quote(request, quote_id)


@router.post("/sales/quotes/{quote_id}/submit", response=SalesQuoteOut)
def quote_submit(request: Any, payload: SalesQuoteStepIn, quote_id: int = id_path()) -> Quote:
    """Submit a draft: within the submitter's discount limit it is approved at once;
    beyond it, it waits for the lowest role whose limit covers it (beyond every limit:
    400 `over_any_limit`)."""
    services.quote_submit(
        actor=sales_user(request),
        quote=visible_quote(request, quote_id),
        expected_version=payload.version,
    )
    return visible_quote(request, quote_id)


def _decide(request: Any, payload: SalesQuoteStepIn, quote_id: int, *, approve: bool) -> Quote:
    services.quote_decide(
        actor=sales_user(request),
        quote=visible_quote(request, quote_id),
        approve=approve,
        expected_version=payload.version,
        note=payload.note,
    )
    return visible_quote(request, quote_id)


@router.post("/sales/quotes/{quote_id}/approve", response=SalesQuoteOut)
def quote_approve(request: Any, payload: SalesQuoteStepIn, quote_id: int = id_path()) -> Quote:
    """Approve a pending discount: the role it waits for (a group lead of the deal's group,
    up to its limit) or the department head (up to 35 %); never the submitter."""
    return _decide(request, payload, quote_id, approve=True)


@router.post("/sales/quotes/{quote_id}/reject", response=SalesQuoteOut)
def quote_reject(request: Any, payload: SalesQuoteStepIn, quote_id: int = id_path()) -> Quote:
    """Reject a pending discount, with a `note`."""
    return _decide(request, payload, quote_id, approve=False)


@router.post("/sales/quotes/{quote_id}/accept", response=SalesQuoteOut)
def quote_accept(request: Any, payload: SalesQuoteStepIn, quote_id: int = id_path()) -> Quote:
    """The customer accepted an approved, still valid quote of an open deal: the deal moves
    on to the contract stage (the quote's draft contract follows from it)."""
    services.quote_accept(
        actor=sales_user(request),
        quote=visible_quote(request, quote_id),
        expected_version=payload.version,
    )
    return visible_quote(request, quote_id)


@router.get("/sales/approvals", response=Page[SalesApprovalOut])
def approvals(request: Any, query: Query[PageQuery]) -> dict[str, Any]:
    """Quotes waiting for a decision the user may take, oldest submission first."""
    rows = selectors.quotes_awaiting(user=sales_user(request))
    rows = rows.select_related("solution__opportunity__account__grade").prefetch_related(
        "lines__product"
    )
    return paginate(rows, query)


# --- contracts ------------------------------------------------------------------------


class SalesContractLineOut(Schema):
    id: int
    product: str
    product_name: str
    quantity: int
    monthly_fee: Decimal = Field(..., description="Net, for all the units")
    one_time_fee: Decimal
    activation_on: dt.date | None
    orders: list[int] = Field(..., description="Ids of the provisioning orders made at signing")

    @staticmethod
    def resolve_product(obj: ContractLine) -> str:
        return obj.product.code

    @staticmethod
    def resolve_product_name(obj: ContractLine) -> str:
        return str(obj.product.display_name)

    @staticmethod
    def resolve_orders(obj: ContractLine) -> list[int]:
        return [order.pk for order in obj.orders.all()]


class SalesQuoteRef(Schema):
    id: int
    number: str
    revision: int


class SalesContractOut(Schema):
    id: int
    number: str
    opportunity: SalesOpportunityRef
    quote: SalesQuoteRef
    account: AccountIdRef
    our_party: str
    customer_party: str
    term_months: int
    start_on: dt.date
    end_on: dt.date
    billing_method: str
    sla_class: str = Field(..., description="The provisioning promise of its orders")
    sla_level: str
    specification: str
    status: str
    signed_on: dt.date | None
    renewal_lead_days: int
    lines: list[SalesContractLineOut]
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_lines(obj: Contract) -> list[ContractLine]:
        return list(obj.lines.all())


class SalesContractSignIn(InputSchema):
    signed_on: Day = Field(..., description="Not after today")
    version: int = version_field()


def _contract(request: Any, contract_id: int) -> Contract:
    return selectors.contract_get_visible(user=sales_user(request), pk=contract_id)


@router.get("/sales/contracts/{contract_id}", response=SalesContractOut)
def contract_detail(request: Any, contract_id: int = id_path()) -> Contract:
    return _contract(request, contract_id)


@router.post("/sales/contracts/{contract_id}/sign", response=SalesContractOut)
def contract_sign(
    request: Any, payload: SalesContractSignIn, contract_id: int = id_path()
) -> Contract:
    """Record the signature: each unit of a circuit product with a provisioning promise at
    the contract's SLA class becomes a provisioning order accepted on the day of signing;
    a deal at the contract stage moves on to implementation."""
    services.contract_sign(
        actor=sales_user(request),
        contract=_contract(request, contract_id),
        signed_on=payload.signed_on,
        expected_version=payload.version,
    )
    return _contract(request, contract_id)
