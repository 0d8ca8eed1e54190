"""Grading: what billing proposes for an account, the yearly key-account list, mid-year
grade proposals and the boundary band. The rules live in `telekam.accounts.grading`."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from pydantic import field_validator

from telekam.accounts import access, grading
from telekam.accounts.api.common import (
    ACCOUNT_CODE_MAX,
    GradeOut,
    UserRef,
    invalid,
    visible_account,
)
from telekam.accounts.models import (
    Account,
    DecisionStatus,
    GradeBand,
    GradeChangeProposal,
    KeyAccountList,
    KeyAccountListEntry,
    Segment,
)
from telekam.core.api import (
    InputSchema,
    Page,
    PageQuery,
    actor,
    id_path,
    paginate,
    version_field,
)
from telekam.core.errors import NotFound, PermissionDenied
from telekam.org.models import IndustryGroup

router = Router(tags=["grading"])

MIN_YEAR, MAX_YEAR = 2000, 2100
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2})?$")


def _band(segment: str, code: str | None, *, field: str) -> GradeBand | None:
    if not code:
        return None
    band = GradeBand.objects.filter(segment=segment, code=code).first()
    if band is None:
        raise invalid(
            field,
            _("%(segment)s没有编码为“%(code)s”的等级。")
            % {"segment": Segment(segment).label, "code": code},
        )
    return band


def year_path() -> Any:
    return Path(..., ge=MIN_YEAR, le=MAX_YEAR)


def _require_reviewer(request: Any) -> None:
    if not access.can_review_grades(actor(request)):
        raise PermissionDenied(_("只有部门经理、经营分析和系统管理员可以查看大客户名单。"))


def _key_list(request: Any, year: int) -> KeyAccountList:
    _require_reviewer(request)
    key_list = (
        KeyAccountList.objects.select_related("generated_by", "approved_by")
        .filter(year=year)
        .first()
    )
    if key_list is None:
        raise NotFound(_("没有 %(year)d 年度的大客户名单。") % {"year": year})
    return key_list


# --- output schemas -------------------------------------------------------------------


class AccountRef(Schema):
    code: str
    name: str


class GradeProposalOut(Schema):
    """What billing proposes for one account (not a decision: see /grading/proposals)."""

    account: AccountRef
    window_start: dt.date | None
    window_end: dt.date | None
    avg_monthly_spend: Decimal
    months_billed: int
    current_segment: str
    current_grade: GradeOut | None
    proposed_segment: str
    proposed_grade: GradeOut | None
    changes: bool


class KeyListOut(Schema):
    year: int
    status: str
    window_start: dt.date
    window_end: dt.date
    generated_by: UserRef | None
    approved_by: UserRef | None
    approved_at: dt.datetime | None
    version: int
    updated_at: dt.datetime


class ChangeCountsOut(Schema):
    promotions: int
    demotions: int
    joins: int
    drops: int
    unchanged: int
    changes: int


class GradeTotalOut(Schema):
    segment: str
    grade: str | None = Field(
        None, description="Grade code; null: accounts of the segment without a grade"
    )
    name: str
    current: int
    proposed: int
    decided: int

    @staticmethod
    def resolve_grade(obj: grading.GradeTotal) -> str | None:
        return obj.band.code if obj.band else None

    @staticmethod
    def resolve_name(obj: grading.GradeTotal) -> str:
        return str(obj.band.display_name) if obj.band else _("无等级")


class KeyListSummaryOut(Schema):
    entries: int
    proposed: ChangeCountsOut
    decided: ChangeCountsOut
    overridden: int
    no_billing: int
    key_current: int
    key_proposed: int
    key_decided: int
    by_grade: list[GradeTotalOut]


class KeyListEntryOut(Schema):
    account: AccountRef
    owner: str
    group: str
    avg_monthly_spend: Decimal
    months_billed: int
    current_segment: str
    current_grade: str | None
    proposed_segment: str
    proposed_grade: str | None
    decided_segment: str
    decided_grade: str | None
    note: str

    @staticmethod
    def resolve_owner(obj: KeyAccountListEntry) -> str:
        return obj.account.owner.username

    @staticmethod
    def resolve_group(obj: KeyAccountListEntry) -> str:
        return obj.account.group.code

    @staticmethod
    def resolve_current_grade(obj: KeyAccountListEntry) -> str | None:
        return obj.current_grade.code if obj.current_grade else None

    @staticmethod
    def resolve_proposed_grade(obj: KeyAccountListEntry) -> str | None:
        return obj.proposed_grade.code if obj.proposed_grade else None

    @staticmethod
    def resolve_decided_grade(obj: KeyAccountListEntry) -> str | None:
        return obj.decided_grade.code if obj.decided_grade else None


class KeyListDetailOut(Schema):
    key_list: KeyListOut
    summary: KeyListSummaryOut
    entries: Page[KeyListEntryOut]


class ProposalOut(Schema):
    id: int
    account: AccountRef
    from_segment: str
    from_grade: GradeOut | None
    to_segment: str
    to_grade: GradeOut | None
    reason: str
    proposed_by: UserRef
    proposed_at: dt.datetime
    status: str
    decided_by: UserRef | None
    decided_at: dt.datetime | None
    decision_note: str
    version: int


class BoundaryAccountOut(Schema):
    code: str
    name: str
    segment: str
    grade: str | None
    owner: str
    avg_monthly_spend: Decimal
    discount_pct: Decimal
    star_level: int

    @staticmethod
    def resolve_grade(obj: Account) -> str | None:
        return obj.grade.code if obj.grade_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_owner(obj: Account) -> str:
        return obj.owner.username


class BoundaryRowOut(Schema):
    account: BoundaryAccountOut
    spend_rank: int
    inverted: bool
    cross_segment: bool
    discount_inverted_by: str | None = Field(
        None, description="Code of the higher-spend account with a lower discount"
    )
    star_inverted_by: str | None = Field(
        None, description="Code of the higher-spend account with fewer stars"
    )
    max_discount: Decimal | None
    max_star_level: int | None

    @staticmethod
    def resolve_discount_inverted_by(obj: grading.BoundaryRow) -> str | None:
        return obj.discount_inverted_by.code if obj.discount_inverted_by else None

    @staticmethod
    def resolve_star_inverted_by(obj: grading.BoundaryRow) -> str | None:
        return obj.star_inverted_by.code if obj.star_inverted_by else None


class BoundaryBandOut(Schema):
    commercial_count: int
    key_count: int
    inverted_count: int
    discount_inversions: int
    star_inversions: int
    cross_segment_inversions: int
    rows: Page[BoundaryRowOut]


# --- input schemas --------------------------------------------------------------------


class KeyListCreateIn(InputSchema):
    year: int = Field(..., ge=MIN_YEAR, le=MAX_YEAR)
    through: str | None = Field(
        None,
        description="Last month of the 12-month spend window, YYYY-MM (default: December of year-1)",
    )

    @field_validator("through")
    @classmethod
    def _month(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _MONTH.match(value)
        if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < MIN_YEAR:
            raise ValueError(_("月份格式应为 YYYY-MM，例如 2025-12。"))
        return value[:7]


class VersionIn(InputSchema):
    version: int = version_field()


class EntryDecisionIn(InputSchema):
    segment: Segment
    grade: str | None = Field(None, max_length=20, description="Grade code within the segment")
    note: str = Field("", max_length=200)


class ProposalCreateIn(InputSchema):
    account: str = Field(..., max_length=ACCOUNT_CODE_MAX, description="Account code")
    to_segment: Segment
    to_grade: str | None = Field(None, max_length=20, description="Grade code within to_segment")
    reason: str = Field(..., min_length=1)


class ProposalDecisionIn(InputSchema):
    approve: bool
    note: str = Field("", max_length=200)
    version: int = version_field()


class KeyListEntryQuery(PageQuery):
    change: Literal[
        "",
        "changes",
        "unchanged",
        "promotions",
        "demotions",
        "joins",
        "drops",
        "overridden",
        "no_billing",
    ] = ""
    grade: str = Field("", max_length=20, description="Decided grade code")
    segment: Segment | None = None
    group: str = Field("", max_length=32, description="Industry group code")
    q: str = Field("", max_length=100, description="Account name or code")


class ProposalQuery(PageQuery):
    status: DecisionStatus | None = None


class BoundaryQuery(PageQuery):
    inverted: bool = Field(False, description="Only the rows with a policy inversion")


# --- one account ----------------------------------------------------------------------


@router.get("/accounts/{code}/grade-proposal", response=GradeProposalOut)
def account_grade_proposal(request: Any, code: str) -> grading.AccountGradeProposal:
    """Average spend of the last 12 billed months and the segment and grade it implies."""
    account = visible_account(request, code)
    return grading.account_grade_proposal(user=actor(request), account=account)


# --- the yearly list ------------------------------------------------------------------


@router.get("/grading/lists", response=list[KeyListOut])
def key_list_index(request: Any) -> Any:
    """Every yearly key-account list, newest first (reviewers only)."""
    _require_reviewer(request)
    return KeyAccountList.objects.select_related("generated_by", "approved_by").order_by("-year")


@router.post("/grading/lists", response={201: KeyListOut})
def key_list_generate(request: Any, payload: KeyListCreateIn) -> KeyAccountList:
    """Build (or rebuild) the draft list of a year from the billed spend."""
    through = dt.date.fromisoformat(f"{payload.through}-01") if payload.through else None
    return grading.key_list_generate(actor=actor(request), year=payload.year, through=through)


@router.get("/grading/lists/{year}", response=KeyListDetailOut)
def key_list_detail(
    request: Any, query: Query[KeyListEntryQuery], year: int = year_path()
) -> dict[str, Any]:
    """The list, its counts and one page of its entries (highest spend first)."""
    key_list = _key_list(request, year)
    group_id = None
    if query.group:
        group = IndustryGroup.objects.filter(code=query.group).first()
        if group is None:
            raise invalid("group", _("没有编码为“%(c)s”的行业组。") % {"c": query.group})
        group_id = group.pk
    filters = grading.KeyListEntryFilters(
        change=query.change,
        grade=query.grade,
        segment=query.segment or "",
        group=group_id,
        q=query.q,
    )
    entries = grading.key_list_entries(user=actor(request), key_list=key_list, filters=filters)
    return {
        "key_list": key_list,
        "summary": grading.key_list_summary(key_list),
        "entries": paginate(entries, query),
    }


@router.post("/grading/lists/{year}/entries/{code}", response=KeyListEntryOut)
def key_list_entry_decide(
    request: Any, code: str, payload: EntryDecisionIn, year: int = year_path()
) -> KeyAccountListEntry:
    """Override the decision for one account on a draft list (reviewers)."""
    key_list = _key_list(request, year)
    account = visible_account(request, code)
    entries = grading.key_list_entries(user=actor(request), key_list=key_list)
    entry = entries.filter(account=account).first()
    if entry is None:
        raise NotFound(_("该客户不在 %(year)d 年度名单上。") % {"year": year})
    return grading.key_list_entry_decide(
        actor=actor(request),
        entry=entry,
        segment=payload.segment,
        grade=_band(payload.segment, payload.grade, field="grade"),
        note=payload.note,
    )


@router.post("/grading/lists/{year}/approve", response=KeyListOut)
def key_list_approve(request: Any, payload: VersionIn, year: int = year_path()) -> KeyAccountList:
    """The department head approves the list: every decision is applied to its account."""
    key_list = _key_list(request, year)
    return grading.key_list_approve(
        actor=actor(request), key_list=key_list, expected_version=payload.version
    )


# --- mid-year proposals ---------------------------------------------------------------


@router.get("/grading/proposals", response=Page[ProposalOut])
def proposal_list(request: Any, query: Query[ProposalQuery]) -> dict[str, Any]:
    """Grade change proposals on accounts the user may see (reviewers: all), newest first."""
    return paginate(
        grading.grade_proposals_visible_to(user=actor(request), status=query.status), query
    )


@router.post("/grading/proposals", response={201: ProposalOut})
def proposal_create(request: Any, payload: ProposalCreateIn) -> GradeChangeProposal:
    """Propose a mid-year change of segment or grade; the department head decides."""
    account = visible_account(request, payload.account)
    return grading.grade_proposal_create(
        actor=actor(request),
        account=account,
        to_segment=payload.to_segment,
        to_grade=_band(payload.to_segment, payload.to_grade, field="to_grade"),
        reason=payload.reason,
    )


@router.post("/grading/proposals/{proposal_id}/decide", response=ProposalOut)
def proposal_decide(
    request: Any, payload: ProposalDecisionIn, proposal_id: int = id_path()
) -> GradeChangeProposal:
    """Approve or reject a pending proposal (department head). `version` as read."""
    proposal = (
        grading.grade_proposals_visible_to(user=actor(request)).filter(pk=proposal_id).first()
    )
    if proposal is None:
        raise NotFound()
    return grading.grade_proposal_decide(
        actor=actor(request),
        proposal=proposal,
        approve=payload.approve,
        note=payload.note,
        expected_version=payload.version,
    )


# --- the boundary band ----------------------------------------------------------------


@router.get("/grading/boundary-band", response=BoundaryBandOut)
def boundary_band(request: Any, query: Query[BoundaryQuery]) -> dict[str, Any]:
    """Top commercial (A+) and bottom key (crystal) accounts as one band, by spend, with
    discount and star-level inversions flagged (not for service desk and operations)."""
    band = grading.boundary_band(user=actor(request))
    rows = band.inverted if query.inverted else band.rows
    return {
        "commercial_count": band.commercial_count,
        "key_count": band.key_count,
        "inverted_count": band.inverted_count,
        "discount_inversions": band.discount_inversions,
        "star_inversions": band.star_inversions,
        "cross_segment_inversions": band.cross_segment_inversions,
        "rows": paginate(rows, query),
    }
