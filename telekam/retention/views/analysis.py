"""The churn analysis dashboard (domain §7) and the lost cases behind each of its figures.

The head, the analysts, the administrator see the whole department, a group lead its
group (`access.can_see_analysis`); everybody else gets 403. The figures come from
`telekam.retention.analysis`, the same ones the API answers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from telekam.accounts.models import GradeBand, Industry
from telekam.core import clock
from telekam.core.http import AuthedHttpRequest
from telekam.retention import access, analysis
from telekam.retention.models import ChurnReason, WarningSource

# The trend chart: a viewBox of CHART_W x CHART_H, bars (revenue rate) and a line (count
# rate) on one scale, PLOT_H high above the axis at BASE_Y.
CHART_W, CHART_H, PLOT_H, BASE_Y = 480, 150, 120, 130


def _allow(user: Any) -> None:
    if not access.can_see_analysis(user):
        raise DjangoPermissionDenied


def _period(request: AuthedHttpRequest, today: dt.date) -> analysis.Period:
    try:
        return analysis.parse_period(request.GET.get("period"), today=today)
    except ValueError:
        return analysis.period_containing("quarter", today)


def trend_chart(trend: analysis.ChurnTrend) -> dict[str, Any]:
    """Coordinates of the trend chart, computed here so the template only draws them."""
    points = trend.points
    n = max(len(points), 1)
    slot = CHART_W / n
    rates = [p.revenue_rate or Decimal(0) for p in points] + [
        p.count_rate or Decimal(0) for p in points
    ]
    peak = float(max(rates, default=Decimal(0))) or 1.0
    bars, line = [], []
    for i, p in enumerate(points):
        revenue_h = round(float(p.revenue_rate or 0) / peak * PLOT_H, 1)
        count_y = round(BASE_Y - float(p.count_rate or 0) / peak * PLOT_H, 1)
        x = round(i * slot + slot * 0.2, 1)
        cx = round(i * slot + slot / 2, 1)
        bars.append(
            {
                "point": p,
                "x": x,
                "y": round(BASE_Y - revenue_h, 1),
                "w": round(slot * 0.6, 1),
                "h": revenue_h,
                "cx": cx,
                "cy": count_y,
            }
        )
        line.append(f"{cx},{count_y}")
    return {
        "bars": bars,
        "line": " ".join(line),
        "peak": round(peak, 2),
        "width": CHART_W,
        "height": CHART_H,
        "base_y": BASE_Y + 0.5,
        "top_y": BASE_Y - PLOT_H,
    }


def share_bars(rows: Any, *, width: int = 160) -> list[dict[str, Any]]:
    """A horizontal bar per row for its share of the lost revenue."""
    return [
        {"row": r, "w": round(float(r.share or 0) / 100 * width, 1), "ref": r.reference_share}
        for r in rows
    ]


@require_GET
@login_required
def dashboard(request: AuthedHttpRequest) -> HttpResponse:
    """Churn rate by count and revenue for a month, quarter or year, by reason, industry
    and grade, its trend, the warning hit rate and the warning workload."""
    _allow(request.user)
    today = clock.today()
    period = _period(request, today)
    data = analysis.churn_analysis(user=request.user, period=period, today=today)
    choices = analysis.period_choices(today=today)
    return render(
        request,
        "retention/analysis.html",
        {
            "section": "warnings",
            "a": data,
            "period": period,
            "period_query": urlencode({"period": period.key}),
            "choices": [
                (_("月"), choices["month"]),
                (_("季度"), choices["quarter"]),
                (_("年"), choices["year"]),
            ],
            "quick": [
                (_("本月"), analysis.period_containing("month", today).key),
                (_("本季度"), analysis.period_containing("quarter", today).key),
                (_("本年"), analysis.period_containing("year", today).key),
            ],
            "chart": trend_chart(data.trend),
            "reason_bars": share_bars(data.by_reason.rows),
            "industry_bars": share_bars(data.by_industry.rows),
            "reference_rate": analysis.REFERENCE_REVENUE_RATE,
            "can_run_jobs": access.can_run_jobs(request.user),
            "can_see_analysis": True,
        },
    )


FILTERS = ("reason", "industry", "grade", "source", "warned")


@require_GET
@login_required
def analysis_cases(request: AuthedHttpRequest) -> HttpResponse:
    """The lost cases behind a figure of the dashboard (same period and scope), filtered by
    reason, industry, grade, warning source or whether a warning came first."""
    _allow(request.user)
    today = clock.today()
    period = _period(request, today)
    given = {k: (request.GET.get(k) or "").strip()[:40] for k in FILTERS}
    count, rows = analysis.lost_case_rows(
        user=request.user,
        period=period,
        reason=given["reason"],
        industry=given["industry"],
        grade=given["grade"],
        source=given["source"],
        warned=given["warned"],
    )
    labels = []
    if given["reason"]:
        labels.append(str(dict(ChurnReason.choices).get(given["reason"], given["reason"])))
    if given["industry"]:
        labels.append(str(dict(Industry.choices).get(given["industry"], given["industry"])))
    if given["grade"] == "none":
        labels.append(_("未定级"))
    elif given["grade"].isdigit():
        labels.append(str(GradeBand.objects.filter(pk=int(given["grade"])).first() or ""))
    if given["source"]:
        labels.append(
            _("%(source)s 预警在先")
            % {"source": dict(WarningSource.choices).get(given["source"], given["source"])}
        )
    elif given["warned"] == "1":
        labels.append(_("流失前有预警"))
    elif given["warned"] == "0":
        labels.append(_("流失前无预警"))
    return render(
        request,
        "retention/analysis_cases.html",
        {
            "section": "warnings",
            "period": period,
            "period_query": urlencode({"period": period.key}),
            "label": " · ".join(x for x in labels if x),
            "count": count,
            "rows": rows,
            "source_labels": dict(WarningSource.choices),
        },
    )
