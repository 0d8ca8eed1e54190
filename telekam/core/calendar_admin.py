"""Entering a year's State Council holiday notice into the working-day calendar."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from telekam.core.errors import PermissionDenied, ValidationFailed
from telekam.core.models import AuditAction, CalendarDay, CalendarSource, CalendarYear
from telekam.core.services import audit_entry_create
from telekam.org.models import Role

_LINE = re.compile(
    r"^(?P<start>\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|~|至)\s*(?P<end>\d{4}-\d{2}-\d{2}))?\s*(?P<name>.*)$"
)


@dataclasses.dataclass(frozen=True)
class NoticeDay:
    day: dt.date
    name: str


def parse_days(text: str, *, field: str) -> list[NoticeDay]:
    """Lines like `2027-02-16 春节`, or a range `2027-02-16..2027-02-22 春节`."""
    days: list[NoticeDay] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _LINE.match(line)
        try:
            if match is None:
                raise ValueError
            start = dt.date.fromisoformat(match["start"])
            end = dt.date.fromisoformat(match["end"]) if match["end"] else start
        except ValueError:
            errors.append(_("第 %(n)d 行无法识别：%(line)s") % {"n": number, "line": line})
            continue
        if end < start or (end - start).days > 31:
            errors.append(_("第 %(n)d 行的日期区间无效：%(line)s") % {"n": number, "line": line})
            continue
        name = match["name"].strip()[:40]
        day = start
        while day <= end:
            days.append(NoticeDay(day, name))
            day += dt.timedelta(days=1)
    if errors:
        raise ValidationFailed(_("日期有误。"), errors={field: errors})
    return days


@transaction.atomic
def calendar_year_set(
    *, actor: Any, year: int, notice: str, holidays: list[NoticeDay], workdays: list[NoticeDay]
) -> CalendarYear:
    """Record (or replace) one year's holidays and make-up working days. Holidays falling on
    a weekend change nothing and are skipped; a make-up working day must be a weekend day."""
    if getattr(actor, "role", None) != Role.ADMIN:
        raise PermissionDenied(_("只有系统管理员可以维护工作日历。"))
    errors: dict[str, list[str]] = {}
    for field, items in (("holidays", holidays), ("workdays", workdays)):
        wrong_year = [str(d.day) for d in items if d.day.year != year]
        if wrong_year:
            errors.setdefault(field, []).append(
                _("不属于 %(y)d 年的日期：%(d)s") % {"y": year, "d": "、".join(wrong_year)}
            )
    weekdays = [str(d.day) for d in workdays if d.day.weekday() < 5]
    if weekdays:
        errors.setdefault("workdays", []).append(
            _("调休上班日应是周六或周日：%(d)s") % {"d": "、".join(weekdays)}
        )
    clash = {d.day for d in holidays} & {d.day for d in workdays}
    if clash:
        errors.setdefault("workdays", []).append(
            _("同一天不能既放假又上班：%(d)s") % {"d": "、".join(sorted(map(str, clash)))}
        )
    if errors:
        raise ValidationFailed(_("日历数据有误。"), errors=errors)
    record, _created = CalendarYear.objects.update_or_create(
        year=year, defaults={"source": CalendarSource.NOTICE, "notice": notice.strip()[:120]}
    )
    CalendarDay.objects.filter(day__year=year).delete()
    rows = [
        CalendarDay(day=d.day, is_working_day=False, name=d.name)
        for d in holidays
        if d.day.weekday() < 5
    ]
    rows += [CalendarDay(day=d.day, is_working_day=True, name=d.name) for d in workdays]
    CalendarDay.objects.bulk_create(rows)
    audit_entry_create(
        actor=actor,
        action=AuditAction.UPDATE,
        target=record,
        summary=_("工作日历 %(y)d：%(h)d 个节假日，%(w)d 个调休上班日（%(n)s）")
        % {
            "y": year,
            "h": sum(1 for r in rows if not r.is_working_day),
            "w": len(workdays),
            "n": record.notice,
        },
    )
    return record
