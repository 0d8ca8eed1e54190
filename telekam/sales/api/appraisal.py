"""Project evaluation (domain §4): the pure calculator (`POST /sales/appraise`) and the
investment case stored on an opportunity, with its figures and the pursue / reconsider /
decline recommendation. The maths is `telekam.sales.appraisal`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import field_validator

from telekam.core.api import MAX_VERSION, InputSchema, id_path
from telekam.core.errors import Conflict, NotFound
from telekam.sales import appraisal as maths
from telekam.sales import services
from telekam.sales.api.common import SalesMoney, sales_user, visible_opportunity
from telekam.sales.models import Appraisal, AppraisalThresholds, Opportunity
from telekam.service.api.common import related_or_none

router = Router()

# One period's flow: money with two places, at most a trillion yuan either way.
Flow = Annotated[Decimal, Field(ge=-(10**12), le=10**12, max_digits=15, decimal_places=2)]
# An annual discount rate as a fraction (0.08 = 8 %): above -100 %, at most 1000 %.
AnnualRate = Annotated[Decimal, Field(gt=-1, le=10, max_digits=12, decimal_places=10)]


def thresholds() -> maths.Thresholds:
    """The configured thresholds of the recommendation (the model's defaults if none)."""
    row = AppraisalThresholds.objects.first() or AppraisalThresholds()
    return maths.Thresholds(
        min_irr_annual=row.min_irr_annual,
        max_payback_months=row.max_payback_months,
        reconsider_margin=row.reconsider_margin,
    )


# --- output schemas -------------------------------------------------------------------


class SalesRecommendationOut(Schema):
    verdict: str = Field(..., description="pursue, reconsider or decline")
    reasons: list[str]


class SalesAppraisalFiguresOut(Schema):
    period: str = Field(..., description="year or month: the length of one period")
    annual_rate: Decimal
    rate_per_period: Decimal = Field(..., description="The rate used (effective monthly)")
    npv: Decimal = Field(..., description="Net present value, to 0.01")
    irrs: list[Decimal] = Field(..., description="Every IRR per period, sorted; [] when none")
    irrs_annual: list[Decimal]
    sign_changes: int = Field(..., description="At most this many IRRs (Descartes)")
    payback_periods: Decimal | None = Field(..., description="Undiscounted; null: never")
    discounted_payback_periods: Decimal | None
    payback_months: Decimal | None
    roi: Decimal | None = Field(..., description="Undiscounted, to 0.0001; null: no outflow")
    recommendation: SalesRecommendationOut


class SalesAppraisalOut(Schema):
    """A deal's investment case: month 0 = one-time revenue - capex, then each month of
    the term revenue - opex, discounted at the annual rate (effective monthly)."""

    capex: Decimal
    monthly_opex: Decimal
    monthly_revenue: Decimal
    one_time_revenue: Decimal
    term_months: int
    discount_rate: Decimal = Field(..., description="Annual, as a fraction")
    version: int
    updated_at: dt.datetime
    result: SalesAppraisalFiguresOut

    @staticmethod
    def resolve_result(obj: Appraisal) -> dict[str, Any]:
        return appraisal_result(obj)


def figures(result: maths.Appraisal, limits: maths.Thresholds) -> dict[str, Any]:
    advice = maths.appraisal_recommend(appraisal=result, thresholds=limits)
    return {
        **{name: getattr(result, name) for name in maths.Appraisal.__dataclass_fields__},
        "payback_months": result.payback_months,
        "recommendation": {"verdict": str(advice.verdict), "reasons": list(advice.reasons)},
    }


def appraisal_result(row: Appraisal) -> dict[str, Any]:
    """The figures and the recommendation of a stored investment case."""
    flows = maths.project_flows(
        capex=row.capex,
        monthly_opex=row.monthly_opex,
        monthly_revenue=row.monthly_revenue,
        one_time_revenue=row.one_time_revenue,
        term_months=row.term_months,
    )
    return figures(
        maths.appraise(flows=flows, rate=row.discount_rate, period="month"), thresholds()
    )


# --- the calculator -------------------------------------------------------------------


class SalesAppraiseIn(InputSchema):
    cashflows: list[Flow] = Field(
        ...,
        min_length=2,
        max_length=maths.MAX_FLOWS,
        description=(
            "One flow per period, flow 0 at time 0; outflows negative. At least one "
            "outflow (the investment appraised)."
        ),
    )
    rate: AnnualRate = Field(..., description="Annual discount rate as a fraction (0.08)")
    period: Literal["year", "month"] = Field(
        "year", description="The length of one period of the flows"
    )

    @field_validator("cashflows")
    @classmethod
    def _an_investment(cls, value: list[Decimal]) -> list[Decimal]:
        if not any(flow < 0 for flow in value):
            raise ValueError(_("现金流中至少要有一期投入（负数），否则没有可评估的投资。"))
        return value


@router.post("/sales/appraise", response=SalesAppraisalFiguresOut)
def appraise(request: Any, payload: SalesAppraiseIn) -> dict[str, Any]:
    """NPV, every IRR, payback, ROI and the recommendation of a series of cash flows.
    Pure computation: nothing is stored."""
    sales_user(request)
    result = maths.appraise(flows=payload.cashflows, rate=payload.rate, period=payload.period)
    return figures(result, thresholds())


# --- the investment case of an opportunity --------------------------------------------


class SalesAppraisalIn(InputSchema):
    capex: SalesMoney = Field(..., description="Investment (yuan)")
    monthly_opex: SalesMoney
    monthly_revenue: SalesMoney
    one_time_revenue: SalesMoney = Decimal("0.00")
    term_months: int = Field(..., ge=1, le=120)
    discount_rate: Decimal = Field(
        ..., ge=0, le=1, max_digits=6, decimal_places=4, description="Annual (0.0800 = 8 %)"
    )
    version: int | None = Field(
        None,
        ge=1,
        le=MAX_VERSION,
        description="The version read; omit to create the first one (409 if one exists)",
    )


def _stored(opportunity: Opportunity) -> Appraisal:
    row = related_or_none(opportunity, "appraisal")
    if row is None:
        raise NotFound(_("该商机还没有项目评估。"))
    return row  # type: ignore[no-any-return]


@router.get("/sales/opportunities/{opportunity_id}/appraisal", response=SalesAppraisalOut)
def appraisal_detail(request: Any, opportunity_id: int = id_path()) -> Appraisal:
    """The opportunity's investment case with its figures and recommendation (404 when
    there is none yet)."""
    return _stored(visible_opportunity(request, opportunity_id))


@router.put("/sales/opportunities/{opportunity_id}/appraisal", response=SalesAppraisalOut)
def appraisal_put(
    request: Any, payload: SalesAppraisalIn, opportunity_id: int = id_path()
) -> Appraisal:
    """Create or replace the investment case (the owner's editors and pre-sales of the
    group). Replacing needs the `version` read."""
    opportunity = visible_opportunity(request, opportunity_id)
    data = payload.model_dump()
    if data["version"] is None:
        existing = related_or_none(opportunity, "appraisal")
        if existing is not None:
            raise Conflict(
                _("该商机已有项目评估（第 %(v)d 版），修改时请带上 version。")
                % {"v": existing.version}
            )
        del data["version"]
    services.appraisal_set(actor=sales_user(request), opportunity=opportunity, data=data)
    return _stored(visible_opportunity(request, opportunity_id))  # as stored
