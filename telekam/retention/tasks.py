"""Jobs of the churn part on the job runner (huey): every morning, land the call-record
files the gateway exchange dropped in the inbox, bring the signals up to date and raise
warnings; every Monday, retrain the risk model."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from telekam.core import clock
from telekam.retention.services import (
    call_signals_run,
    calls_ingest,
    risk_model_train,
    spend_signals_run,
)
from telekam.retention.services.calls import lake

CALL_FILE_SUFFIXES = (".csv", ".parquet", ".txt", ".cdr")


def inbox() -> Path:
    return lake().root / "inbox"


def inbox_ingest() -> dict[str, int]:
    """Land every file in the inbox; move each to inbox/done or inbox/failed after."""
    counts = {"done": 0, "skipped": 0, "failed": 0}
    folder = inbox()
    if not folder.is_dir():
        return counts
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.suffix.lower() not in CALL_FILE_SUFFIXES:
            continue
        run = calls_ingest(path=path)
        outcome = {"done": "done", "skipped": "skipped"}.get(str(run.status), "failed")
        counts[outcome] += 1
        target = folder / ("failed" if outcome == "failed" else "done")
        target.mkdir(exist_ok=True)
        shutil.move(str(path), target / path.name)
    return counts


@db_periodic_task(crontab(hour="5", minute="30"))
def churn_signals_task() -> dict[str, Any]:
    landed = inbox_ingest()
    calls = call_signals_run()
    spend = spend_signals_run()
    return {"landed": landed, "calls": calls.report, "spend": spend.report}


@db_periodic_task(crontab(day_of_week="1", hour="6", minute="30"))
def risk_model_task() -> dict[str, Any]:
    run = risk_model_train(today=clock.today())
    return {"status": run.status, "report": run.report}
