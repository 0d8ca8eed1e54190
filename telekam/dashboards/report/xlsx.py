"""The report as an Excel workbook."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from telekam.dashboards.kpis import KPI_INFO
from telekam.dashboards.report.data import (
    ManagementReport,
    _unit,
    _with_unit,
)
from telekam.dashboards.selectors import Dashboard, LeagueRow

# --- Excel ------------------------------------------------------------------------------------

BOLD = Font(bold=True)
MISS = PatternFill("solid", fgColor="FEE2E2")
FORMATS = {"%": "0.0", "yuan": "#,##0.00", "count": "0"}


def _header(sheet: Worksheet, values: Sequence[str], widths: Sequence[int]) -> None:
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def _number(sheet: Worksheet, row: int, col: int, unit: str, *, missed: bool = False) -> None:
    cell = sheet.cell(row=row, column=col)
    cell.number_format = FORMATS.get(unit, "General")
    if missed:
        cell.fill = MISS


def _yes_no(met: bool | None) -> str | None:
    return None if met is None else (_("是") if met else _("否"))


def _xlsx_kpis(book: Workbook, data: ManagementReport) -> None:
    sheet = book.worksheets[0]
    sheet.title = _("指标")
    for label, value in (
        (_("报表"), data.title),
        (_("范围"), data.scope_title),
        (_("本月"), data.month_view.period.label),
        (_("年累计"), data.year_view.period.label),
        (_("生成日期"), data.today),
    ):
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=1).font = BOLD
    sheet.append([])
    header_row = sheet.max_row + 1
    _header(
        sheet,
        [
            _("指标"),
            _("单位"),
            _("本月"),
            _("本月目标"),
            _("本月达标"),
            _("年累计"),
            _("年目标"),
            _("年累计达标"),
        ],
        [22, 8, 14, 14, 10, 14, 14, 10],
    )
    sheet.freeze_panes = f"A{header_row + 1}"
    for line in data.kpis:
        m, y = line.month, line.year
        sheet.append(
            [
                line.label,
                _unit(line.unit),
                m.figure.value,
                m.target,
                _yes_no(m.met),
                y.figure.value,
                y.target,
                _yes_no(y.met),
            ]
        )
        row = sheet.max_row
        for col, missed in ((3, m.met is False), (4, False), (6, y.met is False), (7, False)):
            _number(sheet, row, col, line.unit, missed=missed)


def _xlsx_league(
    book: Workbook,
    title: str,
    name: str,
    data: ManagementReport,
    pick: Callable[[Dashboard], list[LeagueRow]],
    group_col: bool,
) -> None:
    sheet = book.create_sheet(title)
    kpis = list(KPI_INFO)
    head = [_("期间"), name] + ([_("行业组")] if group_col else [])
    _header(
        sheet,
        head + [_with_unit(str(KPI_INFO[k].label), KPI_INFO[k].unit) for k in kpis],
        [10, 18] + ([14] if group_col else []) + [14] * len(kpis),
    )
    sheet.freeze_panes = f"{get_column_letter(len(head) + 1)}2"
    groups = data.group_names
    for view, period in ((data.month_view, _("本月")), (data.year_view, _("年累计"))):
        for row in pick(view):
            extra: list[Any] = []
            if group_col:
                extra = [
                    groups.get(row.group_id, data.scope_title if data.level == "group" else "")
                ]
            sheet.append([period, row.label, *extra, *[row.cards[k].figure.value for k in kpis]])
            for c, k in enumerate(kpis, start=len(head) + 1):
                _number(sheet, sheet.max_row, c, KPI_INFO[k].unit, missed=row.cards[k].met is False)


def _xlsx_grades(book: Workbook, data: ManagementReport) -> None:
    sheet = book.create_sheet(_("客户等级"))
    _header(
        sheet,
        [_("客户等级"), _("客户数"), _("本月收入（元）"), _("收入占比（%）")],
        [16, 10, 16, 14],
    )
    bars = data.month_view.grades
    total = sum((b.revenue for b in bars), Decimal(0))
    for b in bars:
        share = (b.revenue * 100 / total).quantize(Decimal("0.1")) if total else None
        sheet.append([b.label, b.accounts, b.revenue, share])
        _number(sheet, sheet.max_row, 3, "yuan")
        _number(sheet, sheet.max_row, 4, "%")


def _xlsx_top(book: Workbook, data: ManagementReport) -> None:
    sheet = book.create_sheet(_("重点客户"))
    _header(
        sheet,
        [
            _("排名"),
            _("客户编码"),
            _("客户名称"),
            _("本月收入（元）"),
            _("收入占比（%）"),
            _("较上月（元）"),
            _("较年初（元）"),
            _("未关闭预警"),
        ],
        [6, 14, 24, 16, 12, 14, 14, 10],
    )
    for t in data.top:
        sheet.append(
            [
                t.rank,
                t.code,
                t.name,
                t.revenue,
                t.share_pct,
                t.change_month,
                t.change_year,
                t.open_warnings,
            ]
        )
        for col, unit in ((4, "yuan"), (5, "%"), (6, "yuan"), (7, "yuan")):
            _number(sheet, sheet.max_row, col, unit)


def _xlsx_trend(book: Workbook, data: ManagementReport) -> None:
    label = str(KPI_INFO[data.month_view.trend_kpi].label)
    sheet = book.create_sheet(_("趋势"))
    _header(
        sheet,
        [
            _("月份"),
            _with_unit(label, "%"),
            _("目标（%）"),
            _("保有收入（元）"),
            _("期初收入（元）"),
        ],
        [10, 16, 12, 16, 16],
    )
    for month, fig, target in data.month_view.trend:
        sheet.append([f"{month:%Y-%m}", fig.value, target, fig.num, fig.den])
        for col, unit in ((2, "%"), (3, "%"), (4, "yuan"), (5, "yuan")):
            _number(sheet, sheet.max_row, col, unit)


def report_workbook(data: ManagementReport) -> bytes:
    """The report as a workbook: KPIs, groups, AMs, grades, top accounts and the trend, one
    sheet each; figures as numbers (the unit in the header or the 单位 column, a missed
    target shaded). Runs no query."""
    book = Workbook()
    _xlsx_kpis(book, data)
    if data.level == "department":
        _xlsx_league(book, _("行业组"), _("行业组"), data, lambda v: v.groups, group_col=False)
    if data.level != "owner":
        _xlsx_league(book, _("客户经理"), _("客户经理"), data, lambda v: v.owners, group_col=True)
    _xlsx_grades(book, data)
    _xlsx_top(book, data)
    _xlsx_trend(book, data)
    book.properties.title = data.title
    book.properties.creator = "TeleKAM"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
