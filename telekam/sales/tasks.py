"""Jobs of the sales part on the job runner (huey)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from telekam.core import clock
from telekam.sales.jobs import renewal_reminders


@db_periodic_task(crontab(hour="7", minute="30"))
def renewal_reminders_task() -> dict[str, int]:
    """Every morning: contracts within their renewal lead time."""
    return renewal_reminders(today=clock.today()).as_dict()
