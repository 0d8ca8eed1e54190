"""What the sales routers share: who may use them, references by id, money types, and the
output schemas of the pieces that appear in several answers (an opportunity in a list or
on the board, a solution with its quotes).

Every schema name starts with `Sales`: ninja merges two schemas of the same class name
into one in the OpenAPI document, so a `QuoteOut` here would silently replace another's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema

from telekam.accounts.api.common import UserRef
from telekam.catalog.models import Product
from telekam.core.api import actor
from telekam.core.errors import NotFound, PermissionDenied
from telekam.org.models import IndustryGroup, User
from telekam.sales import access, selectors
from telekam.sales.models import Opportunity, Prospect, Quote, Solution
from telekam.service.api.common import AccountIdRef, invalid

# Money in yuan with two places, never negative, within the model's 14 digits.
SalesMoney = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
# A unit price on a quote line: at most 99,999,999.99 a unit, so that a line's total for
# up to 9,999 units still fits the contract's and the order's money fields.
SalesUnitPrice = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
SalesPercent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]

MAX_USER_REF = 150
CENT = Decimal("0.01")


def sales_user(request: Any) -> User:
    """The caller, if its role works with sales at all (the service desk and operations do
    not: prices and discounts are confidential); otherwise 403."""
    user = actor(request)
    if not access.can_use_sales(user):
        raise PermissionDenied(_("您的角色不使用销售模块。"))
    return user


def owner_id_of(ref: str, *, field: str = "owner") -> int | None:
    """A user filter given as id (digits) or username; "" means no filter."""
    if not ref:
        return None
    key: int | str = int(ref) if ref.isdigit() and len(ref) < 16 else ref
    return user_of(key, field=field).pk


def group_id_of(code: str, *, field: str = "group") -> int | None:
    if not code:
        return None
    group = IndustryGroup.objects.filter(code=code).first()
    if group is None:
        raise invalid(field, _("没有编码为“%(c)s”的行业组。") % {"c": code})
    return group.pk


def visible_opportunity(request: Any, opportunity_id: int) -> Opportunity:
    return selectors.opportunity_get_visible(user=sales_user(request), pk=opportunity_id)


def visible_prospect(request: Any, prospect_id: int) -> Prospect:
    return selectors.prospect_get_visible(user=sales_user(request), pk=prospect_id)


def visible_quote(request: Any, quote_id: int) -> Quote:
    return selectors.quote_get_visible(user=sales_user(request), pk=quote_id)


def visible_solution(request: Any, solution_id: int) -> Solution:
    """A solution of an opportunity the user sees (the rule: `access`); else 404."""
    visible = access.opportunities_visible_to(sales_user(request)).values("pk")
    solution = (
        Solution.objects.select_related("opportunity", "opportunity__account")
        .filter(pk=solution_id, opportunity__in=visible)
        .first()
    )
    if solution is None:
        raise NotFound()
    return solution


def products_by_code(codes: Sequence[str], *, field: str) -> dict[str, Product]:
    """The catalogue products of `codes` in one query; an unknown code is a 422 naming its
    position (`field` is a pattern: "products.{}" or "lines.{}.product")."""
    found = {p.code: p for p in Product.objects.filter(code__in=set(codes))}
    for index, code in enumerate(codes):
        if code not in found:
            raise invalid(field.format(index), _("产品目录中没有编码“%(c)s”。") % {"c": code[:40]})
    return found


def user_of(ref: int | str, *, field: str) -> User:
    """An active user named by id (number) or username (text); else a 422 on `field`."""
    users = User.objects.select_related("group").filter(is_active=True)
    user = (
        users.filter(pk=ref).first() if isinstance(ref, int) else users.filter(username=ref).first()
    )
    if user is None:
        raise invalid(field, _("找不到用户“%(ref)s”（或已停用）。") % {"ref": ref})
    return user


def cents(value: Decimal) -> Decimal:
    """Money with its two places (a database sum may come back as "1000")."""
    return value.quantize(CENT)


def figures(quote: Quote) -> selectors.QuoteFigures:
    """The quote's totals, computed once per answer (the resolvers ask several times)."""
    cached = getattr(quote, "_sales_figures", None)
    if cached is None:
        cached = selectors.quote_figures(quote)
        quote._sales_figures = cached  # type: ignore[attr-defined]
    return cached  # type: ignore[no-any-return]


# --- output schemas -------------------------------------------------------------------


class SalesProspectRef(Schema):
    id: int
    name: str


class SalesOpportunityRef(Schema):
    id: int
    number: str
    name: str
    customer: str
    stage: str
    version: int

    @staticmethod
    def resolve_customer(obj: Opportunity) -> str:
        return obj.customer_name


class SalesOpportunityOut(Schema):
    id: int
    number: str
    name: str
    customer: str = Field(..., description="The account's name, or the prospect's")
    account: AccountIdRef | None
    prospect: SalesProspectRef | None
    owner: UserRef
    group: str = Field(..., description="Code of the industry group")
    source: str
    stage: str
    probability: int = Field(..., description="Chance of closing, %")
    expected_monthly: Decimal
    expected_one_time: Decimal
    weighted_monthly: Decimal = Field(..., description="expected_monthly x probability")
    close_date: dt.date
    solution_rounds: int = Field(..., description="Times the deal entered the solution stage")
    negotiation_rounds: int
    closed_on: dt.date | None
    lost_reason: str
    lost_to: str
    version: int

    @staticmethod
    def resolve_customer(obj: Opportunity) -> str:
        return obj.customer_name

    @staticmethod
    def resolve_group(obj: Opportunity) -> str:
        return obj.group.code


class SalesQuoteBriefOut(Schema):
    id: int
    number: str
    revision: int
    status: str
    valid_until: dt.date
    approver_role: str = Field(..., description="Whose approval a pending quote waits for")
    monthly: Decimal = Field(..., description="Net monthly total after discounts")
    one_time: Decimal
    contract_value: Decimal = Field(..., description="Net monthly x term + net one-time")
    max_discount: Decimal = Field(..., description="Largest line discount, %")
    over_grade: bool = Field(..., description="The discount is beyond what the grade merits")
    version: int

    @staticmethod
    def resolve_monthly(obj: Quote) -> Decimal:
        return figures(obj).monthly

    @staticmethod
    def resolve_one_time(obj: Quote) -> Decimal:
        return figures(obj).one_time

    @staticmethod
    def resolve_contract_value(obj: Quote) -> Decimal:
        return figures(obj).contract_value

    @staticmethod
    def resolve_max_discount(obj: Quote) -> Decimal:
        return figures(obj).max_discount

    @staticmethod
    def resolve_over_grade(obj: Quote) -> bool:
        return figures(obj).over_grade


class SalesSolutionOut(Schema):
    id: int
    title: str
    proposal: str
    presales: UserRef | None
    created_at: dt.datetime
    version: int
    quotes: list[SalesQuoteBriefOut] = Field(..., description="Newest revision first")

    @staticmethod
    def resolve_quotes(obj: Solution) -> list[Quote]:
        return list(obj.quotes.all())
