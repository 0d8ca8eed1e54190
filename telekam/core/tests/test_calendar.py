"""The working-day calendar across the 2025 and 2026 Spring Festival and National Day
holidays, with their make-up working weekends. Expected dates are worked out by hand from
the State Council notices, not recomputed with the library."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telekam.core.calendar import WorkingCalendar, working_calendar
from telekam.core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def cal() -> WorkingCalendar:
    return working_calendar(start=D(2025, 1, 1), end=D(2026, 12, 31))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 1, 26), True),  # Sunday, make-up day before Spring Festival 2025
        (D(2025, 1, 28), False),  # New Year's Eve (Tuesday), holiday
        (D(2025, 2, 4), False),  # last day of the holiday (Tuesday)
        (D(2025, 2, 5), True),
        (D(2025, 2, 8), True),  # Saturday, make-up day
        (D(2025, 9, 28), True),  # Sunday, make-up day before National Day 2025
        (D(2025, 10, 8), False),  # Wednesday, last day of National Day + Mid-Autumn
        (D(2025, 10, 11), True),  # Saturday, make-up day
        (D(2025, 10, 12), False),  # ordinary Sunday
        (D(2026, 2, 14), True),  # Saturday, make-up day before Spring Festival 2026
        (D(2026, 2, 16), False),
        (D(2026, 2, 23), False),  # Monday, last day of the holiday
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),  # Saturday, make-up day
        (D(2026, 9, 20), True),  # Sunday, make-up day
        (D(2026, 9, 25), False),  # Mid-Autumn (Friday)
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),  # Saturday, make-up day
    ],
)
def test_working_days_around_the_long_holidays(cal, day, working):
    assert cal.is_working_day(day) is working


def test_deadline_across_spring_festival_2026(cal):
    # Accepted Friday 13 Feb 2026 (not counted). Working days: Sat 14 (make-up), then
    # 16-23 are holidays, Tue 24, Wed 25, Thu 26, Fri 27 -> the 5th is Fri 27 Feb.
    answer = cal.add_working_days(D(2026, 2, 13), 5)
    assert (answer.date, answer.provisional) == (D(2026, 2, 27), False)
    # 20 working days: 14, 24, 25, 26, 27, 28 (make-up Sat) = 6; March 2-6 (11), 9-13 (16),
    # 16-19 (20) -> Thu 19 Mar.
    assert cal.add_working_days(D(2026, 2, 13), 20).date == D(2026, 3, 19)


def test_deadline_across_national_day_2025(cal):
    # Accepted Tue 30 Sep 2025: Oct 1-8 off, Thu 9, Fri 10, Sat 11 (make-up), Mon 13, Tue 14.
    assert cal.add_working_days(D(2025, 9, 30), 5).date == D(2025, 10, 14)
    # Accepted Fri 26 Sep: Sun 28 (make-up), Mon 29, Tue 30, Thu 9 Oct, Fri 10 Oct.
    assert cal.add_working_days(D(2025, 9, 26), 5).date == D(2025, 10, 10)


def test_lateness_counts_working_days_after_the_deadline_up_to_activation(cal):
    # Deadline Tue 30 Sep 2025, activated Sat 11 Oct (a make-up working day):
    # Oct 9, 10, 11 -> 3 working days late.
    late = cal.working_days_after(D(2025, 9, 30), D(2025, 10, 11))
    assert (late.days, late.provisional) == (3, False)
    assert cal.working_days_after(D(2025, 9, 30), D(2025, 9, 30)).days == 0  # on time
    assert cal.working_days_after(D(2025, 9, 30), D(2025, 9, 29)).days == 0  # early
    assert cal.working_days_after(D(2025, 9, 30), D(2025, 10, 8)).days == 0  # holidays only
    assert cal.working_days_after(D(2025, 9, 30), D(2025, 10, 9)).days == 1  # one day late


def test_unknown_year_is_counted_on_weekends_and_flagged():
    cal = working_calendar(start=D(2026, 12, 28), end=D(2027, 1, 31))
    answer = cal.add_working_days(D(2026, 12, 30), 3)
    # Thu 31 Dec (known), then 2027 is not in the calendar yet: Fri 1 Jan, Mon 4 Jan.
    assert (answer.date, answer.provisional) == (D(2027, 1, 4), True)
    within = cal.add_working_days(D(2026, 12, 28), 2)
    assert within.provisional is False


def test_an_administrator_enters_a_new_year():
    CalendarYear.objects.create(year=2027, source="notice", notice="国办发明电〔2026〕x号")
    CalendarDay.objects.create(day=D(2027, 1, 1), is_working_day=False, name="元旦")
    cal = working_calendar(start=D(2026, 12, 28), end=D(2027, 1, 31))
    answer = cal.add_working_days(D(2026, 12, 30), 3)
    assert (answer.date, answer.provisional) == (D(2027, 1, 5), False)


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 10, 31)),
    days=st.integers(min_value=0, max_value=40),
)
def test_adding_then_counting_gives_the_same_number(start, days):
    cal = working_calendar(start=D(2025, 1, 1), end=D(2026, 12, 31))
    deadline = cal.add_working_days(start, days).date
    assert cal.working_days_after(start, deadline).days == days
    assert days == 0 or cal.is_working_day(deadline)
