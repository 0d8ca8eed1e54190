"""Which target a figure takes: the most specific there is."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from telekam.dashboards.kpis import Kpi, PeriodKind, period_of
from telekam.dashboards.models import KpiTarget
from telekam.dashboards.targets import targets_of
from telekam.org.tests.factories import UserFactory, group

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
MONTH = period_of(PeriodKind.MONTH, OCT)
YEAR = period_of(PeriodKind.YEAR, OCT)


def target(kpi: str, value: str, month: int = 0, **where) -> None:
    level = "owner" if "owner" in where else "group" if "group" in where else "department"
    KpiTarget.objects.create(kpi=kpi, year=2026, month=month, level=level, value=D(value), **where)


def test_the_most_specific_target_wins():
    finance = group("finance")
    am, other = UserFactory(group=finance), UserFactory(group=finance)
    target("visit_compliance", "90")
    target("visit_compliance", "93", group=finance)
    target("visit_compliance", "97", owner=am)
    target("visit_compliance", "80", month=10)
    targets = targets_of(year=2026)
    at = targets.for_figure
    assert at(Kpi.VISIT_COMPLIANCE, YEAR) == D("90")
    assert at(Kpi.VISIT_COMPLIANCE, MONTH) == D("80")  # the month's own
    assert at(Kpi.VISIT_COMPLIANCE, MONTH, group_id=finance.pk) == D("93")
    assert at(Kpi.VISIT_COMPLIANCE, YEAR, owner_id=am.pk, owner_group_id=finance.pk) == D("97")
    assert at(Kpi.VISIT_COMPLIANCE, YEAR, owner_id=other.pk, owner_group_id=finance.pk) == D("93")
    assert at(Kpi.VISIT_COMPLIANCE, YEAR, owner_id=other.pk) == D("90")
    assert at(Kpi.SLA_ON_TIME, YEAR) is None
    assert targets_of(year=2025).for_figure(Kpi.VISIT_COMPLIANCE, YEAR) is None


def test_a_years_retention_or_growth_target_is_not_a_months():
    target("retention_revenue", "92")
    target("revenue_growth", "5")
    target("new_accounts", "40")
    target("retention_revenue", "99.2", month=10)
    targets = targets_of(year=2026)
    assert targets.for_figure(Kpi.RETENTION_REVENUE, YEAR) == D("92")
    assert targets.for_figure(Kpi.RETENTION_REVENUE, MONTH) == D("99.2")
    assert targets.for_figure(Kpi.REVENUE_GROWTH, MONTH) is None
    assert targets.for_figure(Kpi.NEW_ACCOUNTS, MONTH) is None
    assert targets.for_figure(Kpi.NEW_ACCOUNTS, YEAR) == D("40")
