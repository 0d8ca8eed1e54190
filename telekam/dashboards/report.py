"""The monthly management report (issue 7 point 7): the figures of a month and of its year
to date, as a PDF and as an Excel workbook, on demand for anyone who sees a dashboard (in
their own scope) and every month for the department (`report_store`, run by
`telekam.dashboards.tasks` and `telekam management-report`).

Every figure comes from `selectors.dashboard` (once for the month, once for the year to
date), so the report always says what the dashboard says."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, TableStyle

from telekam.core.services import notification_send
from telekam.dashboards import selectors
from telekam.dashboards.kpis import KPI_INFO, Kpi, PeriodKind, month_first
from telekam.dashboards.selectors import Card, Dashboard, LeagueRow
from telekam.org.models import Role, User
from telekam.service.pdf import (
    DASH,
    FRAME_WIDTH,
    MISS_FILL,
    _grid,
    _heading,
    _month_label,
    _para,
    _plain_number,
    _render,
    money,
)

logger = logging.getLogger(__name__)

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STORED_NAME = r"management-\d{4}-\d{2}\.(pdf|xlsx)"


# --- the figures ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class KpiLine:
    """One KPI of the report: the month's card and the year to date's."""

    kpi: Kpi
    month: Card
    year: Card

    @property
    def label(self) -> str:
        return str(KPI_INFO[self.kpi].label)

    @property
    def unit(self) -> str:
        return KPI_INFO[self.kpi].unit


@dataclasses.dataclass(frozen=True)
class TopLine:
    """A top account: the closing month's revenue, its change on the month before and on
    December (the year's opening)."""

    rank: int
    code: str
    name: str
    revenue: Decimal
    share_pct: Decimal | None
    change_month: Decimal
    change_year: Decimal | None
    open_warnings: int


@dataclasses.dataclass(frozen=True)
class ManagementReport:
    month: dt.date  # first day
    today: dt.date
    month_view: Dashboard
    year_view: Dashboard

    @property
    def title(self) -> str:
        return _("大客户经营月报 %(month)s") % {"month": _month_label(self.month)}

    @property
    def scope_title(self) -> str:
        return self.month_view.title

    @property
    def level(self) -> str:
        return self.month_view.level

    @property
    def kpis(self) -> list[KpiLine]:
        year = {c.kpi: c for c in self.year_view.cards}
        return [KpiLine(c.kpi, c, year[c.kpi]) for c in self.month_view.cards]

    @property
    def top(self) -> list[TopLine]:
        year = {t.id: t.change for t in self.year_view.top}
        return [
            TopLine(
                i, t.code, t.name, t.revenue, t.share_pct, t.change, year.get(t.id), t.open_warnings
            )
            for i, t in enumerate(self.month_view.top, start=1)
        ]

    @property
    def group_names(self) -> dict[int | None, str]:
        """An AM's industry group by its id (for the AM league)."""
        return {row.key: row.label for row in self.month_view.groups}


def report_data(*, user: Any, month: dt.date, today: dt.date) -> ManagementReport:
    """The report of `month` in `user`'s own scope (the department for the department
    head, the analysts and the administrator; a lead's group; an AM's own accounts).
    Raises `PermissionDenied` (telekam.core.errors) for those who see no dashboard."""
    month = month_first(month)
    views = {
        kind: selectors.dashboard(user=user, today=today, month=month, kind=kind)
        for kind in (PeriodKind.MONTH, PeriodKind.YEAR)
    }
    return ManagementReport(
        month=month,
        today=today,
        month_view=views[PeriodKind.MONTH],
        year_view=views[PeriodKind.YEAR],
    )


# --- formatting -------------------------------------------------------------------------------


def _unit(unit: str) -> str:
    return {"%": "%", "yuan": _("元"), "count": _("户")}.get(unit, unit)


def _with_unit(label: str, unit: str) -> str:
    return _("%(label)s（%(unit)s）") % {"label": label, "unit": _unit(unit)}


def _rate(value: Decimal) -> str:
    """A percentage with one place, or more when it has them: 90.00 -> 90.0, 99.95."""
    tenth = value.quantize(Decimal("0.1"))
    return f"{tenth}" if tenth == value else _plain_number(value)


def _shown(unit: str, value: Decimal | None) -> str:
    """A figure with its unit: 61.9%, ¥5,000.00, 1."""
    if value is None:
        return DASH
    if unit == "%":
        return f"{_rate(value)}%"
    if unit == "yuan":
        return money(value)
    return f"{value:,.0f}"


def _bare(unit: str, value: Decimal | None) -> str:
    """A figure in a table whose header carries the unit: 61.9, 5,000, 1."""
    if value is None:
        return DASH
    if unit == "%":
        return _rate(value)
    return f"{value:,.0f}"


def _signed(value: Decimal | None) -> str:
    if value is None:
        return DASH
    return f"+{money(value)}" if value > 0 else money(value)


def _period_line(data: ManagementReport) -> str:
    return _("范围：%(scope)s；本月：%(month)s；年累计：%(year)s；生成日期：%(today)s") % {
        "scope": data.scope_title,
        "month": data.month_view.period.label,
        "year": data.year_view.period.label,
        "today": data.today.isoformat(),
    }


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


# --- the stored department report -------------------------------------------------------------


def reports_dir() -> Path:
    """Where the scheduled reports go: `reports/` in the var directory (TELEKAM_VAR_DIR)."""
    return Path(settings.VAR_DIR) / "reports"


def stored_name(month: dt.date, ext: str) -> str:
    return f"management-{month:%Y-%m}.{ext}"


def _department_viewer() -> User | None:
    """Whose eyes the department report is built through: an active department head,
    else an analyst or the administrator (they all see every account)."""
    for roles in ((Role.DEPARTMENT_HEAD,), (Role.ANALYST, Role.ADMIN)):
        user = User.objects.filter(is_active=True, role__in=roles).order_by("pk").first()
        if user is not None:
            return user
    return None


def _write(path: Path, content: bytes) -> None:
    """Replace `path` whole: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def report_store(*, month: dt.date, today: dt.date) -> list[Path]:
    """Build the department's report of `month` and write it to
    `<var>/reports/management-YYYY-MM.pdf` and `.xlsx` (a re-run overwrites them), then
    tell every active department head, once per month however often this runs. Returns
    the paths written (none when there is nobody to build the report for)."""
    month = month_first(month)
    viewer = _department_viewer()
    if viewer is None:
        logger.warning(
            "Management report %s skipped: no active department head, analyst or admin.",
            f"{month:%Y-%m}",
        )
        return []
    data = report_data(user=viewer, month=month, today=today)
    folder = reports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext, render in (("pdf", report_pdf), ("xlsx", report_workbook)):
        path = folder / stored_name(month, ext)
        _write(path, render(data))
        paths.append(path)
    pdf_url = reverse("dashboards:stored_report", args=[stored_name(month, "pdf")])
    xlsx_url = reverse("dashboards:stored_report", args=[stored_name(month, "xlsx")])
    for head in User.objects.filter(is_active=True, role=Role.DEPARTMENT_HEAD).order_by("pk"):
        notification_send(
            user=head,
            key=f"management-report:{month:%Y-%m}",
            title=_("%(title)s已生成") % {"title": data.title},
            body=_(
                "全部门本月及年累计的关键指标、行业组和客户经理排名、客户等级分布与重点客户。"
                "Excel 版：%(xlsx)s"
            )
            % {"xlsx": xlsx_url},
            url=pdf_url,
        )
    logger.info("Management report %s written: %s", f"{month:%Y-%m}", [str(p) for p in paths])
    return paths
