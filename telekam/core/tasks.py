"""Jobs of the core app, run by the huey consumer (`telekam run_huey`)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from telekam.core import clock, services


@db_periodic_task(crontab(minute="*/10"))
def notification_mail_retry() -> int:
    """Every ten minutes: send the notification e-mails that failed when they were raised."""
    return services.notification_mail_pending(now=clock.now())
