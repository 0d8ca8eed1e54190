"""Where the engine keeps its files. Everything is Parquet, one folder per day:

    calls/day=YYYY-MM-DD/<file digest>.parquet   validated call records
    quarantine/<file digest>.parquet               rejected rows with their reason
    agg/calls_daily/YYYY-MM-DD.parquet            per account, day and carrier
    signals/calls_latest.parquet                   the last call signals per account

A day's folder holds one file per ingested source file, named by the source's digest, so
ingesting the same file again rewrites the same bytes.

Each call record carries the `account_id` of its calling line (NULL for a line of no key
account), matched when the file lands; a day's file holds the accounts' calls first, so
the signal job, which reads only those, skips the other row groups on their statistics.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path


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
