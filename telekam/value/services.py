"""Writes of value assessment: the month's cost pools and segment statistics, kept by the
department head, the analysts and the administrator.

Each is one record per month and resource (or segment). Saving names the version the
user read: 0 for "there was none" (a second person entering the same month and resource
at the same time gets a conflict, not a silent overwrite), otherwise the record's version.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from telekam.core.errors import Conflict
from telekam.core.models import AuditAction
from telekam.core.services import (
    audit_entry_create,
    check_version,
    diff,
    require,
    save_new,
    save_versioned,
    snapshot,
)
from telekam.value import access
from telekam.value.models import CostPool, SegmentFigure

POOL_FIELDS = ["amount", "key_share_pct", "note"]
FIGURE_FIELDS = ["customers", "revenue"]


def _upsert(
    *,
    actor: Any,
    model: type[CostPool] | type[SegmentFigure],
    key: dict[str, Any],
    values: dict[str, Any],
    fields: list[str],
    expected_version: int,
    summary: str,
) -> Any:
    require(access.keeps_inputs(actor), _("只有部门经理、分析员和管理员可以维护价值计算参数。"))
    existing = model.objects.select_for_update().filter(**key).first()
    if existing is None:
        if expected_version != 0:
            raise Conflict(_("该记录已被他人删除，请刷新后重新录入。"))
        record = save_new(model(**key, **values))
        audit_entry_create(actor=actor, action=AuditAction.CREATE, target=record, summary=summary)
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
