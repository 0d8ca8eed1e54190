"""The pipeline: opportunities (list, create, one with its history, move through the
stages), prospects (list, create, convert into an account), the board, the forecast and
the win/loss analysis."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from telekam.accounts.api.common import UserRef
from telekam.accounts.models import Industry, Segment
from telekam.core import clock
from telekam.core.api import (
    MAX_VERSION,
    Id,
    InputSchema,
    Page,
    PageQuery,
    id_path,
    paginate,
    version_field,
)
from telekam.core.errors import NotFound
from telekam.core.validators import normalize_uscc
from telekam.sales import selectors, services
from telekam.sales.api.appraisal import SalesAppraisalOut
from telekam.sales.api.common import (
    MAX_USER_REF,
    SalesMoney,
    SalesOpportunityOut,
    SalesSolutionOut,
    cents,
    group_id_of,
    owner_id_of,
    products_by_code,
    sales_user,
    user_of,
    visible_opportunity,
    visible_prospect,
)
from telekam.sales.models import (
    LostReason,
    Opportunity,
    OpportunitySource,
    Prospect,
    Quote,
    Solution,
    Stage,
    StageChange,
)
from telekam.service.api.common import (
    AccountIdRef,
    Day,
    invalid,
    related_or_none,
    visible_account_by_id,
)

router = Router()

STAGE_FILTERS = ("", "open", "all", *Stage.values)


# --- opportunities --------------------------------------------------------------------


class SalesStageChangeOut(Schema):
    at: dt.datetime
    actor: UserRef | None
    from_stage: str = Field(..., description="Empty for the creation")
    to_stage: str
    backward: bool
    note: str


class SalesContractRef(Schema):
    id: int
    number: str
    status: str
    version: int


class SalesOpportunityDetailOut(SalesOpportunityOut):
    description: str
    lost_note: str
    products: list[str] = Field(..., description="Codes of the products of interest")
    created_at: dt.datetime
    stage_history: list[SalesStageChangeOut] = Field(..., description="Oldest first")
    solutions: list[SalesSolutionOut]
    contracts: list[SalesContractRef]
    appraisal: SalesAppraisalOut | None = Field(
        None, description="The investment case with its figures, if one was entered"
    )

    @staticmethod
    def resolve_products(obj: Opportunity) -> list[str]:
        return [p.code for p in obj.products.all()]

    @staticmethod
    def resolve_stage_history(obj: Opportunity) -> list[StageChange]:
        return list(obj.stage_changes.all())

    @staticmethod
    def resolve_solutions(obj: Opportunity) -> list[Solution]:
        return list(obj.solutions.all())

    @staticmethod
    def resolve_contracts(obj: Opportunity) -> list[Any]:
        return list(obj.contracts.all())

    @staticmethod
    def resolve_appraisal(obj: Opportunity) -> Any:
        return related_or_none(obj, "appraisal")


class SalesOpportunityQuery(PageQuery):
    stage: str = Field(
        "", max_length=16, description="open (default: the open stages), all, or one stage"
    )
    owner: str = Field("", max_length=MAX_USER_REF, description="AM: user id or username")
    group: str = Field("", max_length=32, description="Industry group code")
    q: str = Field("", max_length=100, description="Name, number, account or prospect name")

    @field_validator("stage")
    @classmethod
    def _known_stage(cls, value: str) -> str:
        if value not in STAGE_FILTERS:
            raise ValueError(_("阶段须为 %(s)s 之一。") % {"s": ", ".join(STAGE_FILTERS[1:])})
        return value


class SalesOpportunityIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=200)
    source: OpportunitySource
    close_date: Day = Field(..., description="Expected signing date")
    account_id: Id | None = Field(None, description="The account; or give prospect_id")
    prospect_id: Id | None = Field(None, description="The prospect; or give account_id")
    products: list[str] = Field([], max_length=50, description="Codes of the products of interest")
    expected_monthly: SalesMoney = Decimal("0.00")
    expected_one_time: SalesMoney = Decimal("0.00")
    description: str = ""

    @field_validator("products")
    @classmethod
    def _short_codes(cls, value: list[str]) -> list[str]:
        if any(len(code) > 40 for code in value):
            raise ValueError(_("产品编码最长 40 个字符。"))
        return value


class SalesMoveIn(InputSchema):
    to_stage: Stage
    version: int = version_field()
    note: str = Field("", max_length=300)
    lost_reason: LostReason | None = Field(None, description="Required to move to lost")
    lost_to: str = Field(
        "", max_length=60, description="The competitor that won (required for competitor_solution)"
    )
    lost_note: str = Field("", max_length=300)


def _detail(request: Any, opportunity_id: int) -> Opportunity:
    """One opportunity with everything its detail shows, in a fixed number of queries."""
    opportunity = visible_opportunity(request, opportunity_id)
    prefetch_related_objects(
        [opportunity],
        "products",
        Prefetch("stage_changes", queryset=StageChange.objects.select_related("actor")),
        Prefetch("solutions", queryset=Solution.objects.select_related("presales")),
        Prefetch("solutions__quotes", queryset=Quote.objects.prefetch_related("lines__product")),
        "contracts",
        "appraisal",
    )
    return opportunity


def _filters(query: SalesOpportunityQuery) -> selectors.OpportunityFilters:
    return selectors.OpportunityFilters(
        stage="" if query.stage == "open" else query.stage,
        owner_id=owner_id_of(query.owner),
        group_id=group_id_of(query.group),
        q=query.q,
    )


@router.get("/sales/opportunities", response=Page[SalesOpportunityOut])
def opportunity_list(request: Any, query: Query[SalesOpportunityQuery]) -> dict[str, Any]:
    """Opportunities the user sees (the open ones unless `stage` says otherwise), soonest
    expected signing first."""
    rows = selectors.opportunity_list(user=sales_user(request), filters=_filters(query))
    return paginate(rows, query)


@router.post("/sales/opportunities", response={201: SalesOpportunityDetailOut})
def opportunity_create(request: Any, payload: SalesOpportunityIn) -> Opportunity:
    """Open a deal for an account or a prospect (one of the two). The owner and the group
    are the account's (or the prospect's)."""
    user = sales_user(request)
    account = prospect = None
    if payload.account_id is not None:
        account = visible_account_by_id(request, payload.account_id, field="account_id")
    if payload.prospect_id is not None:
        try:
            prospect = selectors.prospect_get_visible(user=user, pk=payload.prospect_id)
        except NotFound:
            raise invalid(
                "prospect_id",
                _("找不到潜在客户 %(id)s，或您无权查看。") % {"id": payload.prospect_id},
            ) from None
    products = products_by_code(payload.products, field="products.{}")
    opportunity = services.opportunity_create(
        actor=user,
        name=payload.name,
        source=payload.source,
        close_date=payload.close_date,
        account=account,
        prospect=prospect,
        products=[products[code] for code in dict.fromkeys(payload.products)],
        expected_monthly=payload.expected_monthly,
        expected_one_time=payload.expected_one_time,
        description=payload.description,
    )
    return _detail(request, opportunity.pk)


@router.get("/sales/opportunities/{opportunity_id}", response=SalesOpportunityDetailOut)
def opportunity_detail(request: Any, opportunity_id: int = id_path()) -> Opportunity:
    """One opportunity: its stage history (backward moves included), rounds, solutions with
    their quotes, contracts and the investment case with its figures."""
    return _detail(request, opportunity_id)


@router.post("/sales/opportunities/{opportunity_id}/move", response=SalesOpportunityDetailOut)
def opportunity_move(
    request: Any, payload: SalesMoveIn, opportunity_id: int = id_path()
) -> Opportunity:
    """Move the deal to `to_stage`: forward or back between the open stages (a move back
    into solution or negotiation counts a round); won from negotiation on, with a quote the
    customer accepted (the draft contract is made from it); lost from any open stage, with
    a reason. Nothing moves after won or lost."""
    opportunity = visible_opportunity(request, opportunity_id)
    services.opportunity_move(
        actor=sales_user(request),
        opportunity=opportunity,
        to_stage=payload.to_stage,
        expected_version=payload.version,
        note=payload.note,
        lost_reason=payload.lost_reason or "",
        lost_to=payload.lost_to,
        lost_note=payload.lost_note,
    )
    return _detail(request, opportunity_id)


# --- prospects ------------------------------------------------------------------------


class SalesProspectOut(Schema):
    id: int
    name: str
    credit_code: str
    industry: str
    group: str = Field(..., description="Code of the industry group")
    owner: UserRef
    city: str
    address: str
    contact_name: str
    contact_title: str
    contact_phone: str
    employees: int | None
    notes: str
    account: AccountIdRef | None = Field(None, description="The account it became, if any")
    converted_at: dt.datetime | None
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_group(obj: Prospect) -> str:
        return obj.group.code


class SalesProspectQuery(PageQuery):
    q: str = Field("", max_length=100, description="Name or contact")
    converted: bool = Field(False, description="The converted ones instead of the open ones")


class SalesProspectIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=200)
    credit_code: str = Field("", max_length=18, description="统一社会信用代码 (18 characters)")
    industry: Industry
    owner: Id | str | None = Field(
        None, description="Responsible AM: user id (number) or username; default: yourself"
    )
    city: str = Field("", max_length=20)
    address: str = Field("", max_length=200)
    contact_name: str = Field("", max_length=60)
    contact_title: str = Field("", max_length=60)
    contact_phone: str = Field("", max_length=24)
    employees: int | None = Field(None, ge=0, le=MAX_VERSION)
    notes: str = ""

    @field_validator("credit_code")
    @classmethod
    def _normalize_uscc(cls, value: str) -> str:
        return normalize_uscc(value)

    @field_validator("owner")
    @classmethod
    def _short_ref(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, str) and not 1 <= len(value) <= MAX_USER_REF:
            raise ValueError(_("用户名长度不对。"))
        return value


class SalesConvertIn(InputSchema):
    version: int = version_field()
    segment: Segment = Field(Segment.KEY, description="The new account's segment")


@router.get("/sales/prospects", response=Page[SalesProspectOut])
def prospect_list(request: Any, query: Query[SalesProspectQuery]) -> dict[str, Any]:
    """Prospects the user sees, not yet converted (or the converted ones), by name."""
    rows = selectors.prospect_list(user=sales_user(request), q=query.q, converted=query.converted)
    return paginate(rows, query)


@router.post("/sales/prospects", response={201: SalesProspectOut})
def prospect_create(request: Any, payload: SalesProspectIn) -> Prospect:
    """Record an organisation that is not a customer yet."""
    user = sales_user(request)
    data = payload.model_dump()
    owner_ref = data.pop("owner")
    owner = None if owner_ref is None else user_of(owner_ref, field="owner")
    prospect = services.prospect_create(actor=user, data=data, owner=owner)
    return selectors.prospect_get_visible(user=user, pk=prospect.pk)


@router.get("/sales/prospects/{prospect_id}", response=SalesProspectOut)
def prospect_detail(request: Any, prospect_id: int = id_path()) -> Prospect:
    return visible_prospect(request, prospect_id)


@router.post("/sales/prospects/{prospect_id}/convert", response=SalesProspectOut)
def prospect_convert(
    request: Any, payload: SalesConvertIn, prospect_id: int = id_path()
) -> Prospect:
    """Make the prospect an account with what was typed, and move its opportunities onto
    it. A second conversion is refused."""
    prospect = visible_prospect(request, prospect_id)
    services.prospect_convert(
        actor=sales_user(request),
        prospect=prospect,
        expected_version=payload.version,
        segment=payload.segment,
    )
    return visible_prospect(request, prospect_id)


# --- the board, the forecast, win/loss ------------------------------------------------


class SalesBoardColumnOut(Schema):
    stage: str
    label: str
    count: int = Field(..., description="Every deal in the stage (cards stop at the limit)")
    monthly: Decimal = Field(..., description="Expected monthly revenue of the column")
    weighted: Decimal = Field(..., description="The same weighted by probability")
    cards: list[SalesOpportunityOut] = Field(..., description="Soonest close first")

    @staticmethod
    def resolve_monthly(obj: selectors.BoardColumn) -> Decimal:
        return cents(obj.monthly)


class SalesBoardQuery(Schema):
    owner: str = Field("", max_length=MAX_USER_REF, description="AM: user id or username")
    group: str = Field("", max_length=32, description="Industry group code")
    limit: int = Field(100, ge=1, le=100, description="Cards per column")


@router.get("/sales/pipeline/board", response=list[SalesBoardColumnOut])
def board(request: Any, query: Query[SalesBoardQuery]) -> list[selectors.BoardColumn]:
    """The kanban: one column per open stage with its cards and totals."""
    return selectors.pipeline_board(
        user=sales_user(request),
        owner_id=owner_id_of(query.owner),
        group_id=group_id_of(query.group),
        limit=query.limit,
    )


class SalesForecastMonthOut(Schema):
    month: str = Field(..., description="YYYY-MM")
    deals: int
    monthly: Decimal = Field(..., description="Expected monthly revenue of the deals")
    weighted_monthly: Decimal
    weighted_one_time: Decimal

    @staticmethod
    def resolve_month(obj: selectors.ForecastMonth) -> str:
        return f"{obj.month:%Y-%m}"


class SalesForecastQuery(Schema):
    months: int = Field(6, ge=1, le=24, description="How many months from this one")
    owner: str = Field("", max_length=MAX_USER_REF, description="AM: user id or username")
    group: str = Field("", max_length=32, description="Industry group code")


@router.get("/sales/pipeline/forecast", response=list[SalesForecastMonthOut])
def forecast(request: Any, query: Query[SalesForecastQuery]) -> list[selectors.ForecastMonth]:
    """Open deals by the month they are expected to close (overdue ones in this month),
    expected and probability-weighted revenue."""
    return selectors.forecast(
        user=sales_user(request),
        today=clock.today(),
        months=query.months,
        owner_id=owner_id_of(query.owner),
        group_id=group_id_of(query.group),
    )


class SalesLostReasonOut(Schema):
    reason: str
    label: str
    deals: int
    monthly: Decimal


class SalesCompetitorOut(Schema):
    competitor: str
    deals: int
    monthly: Decimal


class SalesWinLossOut(Schema):
    start: dt.date
    end: dt.date
    won: int
    lost: int
    won_monthly: Decimal
    lost_monthly: Decimal
    win_rate: Decimal | None = Field(..., description="Won / closed, %; null when none closed")
    by_reason: list[SalesLostReasonOut]
    by_competitor: list[SalesCompetitorOut]

    @staticmethod
    def resolve_won_monthly(obj: selectors.WinLoss) -> Decimal:
        return cents(obj.won_monthly)

    @staticmethod
    def resolve_lost_monthly(obj: selectors.WinLoss) -> Decimal:
        return cents(obj.lost_monthly)

    @staticmethod
    def resolve_by_reason(obj: selectors.WinLoss) -> list[dict[str, Any]]:
        return [
            {"reason": code, "label": label, "deals": deals, "monthly": cents(monthly)}
            for code, label, deals, monthly in obj.by_reason
        ]

    @staticmethod
    def resolve_by_competitor(obj: selectors.WinLoss) -> list[dict[str, Any]]:
        return [
            {"competitor": name, "deals": deals, "monthly": cents(monthly)}
            for name, deals, monthly in obj.by_competitor
        ]


class SalesWinLossQuery(Schema):
    start: Day | None = Field(None, description="Default: 1 January of this year")
    end: Day | None = Field(None, description="Default: today")
    group: str = Field("", max_length=32, description="Industry group code")


@router.get("/sales/pipeline/win-loss", response=SalesWinLossOut)
def win_loss(request: Any, query: Query[SalesWinLossQuery]) -> selectors.WinLoss:
    """Deals closed between `start` and `end` (both included): won against lost, why they
    were lost and to whom."""
    user = sales_user(request)
    today = clock.today()
    start = query.start or today.replace(month=1, day=1)
    end = query.end or today
    if start > end:
        raise invalid("end", _("结束日期不能早于开始日期。"))
    return selectors.win_loss(user=user, start=start, end=end, group_id=group_id_of(query.group))
