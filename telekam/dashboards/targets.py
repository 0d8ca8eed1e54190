"""KPI targets: reading the one that applies, and saving one.

Which target applies to a figure: the most specific that exists, in this order:
1. for an AM: the AM's own, then its industry group's, then the department's;
   for a group: the group's, then the department's; for the department: its own;
2. at each level, for a month: that month's target, then (for the KPIs whose year target
   stands for its months, see `kpis.KpiInfo`) the year's;
   for a year to date: the year's.
The department head, the analysts and the administrator set every target; a group lead
sets those of its own group's AMs."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from telekam.core.errors import Conflict, ValidationFailed
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
from telekam.dashboards import access
from telekam.dashboards.kpis import KPI_INFO, Kpi, Period, PeriodKind
from telekam.dashboards.models import KpiTarget, TargetLevel

TargetKey = tuple[str, int, str, int]  # kpi, month (0 = year), level, group or owner id (0)


@dataclasses.dataclass(frozen=True)
class Targets:
    """A year's targets, looked up without further queries."""

    year: int
    by_key: dict[TargetKey, Decimal]

    def for_figure(
        self,
        kpi: Kpi,
        period: Period,
        *,
        group_id: int | None = None,
        owner_id: int | None = None,
        owner_group_id: int | None = None,
    ) -> Decimal | None:
        if period.year != self.year:
            return None
        levels: list[tuple[str, int]] = []
        if owner_id is not None:
            levels.append((TargetLevel.OWNER, owner_id))
            if owner_group_id:
                levels.append((TargetLevel.GROUP, owner_group_id))
        elif group_id is not None:
            levels.append((TargetLevel.GROUP, group_id))
        levels.append((TargetLevel.DEPARTMENT, 0))
        months = [0] if period.kind == PeriodKind.YEAR else [period.closing.month]
        if period.kind == PeriodKind.MONTH and KPI_INFO[kpi].year_for_months:
            months.append(0)
        for level, entity in levels:
            for month in months:
                value = self.by_key.get((kpi.value, month, level, entity))
                if value is not None:
                    return value
        return None


def targets_of(*, year: int) -> Targets:
    """Every target of `year`: one query."""
    by_key: dict[TargetKey, Decimal] = {}
    for t in KpiTarget.objects.filter(year=year).values(
        "kpi", "month", "level", "group_id", "owner_id", "value"
    ):
        entity = t["owner_id"] or t["group_id"] or 0
        by_key[(t["kpi"], t["month"], t["level"], entity)] = t["value"]
    return Targets(year=year, by_key=by_key)


def targets_list(*, user: Any, year: int) -> list[KpiTarget]:
    """The targets of `year` that `user` may see: the department head, analysts and the
    administrator see all; a group lead the department's, its group's and its AMs'; an AM
    the department's, its group's and its own."""
    qs = KpiTarget.objects.filter(year=year).select_related("group", "owner")
    if not access.sees_department(user):
        mine = Q(level=TargetLevel.DEPARTMENT) | Q(owner_id=user.pk)
        if user.group_id:
            mine |= Q(group_id=user.group_id)
            if access.leads_group(user):
                mine |= Q(owner__group_id=user.group_id)
        qs = qs.filter(mine)
    return list(qs)


FIELDS = ["value"]


@transaction.atomic
def kpi_target_save(
    *,
    actor: Any,
    kpi: str,
    year: int,
    month: int,
    level: str,
    group: Any = None,
    owner: Any = None,
    value: Decimal,
    expected_version: int = 0,
) -> KpiTarget:
    """Set a target (version 0: there was none; a second person setting the same target at
    the same time gets a conflict, not a silent overwrite)."""
    if level != TargetLevel.GROUP:
        group = None
    if level != TargetLevel.OWNER:
        owner = None
    require(
        access.can_set_target(actor, level=level, group=group, owner=owner),
        _("你不能设定这一层级的指标目标。"),
    )
    if kpi not in KPI_INFO:
        raise ValidationFailed(_("未知指标。"), errors={"kpi": [_("未知指标。")]})
    key = {"kpi": kpi, "year": year, "month": month, "level": level, "group": group, "owner": owner}
    existing = KpiTarget.objects.select_for_update().filter(**key).first()
    summary = _("指标目标 %(k)s %(y)s-%(m)s：%(v)s") % {
        "k": KPI_INFO[Kpi(kpi)].label,
        "y": year,
        "m": month,
        "v": value,
    }
    if existing is None:
        if expected_version != 0:
            raise Conflict(_("该目标已被他人删除，请刷新后重新录入。"))
        target = save_new(KpiTarget(**key, value=value))
        audit_entry_create(actor=actor, action=AuditAction.CREATE, target=target, summary=summary)
        return target
    if expected_version == 0:
        raise Conflict(_("该目标已由他人设定，请刷新后在原记录上修改。"))
    check_version(existing, expected_version)
    before = snapshot(existing, FIELDS)
    existing.value = value
    save_versioned(existing, expected_version=expected_version, fields=FIELDS)
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=existing,
        summary=summary,
        changes=diff(before, snapshot(existing, FIELDS)),
    )
    return existing
