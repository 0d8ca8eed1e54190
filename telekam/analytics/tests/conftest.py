"""Fixtures for the engine's tests: a lake in a temp dir, the rules, and one Spark session
per test worker (starting Spark costs seconds)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from telekam.analytics import engine
from telekam.analytics.ingest import CallRules
from telekam.analytics.lake import Lake

RULES = CallRules(
    prefixes={"17911": 1, "17931": 2},
    trunks={"CU": 1, "cm": 2},
    local_area_codes=("010",),
)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path / "lake")


@pytest.fixture
def rules() -> CallRules:
    return RULES


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An Ibis backend on a local Spark session. Each xdist worker starts its own, with
    its own warehouse dir. Without Java: skipped, or failed when CI is "true"."""
    if shutil.which("java") is None:
        message = "Spark needs Java (17) on the PATH"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    if engine._session is None:
        os.environ["TELEKAM_SPARK_WAREHOUSE"] = str(tmp_path_factory.mktemp("spark-warehouse"))
        os.environ.setdefault("TELEKAM_SPARK_MASTER", "local[2]")
        os.environ.setdefault("TELEKAM_SPARK_PARTITIONS", "2")
    return engine.connect(engine.SPARK)
