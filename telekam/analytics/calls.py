"""The call-record signal job, written once with Ibis so that DuckDB and Spark run the same
definitions.

1. `daily_aggregate`: one day's call records of the accounts' lines (matched when they
   landed) summed per account and carrier (0 = us, 1.. = a competitor).
   Costs time in proportion to that day; re-running a day rewrites the same aggregate.
2. `weekly_series`: the daily aggregates of the last weeks summed per account, week and
   carrier, which the warning rules (in `telekam.retention`) read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from telekam.analytics.engine import DUCKDB
from telekam.analytics.lake import Lake, replace_atomically

DAILY_SCHEMA = pa.schema(
    [
        ("day", pa.date32()),
        ("account_id", pa.int64()),
        ("competitor", pa.int32()),
        ("calls", pa.int64()),
        ("seconds", pa.int64()),
        ("ld_seconds", pa.int64()),
    ]
)

WEEKLY_SCHEMA = pa.schema(
    [
        ("account_id", pa.int64()),
        ("week", pa.int32()),
        ("competitor", pa.int32()),
        ("seconds", pa.int64()),
        ("ld_seconds", pa.int64()),
    ]
)


def _read(con: Any, files: list[str], columns: list[str] | None = None) -> Any:
    if con.name == DUCKDB:
        # No hive partitioning: the day is known, and `day=` in the path is not a column.
        table = con.read_parquet(files, hive_partitioning=False)
    else:
        # Ibis's Spark reader takes one path; read the list with Spark and name it a view.
        global _views
        _views += 1
        name = f"tk_parquet_{_views}"
        con._session.read.parquet(*files).createOrReplaceTempView(name)
        table = con.table(name)
    return table.select(columns) if columns else table


_views = 0


def _to_arrow(expr: Any, schema: pa.Schema) -> pa.Table:
    table = expr.to_pyarrow()
    return table.select(schema.names).cast(schema)


_CALL_COLUMNS = ["account_id", "competitor", "duration_s", "long_distance"]
_CALLS_SCHEMA = ibis.schema(
    {
        "day": "date",
        "account_id": "int64",
        "competitor": "uint8",
        "duration_s": "int32",
        "long_distance": "boolean",
    }
)


def _daily_expr(calls: Any) -> Any:
    """The sums per day, account and carrier of the calls of the accounts' lines."""
    mine = calls.filter(calls.account_id.notnull())
    ld = mine.long_distance
    # Plain columns as group keys and filtered sums: the engines run these fastest; the
    # types are fixed when the result is cast to DAILY_SCHEMA.
    # Ordered in the query (cheaper than after it): a re-run writes the same bytes.
    grouped = mine.group_by([mine.day, mine.account_id, mine.competitor])
    agg = grouped.aggregate(
        calls=mine.count(),
        seconds=mine.duration_s.sum(),
        ld_seconds=ibis.coalesce(mine.duration_s.sum(where=ld), 0),
    )
    return agg.order_by(["day", "account_id", "competitor"])


_sql_cache: list[str] = []


def _daily_sql() -> str:
    """`_daily_expr` compiled once for DuckDB over the view tk_calls: building and
    compiling an Ibis expression costs more than a small day's query."""
    if not _sql_cache:
        expr = _daily_expr(ibis.table(_CALLS_SCHEMA, name="tk_calls"))
        _sql_cache.append(str(ibis.to_sql(expr, dialect="duckdb")))
    return _sql_cache[0]


def _quoted(files: list[str]) -> str:
    return ", ".join("'" + f.replace("'", "''") + "'" for f in files)


def daily_aggregates(con: Any, *, days: dict[dt.date, list[str]]) -> pa.Table:
    """Per day, account and carrier: calls, seconds and long-distance seconds, for
    the given days (each with its call files) in one query. A call belongs to the account
    it was matched to when it landed (`account_id`, see `ingest`)."""
    days = {d: f for d, f in sorted(days.items()) if f}
    if not days:
        return DAILY_SCHEMA.empty_table()
    columns = ", ".join(_CALL_COLUMNS)
    if con.name == DUCKDB:
        raw = con.con
        raw.execute(
            "CREATE OR REPLACE TEMP VIEW tk_calls AS "
            + " UNION ALL ".join(
                f"SELECT DATE '{d.isoformat()}' AS day, {columns}"
                f" FROM read_parquet([{_quoted(f)}], hive_partitioning = false)"
                for d, f in days.items()
            )
        )
        try:
            table = raw.sql(_daily_sql()).to_arrow_table()
        finally:
            raw.execute("DROP VIEW IF EXISTS tk_calls")
        return table.select(DAILY_SCHEMA.names).cast(DAILY_SCHEMA)
    parts = [
        _read(con, f, _CALL_COLUMNS).mutate(day=ibis.literal(d, type="date"))
        for d, f in days.items()
    ]
    calls = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    return _to_arrow(_daily_expr(calls), DAILY_SCHEMA)


def daily_aggregate(con: Any, *, day: dt.date, files: list[str]) -> pa.Table:
    """`daily_aggregates` for one day."""
    return daily_aggregates(con, days={day: files})


def aggregate_days(
    con: Any,
    *,
    lake: Lake,
    days: list[dt.date],
    batch: int = 7,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Write the daily aggregate of each of `days` into the lake (re-running a day writes
    the same file), `batch` days per query: a batch of a week keeps memory bounded on a long
    backlog. Returns the calls matched; `on_batch(days done, calls matched so far)` after each batch."""
    matched = 0
    days = sorted(days)
    # A batch's files are written while the engine computes the next batch.
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending: Future[None] | None = None
        for start in range(0, len(days), batch):
            chunk = days[start : start + batch]
            table = daily_aggregates(con, days={d: lake.call_files(d) for d in chunk})
            if pending is not None:
                pending.result()
            pending = writer.submit(_write_days, split_days(table, chunk), lake)
            matched += pc.sum(table.column("calls")).as_py() or 0
            if on_batch:
                on_batch(start + len(chunk), matched)
        if pending is not None:
            pending.result()
    return matched


def _write_days(tables: dict[dt.date, pa.Table], lake: Lake) -> None:
    for day, table in tables.items():
        write_parquet(table, lake.daily(day))


def write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp)
    replace_atomically(tmp, path)


def split_days(table: pa.Table, days: list[dt.date]) -> dict[dt.date, pa.Table]:
    """The rows of each day (an empty table for a day without any) of a table sorted by
    day, as slices (no copy)."""
    column = table.column("day")
    out = {}
    for d in days:
        day = pa.scalar(d, pa.date32())
        start = pc.index(column, day).as_py()
        rows = pc.sum(pc.equal(column, day)).as_py() or 0
        out[d] = table.slice(start, rows) if rows else table.slice(0, 0)
    return out


_DAILY_AGED_SCHEMA = ibis.schema(
    {
        "age": "int64",
        "account_id": "int64",
        "competitor": "int32",
        "seconds": "int64",
        "ld_seconds": "int64",
    }
)


def _weekly_expr(daily: Any, weeks: int) -> Any:
    """Per account, week and carrier, from daily aggregates with `age`, the days before the
    evaluated day (week 0: ages 0 to 6)."""
    rows = daily.filter([daily.age >= 0, daily.age < 7 * weeks])
    rows = rows.mutate(week=(rows.age // 7).cast("int32"))
    return rows.group_by([rows.account_id, rows.week, rows.competitor]).aggregate(
        seconds=rows.seconds.sum(), ld_seconds=rows.ld_seconds.sum()
    )


_weekly_sql_cache: dict[int, str] = {}


def _weekly_sql(weeks: int) -> str:
    """`_weekly_expr` compiled once for DuckDB over the view tk_daily."""
    if weeks not in _weekly_sql_cache:
        expr = _weekly_expr(ibis.table(_DAILY_AGED_SCHEMA, name="tk_daily"), weeks)
        _weekly_sql_cache[weeks] = str(ibis.to_sql(expr, dialect="duckdb"))
    return _weekly_sql_cache[weeks]


def prepare(weeks: tuple[int, ...] = ()) -> None:
    """Compile the DuckDB queries now rather than on the first run (a worker process
    compiles them once; the benchmark warms them as a running worker has them)."""
    _daily_sql()
    for n in weeks:
        _weekly_sql(n)


def weekly_series(con: Any, *, daily_files: list[str], as_of: dt.date, weeks: int) -> pa.Table:
    """Sum the daily aggregates into weeks ending on `as_of`: week 0 is the 7 days up to and
    including as_of, week 1 the 7 before, ... up to week `weeks - 1`."""
    if not daily_files:
        return WEEKLY_SCHEMA.empty_table()
    if con.name == DUCKDB:
        raw = con.con
        raw.execute(
            "CREATE OR REPLACE TEMP VIEW tk_daily AS SELECT "
            f"DATE '{as_of.isoformat()}' - day AS age, account_id, competitor, seconds, "
            f"ld_seconds FROM read_parquet([{_quoted(daily_files)}], hive_partitioning = false)"
        )
        try:
            table = raw.sql(_weekly_sql(weeks)).to_arrow_table()
        finally:
            raw.execute("DROP VIEW IF EXISTS tk_daily")
        table = table.select(WEEKLY_SCHEMA.names).cast(WEEKLY_SCHEMA)
    else:
        daily = _read(con, daily_files)
        age = ibis.literal(as_of, type="date").delta(daily.day, unit="day")
        aged = daily.mutate(age=age.cast("int64"))
        table = _to_arrow(_weekly_expr(aged, weeks), WEEKLY_SCHEMA)
    return table.sort_by(
        [("account_id", "ascending"), ("week", "ascending"), ("competitor", "ascending")]
    )
