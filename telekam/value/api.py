"""JSON API of value assessment (domain §8): an account's direct value in a month with
the cost allocated to it and its equivalence in average commercial and public customers,
the average revenue per customer of each segment, and the equivalence of a period's lost
key accounts.

An account outside the user's accounts is a 404; the service desk and operations, who do
not see financial information, get a 403. Wrong input is a 422 naming the field.

Every schema name starts with `Value` (ninja merges schemas of the same class name).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import StrictInt

from telekam.core import clock
from telekam.core.api import InputSchema, actor, id_path
from telekam.core.errors import NotFound, PermissionDenied
from telekam.service.api.common import AccountIdRef, invalid
from telekam.value import access, selectors, services
from telekam.value.forms import month_asked

router = Router(tags=["value"])


def parse_month(text: str | None, *, field: str = "month") -> dt.date | None:
    """`forms.month_asked` as the API answers it: a 422 naming the field."""
    try:
        return month_asked(text)
    except ValidationError as error:
        raise invalid(field, error.messages[0]) from None


class ValueMonthQuery(Schema):
    month: str | None = None


class ValueResourceCostOut(Schema):
    resource: str
    label: str
    pool: Decimal
    key_share_pct: Decimal
    key_cost: Decimal
    use: Decimal
    use_total: Decimal
    share_pct: Decimal | None
    cost: Decimal


class ValueProductOut(Schema):
    code: str
    name: str
    family: str
    amount: Decimal


class ValueArpuOut(Schema):
    segment: str
    label: str
    customers: int
    revenue: Decimal
    value: Decimal
    source: str


class ValueEquivalentOut(Schema):
    segment: str
    label: str
    customers: Decimal | None
    arpu: ValueArpuOut | None


class ValueAccountOut(Schema):
    account: AccountIdRef
    month: dt.date | None
    revenue: Decimal | None
    credits: Decimal | None
    cost: Decimal | None
    profit: Decimal | None
    margin_pct: Decimal | None
    costs: list[ValueResourceCostOut]
    pools_missing: list[str]
    products: list[ValueProductOut]
    equivalents: list[ValueEquivalentOut]


@router.get("/value/accounts/{account_id}", response=ValueAccountOut)
def account_value(
    request: Any, query: Query[ValueMonthQuery], account_id: int = id_path()
) -> dict[str, Any]:
    """An account's direct value in a month (default: the latest billed month): revenue
    by product, credits, the cost of each resource allocated to it, profit and margin,
    and how many average commercial and public customers bring the same revenue."""
    month = parse_month(query.month)
    value = selectors.account_value(user=actor(request), account_id=account_id, month=month)
    direct = value.direct
    return {
        "account": value.account,
        "month": value.month,
        "revenue": direct.revenue if direct else None,
        "credits": direct.credits if direct else None,
        "cost": direct.cost if direct else None,
        "profit": direct.profit if direct else None,
        "margin_pct": direct.margin_pct if direct else None,
        "costs": direct.costs if direct else [],
        "pools_missing": direct.pools_missing if direct else [],
        "products": direct.products if direct else [],
        "equivalents": value.equivalents,
    }


class ValueArpuListOut(Schema):
    month: dt.date | None
    segments: list[ValueArpuOut]


@router.get("/value/arpu", response=ValueArpuListOut)
def segment_arpu(request: Any, query: Query[ValueMonthQuery]) -> dict[str, Any]:
    """Average monthly revenue per customer of each segment (from the segment statistics
    entered, or else from the bills held here), for a month (default: the latest billed)."""
    user = actor(request)
    if not access.sees_value(user):
        raise PermissionDenied(_("服务台和运维人员不能查看价值数据。"))
    month = parse_month(query.month) or selectors.latest_billed_month(on_or_before=clock.today())
    arpu = selectors.segment_arpu(month=month) if month else {}
    return {"month": month, "segments": [arpu[s] for s in sorted(arpu)]}


class ValueLostQuery(Schema):
    period: str | None = None


class ValueLostOut(Schema):
    period: str
    start: dt.date
    end: dt.date
    accounts: int
    account_ids: list[int]
    revenue_lost: Decimal
    month: dt.date | None
    equivalents: list[ValueEquivalentOut]


@router.get("/value/lost-equivalence", response=ValueLostOut)
def lost_equivalence(request: Any, query: Query[ValueLostQuery]) -> dict[str, Any]:
    """The key accounts lost or partly lost in a period (2026-10, 2026-Q4 or 2026; default
    this quarter) among the user's accounts, their monthly revenue lost, and how many
    average commercial and public customers would replace it."""
    from telekam.retention.analysis import parse_period

    try:
        period = parse_period(query.period, today=clock.today())
    except ValueError:
        raise invalid(
            "period", _("期间格式为 2026-11、2026-Q4 或 2026，且不能晚于本期。")
        ) from None
    result = selectors.lost_equivalence(user=actor(request), start=period.start, end=period.end)
    return {
        "period": period.key,
        "start": result.start,
        "end": result.end,
        "accounts": result.accounts,
        "account_ids": result.account_ids,
        "revenue_lost": result.revenue_lost,
        "month": result.month,
        "equivalents": result.equivalents,
    }


# --- the intangible-value sheet -------------------------------------------------------------


class ValueSheetLineOut(Schema):
    code: str
    name: str
    weight: Decimal
    mark: int | None


class ValueSheetOut(Schema):
    account: AccountIdRef
    year: int
    id: int | None
    status: str | None
    score: Decimal | None
    notes: str
    review_note: str
    version: int
    lines: list[ValueSheetLineOut]
    can_fill: bool
    can_submit: bool
    can_review: bool


class ValueSheetQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100)


class ValueSheetIn(InputSchema):
    marks: dict[str, StrictInt]
    notes: str = Field("", max_length=2000)
    version: int = Field(0, ge=0)


class ValueSheetStepIn(InputSchema):
    version: int = Field(..., ge=1)


class ValueSheetReviewIn(InputSchema):
    approve: bool
    note: str = Field("", max_length=500)
    version: int = Field(..., ge=1)


def _sheet_out(user: Any, account: Any, year: int) -> dict[str, Any]:
    view = selectors.account_sheet(user=user, account=account, year=year)
    sheet = view.sheet
    return {
        "account": account,
        "year": year,
        "id": sheet.pk if sheet else None,
        "status": sheet.status if sheet else None,
        "score": sheet.score if sheet else None,
        "notes": sheet.notes if sheet else "",
        "review_note": sheet.review_note if sheet else "",
        "version": sheet.version if sheet else 0,
        "lines": view.lines,
        "can_fill": view.can_fill,
        "can_submit": view.can_submit,
        "can_review": view.can_review,
    }


def _account(request: Any, account_id: int) -> Any:
    from telekam.accounts.selectors import account_get_visible

    return account_get_visible(user=actor(request), pk=account_id)


@router.get("/value/accounts/{account_id}/intangible", response=ValueSheetOut)
def sheet_get(
    request: Any, query: Query[ValueSheetQuery], account_id: int = id_path()
) -> dict[str, Any]:
    """The account's intangible-value sheet of a year (default this year): the criteria
    with their weights and marks, the weighted score out of 100, its state and what the
    caller may do with it."""
    account = _account(request, account_id)
    return _sheet_out(actor(request), account, query.year or clock.today().year)


@router.put("/value/accounts/{account_id}/intangible", response=ValueSheetOut)
def sheet_put(request: Any, body: ValueSheetIn, account_id: int = id_path()) -> dict[str, Any]:
    """Fill in or change this year's sheet: a 0–5 mark for every active criterion, and
    the `version` read (0 when there was none)."""
    user = actor(request)
    account = _account(request, account_id)
    year = clock.today().year
    services.intangible_sheet_save(
        actor=user,
        account=account,
        year=year,
        marks=body.marks,
        notes=body.notes,
        expected_version=body.version,
    )
    return _sheet_out(user, account, year)


def _sheet_of(request: Any, sheet_id: int) -> Any:
    from telekam.value.models import IntangibleSheet

    sheet = IntangibleSheet.objects.filter(pk=sheet_id).first()
    if sheet is None:
        raise NotFound()
    sheet.account = _account(request, sheet.account_id)
    return sheet


@router.post("/value/intangible/{sheet_id}/submit", response=ValueSheetOut)
def sheet_submit(request: Any, body: ValueSheetStepIn, sheet_id: int = id_path()) -> dict[str, Any]:
    """Send the sheet to the group lead for review."""
    sheet = _sheet_of(request, sheet_id)
    services.intangible_sheet_submit(
        actor=actor(request), sheet=sheet, expected_version=body.version
    )
    return _sheet_out(actor(request), sheet.account, sheet.year)


@router.post("/value/intangible/{sheet_id}/review", response=ValueSheetOut)
def sheet_review(
    request: Any, body: ValueSheetReviewIn, sheet_id: int = id_path()
) -> dict[str, Any]:
    """Approve the sheet, or send it back with a note."""
    sheet = _sheet_of(request, sheet_id)
    services.intangible_sheet_review(
        actor=actor(request),
        sheet=sheet,
        approve=body.approve,
        note=body.note,
        expected_version=body.version,
    )
    return _sheet_out(actor(request), sheet.account, sheet.year)


# Potential value, composite score and their inputs (telekam.value.api_potential).
from telekam.value.api_potential import router as _potential_router  # noqa: E402

router.add_router("", _potential_router)
