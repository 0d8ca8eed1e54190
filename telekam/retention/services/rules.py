"""The rules the call and spend jobs apply: competitor prefixes and trunk carriers, local
area codes, and the thresholds per grade. Only those who run the data jobs change them
(retention.access.can_run_jobs); every change is audited.

A changed competitor rule or area code applies to call files landed from then on (a call is
classified when it lands); a changed threshold applies at the next signals run."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from telekam.accounts.models import GradeBand
from telekam.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from telekam.core.models import AuditAction
from telekam.core.services import audit_entry_create, full_clean_or_raise, save_new
from telekam.org.models import User
from telekam.retention import access
from telekam.retention.models import CallRuleKind, ChurnThreshold, CompetitorRule, LocalAreaCode

PREFIX = re.compile(r"^[0-9]{3,8}$")
TRUNK = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
THRESHOLD_FIELDS = (
    "competitor_share_pct",
    "share_rise_points",
    "ld_drop_pct",
    "spend_drop_pct",
    "min_baseline_minutes",
    "min_spend_yuan",
    "ack_working_days",
)


def _require(actor: User) -> None:
    if not access.can_run_jobs(actor):
        raise PermissionDenied(_("只有部门经理、分析员和管理员可以修改预警规则。"))


def _rule_value(kind: str, value: str) -> str:
    value = value.strip()
    if kind == CallRuleKind.PREFIX and not PREFIX.match(value):
        raise ValidationFailed(
            _("拨号前缀应为 3–8 位数字。"), errors={"value": [_("拨号前缀应为 3–8 位数字。")]}
        )
    if kind == CallRuleKind.TRUNK and not TRUNK.match(value):
        message = _("出中继运营商标识只能包含字母、数字、下划线、点和连字符。")
        raise ValidationFailed(message, errors={"value": [message]})
    return value


def _unique_rule(kind: str, value: str, *, exclude_pk: int | None = None) -> None:
    clash = CompetitorRule.objects.filter(kind=kind, value=value)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        message = _("已有相同的规则。")
        raise ValidationFailed(message, errors={"value": [message]})


@transaction.atomic
def competitor_rule_create(
    *, actor: User, competitor: str, kind: str, value: str, label: str = "", active: bool = True
) -> CompetitorRule:
    _require(actor)
    value = _rule_value(kind, value)
    _unique_rule(kind, value)
    rule = save_new(
        CompetitorRule(
            competitor=competitor, kind=kind, value=value, label=label.strip(), active=active
        )
    )
    audit_entry_create(
        actor=actor,
        action=AuditAction.CREATE,
        target=rule,
        summary=_("新增竞争对手识别规则：%(r)s") % {"r": rule},
    )
    return rule


@transaction.atomic
def competitor_rule_update(
    *,
    actor: User,
    rule: CompetitorRule,
    competitor: str,
    kind: str,
    value: str,
    label: str = "",
    active: bool = True,
) -> CompetitorRule:
    _require(actor)
    rule = CompetitorRule.objects.select_for_update().get(pk=rule.pk)
    value = _rule_value(kind, value)
    _unique_rule(kind, value, exclude_pk=rule.pk)
    before = str(rule), rule.active
    rule.competitor, rule.kind, rule.value = competitor, kind, value
    rule.label, rule.active = label.strip(), active
    full_clean_or_raise(rule)
    rule.save()
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=rule,
        summary=_("修改竞争对手识别规则：%(a)s → %(b)s（%(s)s）")
        % {"a": before[0], "b": rule, "s": _("启用") if active else _("停用")},
    )
    return rule


@transaction.atomic
def local_area_code_create(*, actor: User, code: str, city: str = "") -> LocalAreaCode:
    _require(actor)
    code = code.strip()
    if LocalAreaCode.objects.filter(code=code).exists():
        message = _("该区号已在列表中。")
        raise ValidationFailed(message, errors={"code": [message]})
    area = save_new(LocalAreaCode(code=code, city=city.strip()))
    audit_entry_create(
        actor=actor,
        action=AuditAction.CREATE,
        target=area,
        summary=_("新增本地区号：%(c)s %(city)s") % {"c": area.code, "city": area.city},
    )
    return area


@transaction.atomic
def local_area_code_delete(*, actor: User, area: LocalAreaCode) -> None:
    _require(actor)
    audit_entry_create(
        actor=actor,
        action=AuditAction.DELETE,
        target=area,
        summary=_("删除本地区号：%(c)s %(city)s") % {"c": area.code, "city": area.city},
    )
    area.delete()


def _set_figures(threshold: ChurnThreshold, values: dict[str, Any]) -> list[str]:
    changed = []
    for name in THRESHOLD_FIELDS:
        if name not in values:
            continue
        new = values[name]
        if isinstance(getattr(threshold, name), Decimal):
            new = Decimal(str(new))
        if getattr(threshold, name) != new:
            setattr(threshold, name, new)
            changed.append(name)
    return changed


@transaction.atomic
def churn_threshold_update(
    *, actor: User, threshold: ChurnThreshold, values: dict[str, Any]
) -> ChurnThreshold:
    """Change the figures of one threshold row (`values`: any of THRESHOLD_FIELDS)."""
    _require(actor)
    threshold = ChurnThreshold.objects.select_for_update().get(pk=threshold.pk)
    before = {name: str(getattr(threshold, name)) for name in THRESHOLD_FIELDS}
    changed = _set_figures(threshold, values)
    if not changed:
        return threshold
    full_clean_or_raise(threshold)
    threshold.save(update_fields=changed)
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=threshold,
        summary=_("修改预警阈值：%(t)s") % {"t": threshold},
        changes={n: [before[n], str(getattr(threshold, n))] for n in changed},
    )
    return threshold


@transaction.atomic
def churn_threshold_create(
    *, actor: User, grade: GradeBand, values: dict[str, Any]
) -> ChurnThreshold:
    """A threshold row of its own for `grade` (other grades keep the default row)."""
    _require(actor)
    if ChurnThreshold.objects.filter(grade=grade).exists():
        message = _("该等级已有阈值。")
        raise ValidationFailed(message, errors={"grade": [message]})
    default = ChurnThreshold.objects.filter(grade__isnull=True).first() or ChurnThreshold()
    threshold = ChurnThreshold(
        grade=grade, **{name: getattr(default, name) for name in THRESHOLD_FIELDS}
    )
    _set_figures(threshold, values)
    threshold = save_new(threshold)
    audit_entry_create(
        actor=actor,
        action=AuditAction.CREATE,
        target=threshold,
        summary=_("新增预警阈值：%(t)s") % {"t": threshold},
    )
    return threshold


@transaction.atomic
def churn_threshold_delete(*, actor: User, threshold: ChurnThreshold) -> None:
    """Remove a grade's own row (the grade falls back to the default); the default stays."""
    _require(actor)
    if threshold.grade_id is None:
        raise ApplicationError(_("默认阈值不能删除。"))
    audit_entry_create(
        actor=actor,
        action=AuditAction.DELETE,
        target=threshold,
        summary=_("删除预警阈值：%(t)s") % {"t": threshold},
    )
    threshold.delete()
