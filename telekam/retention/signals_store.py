"""The latest per-account call figures the signal job leaves in the lake, for the risk
model's features."""

from __future__ import annotations

import pyarrow.parquet as pq

from telekam.retention.services.calls import lake


def call_features() -> dict[int, dict[str, float]]:
    """account id -> {"competitor_share": 0..1, "ld_change": relative change of this week's
    long-distance minutes against the 4-week baseline}; empty before the first run."""
    path = lake().signals()
    if not path.exists():
        return {}
    table = pq.read_table(path)
    return {
        row["account_id"]: {
            "competitor_share": row["competitor_share"],
            "ld_change": row["ld_change"],
        }
        for row in table.to_pylist()
    }
