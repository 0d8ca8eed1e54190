"""JSON API of potential value and the composite score (issue 7 points 1, 2, 4): an
account's potential (direct and indirect methods, its retention fit), composite score with
ranks and suggested grade, the cohorts, and the inputs (share of wallet, industry growth,
parameters). Mounted on `telekam.value.api.router`; same selectors as the pages.

Writes name the version read (0 when there was none): a stale one is a 409.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from telekam.accounts.models import Industry
from telekam.core import clock
from telekam.core.api import InputSchema, actor, id_path
from telekam.core.errors import PermissionDenied
from telekam.service.api.common import AccountIdRef
from telekam.value import access, composite, potential, services
from telekam.value.models import IndustryGrowth

router = Router(tags=["value"])


class ValuePotentialQuery(Schema):
    month: str | None = None


def _month(text: str | None) -> dt.date | None:
    from telekam.value.api import parse_month

    return parse_month(text)


class ValueFitOut(Schema):
    level: str
    alpha: float
    beta: float
    survivors: list[int]
    cohorts: int


class ValuePotentialOut(Schema):
    account: AccountIdRef
    month: dt.date | None
    annual_revenue: Decimal | None
    previous_revenue: Decimal | None
    trend: float | None
    start_year: int | None
    renewals: int | None
    fit: ValueFitOut | None
    lost_on: dt.date | None = None
    discount_pct: Decimal | None
    horizon: int | None
    retention: list[float]
    direct: Decimal | None
    derl: float | None
    margin_pct: Decimal | None
    lifetime_value: Decimal | None
    share_pct: Decimal | None
    share_version: int
    growth_pct: Decimal | None
    growth_year: int | None
    indirect: Decimal | None
    added_value: Decimal | None
    added_value_note: str
    can_enter_share: bool


def _potential_out(result: potential.AccountPotential) -> dict[str, Any]:
    p = result.potential
    out: dict[str, Any] = {
        "account": result.account,
        "month": result.month,
        "retention": [],
        "share_version": 0,
        "added_value": None,
        "added_value_note": str(potential.ADDED_VALUE_NOTE),
        "can_enter_share": result.can_enter_share,
    }
    if p is None:
        return out
    fit = p.fit
    return {
        **out,
        **{
            name: getattr(p, name)
            for name in (
                "annual_revenue",
                "previous_revenue",
                "trend",
                "start_year",
                "renewals",
                "lost_on",
                "discount_pct",
                "horizon",
                "retention",
                "direct",
                "derl",
                "margin_pct",
                "lifetime_value",
                "share_pct",
                "share_version",
                "growth_pct",
                "growth_year",
                "indirect",
            )
        },
        "fit": {
            "level": fit.level,
            "alpha": fit.alpha,
            "beta": fit.beta,
            "survivors": list(fit.survivors),
            "cohorts": fit.cohorts,
        }
        if fit
        else None,
    }


@router.get("/value/accounts/{account_id}/potential", response=ValuePotentialOut)
def account_potential(
    request: Any, query: Query[ValuePotentialQuery], account_id: int = id_path()
) -> dict[str, Any]:
    """The account's potential value as of a month (default the latest billed): the direct
    method (revenue of the last 12 months × trend × sBG retention, discounted, over the
    horizon), DERL and residual lifetime value, the indirect method (share of wallet and
    industry growth), and added value (not available: see the note)."""
    result = potential.account_potential(
        user=actor(request), account_id=account_id, month=_month(query.month)
    )
    return _potential_out(result)


Pct = Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)]
Weight = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class ValueShareIn(InputSchema):
    share_pct: Pct
    note: str = Field("", max_length=200)
    version: int = Field(0, ge=0, le=2_000_000_000)


@router.put("/value/accounts/{account_id}/share-of-wallet", response=ValuePotentialOut)
def share_put(request: Any, body: ValueShareIn, account_id: int = id_path()) -> dict[str, Any]:
    """Enter or change our share (%) of the account's telecom spend, with the `version`
    read (0 when none was entered): the account's AM, its group lead or the head."""
    from telekam.accounts.selectors import account_get_visible

    user = actor(request)
    account = account_get_visible(user=user, pk=account_id)
    services.share_of_wallet_save(
        actor=user,
        account=account,
        share_pct=body.share_pct,
        note=body.note,
        expected_version=body.version,
    )
    return _potential_out(potential.account_potential(user=user, account_id=account.pk))


class ValueRankOut(Schema):
    rank: int
    of: int


class ValueGradeOut(Schema):
    id: int
    code: str
    segment: str
    name: str


class ValueCompositeOut(Schema):
    account: AccountIdRef
    month: dt.date | None
    score: Decimal | None
    current_score: Decimal | None
    potential_score: Decimal | None
    intangible_score: Decimal | None
    intangible_year: int | None
    weights: dict[str, Decimal]
    profit: Decimal | None
    direct_potential: Decimal | None
    grade_rank: ValueRankOut | None
    industry_rank: ValueRankOut | None
    avg_monthly_spend: Decimal | None
    current_grade: ValueGradeOut | None
    suggested_segment: str | None
    suggested_grade: ValueGradeOut | None
    advice: str


def _grade(band: Any) -> dict[str, Any] | None:
    if band is None:
        return None
    return {"id": band.pk, "code": band.code, "segment": band.segment, "name": str(band)}


def _rank(pair: tuple[int, int] | None) -> dict[str, int] | None:
    return {"rank": pair[0], "of": pair[1]} if pair else None


@router.get("/value/accounts/{account_id}/composite", response=ValueCompositeOut)
def account_composite(
    request: Any, query: Query[ValuePotentialQuery], account_id: int = id_path()
) -> dict[str, Any]:
    """The account's composite value score (0–100 from current, potential and intangible
    value), its rank within its grade and its industry, and the grade its spend suggests
    next to the current one. Null figures when it was not billed in the month."""
    account, month, row = composite.account_composite(
        user=actor(request), account_id=account_id, month=_month(query.month)
    )
    out: dict[str, Any] = {
        "account": account,
        "month": month,
        "weights": {},
        "current_grade": _grade(account.grade),
        "advice": "",
    }
    if row is None:
        return out
    return {
        **out,
        "score": row.score,
        "current_score": row.current_score,
        "potential_score": row.potential_score,
        "intangible_score": row.intangible_score,
        "intangible_year": row.intangible_year,
        "weights": row.weights,
        "profit": row.profit,
        "direct_potential": row.potential.direct if row.potential else None,
        "grade_rank": _rank(row.grade_rank),
        "industry_rank": _rank(row.industry_rank),
        "avg_monthly_spend": row.avg_monthly_spend,
        "suggested_segment": row.suggested_segment,
        "suggested_grade": _grade(row.suggested_grade),
        "advice": row.advice,
    }


class ValueCohortOut(Schema):
    grade_id: int | None
    industry: str
    start_year: int
    survivors: list[int]
    fit: ValueFitOut | None


class ValueCohortsOut(Schema):
    month: dt.date | None
    cohorts: list[ValueCohortOut]


@router.get("/value/cohorts", response=ValueCohortsOut)
def cohort_list(request: Any, query: Query[ValuePotentialQuery]) -> dict[str, Any]:
    """The key-account cohorts (grade, industry, start year), their survivors per year
    and the sBG fit their accounts use ("cohort", or pooled by "grade" or over "all"; or
    "constant": a constant churn estimated over all cohorts when no curve can be fitted)."""
    month, rows = potential.cohorts(user=actor(request), month=_month(query.month))
    return {
        "month": month,
        "cohorts": [
            {
                "grade_id": c.grade_id,
                "industry": c.industry,
                "start_year": c.start_year,
                "survivors": list(c.survivors),
                "fit": {
                    "level": c.fit.level,
                    "alpha": c.fit.alpha,
                    "beta": c.fit.beta,
                    "survivors": list(c.fit.survivors),
                    "cohorts": c.fit.cohorts,
                }
                if c.fit
                else None,
            }
            for c in rows
        ],
    }


class ValueParametersIO(Schema):
    discount_rate_pct: Decimal
    horizon_years: int
    weight_current: Decimal
    weight_potential: Decimal
    weight_intangible: Decimal
    version: int


class ValueParametersIn(InputSchema):
    discount_rate_pct: Pct
    horizon_years: int = Field(..., ge=1, le=30)
    weight_current: Weight
    weight_potential: Weight
    weight_intangible: Weight
    version: int = Field(..., ge=0, le=2_000_000_000)


def _sees(request: Any) -> Any:
    user = actor(request)
    if not access.sees_value(user):
        raise PermissionDenied(_("服务台和运维人员不能查看价值数据。"))
    return user


@router.get("/value/parameters", response=ValueParametersIO)
def parameters_get(request: Any) -> Any:
    """The discount rate and horizon of the direct method and the composite weights."""
    _sees(request)
    return potential.value_parameters()


@router.put("/value/parameters", response=ValueParametersIO)
def parameters_put(request: Any, body: ValueParametersIn) -> Any:
    """Change them (the head, analysts, administrator), with the version read."""
    data = body.model_dump()
    return services.value_parameters_save(
        actor=actor(request), expected_version=data.pop("version"), **data
    )


class ValueGrowthOut(Schema):
    industry: str
    year: int
    growth_pct: Decimal
    version: int


class ValueGrowthQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100)


class ValueGrowthIn(InputSchema):
    industry: Industry
    year: int = Field(..., ge=2000, le=2100)
    growth_pct: Annotated[Decimal, Field(ge=-100, le=1000, max_digits=6, decimal_places=2)]
    version: int = Field(0, ge=0, le=2_000_000_000)


@router.get("/value/industry-growth", response=list[ValueGrowthOut])
def growth_list(request: Any, query: Query[ValueGrowthQuery]) -> Any:
    """The industries' growth rates entered for a year (default this year)."""
    _sees(request)
    year = query.year or clock.today().year
    return list(IndustryGrowth.objects.filter(year=year).order_by("industry"))


@router.put("/value/industry-growth", response=ValueGrowthOut)
def growth_put(request: Any, body: ValueGrowthIn) -> Any:
    """Enter or correct an industry's growth of a year (the head, analysts, administrator)."""
    return services.industry_growth_save(
        actor=actor(request),
        industry=body.industry,
        year=body.year,
        growth_pct=body.growth_pct,
        expected_version=body.version,
    )
