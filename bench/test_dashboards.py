"""bench/dashboards.py run end to end at a tiny scale (its own throw-away SQLite var dir).
No timing asserted: the figures are printed, the query counts are checked."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(
    r"^(?P<name>.+?)\s+(?P<rows>\d+)\s+(?P<runs>\d+)\s+(?P<median>\d+\.\d+)\s+(?P<p95>\d+\.\d+)"
    r"\s+(?P<per_row>\d+\.\d+)\s+(?P<queries>\d+)$"
)


def test_prints_the_figures_at_a_tiny_scale() -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "dashboards.py"), "--scale", "0.02", "--runs", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {m["name"]: m for line in done.stdout.splitlines() if (m := ROW.match(line))}
    assert list(rows) == [
        "head: dashboard, month",
        "head: dashboard, year to date",
        "group lead: dashboard",
        "AM: dashboard (home page)",
        "head: drill-down, revenue retention",
    ]
    head, year, lead, am, _drill = rows.values()
    assert int(head["rows"]) > int(lead["rows"]) > int(am["rows"]) > 0
    assert all(int(r["runs"]) == 2 for r in rows.values())
    # A bounded number of queries per page, whatever the size of the book.
    assert all(int(r["queries"]) <= 25 for r in rows.values())
    assert head["queries"] == year["queries"]
