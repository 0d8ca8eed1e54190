"""The report as a PDF (A4, Chinese)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, TableStyle

from telekam.dashboards.kpis import KPI_INFO
from telekam.dashboards.report.data import (
    ManagementReport,
    _bare,
    _period_line,
    _shown,
    _signed,
    _with_unit,
)
from telekam.dashboards.selectors import LeagueRow
from telekam.service.pdf import (
    DASH,
    FRAME_WIDTH,
    MISS_FILL,
    _grid,
    _heading,
    _para,
    _render,
    money,
)

# --- PDF ------------------------------------------------------------------------------------


def _shade(table: Any, cells: Sequence[tuple[int, int]]) -> Any:
    """Shade the (column, data row) cells of a `_grid` table as missed targets."""
    if cells:
        table.setStyle(
            TableStyle([("BACKGROUND", (c, r + 1), (c, r + 1), MISS_FILL) for c, r in cells])
        )
    return table


def _pdf_kpis(data: ManagementReport) -> Flowable:
    header = [_("指标"), _("本月"), _("目标"), _("年累计"), _("年目标")]
    rows, missed = [], []
    for i, line in enumerate(data.kpis):
        rows.append(
            [
                line.label,
                _shown(line.unit, line.month.figure.value),
                _shown(line.unit, line.month.target),
                _shown(line.unit, line.year.figure.value),
                _shown(line.unit, line.year.target),
            ]
        )
        missed += [(1, i)] if line.month.met is False else []
        missed += [(3, i)] if line.year.met is False else []
    first = 50 * mm
    widths = [first] + [(FRAME_WIDTH - first) / 4] * 4
    return _shade(_grid(header, rows, widths, right=[1, 2, 3, 4]), missed)


def _pdf_league(rows: Sequence[LeagueRow], name: str) -> Flowable:
    kpis = list(KPI_INFO)
    header = [name] + [str(KPI_INFO[k].label) for k in kpis]
    body, missed = [], []
    for r, row in enumerate(rows):
        body.append(
            [row.label] + [_bare(KPI_INFO[k].unit, row.cards[k].figure.value) for k in kpis]
        )
        missed += [(c + 1, r) for c, k in enumerate(kpis) if row.cards[k].met is False]
    first = 27 * mm
    widths = [first] + [(FRAME_WIDTH - first) / len(kpis)] * len(kpis)
    return _shade(_grid(header, body, widths, right=range(1, len(kpis) + 1)), missed)


def _pdf_trend(data: ManagementReport) -> Flowable:
    kpi = data.month_view.trend_kpi
    label = str(KPI_INFO[kpi].label)
    header = [_("月份"), _with_unit(label, "%"), _("目标（%）"), _("保有收入"), _("期初收入")]
    rows, missed = [], []
    for i, (month, fig, target) in enumerate(data.month_view.trend):
        rows.append(
            [
                f"{month:%Y-%m}",
                _bare("%", fig.value),
                _bare("%", target),
                money(fig.num),
                money(fig.den),
            ]
        )
        if fig.value is not None and target is not None and fig.value < target:
            missed.append((1, i))
    widths = [FRAME_WIDTH / 5] * 5
    return _shade(_grid(header, rows, widths, right=[1, 2, 3, 4]), missed)


def _pdf_grades(data: ManagementReport) -> Flowable:
    bars = data.month_view.grades
    total = sum((b.revenue for b in bars), Decimal(0))
    header = [_("客户等级"), _("客户数"), _("本月收入"), _("收入占比")]
    rows = [
        [
            b.label,
            str(b.accounts),
            money(b.revenue),
            f"{(b.revenue * 100 / total).quantize(Decimal('0.1'))}%" if total else DASH,
        ]
        for b in bars
    ]
    return _grid(header, rows, [FRAME_WIDTH / 4] * 4, right=[1, 2, 3])


def _pdf_top(data: ManagementReport) -> Flowable:
    header = [
        _("排名"),
        _("客户"),
        _("本月收入"),
        _("占比"),
        _("较上月"),
        _("较年初"),
        _("未关闭预警"),
    ]
    rows = [
        [
            str(t.rank),
            f"{t.name}（{t.code}）",
            money(t.revenue),
            f"{t.share_pct}%" if t.share_pct is not None else DASH,
            _signed(t.change_month),
            _signed(t.change_year),
            str(t.open_warnings),
        ]
        for t in data.top
    ]
    widths = [x * mm for x in (12, 0, 26, 15, 25, 25, 20)]
    widths[1] = FRAME_WIDTH - sum(widths)
    return _grid(header, rows, widths, right=[0, 2, 3, 4, 5, 6])


def report_pdf(data: ManagementReport) -> bytes:
    """The report for print: the KPIs against their targets, the trend of revenue
    retention, the league tables of the industry groups and the AMs, the distribution by
    grade and the top accounts. Runs no query."""
    none = _("本期无数据。")
    story: list[Flowable] = [
        _para(data.title, "title"),
        _para(_period_line(data), "subtitle"),
        Spacer(1, 4 * mm),
        _heading(_("关键指标")),
        _pdf_kpis(data),
        _para(_("底色标红的为未达目标；年累计为 1 月至本月，期初为上年 12 月。"), "note"),
        _heading(
            _("%(kpi)s趋势（近 12 个月）") % {"kpi": KPI_INFO[data.month_view.trend_kpi].label}
        ),
        _pdf_trend(data),
    ]
    leagues = []
    if data.level == "department":
        leagues.append(
            (data.month_view.groups, data.year_view.groups, _("行业组"), _("行业组排名"))
        )
    if data.level != "owner":
        leagues.append(
            (data.month_view.owners, data.year_view.owners, _("客户经理"), _("客户经理排名"))
        )
    for month_rows, year_rows, name, heading in leagues:
        for rows, period in ((month_rows, _("本月")), (year_rows, _("年累计"))):
            story.append(
                KeepTogether(
                    [
                        _heading(f"{heading}（{period}）"),
                        _pdf_league(rows, name) if rows else _para(none),
                        _para(
                            _("比率单位为 %，户均月收入单位为元；底色标红的为未达目标。"), "note"
                        ),
                    ]
                )
            )
    grades = _heading(_("客户等级分布（%(month)s）") % {"month": data.month_view.period.label})
    top = _heading(_("重点客户（本月收入前 %(n)d 名）") % {"n": len(data.top)})
    story += [
        KeepTogether([grades, _pdf_grades(data) if data.month_view.grades else _para(none)]),
        KeepTogether([top, _pdf_top(data) if data.top else _para(none)]),
    ]
    return _render(data.title, story)
