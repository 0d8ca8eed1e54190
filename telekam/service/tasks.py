"""Jobs of the service desk on the job runner (huey; `telekam run_huey` consumes them)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from telekam.core import clock
from telekam.service.jobs import sla_sweep


@db_periodic_task(crontab(minute="*/10"))
def sla_sweep_task() -> dict[str, int]:
    """Every ten minutes: deadlines, callbacks owed, warnings before a breach."""
    return sla_sweep(now=clock.now()).as_dict()
