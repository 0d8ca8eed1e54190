"""The signal job: exact sums on a hand-made lake, the same results on DuckDB and Spark,
re-running a day rewrites the same aggregate, and the lake knows which days are stale."""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from telekam.analytics import engine
from telekam.analytics.calls import DAILY_SCHEMA, WEEKLY_SCHEMA, daily_aggregate, weekly_series
from telekam.analytics.ingest import COLUMNS, ingest_file, match_day
from telekam.analytics.lake import Lake

LONG_LINE = "1234567890123456789"  # 19 digits
LINES = pa.table(
    {
        "line": ["13800000001", "13800000002", "13900000009", LONG_LINE, "138 0000 0005"],
        "account_id": [1, 1, 2, 3, 4],
    }
)
CALLS = [
    "2025-03-01 08:00:00,13800000001,01012345678,,CT,60,0.60",
    "2025-03-01 09:00:00,13800000002,02112345678,,,30,0.30",
    "2025-03-01 10:00:00,13800000001,13900000000,17911,,45,0.45",
    "2025-03-01 11:00:00,13700000000,13900000000,,CT,100,1.00",  # no account's line
    f"2025-03-01 12:00:00,{LONG_LINE},13900000000,,CU,10,0.10",
    "2025-03-02 08:00:00,13900000009,0085212345678,,CM,20,2.00",
    "2025-03-02 09:00:00,13800000001,01012345678,,CT,5,0.05",
    "2025-03-09 10:00:00,13800000002,01012345678,,CU,7,0.07",
]
DAILY = {
    dt.date(2025, 3, 1): [(1, 0, 2, 90, 30), (1, 1, 1, 45, 45), (3, 1, 1, 10, 0)],
    dt.date(2025, 3, 2): [(1, 0, 1, 5, 0), (2, 2, 1, 20, 20)],
    dt.date(2025, 3, 9): [(1, 1, 1, 7, 0)],
}
AS_OF = dt.date(2025, 3, 9)
WEEKLY = [
    (1, 0, 1, 7, 0),
    (1, 1, 0, 95, 30),
    (1, 1, 1, 45, 45),
    (2, 1, 2, 20, 20),
    (3, 1, 1, 10, 0),
]


def land(
    lake: Lake, rules: Any, path: Path, rows: list[str], lines: pa.Table | None = LINES
) -> None:
    path.write_text("\n".join([",".join(COLUMNS), *rows]) + "\n")
    report = ingest_file(path, lake=lake, rules=rules, lines=lines)
    assert report.rows_bad == 0


def run_job(
    con: Any, lake: Lake, *, as_of: dt.date, weeks: int
) -> tuple[dict[dt.date, pa.Table], pa.Table]:
    """What the product does: every day's aggregate written, then the weekly series."""
    daily = {}
    for day in lake.calls_days():
        table = daily_aggregate(con, day=day, files=lake.call_files(day))
        assert table.schema == DAILY_SCHEMA
        lake.daily(day).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, lake.daily(day))
        daily[day] = table
    first = as_of - dt.timedelta(days=7 * weeks - 1)
    weekly = weekly_series(
        con, daily_files=lake.daily_files(first, as_of), as_of=as_of, weeks=weeks
    )
    assert weekly.schema == WEEKLY_SCHEMA
    return daily, weekly


def rows(table: pa.Table, drop: str | None = None) -> list[tuple[Any, ...]]:
    if drop:
        table = table.drop_columns([drop])
    return [tuple(r.values()) for r in table.to_pylist()]


@pytest.fixture
def hand_made(tmp_path: Path, lake: Lake, rules: Any) -> Lake:
    land(lake, rules, tmp_path / "calls.csv", CALLS)
    return lake


@pytest.fixture
def random_lake(tmp_path: Path, rules: Any) -> tuple[Lake, pa.Table]:
    """Three days, 40 account lines on 6 accounts and 40 lines of no account; 3000 calls
    in two files."""
    rnd = random.Random(6)
    lake = Lake(tmp_path / "random")
    owned = [f"1380000{i:04d}" for i in range(40)] + [LONG_LINE]
    others = [f"1370000{i:04d}" for i in range(40)]
    lines = pa.table({"line": owned, "account_id": [100 + i % 6 for i in range(len(owned))]})
    called = ["01012345678", "02187654321", "0085212345678", "13900000000"]
    for part in range(2):
        out = []
        for _ in range(1500):
            start = dt.datetime(2025, 3, 1) + dt.timedelta(seconds=rnd.randrange(3 * 86400))  # noqa: DTZ001
            prefix = rnd.choice(["", "", "", "17911", "17931"])
            trunk = rnd.choice(["CT", "CU", "CM", ""])
            line = rnd.choice(owned + others)
            out.append(
                f"{start:%Y-%m-%d %H:%M:%S},{line},{rnd.choice(called)},{prefix},{trunk},"
                f"{rnd.randrange(600)},{rnd.randrange(1000) / 100:.2f}"
            )
        land(lake, rules, tmp_path / f"random{part}.csv", out, lines)
    return lake, lines


def test_daily_and_weekly_sums_on_duckdb(hand_made):
    con = engine.connect(engine.DUCKDB, threads=2)

    daily, weekly = run_job(con, hand_made, as_of=AS_OF, weeks=2)

    assert {day: rows(t, "day") for day, t in daily.items()} == DAILY
    assert all(set(t.column("day").to_pylist()) == {day} for day, t in daily.items())
    assert rows(weekly) == WEEKLY


def test_a_day_without_files_is_empty():
    con = engine.connect(engine.DUCKDB)

    table = daily_aggregate(con, day=AS_OF, files=[])

    assert table.num_rows == 0
    assert table.schema == DAILY_SCHEMA


def test_lines_registered_after_their_calls_landed_are_matched_by_match_day(tmp_path, lake, rules):
    land(lake, rules, tmp_path / "calls.csv", CALLS, lines=None)
    con = engine.connect(engine.DUCKDB)
    daily, _weekly = run_job(con, lake, as_of=AS_OF, weeks=2)
    assert all(t.num_rows == 0 for t in daily.values())  # no account had these lines yet

    for day in lake.calls_days():
        assert match_day(lake, day, LINES) == 1
    assert lake.stale_days() == sorted(DAILY)  # rewritten calls: the aggregates are stale
    daily, weekly = run_job(con, lake, as_of=AS_OF, weeks=2)

    assert {day: rows(t, "day") for day, t in daily.items()} == DAILY
    assert rows(weekly) == WEEKLY


def test_files_landed_without_accounts_are_matched_once(hand_made):
    """Files written before calls carried their account: `only_unmatched` rewrites just
    those, and the sums come out the same."""
    day = dt.date(2025, 3, 1)
    [file] = hand_made.call_files(day)
    pq.write_table(pq.read_table(file).drop_columns(["account_id"]), file)

    assert match_day(hand_made, day, LINES, only_unmatched=True) == 1
    assert match_day(hand_made, day, LINES, only_unmatched=True) == 0
    daily, weekly = run_job(engine.connect(engine.DUCKDB), hand_made, as_of=AS_OF, weeks=2)

    assert {day: rows(t, "day") for day, t in daily.items()} == DAILY
    assert rows(weekly) == WEEKLY


def test_match_day_twice_writes_the_same_bytes(hand_made):
    day = dt.date(2025, 3, 1)
    [file] = hand_made.call_files(day)
    match_day(hand_made, day, LINES)
    before = Path(file).read_bytes()

    match_day(hand_made, day, LINES)

    assert Path(file).read_bytes() == before


def test_rerunning_a_day_rewrites_the_same_aggregate(hand_made):
    con = engine.connect(engine.DUCKDB)
    run_job(con, hand_made, as_of=AS_OF, weeks=2)
    before = {day: hand_made.daily(day).read_bytes() for day in hand_made.calls_days()}

    run_job(con, hand_made, as_of=AS_OF, weeks=2)

    assert {day: hand_made.daily(day).read_bytes() for day in hand_made.calls_days()} == before


def test_stale_days_are_those_with_calls_newer_than_their_aggregate(hand_made, tmp_path, rules):
    assert hand_made.stale_days() == sorted(DAILY)  # no aggregates yet
    con = engine.connect(engine.DUCKDB)
    run_job(con, hand_made, as_of=AS_OF, weeks=2)
    assert hand_made.stale_days() == []

    # A later file for 2 March; an aggregate older than its day's calls for 9 March.
    land(
        hand_made,
        rules,
        tmp_path / "late.csv",
        ["2025-03-02 18:00:00,13800000002,01012345678,,CT,3,0.03"],
    )
    old = os.path.getmtime(hand_made.daily(dt.date(2025, 3, 9))) - 10
    os.utime(hand_made.call_files(dt.date(2025, 3, 9))[0], (old + 20, old + 20))
    os.utime(hand_made.daily(dt.date(2025, 3, 9)), (old, old))
    for day in (dt.date(2025, 3, 2),):
        agg = hand_made.daily(day)
        newest = max(os.path.getmtime(f) for f in hand_made.call_files(day))
        os.utime(agg, (newest - 1, newest - 1))

    assert hand_made.stale_days() == [dt.date(2025, 3, 2), dt.date(2025, 3, 9)]


@pytest.mark.spark
def test_duckdb_and_spark_agree(hand_made, random_lake, spark):
    """One test, so that one worker starts Spark: the hand-made sums on Spark, and both
    engines on a random lake."""
    daily, weekly = run_job(spark, hand_made, as_of=AS_OF, weeks=2)
    assert {day: rows(t, "day") for day, t in daily.items()} == DAILY
    assert rows(weekly) == WEEKLY

    lake, _lines = random_lake
    as_of = dt.date(2025, 3, 3)
    duck_daily, duck_weekly = run_job(engine.connect(engine.DUCKDB), lake, as_of=as_of, weeks=1)
    spark_daily, spark_weekly = run_job(spark, lake, as_of=as_of, weeks=1)

    assert sorted(duck_daily) == [dt.date(2025, 3, 1), dt.date(2025, 3, 2), dt.date(2025, 3, 3)]
    for day, table in duck_daily.items():
        assert table.num_rows >= 6 * 3 - 2  # every account with nearly every carrier
        assert spark_daily[day].equals(table)
    assert duck_weekly.num_rows >= 6 * 3 - 2
    assert spark_weekly.equals(duck_weekly)
