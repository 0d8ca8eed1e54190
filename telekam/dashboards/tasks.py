"""Jobs of the dashboards on the job runner (huey; `telekam run_huey` consumes them)."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from telekam.core import clock
from telekam.dashboards.kpis import month_add
from telekam.dashboards.report import report_store


def previous_month(today: dt.date) -> dt.date:
    return month_add(today.replace(day=1), -1)


@db_periodic_task(crontab(day="2", hour="6", minute="30"))
def management_report_task() -> list[str]:
    """On the 2nd of each month: the department's management report of the month before
    (PDF and Excel in var/reports), and a notification to the department heads."""
    today = clock.today()
    return [str(path) for path in report_store(month=previous_month(today), today=today)]
