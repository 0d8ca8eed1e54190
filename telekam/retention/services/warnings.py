"""Warnings and retention cases: raising (one open warning per account and source, new
evidence updates it), acknowledging, dismissing, the case with its plan, actions and end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from telekam.accounts.models import Account
from telekam.core import clock
from telekam.core.calendar import working_calendar
from telekam.core.errors import ApplicationError, PermissionDenied
from telekam.core.models import AuditAction
from telekam.core.services import (
    audit_entry_create,
    check_version,
    notification_send,
    save_new,
    save_versioned,
)
from telekam.org.models import User
from telekam.retention import access
from telekam.retention.models import (
    LOST_OUTCOMES,
    CaseOutcome,
    CaseStatus,
    ChurnReason,
    ChurnThreshold,
    ChurnWarning,
    RetentionAction,
    RetentionCase,
    Severity,
    WarningStatus,
)


def thresholds_for(grade_ids: set[int | None]) -> dict[int | None, ChurnThreshold]:
    """The threshold row of each grade (the default row for grades without one)."""
    rows = {t.grade_id: t for t in ChurnThreshold.objects.all()}
    default = rows.get(None) or ChurnThreshold()
    return {g: rows.get(g, default) for g in grade_ids | {None}}


def ack_due(day: dt.date, working_days: int) -> dt.date:
    return working_calendar(start=day).add_working_days(day, working_days).date


@transaction.atomic
def warning_raise(
    *,
    account: Account,
    source: str,
    severity: int,
    evidence: dict[str, Any],
    evidence_on: dt.date,
    competitor: str = "",
    threshold: ChurnThreshold | None = None,
) -> tuple[ChurnWarning, str]:
    """Raise a warning, or update the account's open one from the same source. Returns
    the warning and what happened: "created", "updated" or "unchanged" (the same evidence
    again: nothing is written, so re-running a job adds nothing)."""
    current = (
        ChurnWarning.objects.select_for_update()
        .filter(account=account, source=source)
        .exclude(status=WarningStatus.CLOSED)
        .first()
    )
    if current is not None:
        if (
            current.evidence == evidence
            and current.severity == severity
            and current.competitor == competitor
        ):
            return current, "unchanged"
        raised = severity > current.severity
        current.evidence, current.competitor = evidence, competitor
        current.severity = severity
        current.evidence_on = max(current.evidence_on, evidence_on)
        save_versioned(
            current,
            expected_version=current.version,
            fields=["evidence", "competitor", "severity", "evidence_on"],
        )
        if raised:
            _notify(current, again=True)
        return current, "updated"
    threshold = threshold or thresholds_for({account.grade_id})[account.grade_id]
    today = clock.today()
    warning = save_new(
        ChurnWarning(
            account=account,
            source=source,
            severity=severity,
            competitor=competitor,
            evidence=evidence,
            raised_on=today,
            evidence_on=evidence_on,
            assignee_id=account.owner_id,
            ack_due=ack_due(today, threshold.ack_working_days),
        )
    )
    audit_entry_create(
        actor=None,
        action=AuditAction.EVENT,
        target=warning,
        account=account,
        summary=_("流失预警：%(source)s（%(severity)s）")
        % {"source": warning.get_source_display(), "severity": warning.get_severity_display()},
    )
    _notify(warning, again=False)
    _plan_visit(warning)
    return warning, "created"


def _notify(warning: ChurnWarning, *, again: bool) -> None:
    key = f"churn:{warning.pk}:{warning.severity}"
    notification_send(
        user=warning.assignee,
        key=key,
        title=(_("流失预警升级：%(account)s") if again else _("流失预警：%(account)s"))
        % {"account": warning.account.name},
        body=_("来源：%(source)s；严重程度：%(severity)s；请于 %(due)s 前确认。")
        % {
            "source": warning.get_source_display(),
            "severity": warning.get_severity_display(),
            "due": warning.ack_due.isoformat(),
        },
        url=f"/retention/warnings/{warning.pk}/",
    )


def _plan_visit(warning: ChurnWarning) -> None:
    """A warning earns the account the extra visits of the churn-warning rule."""
    from telekam.engagement.services import plan_extra_visits

    plan_extra_visits(
        account=warning.account,
        trigger="churn_warning",
        key=f"event:churn:{warning.pk}",
        start=warning.raised_on,
        note=str(warning),
    )


def _require_act(actor: User, account: Account) -> None:
    if not access.can_act(actor, account):
        raise PermissionDenied(_("只有该客户的客户经理、行业组长或部门经理可以处理预警。"))


@transaction.atomic
def warning_acknowledge(
    *, actor: User, warning: ChurnWarning, expected_version: int
) -> ChurnWarning:
    _require_act(actor, warning.account)
    check_version(warning, expected_version)
    if warning.status != WarningStatus.OPEN:
        raise ApplicationError(_("该预警已确认或已关闭。"), field="status")
    warning.status = WarningStatus.ACKNOWLEDGED
    warning.acknowledged_at = clock.now()
    save_versioned(warning, expected_version=expected_version, fields=["status", "acknowledged_at"])
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=warning,
        account=warning.account,
        summary=_("确认流失预警：%(w)s") % {"w": warning},
    )
    return warning


@transaction.atomic
def warning_dismiss(
    *, actor: User, warning: ChurnWarning, note: str, expected_version: int
) -> ChurnWarning:
    """Close a warning that needs no case (a false alarm), with the reason."""
    _require_act(actor, warning.account)
    check_version(warning, expected_version)
    if warning.status == WarningStatus.CLOSED:
        raise ApplicationError(_("该预警已关闭。"), field="status")
    if warning.case_id is not None:
        raise ApplicationError(_("已立案的预警随挽留案例结案关闭。"), field="status")
    if not note.strip():
        raise ApplicationError(_("请说明关闭原因。"), field="note")
    now = clock.now()
    warning.status = WarningStatus.CLOSED
    warning.acknowledged_at = warning.acknowledged_at or now
    warning.closed_at = now
    warning.close_note = note.strip()
    save_versioned(
        warning,
        expected_version=expected_version,
        fields=["status", "acknowledged_at", "closed_at", "close_note"],
    )
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=warning,
        account=warning.account,
        summary=_("关闭流失预警（无需挽留）：%(note)s") % {"note": warning.close_note[:200]},
    )
    return warning


@transaction.atomic
def case_open(
    *, actor: User, warning: ChurnWarning, plan: str, expected_version: int
) -> RetentionCase:
    """Start a retention case from a warning (or join the account's open case); the
    warning counts as acknowledged."""
    _require_act(actor, warning.account)
    check_version(warning, expected_version)
    if warning.status == WarningStatus.CLOSED:
        raise ApplicationError(_("该预警已关闭。"), field="status")
    if warning.case_id is not None:
        raise ApplicationError(_("该预警已立案。"), field="status")
    if not plan.strip():
        raise ApplicationError(_("请填写挽留方案。"), field="plan")
    case = (
        RetentionCase.objects.select_for_update()
        .filter(account=warning.account, status=CaseStatus.OPEN)
        .first()
    )
    if case is None:
        case = save_new(
            RetentionCase(
                account=warning.account,
                owner_id=warning.account.owner_id,
                opened_on=clock.today(),
                plan=plan.strip(),
            )
        )
        audit_entry_create(
            actor=actor,
            action=AuditAction.CREATE,
            target=case,
            account=case.account,
            summary=_("立案挽留：%(plan)s") % {"plan": case.plan[:200]},
        )
    else:
        case.plan = f"{case.plan}\n\n{plan.strip()}"
        save_versioned(case, expected_version=case.version, fields=["plan"])
    warning.case = case
    if warning.status == WarningStatus.OPEN:
        warning.status = WarningStatus.ACKNOWLEDGED
        warning.acknowledged_at = clock.now()
    save_versioned(
        warning, expected_version=expected_version, fields=["case", "status", "acknowledged_at"]
    )
    return case


@transaction.atomic
def case_plan_update(
    *, actor: User, case: RetentionCase, plan: str, expected_version: int
) -> RetentionCase:
    _require_act(actor, case.account)
    check_version(case, expected_version)
    if case.status != CaseStatus.OPEN:
        raise ApplicationError(_("已结案的案例不能修改。"), field="status")
    if not plan.strip():
        raise ApplicationError(_("请填写挽留方案。"), field="plan")
    case.plan = plan.strip()
    save_versioned(case, expected_version=expected_version, fields=["plan"])
    return case


@transaction.atomic
def case_action_add(
    *, actor: User, case: RetentionCase, done_on: dt.date, text: str
) -> RetentionAction:
    _require_act(actor, case.account)
    if case.status != CaseStatus.OPEN:
        raise ApplicationError(_("已结案的案例不能再登记措施。"), field="status")
    if done_on > clock.today():
        raise ApplicationError(_("日期不能晚于今天。"), field="done_on")
    if done_on < case.opened_on:
        raise ApplicationError(_("日期不能早于立案日期。"), field="done_on")
    if not text.strip():
        raise ApplicationError(_("请填写措施。"), field="text")
    action = save_new(RetentionAction(case=case, done_on=done_on, text=text.strip(), author=actor))
    audit_entry_create(
        actor=actor,
        action=AuditAction.EVENT,
        target=case,
        account=case.account,
        summary=_("挽留措施：%(text)s") % {"text": action.text[:200]},
    )
    return action


@transaction.atomic
def case_close(
    *,
    actor: User,
    case: RetentionCase,
    outcome: str,
    reason: str = "",
    competitor: str = "",
    monthly_revenue_lost: Decimal = Decimal("0"),
    note: str = "",
    closed_on: dt.date | None = None,
    expected_version: int,
) -> RetentionCase:
    """Close the case as retained, partly lost or lost; its warnings close with it."""
    _require_act(actor, case.account)
    check_version(case, expected_version)
    if case.status != CaseStatus.OPEN:
        raise ApplicationError(_("该案例已结案。"), field="status")
    closed_on = closed_on or clock.today()
    if outcome not in CaseOutcome.values:
        raise ApplicationError(_("请选择结果。"), field="outcome")
    if closed_on > clock.today() or closed_on < case.opened_on:
        raise ApplicationError(_("结案日期须在立案日期与今天之间。"), field="closed_on")
    if monthly_revenue_lost < 0:
        raise ApplicationError(_("流失月收入不能为负数。"), field="monthly_revenue_lost")
    if outcome in LOST_OUTCOMES:
        if reason not in ChurnReason.values:
            raise ApplicationError(_("流失或部分流失须填写流失原因。"), field="reason")
        if monthly_revenue_lost <= 0:
            raise ApplicationError(
                _("流失或部分流失须填写流失的月收入。"), field="monthly_revenue_lost"
            )
        if reason in (ChurnReason.COMPETITOR_LD, ChurnReason.COMPETITOR_DATA) and not competitor:
            raise ApplicationError(_("流失给竞争对手时须选择竞争对手。"), field="competitor")
    else:
        reason, monthly_revenue_lost = "", Decimal("0")
    case.status = CaseStatus.CLOSED
    case.outcome, case.reason, case.competitor = outcome, reason, competitor
    case.monthly_revenue_lost = monthly_revenue_lost
    case.closed_on, case.close_note = closed_on, note.strip()
    save_versioned(
        case,
        expected_version=expected_version,
        fields=[
            "status",
            "outcome",
            "reason",
            "competitor",
            "monthly_revenue_lost",
            "closed_on",
            "close_note",
        ],
    )
    now = clock.now()
    # The case's warnings close with it; when the account is lost altogether, so do its
    # other open warnings (there is nobody left to retain).
    closing = ChurnWarning.objects.select_for_update().exclude(status=WarningStatus.CLOSED)
    if outcome == CaseOutcome.LOST:
        closing = closing.filter(account_id=case.account_id)
    else:
        closing = closing.filter(case=case)
    for warning in closing:
        warning.status, warning.closed_at = WarningStatus.CLOSED, now
        warning.acknowledged_at = warning.acknowledged_at or now
        save_versioned(
            warning,
            expected_version=warning.version,
            fields=["status", "closed_at", "acknowledged_at"],
        )
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=case,
        account=case.account,
        summary=_("挽留结案：%(outcome)s") % {"outcome": case.get_outcome_display()},
    )
    return case


def severity_label(value: int) -> str:
    return str(Severity(value).label)
