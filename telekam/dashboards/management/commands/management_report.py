"""`telekam management-report [--month YYYY-MM]`: build the department's monthly management
report (PDF and Excel in var/reports) and notify the department heads; the job runner does
it on the 2nd of each month for the month before. Re-running overwrites the same files."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telekam.core import clock
from telekam.dashboards.tasks import previous_month


class Command(BaseCommand):
    help = "生成全部门的大客户经营月报（PDF 和 Excel，存于 var/reports），并通知部门经理。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: last month)")

    def handle(self, *args: Any, **options: Any) -> None:
        from telekam.dashboards.report import report_store

        today = clock.today()
        month = previous_month(today)
        if options.get("month"):
            try:
                month = dt.datetime.strptime(options["month"], "%Y-%m").date()  # noqa: DTZ007
            except ValueError:
                raise CommandError(f"月份格式应为 YYYY-MM：{options['month']}") from None
        paths = report_store(month=month, today=today)
        if not paths:
            raise CommandError("没有在岗的部门经理、经营分析或系统管理员，月报未生成。")
        for path in paths:
            self.stdout.write(str(path))
