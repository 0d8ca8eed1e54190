"""Recomputing the SLA standing at demo scale: every open order against its deadline and
every circuit in use against its availability promise for the current month.

A throw-away var dir with `telekam migrate` and `telekam demo` (timed), as
bench/http_latency.py does; then, in this process on that SQLite database, N timed runs of
each measure after one warm-up: the open orders read and passed to
`selectors.orders_standing`, the circuits in use read and passed to
`selectors.circuits_month` for this month, and (when the demo has fewer than
SYNTHETIC_BELOW open orders) `orders_standing` over a synthetic batch ten times the open
orders, built in memory and never saved, so the per-order cost can be read at a size the
demo does not reach. Prints the row counts, the median and p95 in ms, the cost per row and
the SQL queries of one run. See bench/README.md. Exit status: 0, or 2 when the set-up failed.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import datetime as dt
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, not the checkout
    sys.path.insert(0, str(ROOT))

from bench.http_latency import SetupError, percentile, telekam  # noqa: E402

SYNTHETIC_BELOW = 1000  # open orders under which the 10x batch is timed too
SYNTHETIC_FACTOR = 10


@dataclasses.dataclass(frozen=True)
class Figure:
    name: str
    rows: int
    runs: int
    median_ms: float
    p95_ms: float
    queries: int
    note: str = ""

    @property
    def us_per_row(self) -> float:
        return self.median_ms * 1000 / self.rows if self.rows else 0.0


def time_runs(name: str, runs: int, work: Callable[[], int], note: str = "") -> Figure:
    """`work` once to warm up, once counting its queries, then `runs` times on the clock.
    `work` returns the number of rows it handled."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    work()
    with CaptureQueriesContext(connection) as captured:
        rows = work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return Figure(
        name,
        rows,
        runs,
        statistics.median(times),
        percentile(times, 95),
        len(captured.captured_queries),
        note,
    )


def synthetic_orders(orders: list[Any], factor: int) -> list[Any]:
    """`factor` unsaved copies of each order, the k-th copy accepted k weeks earlier (so
    the batch spans on-track, due-soon and late orders), with ids of their own."""
    batch = []
    next_id = max((o.pk for o in orders), default=0) + 1
    for k in range(factor):
        shift = dt.timedelta(weeks=k)
        for order in orders:
            twin = copy.copy(order)
            twin.pk = next_id
            twin.accepted_on, twin.deadline = order.accepted_on - shift, order.deadline - shift
            next_id += 1
            batch.append(twin)
    return batch


def measure(runs: int) -> list[Figure]:
    """The figures, on the database Django is configured for."""
    from telekam.accounts.models import ServiceInUse, ServiceStatus
    from telekam.core import clock
    from telekam.service.models import OrderStatus, ProvisioningOrder
    from telekam.service.selectors import circuits_month, orders_standing

    today = clock.today()
    month = today.replace(day=1)

    def open_orders() -> list[Any]:
        return list(ProvisioningOrder.objects.filter(status=OrderStatus.OPEN))

    def standing() -> int:
        return len(orders_standing(orders=open_orders(), today=today))

    def circuits() -> int:
        services = ServiceInUse.objects.filter(status=ServiceStatus.ACTIVE, activated_on__lte=today)
        return len(circuits_month(services=services, month=month))

    orders = open_orders()
    states = Counter(s.state.value for s in orders_standing(orders=orders, today=today).values())
    services = ServiceInUse.objects.filter(status=ServiceStatus.ACTIVE, activated_on__lte=today)
    missed = sum(not row.met for row in circuits_month(services=services, month=month))
    figures = [
        time_runs(
            "open orders: read + orders_standing",
            runs,
            standing,
            ", ".join(f"{state} {n}" for state, n in sorted(states.items())),
        ),
        time_runs(
            f"circuits in use: read + circuits_month {month:%Y-%m}",
            runs,
            circuits,
            f"{missed} below their availability promise",
        ),
    ]
    if len(orders) < SYNTHETIC_BELOW:
        batch = synthetic_orders(orders, SYNTHETIC_FACTOR)
        figures.append(
            time_runs(
                f"synthetic {SYNTHETIC_FACTOR}x open orders: orders_standing only",
                runs,
                lambda: len(orders_standing(orders=batch, today=today)),
                "in memory, not saved",
            )
        )
    return figures


def print_table(figures: list[Figure]) -> None:
    width = max(len(f.name) for f in figures)
    print(
        f"{'measure':<{width}}  {'rows':>6} {'runs':>5} {'median':>8} {'p95':>8} {'µs/row':>8} {'queries':>7}"
    )
    for f in figures:
        print(
            f"{f.name:<{width}}  {f.rows:>6} {f.runs:>5} {f.median_ms:>8.2f} {f.p95_ms:>8.2f}"
            f" {f.us_per_row:>8.1f} {f.queries:>7}"
        )
    print("(ms; queries: SQL statements of one run)")
    for f in figures:
        if f.note:
            print(f"  {f.name}: {f.note}")


def prepare_data(env: dict[str, str], scale: str, seed: str | None) -> float:
    """Migrate and generate the demo data; the demo's time in s."""
    done = telekam(env, "migrate", "--noinput", "--verbosity", "0")
    if done.returncode != 0:
        raise SetupError(f"telekam migrate failed:\n{done.stderr[-2000:]}")
    demo = ["demo", "--scale", scale, *(["--seed", seed] if seed else [])]
    start = time.perf_counter()
    done = telekam(env, *demo)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SetupError(f"telekam demo failed:\n{done.stdout[-1000:]}{done.stderr[-2000:]}")
    counts = next((line for line in done.stdout.splitlines() if "：" in line and "秒" in line), "")
    print(f"  {counts.strip()}")
    return seconds


def run(args: argparse.Namespace, var_dir: Path) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEKAM_DEBUG", "DATABASE_URL")}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.local", "TELEKAM_VAR_DIR": str(var_dir)}
    print(f"» var dir {var_dir}: migrate, demo data (scale {args.scale})")
    demo_s = prepare_data(env, args.scale, args.seed)
    print(f"» demo data generated in {demo_s:.1f} s")
    os.environ.pop("DATABASE_URL", None)  # measure on the demo's SQLite database
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings.local", TELEKAM_VAR_DIR=str(var_dir))
    import django

    django.setup()
    from telekam.core import clock

    load = os.getloadavg()[0]
    print(
        f"» {args.runs} runs per measure after one warm-up, in this process, on SQLite;"
        f" today {clock.today()}; {os.cpu_count()} CPU cores, load average {load:.2f}\n"
    )
    print_table(measure(args.runs))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", default="1", help="passed to `telekam demo --scale`")
    parser.add_argument("--seed", help="passed to `telekam demo --seed`")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per measure")
    parser.add_argument("--keep", action="store_true", help="keep the var dir")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    for signum in (signal.SIGINT, signal.SIGTERM):  # `kill` cleans up as Ctrl+C does
        signal.signal(signum, signal.default_int_handler)
    var_dir = Path(tempfile.mkdtemp(prefix="telekam-bench-"))
    try:
        return run(args, var_dir)
    except SetupError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"» kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
