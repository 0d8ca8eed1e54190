"""Every KPI against the hand-computed case of conftest.py, for the department, a group
and an AM, for the month and the year to date."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from telekam.dashboards.kpis import (
    Kpi,
    PeriodKind,
    Scope,
    book_load,
    drill,
    figures,
    league,
    period_of,
)
from telekam.dashboards.tests.conftest import DEC, OCT, TODAY

pytestmark = pytest.mark.django_db

MONTH = period_of(PeriodKind.MONTH, OCT)
YEAR = period_of(PeriodKind.YEAR, OCT)


def values(user, period, scope=Scope()):  # noqa: B008
    book = book_load(user=user, first=DEC, last=OCT, today=TODAY)
    return {k.value: f.value for k, f in figures(book, period, scope).items()}


def test_periods():
    assert (MONTH.start, MONTH.end, MONTH.opening, MONTH.closing) == (
        OCT, OCT.replace(day=31), OCT.replace(month=9), OCT
    )  # fmt: skip
    assert (YEAR.start, YEAR.opening, YEAR.closing) == (OCT.replace(month=1), DEC, OCT)
    assert len(YEAR.months) == 10


def test_department_month(world):
    assert values(world.head, MONTH) == {
        "retention_count": D("50.0"),  # of A B C D, A and B kept (C lost, D not billed)
        "retention_revenue": D("61.9"),  # (10000 + 3000) / 21000
        "satisfaction": D("40.0"),  # 1 of 3 callbacks and 1 of 2 survey answers
        "new_accounts": D("1"),  # E
        "revenue_growth": D("-4.8"),  # (20000 - 21000) / 21000
        "avg_value": D("5000.00"),  # 20000 over the 4 billed in October
        "sla_on_time": D("50.0"),  # A on time, B a day late
        "callback_coverage": D("66.7"),  # 4 on time of 6 due
        "visit_compliance": D("50.0"),  # 2 done of 4 owed
        "warning_response": D("33.3"),  # A on time, B late, C overdue; E not yet due
    }


def test_department_year_to_date(world):
    assert values(world.head, YEAR) == {
        "retention_count": D("25.0"),  # B's case was closed lost in September
        "retention_revenue": D("42.1"),  # min(12000, 8000) / 19000
        "satisfaction": D("62.5"),  # and March, D's September call, E's survey: 5 of 8
        "new_accounts": D("1"),
        "revenue_growth": D("5.3"),  # (20000 - 19000) / 19000
        "avg_value": D("5000.00"),
        "sla_on_time": D("50.0"),
        "callback_coverage": D("57.1"),  # March's was late: 4 of 7
        "visit_compliance": D("50.0"),
        "warning_response": D("33.3"),
    }


def test_group_and_am(world):
    finance = Scope(group_id=world.a.group_id)
    assert values(world.head, MONTH, finance) == {
        "retention_count": D("66.7"),
        "retention_revenue": D("68.4"),
        "satisfaction": D("50.0"),  # A's survey answer too: 2 of 4
        "new_accounts": D("0"),
        "revenue_growth": D("0.0"),
        "avg_value": D("6333.33"),
        "sla_on_time": D("50.0"),
        "callback_coverage": D("60.0"),
        "visit_compliance": D("66.7"),
        "warning_response": D("33.3"),
    }
    government = Scope(group_id=world.d.group_id)
    assert values(world.head, MONTH, government) == {
        "retention_count": D("0.0"),
        "retention_revenue": D("0.0"),
        "satisfaction": D("0.0"),  # D's dissatisfied survey answer
        "new_accounts": D("1"),
        "revenue_growth": D("-50.0"),
        "avg_value": D("1000.00"),
        "sla_on_time": None,
        "callback_coverage": D("100.0"),
        "visit_compliance": D("0.0"),
        "warning_response": None,
    }
    am1 = values(world.head, MONTH, Scope(owner_id=world.am1.pk))
    assert (am1["retention_count"], am1["retention_revenue"], am1["avg_value"]) == (
        D("100.0"), D("86.7"), D("7500.00")
    )  # fmt: skip


def test_each_sees_its_own_accounts(world):
    """The book holds only the accounts the user sees: an AM's department is itself."""
    assert values(world.am1, MONTH) == values(world.head, MONTH, Scope(owner_id=world.am1.pk))
    assert values(world.lead, MONTH) == values(world.head, MONTH, Scope(group_id=world.a.group_id))


def test_league_and_drill(world):
    book = book_load(user=world.head, first=DEC, last=OCT, today=TODAY)
    table = league(book, MONTH, by="owner")
    assert set(table) == {world.am1.pk, world.am2.pk, world.am3.pk}
    assert table[world.am2.pk][Kpi.RETENTION_COUNT].value == D("0.0")
    lines = drill(book, MONTH, Kpi.RETENTION_COUNT)
    assert [line.account.name for line in lines] == ["丁", "丙", "乙", "甲"]  # lost first
    assert [(line.num, line.den) for line in lines] == [(0, 1), (0, 1), (1, 1), (1, 1)]
    new = drill(book, MONTH, Kpi.NEW_ACCOUNTS)
    assert [line.account.id for line in new] == [world.e.pk]
    coverage = drill(book, MONTH, Kpi.CALLBACK_COVERAGE, Scope(owner_id=world.am1.pk))
    assert {line.account.name: (line.num, line.den) for line in coverage} == {
        "甲": (1, 2),
        "乙": (2, 3),
    }


def test_book_queries_do_not_grow(world, django_assert_num_queries):
    from telekam.accounts.tests.factories import AccountFactory
    from telekam.value.tests.helpers import bill

    with django_assert_num_queries(9):
        book_load(user=world.head, first=DEC, last=OCT, today=TODAY)
    for _i in range(5):
        bill(AccountFactory(owner=world.am2), "digital_circuit", "100.00", month=OCT)
    with django_assert_num_queries(9):
        book = book_load(user=world.head, first=DEC, last=OCT, today=TODAY)
    assert len(book.accounts) == 10


@pytest.mark.parametrize("kpi", list(Kpi))
def test_the_trend_sums_each_month_as_its_period_does(world, kpi):
    from telekam.dashboards.kpis import trend

    book = book_load(user=world.head, first=DEC, last=OCT, today=TODAY)
    months = [OCT.replace(month=m) for m in (1, 3, 9, 10)]
    for month, fig in trend(book, kpi, months):
        assert fig == figures(book, period_of(PeriodKind.MONTH, month))[kpi], month


def test_a_trend_outside_what_the_book_read_is_refused(world):
    from telekam.dashboards.kpis import trend

    book = book_load(user=world.head, first=OCT.replace(month=9), last=OCT, today=TODAY,
                     long_kpi=Kpi.SATISFACTION, long_first=DEC)  # fmt: skip
    assert trend(book, Kpi.SATISFACTION, [OCT.replace(month=1)])[0][1].value is None
    with pytest.raises(ValueError, match="visit_compliance"):
        trend(book, Kpi.VISIT_COMPLIANCE, [OCT.replace(month=3)])


@pytest.mark.parametrize("period", [MONTH, YEAR], ids=["month", "year"])
def test_a_book_summed_over_its_period_gives_the_same_figures(world, period):
    monthly = book_load(user=world.head, first=DEC, last=OCT, today=TODAY)
    summed = book_load(user=world.head, first=period.opening, last=OCT, today=TODAY,
                       long_kpi=Kpi.VISIT_COMPLIANCE, long_first=DEC, period=period)  # fmt: skip
    assert set(summed.summed) == {
        Kpi.SATISFACTION, Kpi.SLA_ON_TIME, Kpi.CALLBACK_COVERAGE, Kpi.WARNING_RESPONSE
    }  # fmt: skip
    assert figures(summed, period) == figures(monthly, period)
    for scope in (Scope(group_id=world.a.group_id), Scope(owner_id=world.am3.pk)):
        assert figures(summed, period, scope) == figures(monthly, period, scope)
    other = MONTH if period is YEAR else YEAR
    with pytest.raises(ValueError, match="holds"):
        figures(summed, other)
