import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from telekam.core.calendar import working_calendar
from telekam.core.models import AuditEntry, CalendarDay, CalendarYear
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

D = dt.date
NOTICE_2027 = {
    "year": 2027,
    "notice": "国办发明电〔2026〕1号",
    "holidays": "2027-01-01 元旦\n2027-02-06..2027-02-12 春节\n",
    "workdays": "2027-02-13 春节调休\n",
}


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def test_admin_enters_a_new_years_notice():
    client = login(UserFactory(admin=True))
    response = client.post(reverse("calendar"), NOTICE_2027)
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).notice == "国办发明电〔2026〕1号"
    days = dict(CalendarDay.objects.filter(day__year=2027).values_list("day", "is_working_day"))
    # Sat 6 and Sun 7 Feb are weekends anyway: only the weekdays are stored as holidays.
    assert days == {
        D(2027, 1, 1): False, D(2027, 2, 8): False, D(2027, 2, 9): False, D(2027, 2, 10): False,
        D(2027, 2, 11): False, D(2027, 2, 12): False, D(2027, 2, 13): True,
    }  # fmt: skip
    assert AuditEntry.objects.filter(target_type="core.calendaryear").count() == 1
    cal = working_calendar(start=D(2027, 2, 5))
    answer = cal.add_working_days(D(2027, 2, 5), 2)  # Sat 13 (make-up), Mon 15
    assert (answer.date, answer.provisional) == (D(2027, 2, 15), False)
    # Editing shows what is stored, and saving again replaces it.
    page = client.get(reverse("calendar"), {"year": 2027}).content.decode()
    assert "2027-02-13 春节调休" in page
    client.post(reverse("calendar"), {**NOTICE_2027, "workdays": ""})
    assert not CalendarDay.objects.filter(day__year=2027, is_working_day=True).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"workdays": "2027-02-15 周一"}, "调休上班日应是周六或周日"),
        ({"holidays": "2026-12-31 元旦"}, "不属于 2027 年的日期"),
        ({"holidays": "二月初八"}, "无法识别"),
        ({"holidays": "2027-02-12..2027-02-06"}, "日期区间无效"),
        ({"workdays": "2027-02-13\n", "holidays": "2027-02-13"}, "同一天不能既放假又上班"),
    ],
)
def test_bad_notice_is_refused_and_nothing_changes(change, message):
    client = login(UserFactory(admin=True))
    response = client.post(reverse("calendar"), {**NOTICE_2027, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(day__year=2027).exists()


@pytest.mark.parametrize("trait", [{}, {"head": True}, {"desk": True}])
def test_only_the_administrator_edits_the_calendar(trait):
    client = login(UserFactory(**trait))
    assert client.get(reverse("calendar")).status_code == 403
    assert client.post(reverse("calendar"), NOTICE_2027).status_code == 403
    assert not CalendarYear.objects.filter(year=2027).exists()
