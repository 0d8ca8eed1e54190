"""The visit pages: an AM's week (and its iCal feed), logging a visit or call, compliance
against the standards with its drill-down, and the staffing model with its what-if."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from telekam.accounts.models import GradeBand
from telekam.accounts.selectors import account_get_visible
from telekam.core import clock
from telekam.core.errors import ApplicationError, NotFound
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.engagement import selectors, services
from telekam.engagement.forms import ContactLogForm, PlanMoveForm, WhatIfForm
from telekam.engagement.models import ContactLog, PlannedContact, PlanStatus, TriggerKind
from telekam.org.models import IndustryGroup, Role, User

VISIT_ROLES = {Role.ACCOUNT_MANAGER, Role.GROUP_LEAD, Role.DEPARTMENT_HEAD, Role.ANALYST}
STAFFING_ROLES = {Role.GROUP_LEAD, Role.DEPARTMENT_HEAD, Role.ANALYST}
KIND_SHORT = {"visit": gettext_lazy("拜访"), "call": gettext_lazy("电话")}
REASONS = {"standard": gettext_lazy("标准"), **dict(TriggerKind.choices)}
ICAL_BACK = dt.timedelta(weeks=4)
ICAL_AHEAD = dt.timedelta(weeks=13)
TREND_MONTHS = 6
NEVER_VISITED_SHOWN = 50


def _allow(user: Any, roles: set[Role]) -> None:
    if user.role not in roles:
        raise DjangoPermissionDenied


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _label(item: PlannedContact) -> PlannedContact:
    item.kind_short = KIND_SHORT.get(item.kind, item.kind)  # type: ignore[attr-defined]
    item.reason_label = REASONS.get(item.reason, item.reason)  # type: ignore[attr-defined]
    return item


# --- my week -------------------------------------------------------------------------------


@login_required
def week(request: AuthedHttpRequest) -> HttpResponse:
    """The signed-in AM's week: what is overdue and a Monday-Sunday calendar of what is due."""
    _allow(request.user, VISIT_ROLES)
    today = clock.today()
    day = _date(request.GET.get("week")) or today
    w = selectors.my_week(user=request.user, today=day)
    for item in [*w.overdue, *(p for _d, items in w.days for p in items)]:
        _label(item)
    logged = None
    logged_pk = _int(request.GET.get("logged"))
    if logged_pk:
        logged = (
            services.logs_visible_to(request.user)
            .filter(pk=logged_pk, opportunity__isnull=True)
            .exclude(needs="")
            .select_related("account")
            .first()
        )
    return render(
        request,
        "engagement/week.html",
        {
            "section": "visits",
            "week": w,
            "today": today,
            "prev_week": w.start - dt.timedelta(days=7),
            "next_week": w.start + dt.timedelta(days=7),
            "logged": logged,
        },
    )


@login_required
@require_POST
def plan_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Move one planned item to another day of its period; errors come back as messages."""
    _allow(request.user, VISIT_ROLES)
    item = services.plans_visible_to(request.user).select_related("account").filter(pk=pk).first()
    if item is None:
        raise Http404
    form = PlanMoveForm(request.POST)

    def action(data: dict[str, Any]) -> None:
        services.plan_move(
            actor=request.user,
            item=item,
            due_on=data["due_on"],
            expected_version=data["version"],
        )

    if submit(form, action):
        messages.success(request, _("已改到 %(d)s。") % {"d": item.due_on.isoformat()})
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    back = _date(request.POST.get("week"))
    url = reverse("engagement:week")
    return redirect(f"{url}?{urlencode({'week': back.isoformat()})}" if back else url)


def _ical_text(value: str) -> str:
    """A TEXT value escaped per RFC 5545 §3.3.11."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _ical_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        n = len(char.encode())
        if size + n > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += char
        size += n
    parts.append(current)
    return "\r\n ".join(parts)


@login_required
def ical(request: AuthedHttpRequest) -> HttpResponse:
    """The user's open planned items from 4 weeks back to 13 weeks ahead, as iCalendar."""
    _allow(request.user, VISIT_ROLES)
    today = clock.today()
    items = (
        PlannedContact.objects.filter(
            owner=request.user,
            status=PlanStatus.PLANNED,
            due_on__gte=today - ICAL_BACK,
            due_on__lte=today + ICAL_AHEAD,
        )
        .select_related("account")
        .order_by("due_on", "id")
    )
    stamp = clock.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//TeleKAM//Visits//ZH",
        "CALSCALE:GREGORIAN",
    ]
    for item in items:
        summary = f"{item.get_kind_display()}：{item.account.name}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{item.pk}@telekam",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{item.due_on:%Y%m%d}",
            f"DTEND;VALUE=DATE:{item.due_on + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_ical_text(summary)}",
        ]
        if item.note:
            lines.append(f"DESCRIPTION:{_ical_text(item.note)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    body = "".join(_ical_fold(line) + "\r\n" for line in lines)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="telekam-visits.ics"'
    return response


# --- logging a visit or call ---------------------------------------------------------------


@login_required
def log(request: AuthedHttpRequest) -> HttpResponse:
    """Log a visit or call of an account (fulfilling a planned item when given)."""
    _allow(request.user, VISIT_ROLES)
    try:
        account = account_get_visible(user=request.user, pk=_int(request.GET.get("account")) or 0)
    except NotFound:
        raise Http404 from None
    if not services.can_log(request.user, account):
        raise DjangoPermissionDenied
    planned = None
    planned_pk = request.GET.get("planned")
    if planned_pk:
        planned = (
            services.plans_visible_to(request.user)
            .filter(pk=_int(planned_pk) or 0, account=account)
            .first()
        )
        if planned is None:
            raise Http404
    form = ContactLogForm(
        request.POST or None,
        account=account,
        initial={"happened_on": clock.today(), "kind": planned.kind if planned else "visit"},
    )
    created: list[ContactLog] = []

    def action(data: dict[str, Any]) -> None:
        created.append(
            services.contact_log_create(
                actor=request.user, account=account, planned=planned, **data
            )
        )

    if request.method == "POST" and submit(form, action):
        entry = created[0]
        messages.success(
            request,
            _("已登记%(kind)s：%(name)s。")
            % {"kind": entry.get_kind_display(), "name": account.name},
        )
        url = reverse("engagement:week")
        if entry.needs:
            return redirect(f"{url}?{urlencode({'logged': entry.pk})}")
        return redirect(url)
    return render(
        request,
        "engagement/log.html",
        {
            "section": "visits",
            "form": form,
            "account": account,
            "planned": _label(planned) if planned else None,
        },
    )


@login_required
@require_POST
def log_to_opportunity(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """One click: the need found on a visit becomes an opportunity of the account."""
    _allow(request.user, VISIT_ROLES)
    entry = services.logs_visible_to(request.user).select_related("account").filter(pk=pk).first()
    if entry is None:
        raise Http404
    try:
        opportunity = services.contact_log_to_opportunity(actor=request.user, log=entry)
    except ApplicationError as error:
        if error.status in (403, 404):
            raise
        messages.error(request, error.message)
        return redirect("engagement:week")
    messages.success(request, _("已转为商机。"))
    return redirect("sales:opportunity_detail", opportunity.pk)


# --- compliance ----------------------------------------------------------------------------


def _period(request: AuthedHttpRequest, today: dt.date) -> tuple[dt.date, dt.date]:
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    if start is None or end is None or start > end:
        return services.quarter_start(today), services.quarter_end(today)
    return start, end


@login_required
def compliance(request: AuthedHttpRequest) -> HttpResponse:
    """Visits and calls done against owed, by AM, group and grade, with a 6-month trend."""
    _allow(request.user, VISIT_ROLES)
    user = request.user
    today = clock.today()
    start, end = _period(request, today)
    period = {"start": start.isoformat(), "end": end.isoformat()}
    tables = [
        (by, title, selectors.compliance(user=user, start=start, end=end, by=by, today=today))
        for by, title in (
            ("owner", _("按客户经理")),
            ("group", _("按行业组")),
            ("grade", _("按客户等级")),
        )
    ]
    never = selectors.never_visited(user=user, year=today.year)
    return render(
        request,
        "engagement/compliance.html",
        {
            "section": "visits",
            "start": start,
            "end": end,
            "period_query": urlencode(period),
            "tables": tables,
            "trend": selectors.compliance_trend(user=user, months=TREND_MONTHS, today=today),
            "never_count": never.count(),
            "never": list(never[:NEVER_VISITED_SHOWN]),
            "year": today.year,
        },
    )


@login_required
def compliance_accounts(request: AuthedHttpRequest) -> HttpResponse:
    """The accounts behind one compliance figure (an AM, a group or a grade)."""
    _allow(request.user, VISIT_ROLES)
    today = clock.today()
    start, end = _period(request, today)
    owner_id = _int(request.GET.get("owner"))
    group_id = _int(request.GET.get("group"))
    grade_id = _int(request.GET.get("grade"))
    label = ""
    if owner_id:
        label = str(User.objects.filter(pk=owner_id).first() or "")
    elif group_id:
        label = str(IndustryGroup.objects.filter(pk=group_id).first() or "")
    elif grade_id:
        label = str(GradeBand.objects.filter(pk=grade_id).first() or "")
    rows = selectors.compliance_accounts(
        user=request.user,
        start=start,
        end=end,
        today=today,
        owner_id=owner_id,
        group_id=group_id,
        grade_id=grade_id,
    )
    return render(
        request,
        "engagement/compliance_accounts.html",
        {
            "section": "visits",
            "start": start,
            "end": end,
            "period_query": urlencode({"start": start.isoformat(), "end": end.isoformat()}),
            "label": label,
            "rows": rows,
        },
    )


# --- staffing ------------------------------------------------------------------------------


@login_required
def staffing(request: AuthedHttpRequest) -> HttpResponse:
    """Workload and headcount per group and AM, a what-if, and re-balancing suggestions."""
    _allow(request.user, STAFFING_ROLES)
    user = request.user
    today = clock.today()
    group_id = None
    if user.role == Role.GROUP_LEAD:
        if not user.group_id:
            raise DjangoPermissionDenied
        group_id = user.group_id
    groups = selectors.staffing(today=today, group_id=group_id)
    form = WhatIfForm(request.GET or None)
    what_if: dict[int, Any] = {}
    if form.is_bound and form.is_valid():
        extra = form.cleaned_data.get("extra_key_accounts") or 0
        overrides = form.overrides()
        if extra or overrides:
            what_if = {
                g.group.pk: g
                for g in selectors.staffing(
                    today=today,
                    extra_key_accounts=extra,
                    standard_overrides=overrides,
                    group_id=group_id,
                )
            }
    rows = [
        {
            "g": g,
            "what_if": what_if.get(g.group.pk),
            "moves": selectors.rebalance(group=g, today=today),
        }
        for g in groups
    ]
    return render(
        request,
        "engagement/staffing.html",
        {"section": "visits", "rows": rows, "form": form, "what_if": bool(what_if)},
    )
