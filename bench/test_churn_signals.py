"""bench/churn_signals.py end to end at 200k call records: the job, the pandas baseline
and the floor agree with the generator's own totals, and the ingest's matching with the
generator's accounts. No timing asserted."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from bench.churn_signals import days, generate, shape
from telekam.analytics.ingest import CALLS_SCHEMA, match_day
from telekam.analytics.lake import Lake

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^(?P<name>floor|job|pandas|match)\s+(?P<rows>[\d,]+)\s+(?P<seconds>\d+\.\d+)\s")


def test_the_three_computations_agree_on_a_small_lake(tmp_path):
    results = tmp_path / "churn_signals.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "churn_signals.py"),
            "--rows",
            "200000",
            "--dir",
            str(tmp_path / "lake"),
            "--results",
            str(results),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    printed = {m["name"]: m for line in done.stdout.splitlines() if (m := ROW.match(line))}
    assert sorted(printed) == ["floor", "job", "match", "pandas"]
    assert {m["rows"] for m in printed.values()} == {"200,000"}
    assert "results agree" in done.stdout
    figures = json.loads(results.read_text())
    assert figures["rows"] == 200_000
    assert figures["agree"] is True
    assert set(figures["results"]) == {"floor", "job", "match", "pandas"}
    assert all(r["rows"] == 200_000 and r["peak_mb"] > 0 for r in figures["results"].values())


def test_the_generated_lake_has_the_ingest_layout(tmp_path):
    expected = generate(tmp_path, 28_000, seed=1)
    lake = Lake(tmp_path)

    assert lake.calls_days() == days()
    tables = [pq.read_table(lake.call_files(day)[0]) for day in days()]
    assert sum(t.num_rows for t in tables) == 28_000
    table = tables[0]
    assert table.schema == CALLS_SCHEMA
    sizes = shape(28_000)
    owned = pq.read_table(tmp_path / "lines.parquet")
    # The ingest's matching and sort give the same file back.
    match_day(lake, days()[0], owned)
    assert pq.read_table(lake.call_files(days()[0])[0]).cast(CALLS_SCHEMA).equals(table)
    assert 0 < table.column("account_id").null_count < table.num_rows
    assert owned.num_rows == sizes["account_lines"]
    assert len(set(owned.column("account_id").to_pylist())) == sizes["accounts"]
    assert int(np.sum(expected.column("seconds"))) > 0
