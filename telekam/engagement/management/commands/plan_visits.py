"""`telekam plan-visits [--month YYYY-MM]`: plan the month's calls and the quarter's visits
every account is owed (idempotent; the job runner does it on the 1st of each month)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telekam.core import clock
from telekam.engagement.services import plan_generate


class Command(BaseCommand):
    help = "按走访标准生成当月电话和当季拜访计划（可重复运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: this month)")

    def handle(self, *args: Any, **options: Any) -> None:
        month = clock.today().replace(day=1)
        if options.get("month"):
            try:
                month = dt.datetime.strptime(options["month"], "%Y-%m").date()  # noqa: DTZ007
            except ValueError:
                raise CommandError(f"月份格式应为 YYYY-MM：{options['month']}") from None
        report = plan_generate(month=month)
        self.stdout.write(
            json.dumps(
                {"month": f"{month:%Y-%m}", "created": report.created, "existing": report.existing}
            )
        )
