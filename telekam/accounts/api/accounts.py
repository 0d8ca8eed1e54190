"""Accounts: list, create, read, update, assign, hierarchy, timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from telekam.accounts import access, selectors, services
from telekam.accounts.api.common import (
    ACCOUNT_CODE_MAX,
    GradeOut,
    PhoneMixin,
    UserRef,
    confidential,
    invalid,
    user_by_ref,
    version_and_changes,
    visible_account,
)
from telekam.accounts.models import (
    Account,
    AccountLevel,
    AccountStatus,
    CompetitorInfo,
    Industry,
    Segment,
    Site,
)
from telekam.core.api import (
    MAX_VERSION,
    Id,
    InputSchema,
    Page,
    PageQuery,
    actor,
    paginate,
    version_field,
)
from telekam.core.errors import NotFound
from telekam.core.validators import normalize_uscc
from telekam.org.models import IndustryGroup

router = Router(tags=["accounts"])


class AccountOut(Schema):
    code: str
    name: str
    short_name: str
    credit_code: str | None
    segment: str
    grade: GradeOut | None
    star_level: int
    industry: str
    group: str = Field(..., description="Code of the serving industry group")
    owner: UserRef
    parent: str | None = Field(None, description="Code of the parent account")
    level: str
    status: str
    province: str
    city: str
    address: str
    phone: str
    email: str
    website: str
    employees: int | None
    annual_revenue_wan: Decimal | None
    avg_monthly_spend: Decimal
    spend_through: dt.date | None
    key_list_year: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    discount_pct: Decimal | None = Field(
        None, description="Confidential: null for service desk and operations"
    )
    strategy_notes: str | None = Field(None, description="Confidential")
    financial_notes: str | None = Field(None, description="Confidential")

    @staticmethod
    def resolve_group(obj: Account) -> str:
        return obj.group.code

    @staticmethod
    def resolve_parent(obj: Account) -> str | None:
        return obj.parent.code if obj.parent_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_discount_pct(obj: Account, context: Any) -> Decimal | None:
        return obj.discount_pct if confidential(context) else None

    @staticmethod
    def resolve_strategy_notes(obj: Account, context: Any) -> str | None:
        return obj.strategy_notes if confidential(context) else None

    @staticmethod
    def resolve_financial_notes(obj: Account, context: Any) -> str | None:
        return obj.financial_notes if confidential(context) else None


class SiteOut(Schema):
    id: int
    name: str
    kind: str
    address: str
    city: str
    telecom_office: str


class CompetitorOut(Schema):
    id: int
    competitor: str
    other_name: str
    services: str
    monthly_price: Decimal | None
    contract_end: dt.date | None
    notes: str


class AccountDetailOut(AccountOut):
    can_edit: bool
    sites: list[SiteOut]
    competitors: list[CompetitorOut] | None = Field(
        None, description="Confidential: null for service desk and operations"
    )

    @staticmethod
    def resolve_can_edit(obj: Account, context: Any) -> bool:
        return access.can_edit_account(context["request"].auth, obj)

    @staticmethod
    def resolve_sites(obj: Account) -> list[Site]:
        return list(obj.sites.all())

    @staticmethod
    def resolve_competitors(obj: Account, context: Any) -> list[CompetitorInfo] | None:
        return list(obj.competitors.all()) if confidential(context) else None


class TreeNodeOut(Schema):
    code: str | None = Field(None, description="Null for a unit the user may not open")
    name: str
    depth: int
    own_spend: Decimal | None
    rollup_spend: Decimal
    visible: bool

    @staticmethod
    def resolve_code(obj: selectors.TreeNode) -> str | None:
        return obj.account.code if obj.visible else None

    @staticmethod
    def resolve_name(obj: selectors.TreeNode) -> str:
        return obj.account.name

    @staticmethod
    def resolve_own_spend(obj: selectors.TreeNode) -> Decimal | None:
        return obj.own_spend if obj.visible else None


class TimelineEntryOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    target: str
    summary: str
    changes: dict[str, Any]

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_name)

    @staticmethod
    def resolve_target(obj: Any, context: Any) -> str:
        return selectors.timeline_item(obj, confidential=confidential(context)).target

    @staticmethod
    def resolve_summary(obj: Any, context: Any) -> str:
        return str(selectors.timeline_item(obj, confidential=confidential(context)).summary)

    @staticmethod
    def resolve_changes(obj: Any, context: Any) -> dict[str, Any]:
        return selectors.timeline_item(obj, confidential=confidential(context)).changes


class AccountFieldsIn(PhoneMixin):
    name: str | None = None
    short_name: str | None = None
    credit_code: str | None = Field(None, description="统一社会信用代码 (18 characters)")
    industry: Industry | None = None
    level: AccountLevel | None = None
    status: AccountStatus | None = None
    province: str | None = None
    city: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    employees: int | None = Field(None, ge=0, le=MAX_VERSION)
    annual_revenue_wan: Decimal | None = None
    discount_pct: Decimal | None = Field(None, description="Confidential")
    strategy_notes: str | None = Field(None, description="Confidential")
    financial_notes: str | None = Field(None, description="Confidential")

    @field_validator("credit_code")
    @classmethod
    def _normalize_uscc(cls, value: str | None) -> str | None:
        return normalize_uscc(value) or None if value is not None else None


class AccountCreateIn(AccountFieldsIn):
    name: str  # type: ignore[assignment]
    industry: Industry  # type: ignore[assignment]
    segment: Literal["key", "commercial"]
    owner: Id | str | None = Field(
        None, description="Responsible AM: user id (number) or username (text); default: yourself"
    )


class AccountPatchIn(AccountFieldsIn):
    version: int = version_field()


class AssignIn(InputSchema):
    version: int = version_field()
    owner: Id | str = Field(..., description="New AM: user id (number) or username (text)")


class ParentIn(InputSchema):
    version: int = version_field()
    parent: str | None = Field(
        ..., max_length=ACCOUNT_CODE_MAX, description="Parent account code, or null to detach"
    )


class AccountQuery(PageQuery):
    q: str = Field(
        "", max_length=100, description="Name, short name, code, credit code, number or phone"
    )
    segment: Segment | None = None
    grade: str = Field("", max_length=20, description="Grade code (e.g. gold, crystal, a)")
    industry: Industry | None = None
    owner: str = Field("", max_length=150, description="AM: user id or username")
    group: str = Field("", max_length=32, description="Industry group code")
    status: AccountStatus | None = None
    sort: str = Field(selectors.DEFAULT_SORT, description=f"One of {', '.join(selectors.SORTS)}")

    @field_validator("sort")
    @classmethod
    def _known_sort(cls, value: str) -> str:
        if value not in selectors.SORTS:
            raise ValueError(_("排序方式须为 %(s)s 之一。") % {"s": ", ".join(selectors.SORTS)})
        return value


def _account_filters(query: AccountQuery) -> selectors.AccountFilters:
    owner_id: int | None = None
    if query.owner:
        ref: int | str = (
            int(query.owner) if query.owner.isdigit() and len(query.owner) < 16 else query.owner
        )
        owner_id = user_by_ref(ref, field="owner").pk
    group_id: int | None = None
    if query.group:
        group = IndustryGroup.objects.filter(code=query.group).first()
        if group is None:
            raise invalid("group", _("没有编码为“%(c)s”的行业组。") % {"c": query.group})
        group_id = group.pk
    return selectors.AccountFilters(
        q=query.q,
        segment=query.segment or "",
        grade=query.grade,
        industry=query.industry or "",
        owner=owner_id,
        group=group_id,
        status=query.status or "",
        sort=query.sort,
    )


# --- accounts -------------------------------------------------------------------------


@router.get("/accounts", response=Page[AccountOut])
def account_list(request: Any, query: Query[AccountQuery]) -> dict[str, Any]:
    """Accounts the user may see, searched, filtered and sorted."""
    user = actor(request)
    rows = selectors.account_list_visible_to(user=user, filters=_account_filters(query))
    return paginate(rows.select_related("parent"), query)


@router.post("/accounts", response={201: AccountOut})
def account_create(request: Any, payload: AccountCreateIn) -> Account:
    """Open an account file. `owner` defaults to the caller (an AM creates its own)."""
    user = actor(request)
    data = payload.model_dump(exclude_unset=True)
    segment = data.pop("segment")
    owner_ref = data.pop("owner", None)
    owner = user if owner_ref is None else user_by_ref(owner_ref, field="owner")
    return services.account_create(actor=user, data=data, owner=owner, segment=segment)


@router.get("/accounts/{code}", response=AccountDetailOut)
def account_detail(request: Any, code: str) -> Account:
    """One account with its sites (and competitors for users who may see them)."""
    return visible_account(request, code)


@router.patch("/accounts/{code}", response=AccountOut)
def account_update(request: Any, code: str, payload: AccountPatchIn) -> Account:
    """Change account fields. `version` is the version read; 409 if someone saved since."""
    account = visible_account(request, code)
    version, data = version_and_changes(payload)
    return services.account_update(
        actor=actor(request), account=account, expected_version=version, data=data
    )


@router.post("/accounts/{code}/assign", response=AccountOut)
def account_assign(request: Any, code: str, payload: AssignIn) -> Account:
    """Hand the account to another AM (group lead within its group, department head)."""
    account = visible_account(request, code)
    owner = user_by_ref(payload.owner, field="owner")
    return services.account_assign(
        actor=actor(request), account=account, expected_version=payload.version, owner=owner
    )


@router.post("/accounts/{code}/parent", response=AccountOut)
def account_set_parent(request: Any, code: str, payload: ParentIn) -> Account:
    """Place the account under another (by code) in a group customer, or detach (null)."""
    account = visible_account(request, code)
    parent = None
    if payload.parent:
        try:
            parent = visible_account(request, payload.parent)
        except NotFound:
            raise invalid(
                "parent", _("找不到客户编码 %(code)s，或您无权查看。") % {"code": payload.parent}
            ) from None
    return services.account_set_parent(
        actor=actor(request), account=account, expected_version=payload.version, parent=parent
    )


@router.get("/accounts/{code}/tree", response=list[TreeNodeOut])
def account_tree(request: Any, code: str) -> list[selectors.TreeNode]:
    """The group customer the account belongs to; units the user may not open show a name only."""
    account = visible_account(request, code)
    return selectors.account_tree(user=actor(request), account=account)


@router.get("/accounts/{code}/timeline", response=Page[TimelineEntryOut])
def account_timeline(request: Any, code: str, query: Query[PageQuery]) -> dict[str, Any]:
    """Who changed what on the account, newest first."""
    account = visible_account(request, code)
    return paginate(selectors.account_timeline(user=actor(request), account=account), query)
