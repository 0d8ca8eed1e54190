"""The report's figures (from the dashboard selectors) and how they are written."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from telekam.dashboards import selectors
from telekam.dashboards.kpis import KPI_INFO, Kpi, PeriodKind, month_first
from telekam.dashboards.selectors import Card, Dashboard
from telekam.service.pdf import (
    DASH,
    _month_label,
    _plain_number,
    money,
)

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
