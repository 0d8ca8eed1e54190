"""Jobs of the visit part on the job runner (huey)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from telekam.core import clock
from telekam.engagement.services import plan_generate


@db_periodic_task(crontab(day="1", hour="6", minute="0"))
def plan_month_task() -> dict[str, int]:
    """On the first of each month: plan the month's calls (and the quarter's visits)."""
    report = plan_generate(month=clock.today())
    return {"created": report.created, "existing": report.existing}
