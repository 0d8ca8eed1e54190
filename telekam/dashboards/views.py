"""The dashboards: the department head's, a group lead's and an AM's page (one view, the
scope decided by the user and the query), the drill-down from any figure to the accounts
behind it, and the KPI targets page."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from telekam.core import clock
from telekam.core.errors import ApplicationError, NotFound, PermissionDenied
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.dashboards import access, selectors, targets
from telekam.dashboards.forms import DashboardQuery, TargetForm
from telekam.dashboards.kpis import KPI_INFO, KPIS, Figure, Kpi
from telekam.org.models import User

CHART_W, CHART_H, PAD = 600, 180, 28
LEAGUE_ENDS = 10  # AMs shown at each end of the department's league table


@dataclasses.dataclass(frozen=True)
class Point:
    x: float
    y: float
    month: dt.date
    figure: Figure
    target: Decimal | None
    url: str


def _query(values: dict[str, Any], **changes: Any) -> str:
    """A query string for a link: the current choices with `changes`."""
    data = {
        "kind": values["kind"],
        "month": values["month"].strftime("%Y-%m") if values.get("month") else "",
        "group": values.get("group_id") or "",
        "owner": values.get("owner_id") or "",
    }
    data.update(changes)
    return urlencode({k: v for k, v in data.items() if v not in ("", None)})


def _chart(rows: list[tuple[dt.date, Figure, Decimal | None]], link: Any) -> dict[str, Any]:
    """A line chart's geometry: the KPI's points (each a link to its month's accounts)
    and its target line, on a scale that holds both (and zero)."""
    numbers = [f.value for _m, f, _t in rows if f.value is not None]
    numbers += [t for _m, _f, t in rows if t is not None]
    # The scale fits the values (and targets), with a margin: retention near 99 % must
    # not sit flat against a scale from 0.
    low, high = min(numbers, default=Decimal(0)), max(numbers, default=Decimal(1))
    margin = max((high - low) / 10, Decimal(1))
    low, high = low - margin, high + margin
    span = high - low
    step = (CHART_W - 2 * PAD) / max(len(rows) - 1, 1)

    def y(v: Decimal) -> float:
        return round(CHART_H - PAD - float((v - low) / span) * (CHART_H - 2 * PAD), 1)

    points = [
        Point(round(PAD + i * step, 1), y(f.value), m, f, t, link(m))
        for i, (m, f, t) in enumerate(rows)
        if f.value is not None
    ]
    targets_line = " ".join(
        f"{round(PAD + i * step, 1)},{y(t)}" for i, (_m, _f, t) in enumerate(rows) if t is not None
    )
    labels = [
        {"x": round(PAD + i * step, 1), "text": m.strftime("%m")}
        for i, (m, _f, _t) in enumerate(rows)
    ]
    return {
        "points": points,
        "line": " ".join(f"{p.x},{p.y}" for p in points),
        "targets": targets_line,
        "labels": labels,
        "zero": y(Decimal(0)) if low < 0 < high else None,
        "bottom": CHART_H - PAD,
        "top_label": PAD - 4,
        "bottom_label": CHART_H - PAD - 4,
        "high": high,
        "low": low,
        "w": CHART_W,
        "h": CHART_H,
        "label_y": CHART_H - 6,
    }


def _raise_http(exc: ApplicationError) -> None:
    if isinstance(exc, NotFound):
        raise Http404(str(exc)) from exc
    if isinstance(exc, PermissionDenied):
        raise DjangoPermissionDenied(str(exc)) from exc
    raise exc


@login_required
def dashboard(request: AuthedHttpRequest) -> HttpResponse:
    """The head's, a lead's or an AM's dashboard (`?group=` / `?owner=` to look at one
    group or AM, `?kind=year` for the year to date, `?month=`, `?trend=` the KPI of the
    trend chart, `?sort=` the league tables' column)."""
    if not access.sees_dashboard(request.user):
        raise DjangoPermissionDenied
    query = DashboardQuery(request.GET)
    values = query.values()
    try:
        data = selectors.dashboard(
            user=request.user,
            today=clock.today(),
            kind=values["kind"],
            month=values["month"],
            group_id=values["group_id"],
            owner_id=values["owner_id"],
            trend_kpi=values["trend"],
        )
    except ApplicationError as exc:
        _raise_http(exc)
        raise
    values = {**values, "month": data.period.closing}
    drill_url = reverse("dashboards:drill", args=["__kpi__"])

    def drill(kpi: Kpi, **changes: Any) -> str:
        return drill_url.replace("__kpi__", kpi.value) + "?" + _query(values, **changes)

    sort = values["sort"] or data.trend_kpi

    def ranked(rows: list[selectors.LeagueRow]) -> list[selectors.LeagueRow]:
        return sorted(
            rows,
            key=lambda r: (r.cards[sort].figure.value is None, -(r.cards[sort].figure.value or 0)),
        )

    owner_rows = list(enumerate((r for r in ranked(data.owners) if r.key), start=1))
    owners_shown = owner_rows
    # the department's 200 AMs: the first and the last ten, the others on request
    if (
        data.level == "department"
        and request.GET.get("owners") != "all"
        and len(owner_rows) > 2 * LEAGUE_ENDS
    ):
        owners_shown = owner_rows[:LEAGUE_ENDS] + owner_rows[-LEAGUE_ENDS:]
    chart = _chart(
        data.trend,
        lambda m: drill(data.trend_kpi, kind="month", month=m.strftime("%Y-%m")),
    )
    peak = max((g.accounts for g in data.grades), default=0) or 1
    context = {
        "section": "dashboard",
        "data": data,
        "problems": query.problems(),
        "cards": [{"card": c, "url": drill(c.kpi)} for c in data.cards],
        "chart": chart,
        "trend_info": KPI_INFO[data.trend_kpi],
        "trend_links": [
            {"kpi": k, "label": KPI_INFO[k].label, "url": "?" + _query(values, trend=k.value)}
            for k in KPIS
        ],
        "groups": [
            {
                "row": r,
                "url": "?" + _query(values, group=r.key, owner=""),
                "cells": [
                    {"card": r.cards[k], "url": drill(k, group=r.key, owner="")} for k in KPIS
                ],
            }
            for r in ranked(data.groups)
            if r.key
        ],
        "owners": [
            {
                "rank": rank,
                "gap": i > 0 and owners_shown[i - 1][0] != rank - 1,
                "row": r,
                "url": "?" + _query(values, owner=r.key, group=""),
                "cells": [
                    {"card": r.cards[k], "url": drill(k, owner=r.key, group="")} for k in KPIS
                ],
            }
            for i, (rank, r) in enumerate(owners_shown)
        ],
        "owners_total": len(owner_rows),
        "owners_all_url": "?" + _query(values, sort=sort.value, owners="all"),
        "columns": [
            {"kpi": k, "info": KPI_INFO[k], "url": "?" + _query(values, sort=k.value)} for k in KPIS
        ],
        "sort": sort,
        "grades": [
            {
                "bar": g,
                "w": round(g.accounts / peak * 100, 1),
                "url": drill(Kpi.AVG_VALUE, grade=g.grade_id or ""),
            }
            for g in data.grades
        ],
        "kind_links": {
            "month": "?" + _query(values, kind="month"),
            "year": "?" + _query(values, kind="year"),
        },
        "up_url": _up(request.user, data, values),
        "report_month": data.period.closing.strftime("%Y-%m"),
        "sets_targets": access.can_set_target(request.user, level="department")
        or access.leads_group(request.user),
    }
    return render(request, "dashboards/dashboard.html", context)


def _up(user: Any, data: selectors.Dashboard, values: dict[str, Any]) -> str | None:
    """The link one level up: an AM's page to its group's, a group's to the department's."""
    if data.level == "owner" and values.get("owner_id"):
        owner = User.objects.filter(pk=values["owner_id"]).only("group_id").first()
        if owner and owner.group_id and access.sees_group(user, owner.group_id):
            return "?" + _query(values, owner="", group=owner.group_id)
    if data.level == "group" and access.sees_department(user):
        return "?" + _query(values, owner="", group="")
    return None


DRILL_PAGE = 100  # accounts per page of a drill-down

UNITS = {
    Kpi.RETENTION_COUNT: (_("保有"), _("期初户数")),
    Kpi.RETENTION_REVENUE: (_("保有收入（元）"), _("期初收入（元）")),
    Kpi.SATISFACTION: (_("满意"), _("有效回访")),
    Kpi.NEW_ACCOUNTS: (_("新增"), ""),
    Kpi.REVENUE_GROWTH: (_("收入变化（元）"), _("期初收入（元）")),
    Kpi.AVG_VALUE: (_("期末月收入（元）"), _("有账单")),
    Kpi.SLA_ON_TIME: (_("按时开通"), _("开通工单")),
    Kpi.CALLBACK_COVERAGE: (_("按时回访"), _("应回访")),
    Kpi.VISIT_COMPLIANCE: (_("已完成"), _("应完成")),
    Kpi.WARNING_RESPONSE: (_("按时确认"), _("应确认")),
}


@login_required
def drill(request: AuthedHttpRequest, kpi: str) -> HttpResponse:
    """The accounts behind a KPI figure, the weakest first, each opening the account."""
    if kpi not in KPI_INFO:
        raise Http404
    if not access.sees_dashboard(request.user):
        raise DjangoPermissionDenied
    query = DashboardQuery(request.GET)
    values = query.values()
    try:
        data = selectors.kpi_accounts(
            user=request.user,
            today=clock.today(),
            kpi=Kpi(kpi),
            kind=values["kind"],
            month=values["month"],
            group_id=values["group_id"],
            owner_id=values["owner_id"],
            grade_id=values["grade_id"],
        )
    except ApplicationError as exc:
        _raise_http(exc)
        raise
    page = Paginator(data.lines, DRILL_PAGE).get_page(request.GET.get("page"))
    owners = {
        u.pk: u
        for u in User.objects.filter(pk__in={line.account.owner_id for line in page.object_list})
    }
    values = {**values, "month": data.period.closing}
    num_label, den_label = UNITS[Kpi(kpi)]
    return render(
        request,
        "dashboards/drill.html",
        {
            "section": "dashboard",
            "data": data,
            "info": KPI_INFO[Kpi(kpi)],
            "lines": [
                {"line": line, "owner": owners.get(line.account.owner_id or 0)}
                for line in page.object_list
            ],
            "page": page,
            "num_label": num_label,
            "den_label": den_label,
            "back_url": reverse("dashboards:dashboard") + "?" + _query(values),
            "problems": query.problems(),
        },
    )


@login_required
def target_list(request: AuthedHttpRequest) -> HttpResponse:
    """The year's targets, and the form to set one (a row's 修改 fills it with that row)."""
    if not access.sees_dashboard(request.user):
        raise DjangoPermissionDenied
    year_text = request.GET.get("year") or request.POST.get("year") or ""
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None
    year = year or clock.today().year
    may_set = access.can_set_target(request.user, level="department") or access.leads_group(
        request.user
    )
    rows = targets.targets_list(user=request.user, year=year)
    form = TargetForm(initial={"year": year, "month": 0, "version": 0})
    picked = request.GET.get("edit")
    if picked and picked.isdigit():
        row = next((t for t in rows if t.pk == int(picked)), None)
        if row is not None:
            form = TargetForm(
                initial={
                    "kpi": row.kpi,
                    "year": row.year,
                    "month": row.month,
                    "level": row.level,
                    "group": row.group_id,
                    "owner": row.owner_id,
                    "value": row.value,
                    "version": row.version,
                }
            )
    if request.method == "POST":
        if not may_set:
            raise DjangoPermissionDenied
        form = TargetForm(request.POST)

        def action(d: dict[str, Any]) -> None:
            targets.kpi_target_save(
                actor=request.user,
                kpi=d["kpi"],
                year=d["year"],
                month=d["month"],
                level=d["level"],
                group=d.get("group"),
                owner=d.get("owner"),
                value=d["value"],
                expected_version=d["version"],
            )

        if submit(form, action):
            messages.success(request, _("指标目标已保存。"))
            return redirect(reverse("dashboards:targets") + f"?year={form.cleaned_data['year']}")
    return render(
        request,
        "dashboards/targets.html",
        {
            "section": "dashboard",
            "year": year,
            "rows": rows,
            "form": form,
            "may_set": may_set,
            "kpi_info": {k.value: v for k, v in KPI_INFO.items()},
        },
    )
