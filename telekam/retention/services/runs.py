"""The bookkeeping every data run shares: a Run row written as soon as it starts (so the
runs page shows it while it works), progress written at most once a second, the report
and the end written when it finishes, and a failure recorded instead of lost."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from telekam.core import clock
from telekam.retention.models import Run, RunStatus

Echo = Callable[[str], None]


class RunProgress:
    """Updates the run's counters and progress; prints a line to `echo` (the command line)."""

    def __init__(self, run: Run, echo: Echo | None = None) -> None:
        self.run = run
        self.echo = echo
        self._last = 0.0
        self._started = time.monotonic()

    def __call__(self, *, rows: int | None = None, files: int | None = None,
                 done: float | None = None, stage: str = "", force: bool = False) -> None:  # fmt: skip
        run = self.run
        if rows is not None:
            run.rows_in = rows
        if files is not None:
            run.files = files
        if done is not None:
            run.progress = max(0, min(100, round(done * 100)))
        now = time.monotonic()
        if not force and now - self._last < 1.0:
            return
        self._last = now
        Run.objects.filter(pk=run.pk).update(
            rows_in=run.rows_in, files=run.files, progress=run.progress
        )
        if self.echo:
            secs = max(now - self._started, 1e-6)
            self.echo(
                f"{stage or run.kind}: {run.progress:3d}%  files {run.files}  rows {run.rows_in:,}"
                f"  {run.rows_in / secs:,.0f} rows/s"
            )


@contextmanager
def run_recorded(
    *, kind: str, actor: Any = None, source: str = "", echo: Echo | None = None, **fields: Any
) -> Iterator[RunProgress]:
    """Create the Run, yield its progress; on leaving, mark it DONE (or FAILED with the
    error, which is then raised again). Not inside a transaction: the row must be visible
    while the run works."""
    run = Run.objects.create(
        kind=kind,
        source=source[:255],
        started_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    progress = RunProgress(run, echo)
    try:
        yield progress
    except Exception as exc:
        run.status = RunStatus.FAILED
        run.error = str(exc)[:2000] or exc.__class__.__name__
        run.finished_at = clock.now()
        run.save()
        raise
    else:
        if run.status == RunStatus.RUNNING:
            run.status = RunStatus.DONE
        run.progress = 100
        run.finished_at = clock.now()
        run.save()
