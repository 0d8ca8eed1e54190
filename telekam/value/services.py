"""Writes of value assessment: the month's cost pools and segment statistics, kept by the
department head, the analysts and the administrator.

Each is one record per month and resource (or segment). Saving names the version the
user read: 0 for "there was none" (a second person entering the same month and resource
at the same time gets a conflict, not a silent overwrite), otherwise the record's version.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from telekam.accounts.models import Account
from telekam.core import clock
from telekam.core.errors import ApplicationError, Conflict, ValidationFailed
from telekam.core.models import AuditAction, VersionedModel
from telekam.core.services import (
    audit_entry_create,
    check_version,
    diff,
    full_clean_or_raise,
    require,
    save_new,
    save_versioned,
    snapshot,
)
from telekam.value import access
from telekam.value.models import (
    MAX_MARK,
    CostPool,
    IndustryGrowth,
    IntangibleCriterion,
    IntangibleSheet,
    SegmentFigure,
    ShareOfWallet,
    SheetStatus,
    ValueParameters,
)


class ValueErrorCode(enum.StrEnum):
    SHEET_STATE = "sheet_state"  # the sheet is not in a state that allows this step
    NO_WEIGHTS = "no_weights"  # every criterion weighs 0


POOL_FIELDS = ["amount", "key_share_pct", "note"]
FIGURE_FIELDS = ["customers", "revenue"]
SHEET_FIELDS = ["marks", "weights", "score", "notes"]


def _upsert(
    *,
    actor: Any,
    model: type[VersionedModel],
    key: dict[str, Any],
    values: dict[str, Any],
    fields: list[str],
    expected_version: int,
    summary: str,
    allowed: bool | None = None,
    account: Account | None = None,
) -> Any:
    if allowed is None:
        require(access.keeps_inputs(actor), _("只有部门经理、分析员和管理员可以维护价值计算参数。"))
    else:
        require(allowed, _("只有该客户的客户经理、行业组长和部门经理可以填写钱包份额。"))
    existing = model._default_manager.select_for_update().filter(**key).first()
    if existing is None:
        if expected_version != 0:
            raise Conflict(_("该记录已被他人删除，请刷新后重新录入。"))
        record = save_new(model(**key, **values))
        audit_entry_create(
            actor=actor, action=AuditAction.CREATE, target=record, summary=summary, account=account
        )
        return record
    if expected_version == 0:
        raise Conflict(_("该月的这项数据已由他人录入，请刷新后在原记录上修改。"))
    check_version(existing, expected_version)
    before = snapshot(existing, fields)
    for name, value in values.items():
        setattr(existing, name, value)
    save_versioned(existing, expected_version=expected_version, fields=fields)
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=existing,
        summary=summary,
        account=account,
        changes=diff(before, snapshot(existing, fields)),
    )
    return existing


@transaction.atomic
def cost_pool_save(
    *,
    actor: Any,
    month: dt.date,
    resource: str,
    amount: Decimal,
    key_share_pct: Decimal,
    note: str = "",
    expected_version: int = 0,
) -> CostPool:
    """Enter or correct a month's cost pool of one resource and the key accounts' share."""
    month = month.replace(day=1)
    pool: CostPool = _upsert(
        actor=actor,
        model=CostPool,
        key={"month": month, "resource": resource},
        values={"amount": amount, "key_share_pct": key_share_pct, "note": note},
        fields=POOL_FIELDS,
        expected_version=expected_version,
        summary=_("成本池 %(m)s %(r)s：%(a)s 元，大客户占 %(p)s%%")
        % {"m": f"{month:%Y-%m}", "r": resource, "a": amount, "p": key_share_pct},
    )
    return pool


@transaction.atomic
def segment_figure_save(
    *,
    actor: Any,
    month: dt.date,
    segment: str,
    customers: int,
    revenue: Decimal,
    expected_version: int = 0,
) -> SegmentFigure:
    """Enter or correct a segment's customers and revenue of a month (operator statistics)."""
    month = month.replace(day=1)
    figure: SegmentFigure = _upsert(
        actor=actor,
        model=SegmentFigure,
        key={"month": month, "segment": segment},
        values={"customers": customers, "revenue": revenue},
        fields=FIGURE_FIELDS,
        expected_version=expected_version,
        summary=_("客户类别统计 %(m)s %(s)s：%(c)s 户，收入 %(r)s 元")
        % {"m": f"{month:%Y-%m}", "s": segment, "c": customers, "r": revenue},
    )
    return figure


# --- the intangible-value sheet -------------------------------------------------------------


def sheet_score(marks: dict[str, int], weights: dict[str, str]) -> Decimal:
    """Σ weight × mark / (5 × Σ weight) × 100, to one decimal (half up)."""
    total = sum((Decimal(w) for w in weights.values()), Decimal(0))
    if total <= 0:
        raise ApplicationError(
            _("无形价值评分项的权重合计须大于 0。"), code=ValueErrorCode.NO_WEIGHTS
        )
    points = sum((Decimal(weights[c]) * marks[c] for c in weights), Decimal(0))
    return (points / (MAX_MARK * total) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _checked_marks(marks: dict[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    criteria = list(IntangibleCriterion.objects.filter(active=True))
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for c in criteria:
        value = marks.get(c.code)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MARK:
            errors[c.code] = [_("请按 0–5 分评分。")]
        else:
            clean[c.code] = value
    unknown = sorted(set(marks) - {c.code for c in criteria})
    if unknown:
        errors["marks"] = [_("未知的评分项：%(codes)s") % {"codes": ", ".join(unknown)}]
    if errors:
        raise ValidationFailed(_("评分不完整或超出范围。"), errors=errors)
    return clean, {c.code: str(c.weight) for c in criteria}


@transaction.atomic
def intangible_sheet_save(
    *,
    actor: Any,
    account: Account,
    year: int,
    marks: dict[str, Any],
    notes: str = "",
    expected_version: int = 0,
) -> IntangibleSheet:
    """Fill in or change the account's sheet for `year` (a draft, or one sent back); the
    score is computed with today's weights."""
    require(
        access.can_fill_sheet(actor, account),
        _("只有客户经理、行业组长和部门经理可以填写无形价值评分。"),
    )
    clean, weights = _checked_marks(marks)
    score = sheet_score(clean, weights)
    sheet = IntangibleSheet.objects.select_for_update().filter(account=account, year=year).first()
    if sheet is None:
        if expected_version != 0:
            raise Conflict(_("该记录已被他人删除，请刷新后重新录入。"))
        sheet = save_new(
            IntangibleSheet(
                account=account,
                year=year,
                marks=clean,
                weights=weights,
                score=score,
                notes=notes,
                filled_by=actor,
            )
        )
        audit_entry_create(
            actor=actor,
            action=AuditAction.CREATE,
            target=sheet,
            account=account,
            summary=_("填写无形价值评分：%(s)s 分") % {"s": score},
        )
        return sheet
    if expected_version == 0:
        raise Conflict(_("该客户本年度的无形价值评分已由他人填写，请刷新后在原评分上修改。"))
    check_version(sheet, expected_version)
    if sheet.status not in (SheetStatus.DRAFT, SheetStatus.RETURNED):
        raise ApplicationError(_("评分已提交审核，不能再修改。"), code=ValueErrorCode.SHEET_STATE)
    before = snapshot(sheet, SHEET_FIELDS)
    sheet.marks, sheet.weights, sheet.score, sheet.notes = clean, weights, score, notes
    sheet.filled_by = actor
    save_versioned(sheet, expected_version=expected_version, fields=[*SHEET_FIELDS, "filled_by"])
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=sheet,
        account=account,
        summary=_("修改无形价值评分：%(s)s 分") % {"s": score},
        changes=diff(before, snapshot(sheet, SHEET_FIELDS)),
    )
    return sheet


@transaction.atomic
def intangible_sheet_submit(
    *, actor: Any, sheet: IntangibleSheet, expected_version: int
) -> IntangibleSheet:
    require(access.can_fill_sheet(actor, sheet.account))
    check_version(sheet, expected_version)
    if sheet.status not in (SheetStatus.DRAFT, SheetStatus.RETURNED):
        raise ApplicationError(
            _("只有草稿或退回的评分可以提交审核。"), code=ValueErrorCode.SHEET_STATE
        )
    sheet.status = SheetStatus.SUBMITTED
    sheet.submitted_at = clock.now()
    save_versioned(sheet, expected_version=expected_version, fields=["status", "submitted_at"])
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=sheet,
        account=sheet.account,
        summary=_("无形价值评分提交审核"),
    )
    return sheet


@transaction.atomic
def intangible_sheet_review(
    *,
    actor: Any,
    sheet: IntangibleSheet,
    approve: bool,
    note: str = "",
    expected_version: int,
) -> IntangibleSheet:
    """Approve, or send back with a note (required), a submitted sheet."""
    require(
        access.can_review_sheet(actor, sheet),
        _("只有本行业组组长（非填写人）或部门经理可以审核无形价值评分。"),
    )
    check_version(sheet, expected_version)
    if sheet.status != SheetStatus.SUBMITTED:
        raise ApplicationError(_("只有待审核的评分可以审核。"), code=ValueErrorCode.SHEET_STATE)
    if not approve and not note.strip():
        raise ValidationFailed(_("退回时请写明原因。"), errors={"note": [_("退回时请写明原因。")]})
    sheet.status = SheetStatus.APPROVED if approve else SheetStatus.RETURNED
    sheet.reviewed_by = actor
    sheet.reviewed_at = clock.now()
    sheet.review_note = note.strip()[:500]
    save_versioned(
        sheet,
        expected_version=expected_version,
        fields=["status", "reviewed_by", "reviewed_at", "review_note"],
    )
    audit_entry_create(
        actor=actor,
        action=AuditAction.APPROVE,
        target=sheet,
        account=sheet.account,
        summary=(
            _("无形价值评分审核通过") if approve else _("无形价值评分退回：%(n)s") % {"n": note}
        ),
    )
    return sheet


@transaction.atomic
def intangible_weights_save(
    *, actor: Any, weights: dict[str, Decimal], read: dict[str, Decimal]
) -> list[IntangibleCriterion]:
    """Set the weights of the active criteria. `read` holds the weights the user saw: if
    someone changed them since, nothing is written (Conflict). Sheets keep the weights
    they were saved with; the new ones apply to sheets saved from now on."""
    require(access.keeps_inputs(actor), _("只有部门经理、分析员和管理员可以维护价值计算参数。"))
    criteria = list(IntangibleCriterion.objects.select_for_update().filter(active=True))
    now = {c.code: c.weight for c in criteria}
    if {k: Decimal(v) for k, v in read.items()} != now:
        raise Conflict(_("评分项权重已被他人修改，请刷新后重新修改。"))
    if set(weights) != set(now):
        raise ValidationFailed(
            _("请为每个评分项填写权重。"), errors={"weights": [_("请为每个评分项填写权重。")]}
        )
    if sum(weights.values(), Decimal(0)) <= 0:
        raise ValidationFailed(
            _("权重合计须大于 0。"), errors={"weights": [_("权重合计须大于 0。")]}
        )
    changes = {}
    for c in criteria:
        new = Decimal(weights[c.code]).quantize(Decimal("0.01"))
        if new != c.weight:
            changes[c.code] = [str(c.weight), str(new)]
            c.weight = new
            full_clean_or_raise(c)
            c.save(update_fields=["weight"])
    if changes:
        audit_entry_create(
            actor=actor,
            action=AuditAction.UPDATE,
            target=criteria[0],
            summary=_("修改无形价值评分项权重"),
            changes=changes,
        )
    return criteria


# --- potential value: parameters, industry growth, share of wallet -------------------------

PARAMETER_FIELDS = [
    "discount_rate_pct",
    "horizon_years",
    "weight_current",
    "weight_potential",
    "weight_intangible",
]


@transaction.atomic
def value_parameters_save(
    *,
    actor: Any,
    discount_rate_pct: Decimal,
    horizon_years: int,
    weight_current: Decimal,
    weight_potential: Decimal,
    weight_intangible: Decimal,
    expected_version: int,
) -> ValueParameters:
    """Set the discount rate, the horizon and the composite weights (0 when never saved)."""
    if weight_current + weight_potential + weight_intangible <= 0:
        raise ValidationFailed(
            _("权重合计须大于 0。"), errors={"weight_current": [_("权重合计须大于 0。")]}
        )
    params: ValueParameters = _upsert(
        actor=actor,
        model=ValueParameters,
        key={"pk": 1},
        values={
            "discount_rate_pct": discount_rate_pct,
            "horizon_years": horizon_years,
            "weight_current": weight_current,
            "weight_potential": weight_potential,
            "weight_intangible": weight_intangible,
        },
        fields=PARAMETER_FIELDS,
        expected_version=expected_version,
        summary=_("价值评估参数：贴现率 %(d)s%%，%(h)s 年，权重 %(a)s/%(b)s/%(c)s")
        % {
            "d": discount_rate_pct,
            "h": horizon_years,
            "a": weight_current,
            "b": weight_potential,
            "c": weight_intangible,
        },
    )
    return params


@transaction.atomic
def industry_growth_save(
    *, actor: Any, industry: str, year: int, growth_pct: Decimal, expected_version: int = 0
) -> IndustryGrowth:
    """Enter or correct an industry's expected growth of telecom spend in a year."""
    growth: IndustryGrowth = _upsert(
        actor=actor,
        model=IndustryGrowth,
        key={"industry": industry, "year": year},
        values={"growth_pct": growth_pct},
        fields=["growth_pct"],
        expected_version=expected_version,
        summary=_("行业增长率 %(y)s %(i)s：%(g)s%%") % {"y": year, "i": industry, "g": growth_pct},
    )
    return growth


@transaction.atomic
def share_of_wallet_save(
    *,
    actor: Any,
    account: Account,
    share_pct: Decimal,
    note: str = "",
    expected_version: int = 0,
) -> ShareOfWallet:
    """The AM's estimate of our share of the account's telecom spend (version 0: none
    was entered yet; a second person entering at the same time gets a conflict)."""
    share: ShareOfWallet = _upsert(
        actor=actor,
        model=ShareOfWallet,
        key={"account": account},
        values={"share_pct": share_pct, "note": note, "entered_by": actor},
        fields=["share_pct", "note", "entered_by"],
        expected_version=expected_version,
        summary=_("钱包份额：%(s)s%%") % {"s": share_pct},
        allowed=access.can_enter_share(actor, account),
        account=account,
    )
    return share
