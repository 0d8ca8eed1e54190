"""Where the engine keeps its files. Everything is Parquet, one folder per day:

    calls/day=YYYY-MM-DD/<file digest>.parquet   validated call records
    quarantine/<file digest>.parquet               rejected rows with their reason
    agg/calls_daily/YYYY-MM-DD.parquet            per account, day and carrier
    signals/calls_latest.parquet                   the last call signals per account

A day's folder holds one file per ingested source file, named by the source's digest, so
ingesting the same file again rewrites the same bytes.

Besides the calling line as text, each call record carries `line_key`, the same digits as
a BIGINT ('1' + line, so leading zeros count: 0755... and 755... differ), NULL for a line
of more than 18 digits. The signal job joins on it: an integer decodes and hashes several
times faster than text. `line_keys` computes the same key for the lines of the accounts.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

LINE_KEY_DIGITS = 18  # '1' + 18 digits still fits a signed 64-bit integer
# The key in DuckDB SQL, for a column `line` already known to be all digits.
LINE_KEY_SQL = f"CASE WHEN length(line) <= {LINE_KEY_DIGITS} THEN CAST('1' || line AS BIGINT) END"


def line_keys(lines: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The line key of each line; NULL where the line is not 1 to 18 digits (such a line
    is either too long for a key or cannot match a validated call record)."""
    lines = pc.cast(lines, pa.string())
    keyable = pc.match_substring_regex(lines, f"^[0-9]{{1,{LINE_KEY_DIGITS}}}$")
    keyable = pc.fill_null(keyable, False)
    text = pc.if_else(keyable, pc.binary_join_element_wise("1", lines, ""), "0")
    return pc.if_else(keyable, pc.cast(text, pa.int64()), pa.scalar(None, pa.int64()))


@dataclass(frozen=True)
class Lake:
    root: Path

    def calls_day(self, day: dt.date) -> Path:
        return self.root / "calls" / f"day={day.isoformat()}"

    def calls_days(self) -> list[dt.date]:
        base = self.root / "calls"
        if not base.is_dir():
            return []
        days = []
        for entry in base.iterdir():
            if entry.is_dir() and entry.name.startswith("day=") and any(entry.glob("*.parquet")):
                days.append(dt.date.fromisoformat(entry.name[4:]))
        return sorted(days)

    def call_files(self, day: dt.date) -> list[str]:
        return sorted(str(p) for p in self.calls_day(day).glob("*.parquet"))

    def quarantine(self, digest: str) -> Path:
        return self.root / "quarantine" / f"{digest[:16]}.parquet"

    def daily(self, day: dt.date) -> Path:
        return self.root / "agg" / "calls_daily" / f"{day.isoformat()}.parquet"

    def daily_files(self, first: dt.date, last: dt.date) -> list[str]:
        out = []
        day = first
        while day <= last:
            path = self.daily(day)
            if path.exists():
                out.append(str(path))
            day += dt.timedelta(days=1)
        return out

    def signals(self) -> Path:
        return self.root / "signals" / "calls_latest.parquet"

    def stale_days(self) -> list[dt.date]:
        """Days whose call files are newer than their daily aggregate (or have none)."""
        stale = []
        for day in self.calls_days():
            agg = self.daily(day)
            newest = max(os.path.getmtime(f) for f in self.call_files(day))
            if not agg.exists() or os.path.getmtime(agg) < newest:
                stale.append(day)
        return stale


def replace_atomically(tmp: Path, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)
