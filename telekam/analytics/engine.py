"""Which engine runs the jobs: DuckDB in-process by default, Apache Spark at scale.

The job logic in `calls.py` is written once with Ibis and compiled to either engine.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

DUCKDB = "duckdb"
SPARK = "spark"
ENGINES = (DUCKDB, SPARK)


class EngineError(RuntimeError):
    """The engine cannot be started (unknown name, Spark or Java missing)."""


def engine_name(name: str | None = None) -> str:
    chosen = (name or os.environ.get("TELEKAM_ANALYTICS_ENGINE") or DUCKDB).lower()
    if chosen not in ENGINES:
        raise EngineError(f"unknown analytics engine {chosen!r}; use one of {', '.join(ENGINES)}")
    return chosen


def connect(name: str | None = None, *, threads: int | None = None) -> Any:
    """An Ibis backend for the engine. Spark reads TELEKAM_SPARK_MASTER (default local[*])
    and any TELEKAM_SPARK_CONF="key=value;key=value" settings."""
    import ibis

    chosen = engine_name(name)
    if chosen == DUCKDB:
        kwargs: dict[str, Any] = {}
        if threads:
            kwargs["threads"] = threads
        return ibis.duckdb.connect(**kwargs)
    return ibis.pyspark.connect(spark_session())


_session: Any = None


def spark_session() -> Any:
    """One Spark session per process (starting one costs seconds)."""
    global _session
    if _session is not None:
        return _session
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise EngineError(
            "Spark engine needs pyspark: pip install -r requirements-spark.txt (and Java 17)"
        ) from exc
    builder = (
        SparkSession.builder.appName("telekam")
        .master(os.environ.get("TELEKAM_SPARK_MASTER", "local[*]"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config(
            "spark.sql.warehouse.dir",
            os.environ.get(
                "TELEKAM_SPARK_WAREHOUSE",
                os.path.join(tempfile.gettempdir(), "telekam-spark-warehouse"),
            ),
        )
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("TELEKAM_SPARK_PARTITIONS", "8"))
    )
    for pair in filter(None, os.environ.get("TELEKAM_SPARK_CONF", "").split(";")):
        key, _, value = pair.partition("=")
        builder = builder.config(key.strip(), value.strip())
    _session = builder.getOrCreate()
    _session.sparkContext.setLogLevel("ERROR")
    return _session
