"""The one working-day calendar of the product: the Chinese statutory calendar.

A working day is Monday to Friday, except statutory holidays, plus the weekend days that
are working days by decree (调休). The exceptions are data (CalendarDay) for the years in
CalendarYear; a day in a year the calendar does not know is counted on plain weekends and
the answer says so (`provisional`), so a deadline is never silently wrong.

Deadlines and lateness are never counted in calendar days: SLA, delivery, callback and
warning due dates all come from here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from telekam.core.models import CalendarDay, CalendarYear

ONE_DAY = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class DateAnswer:
    date: dt.date
    provisional: bool  # some day counted lies in a year the calendar does not know yet


@dataclasses.dataclass(frozen=True)
class CountAnswer:
    days: int
    provisional: bool


class WorkingCalendar:
    """The calendar for a span of years, read in two queries."""

    def __init__(self, *, first_year: int, last_year: int) -> None:
        self.first_year, self.last_year = first_year, last_year
        self.known_years = set(
            CalendarYear.objects.filter(year__range=(first_year, last_year)).values_list(
                "year", flat=True
            )
        )
        self.exceptions = dict(
            CalendarDay.objects.filter(
                day__gte=dt.date(first_year, 1, 1), day__lte=dt.date(last_year, 12, 31)
            ).values_list("day", "is_working_day")
        )

    def _check_range(self, day: dt.date) -> None:
        if not self.first_year <= day.year <= self.last_year:
            raise ValueError(
                f"{day} is outside the loaded years {self.first_year}-{self.last_year}"
            )

    def is_known(self, day: dt.date) -> bool:
        return day.year in self.known_years

    def is_working_day(self, day: dt.date) -> bool:
        self._check_range(day)
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> DateAnswer:
        """The `days`-th working day after `start` (`start` itself not counted)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day, provisional, left = start, False, days
        while left:
            day += ONE_DAY
            provisional |= not self.is_known(day)
            if self.is_working_day(day):
                left -= 1
        return DateAnswer(date=day, provisional=provisional)

    def working_days_after(self, start: dt.date, end: dt.date) -> CountAnswer:
        """Working days in (start, end]: after `start`, up to and including `end`; 0 when
        `end` is not after `start`."""
        count, provisional, day = 0, False, start
        while day < end:
            day += ONE_DAY
            provisional |= not self.is_known(day)
            count += self.is_working_day(day)
        return CountAnswer(days=count, provisional=provisional)


def working_calendar(*, start: dt.date, end: dt.date | None = None) -> WorkingCalendar:
    """A calendar covering `start`..`end` plus a year of slack for deadlines that run on."""
    last = max(start, end or start)
    return WorkingCalendar(first_year=start.year, last_year=last.year + 1)
