"""Per-account call figures for the risk model's features: the latest ones the signal job
left in the lake, or those of a past day recomputed from the daily aggregates."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq

from telekam.analytics import calls as engine_calls
from telekam.analytics import engine as analytics_engine
from telekam.retention.services.calls import WEEKS, call_figures, lake


def call_features(*, as_of: dt.date | None = None) -> dict[int, dict[str, float]]:
    """account id -> {"competitor_share": 0..1 of the week's long-distance minutes,
    "ld_change": relative change of the week's long-distance minutes against the 4-week
    baseline}. Without `as_of`: the last signal run's figures (empty before the first).
    With `as_of`: the weeks ending that day, from the daily aggregates (on DuckDB)."""
    the_lake = lake()
    if as_of is None:
        path = the_lake.signals()
        if not path.exists():
            return {}
        return {
            row["account_id"]: {
                "competitor_share": row["competitor_share"],
                "ld_change": row["ld_change"],
            }
            for row in pq.read_table(path).to_pylist()
        }
    files = the_lake.daily_files(as_of - dt.timedelta(days=7 * WEEKS - 1), as_of)
    if not files:
        return {}
    weekly = engine_calls.weekly_series(
        analytics_engine.connect("duckdb"), daily_files=files, as_of=as_of, weeks=WEEKS
    )
    return call_figures(weekly)
