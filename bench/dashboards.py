"""The dashboards at demo scale: each page rendered as its user gets it.

A throw-away var dir with `telekam migrate` and `telekam demo` (as bench/sla_standing.py
does); then, in this process on that SQLite database, through Django's test client (URL
routing, session, view, selectors, template; no network), N timed runs after one warm-up
of: the department head's dashboard for the month and for the year to date, a group
lead's, an AM's, and the head's drill-down from a KPI to its accounts. Prints the key
accounts in the book, the median and p95 in ms and the SQL queries of one run.
See bench/README.md. Exit status: 0, or 2 when the set-up failed."""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, not the checkout
    sys.path.insert(0, str(ROOT))

from bench.http_latency import SetupError, telekam  # noqa: E402
from bench.sla_standing import Figure, prepare_data, print_table, time_runs  # noqa: E402


def counted(work: Any) -> Any:
    """`work` with its SQL statements counted through an execute wrapper (the test client
    closes and reopens the connection around a request, which a query log does not
    survive); the count of the last call is in `counted.last`."""
    from django.db import connection

    def run() -> int:
        seen = [0]

        def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            seen[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(wrapper):
            rows = work()
        run.queries = seen[0]  # type: ignore[attr-defined]
        return int(rows)

    return run


DEMO_USERS = ("head", "lead_finance", "am_finance")


def measure(runs: int) -> list[Figure]:
    """The figures, on the database Django is configured for."""
    from django.test import Client

    from telekam.dashboards.kpis import key_accounts_visible_to
    from telekam.org.models import User

    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERS)}
    missing = set(DEMO_USERS) - set(users)
    if missing:
        raise SetupError(f"the demo has no user {', '.join(sorted(missing))}")

    def page(username: str, path: str) -> Any:
        client = Client(HTTP_HOST="localhost")
        client.force_login(users[username])
        accounts = key_accounts_visible_to(users[username]).count()

        def work() -> int:
            response = client.get(path)
            if response.status_code != 200:
                raise SetupError(f"{path} as {username}: HTTP {response.status_code}")
            return accounts

        return work

    pages = [
        ("head: dashboard, month", "head", "/dashboard/"),
        ("head: dashboard, year to date", "head", "/dashboard/?kind=year"),
        ("group lead: dashboard", "lead_finance", "/dashboard/"),
        ("AM: dashboard (home page)", "am_finance", "/dashboard/"),
        ("head: drill-down, revenue retention", "head", "/dashboard/kpi/retention_revenue/"),
    ]
    figures = []
    for name, username, path in pages:
        work = counted(page(username, path))
        figure = time_runs(name, runs, work)
        figures.append(dataclasses.replace(figure, queries=work.queries))
    return figures


def run(args: argparse.Namespace, var_dir: Path) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEKAM_DEBUG", "DATABASE_URL")}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.local", "TELEKAM_VAR_DIR": str(var_dir)}
    # The pages link their static files through the manifest: collect them in the var
    # dir (as bench/http_latency.py does), not in the checkout.
    env["TELEKAM_STATIC_ROOT"] = str(var_dir / "static")
    done = telekam(env, "collectstatic", "--noinput", "--verbosity", "0")
    if done.returncode != 0:
        raise SetupError(f"telekam collectstatic failed:\n{done.stderr[-2000:]}")
    if args.var_dir:
        print(f"» var dir {var_dir}: the demo data already there (migrated to this checkout)")
        done = telekam(env, "migrate", "--noinput", "--verbosity", "0")
        if done.returncode != 0:
            raise SetupError(f"telekam migrate failed:\n{done.stderr[-2000:]}")
    else:
        print(f"» var dir {var_dir}: migrate, demo data (scale {args.scale})")
        demo_s = prepare_data(env, args.scale, args.seed)
        print(f"» demo data generated in {demo_s:.1f} s")
    os.environ.pop("DATABASE_URL", None)  # measure on the demo's SQLite database
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        TELEKAM_VAR_DIR=str(var_dir),
        TELEKAM_STATIC_ROOT=env["TELEKAM_STATIC_ROOT"],
    )
    import django

    django.setup()
    from telekam.core import clock

    load = os.getloadavg()[0]
    print(
        f"» {args.runs} runs per page after one warm-up, in this process, on SQLite;"
        f" today {clock.today()}; {os.cpu_count()} CPU cores, load average {load:.2f}\n"
    )
    print_table(measure(args.runs))
    print("(rows: the key accounts in the user's book)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", default="1", help="passed to `telekam demo --scale`")
    parser.add_argument("--seed", help="passed to `telekam demo --seed`")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per page")
    parser.add_argument("--var-dir", help="an existing var dir with the demo data (kept)")
    parser.add_argument("--keep", action="store_true", help="keep the var dir")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    for signum in (signal.SIGINT, signal.SIGTERM):  # `kill` cleans up as Ctrl+C does
        signal.signal(signum, signal.default_int_handler)
    var_dir = (
        Path(args.var_dir) if args.var_dir else Path(tempfile.mkdtemp(prefix="telekam-bench-"))
    )
    try:
        return run(args, var_dir)
    except SetupError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if args.keep or args.var_dir:
            print(f"» kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
