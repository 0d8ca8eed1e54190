"""`telekam churn-signals`: bring the call aggregates up to date and raise warnings."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telekam.analytics.engine import ENGINES, EngineError
from telekam.retention.services import call_signals_run, spend_signals_run


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from exc


class Command(BaseCommand):
    help = (
        "Aggregate the call records of the days that changed, evaluate the weeks and raise "
        "or update churn warnings; with --spend also the monthly spend signals."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--engine", choices=ENGINES, help="default: TELEKAM_ANALYTICS_ENGINE or duckdb"
        )
        parser.add_argument(
            "--as-of", help="evaluate the weeks ending on this day (default: last day with calls)"
        )
        parser.add_argument(
            "--day",
            action="append",
            default=None,
            help="match this day's calls again to the lines in use and re-aggregate it (repeatable)",
        )
        parser.add_argument("--spend", action="store_true", help="also run the spend signals")

    def handle(self, *args: Any, **options: Any) -> None:
        echo = self.stdout.write if options["verbosity"] >= 1 else None
        days = [_day(d) for d in options["day"]] if options["day"] else None
        as_of = _day(options["as_of"]) if options["as_of"] else None
        try:
            run = call_signals_run(engine=options["engine"], days=days, as_of=as_of, echo=echo)
        except EngineError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"call signals (run #{run.pk}, {run.engine}): {json.dumps(run.report)}")
        if options["spend"]:
            run = spend_signals_run(echo=echo)
            self.stdout.write(f"spend signals (run #{run.pk}): {json.dumps(run.report)}")
