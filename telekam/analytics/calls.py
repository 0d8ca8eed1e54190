"""The call-record signal job, written once with Ibis so that DuckDB and Spark run the same
definitions.

1. `daily_aggregate`: one day's call records joined to the lines of the accounts (the
   services in use) and summed per account and carrier (0 = us, 1.. = a competitor).
   Costs time in proportion to that day; re-running a day rewrites the same aggregate.
2. `weekly_series`: the daily aggregates of the last weeks summed per account, week and
   carrier, which the warning rules (in `telekam.retention`) read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import pyarrow as pa

from telekam.analytics.engine import DUCKDB

DAILY_SCHEMA = pa.schema(
    [
        ("day", pa.date32()),
        ("account_id", pa.int64()),
        ("competitor", pa.int32()),
        ("calls", pa.int64()),
        ("seconds", pa.int64()),
        ("ld_calls", pa.int64()),
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

LINES_SCHEMA = pa.schema([("line", pa.string()), ("account_id", pa.int64())])


def _read(con: Any, files: list[str]) -> Any:
    if con.name == DUCKDB:
        return con.read_parquet(files)
    # Ibis's Spark reader takes one path; read the list with Spark and name it a view.
    global _views
    _views += 1
    name = f"tk_parquet_{_views}"
    con._session.read.parquet(*files).createOrReplaceTempView(name)
    return con.table(name)


_views = 0


def _table(data: pa.Table) -> Any:
    # A memtable becomes a temporary view on either engine: nothing is left behind.
    return ibis.memtable(data)


def _to_arrow(expr: Any, schema: pa.Schema) -> pa.Table:
    table = expr.to_pyarrow()
    return table.select(schema.names).cast(schema)


def daily_aggregate(con: Any, *, day: dt.date, files: list[str], lines: pa.Table) -> pa.Table:
    """Per account and carrier for one day: calls, seconds, long-distance calls and seconds."""
    if not files:
        return DAILY_SCHEMA.empty_table()
    calls = _read(con, files)
    owned = _table(lines.cast(LINES_SCHEMA))
    joined = calls.join(owned, calls.calling_line == owned.line)
    ld = joined.long_distance
    grouped = joined.group_by([joined.account_id, joined.competitor.cast("int32").name("competitor")])
    agg = grouped.aggregate(
        calls=joined.count(),
        seconds=joined.duration_s.cast("int64").sum(),
        ld_calls=ld.cast("int64").sum(),
        ld_seconds=ld.ifelse(joined.duration_s, 0).cast("int64").sum(),
    ).mutate(day=ibis.literal(day, type="date"))
    return _to_arrow(agg.order_by(["account_id", "competitor"]), DAILY_SCHEMA)


def weekly_series(con: Any, *, daily_files: list[str], as_of: dt.date, weeks: int) -> pa.Table:
    """Sum the daily aggregates into weeks ending on `as_of`: week 0 is the 7 days up to and
    including as_of, week 1 the 7 before, ... up to week `weeks - 1`."""
    if not daily_files:
        return WEEKLY_SCHEMA.empty_table()
    daily = _read(con, daily_files)
    first = as_of - dt.timedelta(days=7 * weeks - 1)
    daily = daily.filter([daily.day >= ibis.literal(first), daily.day <= ibis.literal(as_of)])
    age = ibis.literal(as_of, type="date").delta(daily.day, unit="day")
    week = (age // 7).cast("int32")
    rows = daily.mutate(week=week)
    agg = rows.group_by([rows.account_id, rows.week, rows.competitor]).aggregate(
        seconds=rows.seconds.sum(), ld_seconds=rows.ld_seconds.sum()
    )
    return _to_arrow(agg.order_by(["account_id", "week", "competitor"]), WEEKLY_SCHEMA)
