"""Writes of the visit part: the plan each account is owed, moving a planned item, logging
a visit or call, turning a need found into an opportunity."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from telekam.accounts import access as account_access
from telekam.accounts.models import Account, AccountStatus, Contact, MajorEvent
from telekam.core import clock
from telekam.core.errors import ApplicationError, PermissionDenied
from telekam.core.models import AuditAction
from telekam.core.services import audit_entry_create, check_version, save_new, save_versioned
from telekam.engagement.models import (
    ContactKind,
    ContactLog,
    ExtraVisitRule,
    PlannedContact,
    PlanStatus,
    TriggerKind,
    VisitStandard,
)
from telekam.org.models import Role, User

MONTH = dt.timedelta(days=32)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return (day.replace(day=1) + MONTH).replace(day=1) - dt.timedelta(days=1)


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def quarter_end(day: dt.date) -> dt.date:
    start = quarter_start(day)
    return month_end(dt.date(start.year, start.month + 2, 1))


def spread(start: dt.date, end: dt.date, n: int) -> list[dt.date]:
    """`n` dates spread evenly over [start, end] (each in the middle of its share), moved
    off weekends to the Friday before (or the Monday after at the start)."""
    span = (end - start).days + 1
    days = []
    for i in range(n):
        day = start + dt.timedelta(days=int(span * (2 * i + 1) / (2 * n)))
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        if day < start:
            day = start
            while day.weekday() >= 5 and day < end:
                day += dt.timedelta(days=1)
        days.append(day)
    return days


@dataclasses.dataclass
class PlanReport:
    created: int = 0
    existing: int = 0


def plan_generate(*, month: dt.date, accounts: Iterable[Account] | None = None) -> PlanReport:
    """Plan the month's calls and, in a quarter's first month, the quarter's visits every
    active account is owed by its grade's standard, plus the extra visits its events earn
    (a major event in the month, a contract whose renewal falls due). Idempotent: each item
    has a key, so running it again adds nothing; items already moved or done stay."""
    month = month_start(month)
    report = PlanReport()
    standards = {s.grade_id: s for s in VisitStandard.objects.all()}
    qs = Account.objects.filter(status=AccountStatus.ACTIVE, grade_id__in=list(standards))
    if accounts is not None:
        qs = qs.filter(pk__in=[a.pk for a in accounts])
    rows: list[PlannedContact] = []
    m_end = month_end(month)
    q_start, q_end = quarter_start(month), quarter_end(month)
    for account in qs.only("pk", "owner_id", "grade_id"):
        standard = standards[account.grade_id]  # type: ignore[index]
        for i, day in enumerate(spread(month, m_end, standard.calls_per_month)):
            rows.append(
                _item(
                    account,
                    ContactKind.CALL,
                    month,
                    m_end,
                    day,
                    f"std:{account.pk}:call:{month:%Y%m}:{i}",
                )
            )
        if month == q_start:  # the quarter's visits, planned with its first month
            for i, day in enumerate(spread(q_start, q_end, standard.visits_per_quarter)):
                rows.append(
                    _item(
                        account,
                        ContactKind.VISIT,
                        q_start,
                        q_end,
                        day,
                        f"std:{account.pk}:visit:{q_start:%Y%m}:{i}",
                    )
                )
    rows += _event_items(month, m_end, qs)
    keys = set(
        PlannedContact.objects.filter(source_key__in=[r.source_key for r in rows]).values_list(
            "source_key", flat=True
        )
    )
    new = [r for r in rows if r.source_key not in keys]
    PlannedContact.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    report.created, report.existing = len(new), len(keys)
    return report


def _item(
    account: Account, kind: str, start: dt.date, end: dt.date, day: dt.date, key: str, *,
    reason: str = "standard", note: str = "",
) -> PlannedContact:  # fmt: skip
    return PlannedContact(
        account_id=account.pk,
        owner_id=account.owner_id,
        kind=kind,
        period_start=start,
        period_end=end,
        due_on=min(max(day, start), end),
        reason=reason,
        note=note[:200],
        source_key=key[:80],
    )


def _event_items(start: dt.date, end: dt.date, accounts: Any) -> list[PlannedContact]:
    rules = {r.trigger: r for r in ExtraVisitRule.objects.all()}
    rows: list[PlannedContact] = []
    by_pk = {
        a.pk: a for a in Account.objects.filter(pk__in=accounts.values("pk")).only("pk", "owner_id")
    }
    rule = rules.get(TriggerKind.MAJOR_EVENT)
    if rule is not None:
        for event in MajorEvent.objects.filter(
            account_id__in=list(by_pk), occurred_on__gte=start, occurred_on__lte=end
        ):
            account = by_pk[event.account_id]
            due = event.occurred_on + dt.timedelta(days=rule.within_days)
            for i in range(rule.visits):
                rows.append(
                    _item(
                        account,
                        ContactKind.VISIT,
                        event.occurred_on,
                        due,
                        due,
                        f"event:major:{event.pk}:{i}",
                        reason=TriggerKind.MAJOR_EVENT,
                        note=event.title,
                    )
                )
    rule = rules.get(TriggerKind.RENEWAL_DUE)
    if rule is not None:
        from telekam.sales.models import Contract, ContractStatus

        for contract in Contract.objects.filter(
            account_id__in=list(by_pk), status=ContractStatus.SIGNED, end_on__gte=start
        ).only("pk", "account_id", "end_on", "renewal_lead_days", "number"):
            reminder = contract.end_on - dt.timedelta(days=contract.renewal_lead_days)
            if not start <= reminder <= end:
                continue
            account = by_pk[contract.account_id]
            due = reminder + dt.timedelta(days=rule.within_days)
            for i in range(rule.visits):
                rows.append(
                    _item(
                        account,
                        ContactKind.VISIT,
                        reminder,
                        due,
                        due,
                        f"event:renewal:{contract.pk}:{contract.end_on:%Y%m%d}:{i}",
                        reason=TriggerKind.RENEWAL_DUE,
                        note=contract.number,
                    )
                )
    return rows


def plan_extra_visits(
    *, account: Account, trigger: str, key: str, start: dt.date, note: str = ""
) -> int:
    """The extra visits an event earns the account by the rule for `trigger` (none when
    the operator has no such rule). `key` identifies the event: calling again adds nothing.
    Returns how many items were planned."""
    rule = ExtraVisitRule.objects.filter(trigger=trigger).first()
    if rule is None or account.status != AccountStatus.ACTIVE:
        return 0
    due = start + dt.timedelta(days=rule.within_days)
    rows = [
        _item(account, ContactKind.VISIT, start, due, due, f"{key}:{i}", reason=trigger, note=note)
        for i in range(rule.visits)
    ]
    known = set(
        PlannedContact.objects.filter(source_key__in=[r.source_key for r in rows]).values_list(
            "source_key", flat=True
        )
    )
    new = [r for r in rows if r.source_key not in known]
    PlannedContact.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def can_manage_plan(user: Any, item: PlannedContact) -> bool:
    if user.role == Role.ACCOUNT_MANAGER:
        return item.owner_id == user.pk
    if user.role == Role.GROUP_LEAD:
        return bool(user.group_id) and item.account.group_id == user.group_id
    return user.role == Role.DEPARTMENT_HEAD


@transaction.atomic
def plan_move(
    *, actor: User, item: PlannedContact, due_on: dt.date, expected_version: int
) -> PlannedContact:
    """The AM moves a planned visit or call to another day of the same period."""
    if not can_manage_plan(actor, item):
        raise PermissionDenied(_("只能调整自己负责客户的计划。"))
    check_version(item, expected_version)
    if item.status != PlanStatus.PLANNED:
        raise ApplicationError(_("已完成的计划不能调整。"), field="due_on")
    if not item.period_start <= due_on <= item.period_end:
        raise ApplicationError(
            _("只能在本周期内调整（%(a)s 至 %(b)s）。")
            % {"a": item.period_start, "b": item.period_end},
            field="due_on",
        )
    item.due_on = due_on
    save_versioned(item, expected_version=expected_version, fields=["due_on"])
    return item


def can_log(user: Any, account: Account) -> bool:
    """The account's AMs (owner, virtual team), its group lead and the head log contacts."""
    return user.role in (Role.ACCOUNT_MANAGER, Role.GROUP_LEAD, Role.DEPARTMENT_HEAD) and (
        account_access.can_edit_account(user, account)
    )


@transaction.atomic
def contact_log_create(
    *,
    actor: User,
    account: Account,
    kind: str,
    happened_on: dt.date,
    topics: str,
    contacts: Iterable[Contact] = (),
    needs: str = "",
    next_steps: str = "",
    follow_up_on: dt.date | None = None,
    planned: PlannedContact | None = None,
) -> ContactLog:
    """Log a visit or call. It fulfils the given planned item, or else the account's
    earliest open item of the same kind whose period holds the day; it goes on the
    account's timeline."""
    if not can_log(actor, account):
        raise PermissionDenied(_("只有该客户的客户经理可以登记走访。"))
    if kind not in ContactKind.values:
        raise ApplicationError(_("请选择方式。"), field="kind")
    if happened_on > clock.today():
        raise ApplicationError(_("日期不能晚于今天。"), field="happened_on")
    if not topics.strip():
        raise ApplicationError(_("请填写沟通内容。"), field="topics")
    contacts = list(contacts)
    if any(c.account_id != account.pk for c in contacts):
        raise ApplicationError(_("接触人须为该客户的联系人。"), field="contacts")
    if follow_up_on is not None and follow_up_on < happened_on:
        raise ApplicationError(_("跟进日期不能早于走访日期。"), field="follow_up_on")
    log = save_new(
        ContactLog(
            account=account,
            author=actor,
            kind=kind,
            happened_on=happened_on,
            topics=topics.strip(),
            needs=needs.strip(),
            next_steps=next_steps.strip(),
            follow_up_on=follow_up_on,
        )
    )
    log.contacts.set(contacts)
    if planned is not None:
        if (
            planned.account_id != account.pk
            or planned.kind != kind
            or planned.status != PlanStatus.PLANNED
            or not planned.period_start <= happened_on <= planned.period_end
        ):
            raise ApplicationError(_("该计划不能由这条记录完成。"), field="planned")
    else:
        planned = (
            PlannedContact.objects.select_for_update()
            .filter(
                account=account,
                kind=kind,
                status=PlanStatus.PLANNED,
                period_start__lte=happened_on,
                period_end__gte=happened_on,
            )
            .order_by("due_on", "id")
            .first()
        )
    if planned is not None:
        updated = PlannedContact.objects.filter(
            pk=planned.pk, status=PlanStatus.PLANNED, version=planned.version
        ).update(status=PlanStatus.DONE, log=log, version=planned.version + 1)
        if not updated:
            raise ApplicationError(_("该计划已由他人完成，请刷新。"), field="planned")
    audit_entry_create(
        actor=actor,
        action=AuditAction.EVENT,
        target=log,
        account=account,
        summary=_("%(kind)s：%(topics)s")
        % {"kind": log.get_kind_display(), "topics": log.topics[:200]},
    )
    return log


@transaction.atomic
def contact_log_to_opportunity(*, actor: User, log: ContactLog, name: str = "") -> Any:
    """One click: the need found on a visit becomes an opportunity of the account."""
    from telekam.sales.models import OpportunitySource
    from telekam.sales.services import opportunity_create

    if log.opportunity_id:
        raise ApplicationError(_("该需求已转为商机。"))
    if not log.needs.strip():
        raise ApplicationError(_("这条记录没有填写需求。"), field="needs")
    opportunity = opportunity_create(
        actor=actor,
        name=(name or log.needs.strip().splitlines()[0])[:200],
        source=OpportunitySource.PROACTIVE,
        close_date=log.happened_on + dt.timedelta(days=90),
        account=log.account,
        description=log.needs,
    )
    ContactLog.objects.filter(pk=log.pk).update(opportunity=opportunity)
    log.opportunity = opportunity
    return opportunity


def plans_visible_to(user: Any) -> Any:
    qs = PlannedContact.objects.all()
    role = getattr(user, "role", None)
    if role in (Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMIN):
        return qs
    if role == Role.GROUP_LEAD:
        return qs.filter(account__group_id=user.group_id) if user.group_id else qs.none()
    if role == Role.ACCOUNT_MANAGER:
        return qs.filter(owner=user)
    return qs.none()


def logs_visible_to(user: Any) -> Any:
    qs = ContactLog.objects.all()
    role = getattr(user, "role", None)
    if role in (Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMIN):
        return qs
    if role == Role.GROUP_LEAD:
        return qs.filter(account__group_id=user.group_id) if user.group_id else qs.none()
    if role == Role.ACCOUNT_MANAGER:
        return qs.filter(Q(author=user) | Q(account__owner=user))
    return qs.none()
