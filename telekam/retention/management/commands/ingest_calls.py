"""`telekam ingest-calls FILE...`: land call-record files (CSV or Parquet) in the lake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telekam.retention.models import RunStatus
from telekam.retention.services import call_signals_run, calls_ingest


class Command(BaseCommand):
    help = "Validate and land call-record files; bad rows are quarantined with the reason."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="CSV or Parquet call detail records")
        parser.add_argument("--signals", action="store_true", help="then run the call signal job")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = 0
        echo = self.stdout.write if options["verbosity"] >= 1 else None
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
            run = calls_ingest(path=path, echo=echo)
            if run.status == RunStatus.SKIPPED:
                self.stdout.write(
                    f"{path.name}: already ingested (run #{run.report.get('duplicate_of')}); nothing changed"
                )
            elif run.status == RunStatus.FAILED:
                failed += 1
                self.stderr.write(f"{path.name}: FAILED: {run.error}")
            else:
                reasons = ", ".join(
                    f"{k} {v}" for k, v in sorted(run.report.get("reasons", {}).items())
                )
                self.stdout.write(
                    f"{path.name}: {run.rows_in:,} rows, {run.rows_ok:,} landed, "
                    f"{run.rows_bad:,} quarantined{' (' + reasons + ')' if reasons else ''}; "
                    f"days {', '.join(sorted(run.report.get('days', {})))}; "
                    f"{run.rate or 0:,.0f} rows/s; run #{run.pk}"
                )
        if options["signals"]:
            run = call_signals_run(echo=echo)
            self.stdout.write(f"signals: {run.report}")
        if failed:
            raise CommandError(f"{failed} file(s) failed")
