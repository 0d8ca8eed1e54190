from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from telekam.core import calendar_admin, services
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.core.models import CalendarDay, CalendarYear
from telekam.org.models import Role


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The start page: the dashboard for those who see one (the head's, the lead's, the
    AM's), the account list for the others."""
    from telekam.dashboards.access import sees_dashboard

    if request.user.is_authenticated:
        if sees_dashboard(request.user):
            return redirect("dashboards:dashboard")
        return redirect("accounts:my_accounts")
    return redirect("login")


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """A small fixed page: load balancers' health check, and the benchmark's floor."""
    return HttpResponse("ok\n", content_type="text/plain")


class CalendarYearForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    notice = forms.CharField(label=gettext_lazy("通知文号"), max_length=120, required=False)
    holidays = forms.CharField(
        label=gettext_lazy("放假日期"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text=gettext_lazy("每行一个日期或区间，如：2027-02-16..2027-02-22 春节"),
    )
    workdays = forms.CharField(
        label=gettext_lazy("调休上班日"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=gettext_lazy("每行一个周末日期，如：2027-02-13 春节调休"),
    )


@login_required
def calendar_years(request: AuthedHttpRequest) -> HttpResponse:
    """The administrator enters each year's State Council holiday notice."""
    if request.user.role != Role.ADMIN:
        raise DjangoPermissionDenied
    form = CalendarYearForm(
        request.POST or None, initial=_calendar_initial(request.GET.get("year"))
    )

    def action(data: dict[str, Any]) -> None:
        calendar_admin.calendar_year_set(
            actor=request.user,
            year=data["year"],
            notice=data["notice"],
            holidays=calendar_admin.parse_days(data["holidays"], field="holidays"),
            workdays=calendar_admin.parse_days(data["workdays"], field="workdays"),
        )

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("工作日历已保存。"))
        return redirect("calendar")
    years = CalendarYear.objects.order_by("-year")
    counts = {
        row["day__year"]: row
        for row in CalendarDay.objects.values("day__year").annotate(
            off=Count("pk", filter=Q(is_working_day=False)),
            on=Count("pk", filter=Q(is_working_day=True)),
        )
    }
    return render(
        request,
        "core/calendar.html",
        {"form": form, "years": [(y, counts.get(y.year, {})) for y in years]},
    )


def _calendar_initial(year: str | None) -> dict[str, Any]:
    if not (year and year.isdigit()):
        return {}
    number = int(year)
    record = CalendarYear.objects.filter(year=number).first()
    days = CalendarDay.objects.filter(day__year=number).order_by("day")
    return {
        "year": number,
        "notice": record.notice if record else "",
        "holidays": "\n".join(f"{d.day} {d.name}" for d in days if not d.is_working_day),
        "workdays": "\n".join(f"{d.day} {d.name}" for d in days if d.is_working_day),
    }


@login_required
@require_GET
def notifications(request: AuthedHttpRequest) -> HttpResponse:
    """The signed-in user's inbox, newest first: only ever its own notifications."""
    notes = request.user.notifications.order_by("-created_at", "-id")
    page = Paginator(notes, settings.TELEKAM_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/notifications.html",
        {"section": "notifications", "page_obj": page, "notifications": page.object_list},
    )


@login_required
@require_POST
def notifications_read(request: AuthedHttpRequest) -> HttpResponse:
    """Mark all of the user's notifications read, or the one given as `?pk=` (404 when it is
    not the user's). Returns to `next` when it is a local address, else to the inbox."""
    raw_pk = request.GET.get("pk") or request.POST.get("pk")
    if raw_pk is not None and not raw_pk.isdigit():
        raise Http404
    services.notification_mark_read(user=request.user, pk=int(raw_pk) if raw_pk else None)
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications")
