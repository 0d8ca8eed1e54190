"""The KPIs, what each is, and the periods they are counted over."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")
CENT = Decimal("0.01")


class Kpi(enum.StrEnum):
    RETENTION_COUNT = "retention_count"
    RETENTION_REVENUE = "retention_revenue"
    SATISFACTION = "satisfaction"
    NEW_ACCOUNTS = "new_accounts"
    REVENUE_GROWTH = "revenue_growth"
    AVG_VALUE = "avg_value"
    SLA_ON_TIME = "sla_on_time"
    CALLBACK_COVERAGE = "callback_coverage"
    VISIT_COMPLIANCE = "visit_compliance"
    WARNING_RESPONSE = "warning_response"


@dataclasses.dataclass(frozen=True)
class KpiInfo:
    label: Any
    unit: str  # "%", "yuan" or "count"
    # Whether a year's target also stands for each of its months: yes for the shares of
    # things done on time, satisfaction and the average monthly value (a month is measured
    # as the year is); no for retention, growth and new accounts (a year's retention or
    # growth piles up twelve months', a month's is much smaller).
    year_for_months: bool


KPI_INFO: dict[Kpi, KpiInfo] = {
    Kpi.RETENTION_COUNT: KpiInfo(_("客户保有率（户数）"), "%", year_for_months=False),
    Kpi.RETENTION_REVENUE: KpiInfo(_("收入保有率"), "%", year_for_months=False),
    Kpi.SATISFACTION: KpiInfo(_("满意度"), "%", year_for_months=True),
    Kpi.NEW_ACCOUNTS: KpiInfo(_("新增大客户"), "count", year_for_months=False),
    Kpi.REVENUE_GROWTH: KpiInfo(_("收入增长率"), "%", year_for_months=False),
    Kpi.AVG_VALUE: KpiInfo(_("户均月收入"), "yuan", year_for_months=True),
    Kpi.SLA_ON_TIME: KpiInfo(_("开通及时率"), "%", year_for_months=True),
    Kpi.CALLBACK_COVERAGE: KpiInfo(_("回访覆盖率"), "%", year_for_months=True),
    Kpi.VISIT_COMPLIANCE: KpiInfo(_("拜访达标率"), "%", year_for_months=True),
    Kpi.WARNING_RESPONSE: KpiInfo(_("预警响应及时率"), "%", year_for_months=True),
}
KPIS = tuple(Kpi)


# --- periods --------------------------------------------------------------------------------


def month_first(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_add(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_last_day(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


class PeriodKind(enum.StrEnum):
    MONTH = "month"
    YEAR = "year"


@dataclasses.dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: dt.date  # first day
    end: dt.date  # last day
    opening: dt.date  # the month before the period (its first day)
    closing: dt.date  # the period's last month (its first day)

    @property
    def months(self) -> list[dt.date]:
        out, m = [], self.start
        while m <= self.closing:
            out.append(m)
            m = month_add(m, 1)
        return out

    @property
    def year(self) -> int:
        return self.closing.year

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.YEAR:
            return f"{self.start:%Y-%m}—{self.closing:%Y-%m}"
        return f"{self.closing:%Y-%m}"

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def period_of(kind: PeriodKind | str, month: dt.date) -> Period:
    """The month of `month`, or its year to date."""
    closing = month_first(month)
    start = closing if kind == PeriodKind.MONTH else closing.replace(month=1)
    return Period(
        kind=PeriodKind(kind),
        start=start,
        end=month_last_day(closing),
        opening=month_add(start, -1),
        closing=closing,
    )
