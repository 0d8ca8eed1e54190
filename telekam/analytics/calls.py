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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from telekam.analytics.engine import DUCKDB
from telekam.analytics.lake import Lake, line_keys, replace_atomically

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


def _table(data: pa.Table) -> Any:
    # A memtable becomes a temporary view on either engine: nothing is left behind.
    return ibis.memtable(data)


def _to_arrow(expr: Any, schema: pa.Schema) -> pa.Table:
    table = expr.to_pyarrow()
    return table.select(schema.names).cast(schema)


@dataclass(frozen=True)
class _Owned:
    """The lines of the accounts, split for the join: by line key (nearly all of them) and
    by text (lines too long for a key, usually none)."""

    keyed: pa.Table  # line_key int64, account_id int64
    long: pa.Table  # line string, account_id int64
    text: pa.Table  # line string, account_id int64 (all of them, for call files without keys)


_owned_cache: list[tuple[pa.Table, _Owned]] = []


def _owned(lines: pa.Table) -> _Owned:
    """Split once per lines table: the daily job passes the same table for every day."""
    if _owned_cache and _owned_cache[0][0] is lines:
        return _owned_cache[0][1]
    text = lines.select(LINES_SCHEMA.names).cast(LINES_SCHEMA)
    keys = line_keys(text.column("line"))
    keyed = pa.table({"line_key": keys, "account_id": text.column("account_id")})
    keyed = keyed.filter(pc.is_valid(keys))
    too_long = pc.fill_null(pc.match_substring_regex(text.column("line"), "^[0-9]{19,}$"), False)
    owned = _Owned(keyed=keyed, long=text.filter(too_long), text=text)
    _owned_cache[:] = [(lines, owned)]
    return owned


def _has_line_key(files: list[str]) -> bool:
    return all("line_key" in pq.read_schema(f).names for f in files)


_CALL_COLUMNS = ["competitor", "duration_s", "long_distance"]
_CALLS_SCHEMA = ibis.schema(
    {
        "day": "date",
        "line_key": "int64",
        "calling_line": "string",
        "competitor": "uint8",
        "duration_s": "int32",
        "long_distance": "boolean",
    }
)
_KEYED_SCHEMA = ibis.schema({"line_key": "int64", "account_id": "int64"})
_TEXT_SCHEMA = ibis.schema({"line": "string", "account_id": "int64"})


def _daily_expr(calls: Any, *, keyed: Any | None, text: Any | None) -> Any:
    """The sums per day, account and carrier: `calls` joined to the accounts' lines by
    key (`keyed`) and/or by text (`text`: with `keyed`, only the calls without a key)."""
    parts = []
    if keyed is not None:
        by_key = calls.join(keyed, calls.line_key == keyed.line_key)
        parts.append(by_key.select("day", "account_id", *_CALL_COLUMNS))
    if text is not None:
        rest = calls.filter(calls.line_key.isnull()) if keyed is not None else calls
        by_text = rest.join(text, rest.calling_line == text.line)
        parts.append(by_text.select("day", "account_id", *_CALL_COLUMNS))
    joined = parts[0] if len(parts) == 1 else parts[0].union(parts[1])
    ld = joined.long_distance
    # Plain columns as group keys and filtered sums: the engines run these fastest; the
    # types are fixed when the result is cast to DAILY_SCHEMA.
    grouped = joined.group_by([joined.day, joined.account_id, joined.competitor])
    agg = grouped.aggregate(
        calls=joined.count(),
        seconds=joined.duration_s.sum(),
        ld_calls=joined.count(where=ld),
        ld_seconds=ibis.coalesce(joined.duration_s.sum(where=ld), 0),
    )
    return agg


_sql_cache: dict[tuple[bool, bool], str] = {}


def _daily_sql(*, keyed: bool, text: bool) -> str:
    """`_daily_expr` compiled once for DuckDB over the views tk_calls, tk_keyed, tk_text:
    building and compiling an Ibis expression costs more than a small day's query."""
    cache_key = (keyed, text)
    if cache_key not in _sql_cache:
        calls = ibis.table(_CALLS_SCHEMA, name="tk_calls")
        expr = _daily_expr(
            calls,
            keyed=ibis.table(_KEYED_SCHEMA, name="tk_keyed") if keyed else None,
            text=ibis.table(_TEXT_SCHEMA, name="tk_text") if text else None,
        )
        _sql_cache[cache_key] = str(ibis.to_sql(expr, dialect="duckdb"))
    return _sql_cache[cache_key]


def _quoted(files: list[str]) -> str:
    return ", ".join("'" + f.replace("'", "''") + "'" for f in files)


def daily_aggregates(con: Any, *, days: dict[dt.date, list[str]], lines: pa.Table) -> pa.Table:
    """Per day, account and carrier: calls, seconds, long-distance calls and seconds, for
    the given days (each with its call files) in one query: the accounts' lines are hashed
    once for all of them.

    A call belongs to an account when its calling line is one of the account's lines. The
    join is on the integer line key (see `lake`), plus on the text of the lines too long
    for a key when an account has such a line; call files written before the key existed
    are joined on the text."""
    days = {d: f for d, f in sorted(days.items()) if f}
    if not days:
        return DAILY_SCHEMA.empty_table()
    owned = _owned(lines)
    by_key = all(_has_line_key(f) for f in days.values())
    by_text = not by_key or owned.long.num_rows > 0
    text_lines = owned.long if by_key else owned.text
    key = "line_key" if by_key else "NULL::BIGINT AS line_key"
    if con.name == DUCKDB:
        raw = con.con
        raw.execute(
            "CREATE OR REPLACE TEMP VIEW tk_calls AS "
            + " UNION ALL ".join(
                f"SELECT DATE '{d.isoformat()}' AS day, {key}, "
                + ", ".join(["calling_line", *_CALL_COLUMNS])
                + f" FROM read_parquet([{_quoted(f)}], hive_partitioning = false)"
                for d, f in days.items()
            )
        )
        raw.register("tk_keyed", owned.keyed)
        raw.register("tk_text", text_lines)
        try:
            table = raw.sql(_daily_sql(keyed=by_key, text=by_text)).to_arrow_table()
        finally:
            raw.unregister("tk_keyed")
            raw.unregister("tk_text")
            raw.execute("DROP VIEW IF EXISTS tk_calls")
        return _sorted(table.select(DAILY_SCHEMA.names).cast(DAILY_SCHEMA))
    columns = ["line_key"] if by_key else []
    parts = []
    for d, f in days.items():
        part = _read(con, f, [*columns, "calling_line", *_CALL_COLUMNS])
        if not by_key:
            part = part.mutate(line_key=ibis.null("int64"))
        parts.append(part.mutate(day=ibis.literal(d, type="date")))
    calls = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    expr = _daily_expr(
        calls,
        keyed=_table(owned.keyed) if by_key else None,
        text=_table(text_lines) if by_text else None,
    )
    return _sorted(_to_arrow(expr, DAILY_SCHEMA))


def _sorted(table: pa.Table) -> pa.Table:
    """Rows in one order whatever the engine (sorting here is cheaper than in the query),
    so that a re-run writes the same bytes."""
    return table.sort_by(
        [("day", "ascending"), ("account_id", "ascending"), ("competitor", "ascending")]
    )


def daily_aggregate(con: Any, *, day: dt.date, files: list[str], lines: pa.Table) -> pa.Table:
    """`daily_aggregates` for one day."""
    return daily_aggregates(con, days={day: files}, lines=lines)


def aggregate_days(
    con: Any,
    *,
    lake: Lake,
    days: list[dt.date],
    lines: pa.Table,
    batch: int = 7,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Write the daily aggregate of each of `days` into the lake (re-running a day writes
    the same file), `batch` days per query: the accounts' lines are hashed once per batch
    and a batch of a week keeps memory bounded on a long backlog. Returns the calls
    matched; `on_batch(days done, calls matched so far)` after each batch."""
    matched = 0
    days = sorted(days)
    for start in range(0, len(days), batch):
        chunk = days[start : start + batch]
        table = daily_aggregates(con, days={d: lake.call_files(d) for d in chunk}, lines=lines)
        for day, part in split_days(table, chunk).items():
            write_parquet(part, lake.daily(day))
        matched += pc.sum(table.column("calls")).as_py() or 0
        if on_batch:
            on_batch(start + len(chunk), matched)
    return matched


def write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp)
    replace_atomically(tmp, path)


def split_days(table: pa.Table, days: list[dt.date]) -> dict[dt.date, pa.Table]:
    """The rows of each day (an empty table for a day without any)."""
    column = table.column("day")
    return {d: table.filter(pc.equal(column, pa.scalar(d, pa.date32()))) for d in days}


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
