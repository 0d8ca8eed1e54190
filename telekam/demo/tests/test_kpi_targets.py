"""The demo's KPI targets: every billed year gets them, once."""

from __future__ import annotations

import datetime as dt

import pytest

from telekam.accounts.tests.factories import AccountFactory
from telekam.dashboards.kpis import Kpi, PeriodKind, period_of
from telekam.dashboards.models import KpiTarget
from telekam.dashboards.targets import targets_of
from telekam.demo.dashboards import delete_kpi_targets, generate_kpi_targets
from telekam.value.tests.helpers import bill

pytestmark = pytest.mark.django_db


def test_each_billed_year_gets_its_targets_once():
    assert generate_kpi_targets() == {"kpi_targets": 0}  # no bills, no years
    account = AccountFactory()
    bill(account, "digital_circuit", "100.00", month=dt.date(2025, 12, 1))
    bill(account, "digital_circuit", "100.00", month=dt.date(2026, 3, 1))
    per_year = 10 + 12 * 4 + 2  # the year's, each month's four, the finance group's two
    assert generate_kpi_targets() == {"kpi_targets": 2 * per_year}
    assert generate_kpi_targets() == {"kpi_targets": 2 * per_year}  # re-run: no duplicates
    targets = targets_of(year=2026)
    march = period_of(PeriodKind.MONTH, dt.date(2026, 3, 1))
    assert str(targets.for_figure(Kpi.CALLBACK_COVERAGE, march)) == "100.00"
    assert str(targets.for_figure(Kpi.RETENTION_REVENUE, march)) == "99.00"
    finance = account.group_id
    assert str(targets.for_figure(Kpi.VISIT_COMPLIANCE, march, group_id=finance)) == "95.00"
    delete_kpi_targets()
    assert not KpiTarget.objects.exists()


def test_the_demo_surveys_come_once_per_year_and_count_in_satisfaction():
    import datetime as dt

    from telekam.demo.surveys import delete_surveys, generate_surveys
    from telekam.org.tests.factories import UserFactory
    from telekam.service.models import SurveyImport, SurveyResponse

    UserFactory(username="desk", desk=True)
    accounts = [AccountFactory() for _i in range(40)]
    today = dt.date(2026, 12, 2)
    first = generate_surveys(seed=7, today=today)
    assert sorted(SurveyImport.objects.values_list("file_name", flat=True)) == [
        "2025年度大客户满意度调查.xlsx",
        "2026年度大客户满意度调查.xlsx",
    ]
    answers = first["survey_responses"]
    assert 30 < answers < 80  # about seven in ten of 40 accounts, twice
    assert generate_surveys(seed=7, today=today) == first  # re-run: nothing added
    assert set(SurveyResponse.objects.values_list("account_id", flat=True)) <= {
        a.pk for a in accounts
    }
    delete_surveys()
    assert generate_surveys(seed=7, today=dt.date(2026, 11, 1)) == {
        "survey_responses": SurveyResponse.objects.filter(survey__startswith="2025").count()
    }  # this year's survey day has not come yet
    assert not SurveyResponse.objects.filter(survey__startswith="2026").exists()
