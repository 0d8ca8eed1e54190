"""The call-signal job at the issue's scale: 50 million call records over 4 weeks.

Generates ~2 million calling lines (a quarter of them the lines of ~20k key accounts) and
the call records of 28 days as the ingest lays them out (`calls/day=YYYY-MM-DD/`, same
schema, sort and Parquet options), then times, each in its own subprocess with 2 threads:

- **job**: what the product runs (`retention.services.calls.call_signals_run`):
  `aggregate_days` on DuckDB (`engine.connect("duckdb", threads=2)`), each day's
  aggregate written as Parquet, then `weekly_series` over the 28 aggregates;
- **pandas**: the analyst's baseline, the same computation in plain pandas (pyarrow
  reader): read the columns, keep the accounts' calls, group by day, account and
  carrier, then by week;
- **floor**: merely decoding the columns the job reads (account_id, duration_s,
  competitor, long_distance) with DuckDB and a trivial aggregate;
- **match**: not part of the job but paid at ingest: matching each day's calls to the
  accounts' lines (`ingest.match_day`, the ingest's join and sort), shown so that the
  job's figure hides nothing.

The job's and the baseline's weekly series must equal the generator's own (numpy)
totals. Prints rows, seconds, million rows/s, the ratios to the floor and to pandas,
peak RSS and the goals; writes bench/results/churn_signals.json. See bench/README.md.
Exit status: 0 when the results agree (a missed goal is a finding), 1 when they do not,
2 when a step failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, not the checkout
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from telekam.analytics.calls import WEEKLY_SCHEMA  # noqa: E402
from telekam.analytics.ingest import CALLS_PARQUET, CALLS_SCHEMA  # noqa: E402
from telekam.analytics.lake import Lake  # noqa: E402

THREADS = 2
RESULTS = ROOT / "bench" / "results" / "churn_signals.json"
DAYS = 28
WEEKS = 4
AS_OF = dt.date(2025, 3, 2)
READ_COLUMNS = ["account_id", "duration_s", "competitor", "long_distance"]  # what the job reads

GOAL_RATE = 20.0  # million call records per second
AIM_RATE = 25.0
GOAL_FLOOR = 1.5  # job seconds / floor seconds at most
GOAL_PANDAS = 3.0  # pandas seconds / job seconds at least
GOAL_MB = 1024.0

# Called numbers: (first digits, share, long distance when dialled without a prefix).
CALLED = [("139", 0.60, False), ("010", 0.25, False), ("021", 0.10, True), ("00852", 0.05, True)]
PREFIXES = {1: "17911", 2: "17931"}  # a competitor's IP prefix: long distance by that carrier
TRUNKS = {0: "CT", 1: "CU", 2: "CM"}


def shape(rows: int) -> dict[str, int]:
    """Lines and accounts in the issue's proportions (2M lines, 500k on 20k accounts at
    50M records), scaled down with --rows."""
    lines = max(1000, rows // 25)
    account_lines = lines // 4
    return {
        "lines": lines,
        "account_lines": account_lines,
        "accounts": max(10, account_lines // 25),
    }


def days() -> list[dt.date]:
    return [AS_OF - dt.timedelta(days=DAYS - 1 - i) for i in range(DAYS)]


def generate(root: Path, rows: int, seed: int) -> pa.Table:
    """Write the lake's call files and `lines.parquet`; return the expected weekly series,
    computed here with numpy."""
    import duckdb

    rng = np.random.default_rng(seed)
    sizes = shape(rows)
    n_lines = sizes["lines"]
    numbers = pc.cast(
        pa.array(13_000_000_000 + np.arange(n_lines, dtype=np.int64) * 487), pa.string()
    )
    account_of = np.full(n_lines, -1, dtype=np.int64)
    owned = rng.permutation(n_lines)[: sizes["account_lines"]]
    account_of[owned] = 1000 + rng.permutation(np.arange(len(owned)) % sizes["accounts"])
    lines = pa.table(
        {"line": numbers.take(pa.array(np.sort(owned))), "account_id": account_of[np.sort(owned)]}
    )
    root.mkdir(parents=True, exist_ok=True)
    pq.write_table(lines, root / "lines.parquet")

    pool_size = 50_000
    kind = rng.choice(len(CALLED), pool_size, p=[c[1] for c in CALLED])
    heads = np.array([c[0] for c in CALLED], dtype=object)[kind]
    tails = pc.utf8_slice_codeunits(
        pc.cast(pa.array(rng.integers(10**8, 10**9, pool_size)), pa.string()), 1
    )
    called_pool = pc.binary_join_element_wise(pa.array(heads, pa.string()), tails, "")
    called_ld = np.array([c[2] for c in CALLED])[kind]

    prefix_names = pa.array(["", *PREFIXES.values()])
    trunk_names = pa.array([*TRUNKS.values(), ""])
    lake = Lake(root)
    per_day = np.full(DAYS, rows // DAYS)
    per_day[: rows % DAYS] += 1
    n_acc = sizes["accounts"]
    expected = np.zeros((WEEKS, n_acc, 3, 3), dtype=np.int64)  # calls, seconds, ld_seconds
    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    for i, day in enumerate(days()):
        n = int(per_day[i])
        line = rng.integers(0, n_lines, n)
        start = rng.integers(0, 86_400, n)
        # The ingest's sort: account_id (NULLs last), calling_line, call_start.
        owner = np.where(account_of[line] >= 0, account_of[line], np.iinfo(np.int64).max)
        order = np.lexsort((start, line, owner))
        line, start = line[order], start[order]
        duration = np.minimum(rng.exponential(90.0, n), 86_400).astype(np.int32)
        competitor = rng.choice(3, n, p=[0.7, 0.15, 0.15]).astype(np.uint8)
        by_prefix = (competitor > 0) & (rng.random(n) < 0.3)
        called = rng.integers(0, pool_size, n)
        long_distance = by_prefix | called_ld[called]
        prefix = prefix_names.take(np.where(by_prefix, competitor, 0))
        trunk = trunk_names.take(np.where(by_prefix, 3, competitor))
        midnight = np.datetime64(day.isoformat(), "us")
        table = pa.table(
            {
                "call_start": pa.array(midnight + start.astype("timedelta64[s]")),
                "calling_line": numbers.take(pa.array(line)),
                "called_number": called_pool.take(pa.array(called)),
                "dialled_prefix": prefix,
                "trunk_carrier": trunk,
                "duration_s": duration,
                "charge_fen": duration.astype(np.int64) * 2,
                "competitor": competitor,
                "long_distance": long_distance,
                "account_id": pa.array(account_of[line], mask=account_of[line] < 0),
            }
        ).cast(CALLS_SCHEMA)
        path = lake.calls_day(day)
        path.mkdir(parents=True, exist_ok=True)
        con.register("day_calls", table)
        con.execute(f"COPY day_calls TO '{path / 'bench.parquet'}' ({CALLS_PARQUET})")
        con.unregister("day_calls")

        acc = account_of[line]
        mine = acc >= 0
        flat = (acc[mine] - 1000) * 3 + competitor[mine]
        secs = duration[mine].astype(np.float64)
        for k, weights in enumerate((None, secs, secs * long_distance[mine])):
            counted = np.bincount(flat, weights, n_acc * 3).round().astype(np.int64)
            expected[(AS_OF - day).days // 7, :, :, k] += counted.reshape(n_acc, 3)
    con.close()
    # A row wherever the account made calls with that carrier in that week.
    week_idx, acc_idx, comp_idx = np.nonzero(expected[..., 0])
    return _sorted_rows(
        account_id=acc_idx + 1000,
        week=week_idx,
        competitor=comp_idx,
        seconds=expected[week_idx, acc_idx, comp_idx, 1],
        ld_seconds=expected[week_idx, acc_idx, comp_idx, 2],
    )


def _sorted_rows(**columns: Any) -> pa.Table:
    table = pa.table({k: np.asarray(v) for k, v in columns.items()})
    table = table.select(WEEKLY_SCHEMA.names).cast(WEEKLY_SCHEMA)
    return table.sort_by(
        [("account_id", "ascending"), ("week", "ascending"), ("competitor", "ascending")]
    )


# --- the three computations (each run in its own process by `measure`) ---------------------


def run_job(root: Path, out: Path) -> int:
    """What `call_signals_run` does: every day's aggregate (a week per query), then the
    weekly series."""
    from telekam.analytics import calls, engine

    lake = Lake(root)
    con = engine.connect("duckdb", threads=THREADS)
    calls.aggregate_days(con, lake=lake, days=lake.calls_days())
    first = AS_OF - dt.timedelta(days=7 * WEEKS - 1)
    weekly = calls.weekly_series(
        con, daily_files=lake.daily_files(first, AS_OF), as_of=AS_OF, weeks=WEEKS
    )
    pq.write_table(weekly, out)
    return _total_rows(lake)


def run_pandas(root: Path, out: Path) -> int:
    import pandas as pd

    columns = [*READ_COLUMNS, "day"]
    calls = pd.read_parquet(root / "calls", engine="pyarrow", columns=columns)
    rows = len(calls)
    merged = calls[calls["account_id"].notna()].copy()
    del calls
    merged["day"] = pd.to_datetime(merged["day"].astype(str)).dt.date
    merged["account_id"] = merged["account_id"].astype("int64")
    merged["ld_seconds"] = merged["duration_s"].where(merged["long_distance"], 0)
    daily = (
        merged.groupby(["day", "account_id", "competitor"], observed=True)
        .agg(
            calls=("duration_s", "size"),
            seconds=("duration_s", "sum"),
            ld_calls=("long_distance", "sum"),
            ld_seconds=("ld_seconds", "sum"),
        )
        .reset_index()
    )
    daily["week"] = daily["day"].map(lambda d: (AS_OF - d).days // 7)
    weekly = (
        daily.groupby(["account_id", "week", "competitor"])[["seconds", "ld_seconds"]]
        .sum()
        .reset_index()
    )
    table = pa.Table.from_pandas(weekly, preserve_index=False)
    pq.write_table(table.select(WEEKLY_SCHEMA.names).cast(WEEKLY_SCHEMA), out)
    return rows


def run_floor(root: Path, out: Path) -> int:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    glob = str(root / "calls" / "*" / "*.parquet")
    query = (
        "SELECT count(*), sum(duration_s), sum(CASE WHEN long_distance THEN duration_s END),"
        " max(competitor), count(account_id)"
        " FROM read_parquet(?, hive_partitioning = false)"
    )
    rows, seconds, ld_seconds, _competitor, matched = con.execute(query, [glob]).fetchone()  # type: ignore[misc]
    out.write_text(
        json.dumps(
            {
                "rows": rows,
                "seconds": int(seconds),
                "ld_seconds": int(ld_seconds),
                "matched": matched,
            }
        )
    )
    return int(rows)


def _total_rows(lake: Lake) -> int:
    return sum(
        pq.ParquetFile(f).metadata.num_rows
        for day in lake.calls_days()
        for f in lake.call_files(day)
    )


def run_match(root: Path, out: Path) -> int:
    """The ingest's matching of each day's calls to the lines, as `match_day` does it."""
    from telekam.analytics.ingest import match_day

    lake = Lake(root)
    lines = pq.read_table(root / "lines.parquet")
    files = sum(match_day(lake, day, lines) for day in lake.calls_days())
    rows = _total_rows(lake)  # after the clock: the caller stops it on return
    out.write_text(json.dumps({"files": files}))
    return rows


COMPUTATIONS = {"floor": run_floor, "job": run_job, "pandas": run_pandas, "match": run_match}


def child(name: str, root: Path, out: Path) -> None:
    """Entry point of a measuring subprocess: print {"rows", "seconds", "peak_mb"} as JSON.
    The libraries it uses are imported before the clock starts (a product process has them
    loaded already)."""
    warm_up(name)
    pa.set_cpu_count(THREADS)
    pa.set_io_thread_count(THREADS)
    started = time.perf_counter()
    rows = COMPUTATIONS[name](root, out)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_mb()}))


def warm_up(name: str) -> None:
    if name == "job":
        import ibis
        import pandas

        from telekam.analytics import calls

        ibis.duckdb.connect().disconnect()  # loads the backend's modules (~0.8 s)
        calls.prepare(weeks=(WEEKS,))  # a worker compiles its queries once
    elif name == "pandas":
        import pandas  # noqa: F401
    else:
        import duckdb  # noqa: F401


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM). Not getrusage of the child from the
    parent: a forked child's maxrss starts at the parent's RSS at the fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, root: Path, out: Path) -> dict[str, Any]:
    """Run one computation in a fresh interpreter (so the peak memory is its own)."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(THREADS)
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, "--dir", str(root), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{name} failed with exit status {done.returncode}: {done.stderr[-2000:]}"
        )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def compare(expected: pa.Table, root: Path, outs: dict[str, Path]) -> list[str]:
    """What disagrees with the generator's totals (empty when all agree)."""
    problems = []
    for name in ("job", "pandas"):
        got = pq.read_table(outs[name]).cast(WEEKLY_SCHEMA)
        got = got.sort_by([(c, "ascending") for c in ("account_id", "week", "competitor")])
        if not got.equals(expected):
            problems.append(
                f"{name}: weekly series differs from the generator's ({got.num_rows} rows, expected {expected.num_rows})"
            )
    floor = json.loads(outs["floor"].read_text())
    total = {
        "seconds": pc.sum(expected["seconds"]).as_py(),
        "ld_seconds": pc.sum(expected["ld_seconds"]).as_py(),
    }
    if floor["seconds"] < total["seconds"] or floor["ld_seconds"] < total["ld_seconds"]:
        problems.append(f"floor: totals {floor} below the accounts' {total}")
    if "match" in outs:
        # The ingest's matching must give the accounts the generator gave.
        rematched = json.loads(run_floor_json(root))["matched"]
        if rematched != floor["matched"]:
            problems.append(f"match: {rematched} calls matched, the generator's {floor['matched']}")
    return problems


def run_floor_json(root: Path) -> str:
    out = root / "out-floor-after-match.json"
    run_floor(root, out)
    return out.read_text()


def report(rows: int, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    floor_s = results["floor"]["seconds"]
    pandas_s = results["pandas"]["seconds"]
    job = results["job"]
    rate = rows / job["seconds"] / 1e6
    print(
        f"{'computation':<10} {'rows':>12} {'seconds':>8} {'Mrows/s':>8} {'x floor':>8} {'x pandas':>9} {'peak MB':>8}"
    )
    for name in ("floor", "job", "pandas", "match"):
        r = results[name]
        print(
            f"{name:<10} {rows:>12,} {r['seconds']:>8.2f} {rows / r['seconds'] / 1e6:>8.1f}"
            f" {r['seconds'] / floor_s:>8.2f} {r['seconds'] / pandas_s:>9.2f} {r['peak_mb']:>8.0f}"
        )
    print(
        "  (match: the ingest's matching of calls to lines, paid when files land, not by the job)"
    )
    goals = {
        f"job >= {GOAL_RATE:.0f} M rows/s (aim {AIM_RATE:.0f})": rate >= GOAL_RATE,
        f"job within {GOAL_FLOOR}x the floor": job["seconds"] <= GOAL_FLOOR * floor_s,
        f"job >= {GOAL_PANDAS:.0f}x faster than pandas": pandas_s >= GOAL_PANDAS * job["seconds"],
        f"job peak < {GOAL_MB:.0f} MB": job["peak_mb"] < GOAL_MB,
    }
    for goal, held in goals.items():
        print(f"  {'yes' if held else 'NO ':<3}  {goal}")
    return {"rate_mrows_s": rate, "aim_held": rate >= AIM_RATE, "goals": goals}


def run(args: argparse.Namespace, root: Path) -> int:
    print(f"» generating {args.rows:,} call records over {DAYS} days in {root}")
    started = time.perf_counter()
    expected = generate(root, args.rows, args.seed)
    print(f"» generated in {time.perf_counter() - started:.1f} s: {shape(args.rows)}")
    outs = {
        "job": root / "out-job.parquet",
        "pandas": root / "out-pandas.parquet",
        "floor": root / "out-floor.json",
        "match": root / "out-match.json",
    }
    results = {}
    for name in ("floor", "job", "pandas", "match"):
        results[name] = measure(name, root, outs[name])
        if results[name]["rows"] != args.rows:
            print(f"{name} read {results[name]['rows']} rows, not {args.rows}", file=sys.stderr)
            return 1
    print(
        f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs, {THREADS} threads per computation"
    )
    summary = report(args.rows, results)
    problems = compare(expected, root, outs)
    for problem in problems:
        print(f"MISMATCH {problem}", file=sys.stderr)
    if not problems:
        print(f"results agree: {expected.num_rows} weekly rows per account, week and carrier")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(
        json.dumps(
            {
                "rows": args.rows,
                "shape": shape(args.rows),
                "threads": THREADS,
                "results": results,
                **summary,
                "agree": not problems,
            },
            indent=2,
        )
        + "\n"
    )
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=50_000_000, help="call records (over 28 days)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--dir", type=Path, help="where to generate (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated dir")
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="where to write the figures as JSON"
    )
    parser.add_argument("--child", choices=sorted(COMPUTATIONS), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.dir, args.out)
        return 0
    root = args.dir or Path(tempfile.mkdtemp(prefix="churn-signals-"))
    try:
        return run(args, root)
    except (RuntimeError, OSError) as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"» kept {root}")
        elif args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
