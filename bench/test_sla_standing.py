"""bench/sla_standing.py run end to end at a tiny scale (its own throw-away SQLite var
dir, as it always does), and its synthetic batch on hand-made orders. No timing asserted."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

from bench.sla_standing import synthetic_orders
from telekam.service.models import ProvisioningOrder

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
        [sys.executable, str(ROOT / "bench" / "sla_standing.py"), "--scale", "0.02", "--runs", "3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {m["name"]: m for line in done.stdout.splitlines() if (m := ROW.match(line))}
    names = [re.sub(r"\d{4}-\d{2}$", "YYYY-MM", name) for name in rows]
    assert names == [
        "open orders: read + orders_standing",
        "circuits in use: read + circuits_month YYYY-MM",  # this month, on the real clock
        "synthetic 10x open orders: orders_standing only",
    ]
    orders, circuits, synthetic = rows.values()
    assert int(orders["rows"]) >= 2  # the demo always leaves a late and a due-soon order open
    assert int(synthetic["rows"]) == 10 * int(orders["rows"])
    assert int(circuits["rows"]) > 100
    assert all(int(r["runs"]) == 3 for r in rows.values())
    assert all(float(r["p95"]) >= 0 and float(r["median"]) >= 0 for r in rows.values())
    # A fixed number of queries whatever the rows: the orders and the calendar (year and
    # days); the circuits, the policies and the outages; the calendar alone in memory.
    assert [int(r["queries"]) for r in rows.values()] == [3, 3, 2]
    assert "demo data generated in" in done.stdout
    assert "below their availability promise" in done.stdout


def test_synthetic_batch_copies_each_order_a_week_earlier_per_copy() -> None:
    day = dt.date(2026, 11, 2)
    originals = [
        ProvisioningOrder(pk=7, accepted_on=day, deadline=day + dt.timedelta(days=28)),
        ProvisioningOrder(pk=9, accepted_on=day, deadline=day + dt.timedelta(days=7)),
    ]
    batch = synthetic_orders(originals, 3)
    assert [o.pk for o in batch] == [10, 11, 12, 13, 14, 15]
    assert [o.accepted_on for o in batch] == [day, day] + [day - dt.timedelta(weeks=1)] * 2 + [
        day - dt.timedelta(weeks=2)
    ] * 2
    assert [(o.deadline - o.accepted_on).days for o in batch] == [28, 7] * 3
    assert [o.pk for o in originals] == [7, 9]  # the originals are untouched
    assert originals[0].accepted_on == day
