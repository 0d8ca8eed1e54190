"""Landing the gateway exchange's call detail records: validate every row, quarantine the
bad ones with their reason, write the good ones as Parquet, one folder per day.

Runs on DuckDB in-process (a day's file from one exchange fits one machine comfortably);
the signal jobs in `calls.py` are the part that also runs on Spark.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from telekam.analytics.lake import Lake, replace_atomically

# The columns a file must have (CSV header or Parquet schema), in the switches' order.
COLUMNS = (
    "call_start",
    "calling_line",
    "called_number",
    "dialled_prefix",
    "trunk_carrier",
    "duration_s",
    "charge",
)

# Quarantine reasons (stable codes; the UI translates them).
REASONS = (
    "malformed_line",
    "bad_call_start",
    "bad_calling_line",
    "bad_called_number",
    "bad_dialled_prefix",
    "bad_trunk_carrier",
    "bad_duration",
    "bad_charge",
)

# How a day's call records are written (the signal job reads them; bench/churn_signals.py
# writes its synthetic days the same way).
CALLS_SCHEMA = pa.schema(
    [
        ("call_start", pa.timestamp("us")),
        ("calling_line", pa.string()),
        ("called_number", pa.string()),
        ("dialled_prefix", pa.string()),
        ("trunk_carrier", pa.string()),
        ("duration_s", pa.int32()),
        ("charge_fen", pa.int64()),
        ("competitor", pa.uint8()),
        ("long_distance", pa.bool_()),
        ("account_id", pa.int64()),
    ]
)
# The calls of the accounts' lines first: the signal job reads only those, and the row
# groups of the other lines (account_id all NULL) are skipped on their statistics.
CALLS_SORT = "account_id NULLS LAST, calling_line, call_start"
CALLS_PARQUET = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 262144"

TIME_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M:%S"]


@dataclass(frozen=True)
class CallRules:
    """Competitor prefixes and trunk carriers (value -> competitor code, 1..n; 0 is us) and
    the local area codes (a number starting 0 but not with one of them is long distance)."""

    prefixes: dict[str, int] = field(default_factory=dict)
    trunks: dict[str, int] = field(default_factory=dict)
    local_area_codes: tuple[str, ...] = ()


class IngestError(ValueError):
    """The file as a whole cannot be read (missing columns, not CSV or Parquet)."""


@dataclass(frozen=True)
class Progress:
    stage: str
    rows: int
    files: int
    seconds: float


ProgressFn = Callable[[Progress], None]


@dataclass(frozen=True)
class IngestReport:
    digest: str
    rows_in: int
    rows_ok: int
    rows_bad: int
    reasons: dict[str, int]
    days: dict[str, int]
    samples: list[dict[str, str | int | None]]
    quarantine_path: str | None
    seconds: float


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sql_list(values: list[str]) -> str:
    if not values:
        return "NULL"
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _quote(value: object) -> str:
    """A SQL string literal (file paths in COPY and read_* calls)."""
    return "'" + str(value).replace("'", "''") + "'"


def _csv_header(path: Path) -> list[str]:
    with path.open("rb") as fh:
        first = fh.readline(1 << 16)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = first.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise IngestError("not a readable CSV file: unknown encoding")
    names = next(csv.reader([text.strip("\r\n")]), [])
    if len(names) != len(set(names)):
        raise IngestError("not a readable CSV file: repeated column names")
    return [n.strip() for n in names]


def _source_sql(path: Path, con: duckdb.DuckDBPyConnection) -> str:
    """A relation of the file's rows with every column as text, plus the row number."""
    suffix = path.suffix.lower()
    quoted = _quote(path)
    if suffix == ".parquet":
        try:
            names = [
                r[0]
                for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({quoted})").fetchall()
            ]
        except duckdb.Error as exc:
            raise IngestError(f"not a readable Parquet file: {exc}") from exc
        missing = [c for c in COLUMNS if c not in names]
        if missing:
            raise IngestError("missing columns: " + ", ".join(missing))
        cols = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in COLUMNS)
        return f"SELECT row_number() OVER () AS row_no, {cols} FROM read_parquet({quoted})"
    if suffix not in (".csv", ".txt", ".cdr"):
        raise IngestError(f"unsupported file type {suffix!r}: use CSV or Parquet")
    # The header names the columns; every column is read as text, without sniffing (which
    # costs more than a small file's whole read). Rows with the wrong number of fields are
    # rejected by the reader into its rejects table and quarantined as malformed lines.
    names = _csv_header(path)
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise IngestError("missing columns: " + ", ".join(missing))
    spec = "{" + ", ".join(f"'{n.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for n in names) + "}"
    rel = (
        f"read_csv({quoted}, header = true, auto_detect = false, columns = {spec}, "
        "delim = ',', quote = '\"', escape = '\"', "
        "store_rejects = true, rejects_table = 'cdr_rejects', rejects_scan = 'cdr_rejects_scan', "
        "strict_mode = true, parallel = false)"
    )
    cols = ", ".join(COLUMNS)
    return f"SELECT row_number() OVER () AS row_no, {cols} FROM {rel}"


LINES_SCHEMA = pa.schema([("line", pa.string()), ("account_id", pa.int64())])


def _register_lines(con: duckdb.DuckDBPyConnection, lines: pa.Table | None) -> None:
    """The accounts' lines as table `tk_lines` (owned_line, owned_account; one account per line: the lowest id if a
    line is listed twice, so that a call is never counted twice)."""
    table = (lines if lines is not None else LINES_SCHEMA.empty_table()).select(LINES_SCHEMA.names)
    con.register("tk_lines_in", table.cast(LINES_SCHEMA))
    con.execute(
        "CREATE TEMP TABLE tk_lines AS "
        "SELECT line AS owned_line, min(account_id) AS owned_account "
        "FROM tk_lines_in GROUP BY line"
    )
    con.unregister("tk_lines_in")


def ingest_file(
    path: Path,
    *,
    lake: Lake,
    rules: CallRules,
    lines: pa.Table | None = None,
    digest: str | None = None,
    progress: ProgressFn | None = None,
) -> IngestReport:
    """Validate and land one file. Each call is matched to the account of its calling line
    (`lines`: line, account_id; the services in use when it lands, see `match_day` for
    lines registered later). Writing is by digest, so the same file twice writes the same
    files again; the caller records digests to skip the work altogether."""
    started = time.monotonic()
    path = Path(path)
    digest = digest or file_digest(path)
    name = digest[:16]
    con = duckdb.connect()
    try:
        _register_lines(con, lines)
        source = _source_sql(path, con)
        prefixes = rules.prefixes
        trunks = {k.upper(): v for k, v in rules.trunks.items()}
        local = list(rules.local_area_codes)
        prefix_case = " ".join(f"WHEN '{p}' THEN {c}" for p, c in prefixes.items() if p.isdigit())
        trunk_case = " ".join(
            "WHEN '" + t.replace("'", "''") + f"' THEN {c}" for t, c in trunks.items()
        )
        competitor_sql = (
            f"coalesce(CASE prefix {prefix_case or 'WHEN NULL THEN 0'} END, "
            f"CASE upper(carrier) {trunk_case or 'WHEN NULL THEN 0'} END, 0)"
        )
        digit_prefixes = [p for p in prefixes if p.isdigit()]
        # With no competitor prefixes `prefix IN (NULL)` would be NULL, not false.
        comp_prefix_test = f"prefix IN ({_sql_list(digit_prefixes)})" if digit_prefixes else "false"
        local_test = (
            " OR ".join(f"starts_with(called, '{c}')" for c in local if c.isdigit()) or "false"
        )
        con.execute(
            f"""
            CREATE TEMP TABLE typed AS
            WITH raw AS ({source}),
            t AS (
              SELECT row_no, call_start, calling_line, called_number, dialled_prefix,
                     trunk_carrier, duration_s, charge,
                     try_strptime(trim(call_start), {TIME_FORMATS!r}) AS ts,
                     trim(calling_line) AS line,
                     trim(called_number) AS called,
                     coalesce(trim(dialled_prefix), '') AS prefix,
                     coalesce(trim(trunk_carrier), '') AS carrier,
                     TRY_CAST(trim(duration_s) AS INTEGER) AS dur,
                     TRY_CAST(trim(charge) AS DECIMAL(14, 2)) AS chg
              FROM raw
            )
            SELECT *,
              CASE
                WHEN ts IS NULL THEN 'bad_call_start'
                WHEN line IS NULL OR NOT regexp_full_match(line, '[0-9]{{5,20}}')
                  THEN 'bad_calling_line'
                WHEN called IS NULL OR NOT regexp_full_match(called, '[0-9]{{3,24}}')
                  THEN 'bad_called_number'
                WHEN prefix <> '' AND NOT regexp_full_match(prefix, '[0-9]{{1,8}}')
                  THEN 'bad_dialled_prefix'
                WHEN length(carrier) > 32 THEN 'bad_trunk_carrier'
                WHEN dur IS NULL OR dur < 0 OR dur > 86400 THEN 'bad_duration'
                WHEN chg IS NULL OR chg < 0 THEN 'bad_charge'
              END AS reason
            FROM t
            """
        )
        rows_in, rows_bad_values = con.execute(
            "SELECT count(*), count(reason) FROM typed"
        ).fetchone()  # type: ignore[misc]
        malformed: list[tuple[int, str]] = []
        if path.suffix.lower() != ".parquet":
            try:
                malformed = con.execute(
                    "SELECT line, any_value(csv_line) FROM cdr_rejects GROUP BY line ORDER BY line"
                ).fetchall()
            except duckdb.Error:
                malformed = []
        if progress:
            progress(Progress("validated", rows_in + len(malformed), 1, time.monotonic() - started))
        reasons = dict(
            con.execute(
                "SELECT reason, count(*) FROM typed WHERE reason IS NOT NULL GROUP BY 1"
            ).fetchall()
        )
        if malformed:
            reasons["malformed_line"] = len(malformed)
        rows_bad = rows_bad_values + len(malformed)

        con.execute(
            f"""
            CREATE TEMP TABLE good AS
            SELECT CAST(ts AS DATE) AS day,
                   row_no,
                   ts AS call_start,
                   line AS calling_line,
                   called AS called_number,
                   prefix AS dialled_prefix,
                   carrier AS trunk_carrier,
                   dur AS duration_s,
                   CAST(round(chg * 100) AS BIGINT) AS charge_fen,
                   CAST({competitor_sql} AS UTINYINT) AS competitor,
                   ({comp_prefix_test} OR starts_with(called, '00')
                     OR (starts_with(called, '0') AND NOT ({local_test}))) AS long_distance,
                   owned_account AS account_id
            FROM typed LEFT JOIN tk_lines ON line = owned_line
            WHERE reason IS NULL
            """
        )
        days = {
            d.isoformat(): n
            for d, n in con.execute(
                "SELECT day, count(*) FROM good GROUP BY 1 ORDER BY 1"
            ).fetchall()
        }
        for i, day_text in enumerate(days):
            day = dt.date.fromisoformat(day_text)
            final = lake.calls_day(day) / f"{name}.parquet"
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = final.with_suffix(".parquet.tmp")
            con.execute(
                f"""COPY (SELECT * EXCLUDE (day, row_no) FROM good WHERE day = DATE '{day_text}'
                          ORDER BY {CALLS_SORT}, row_no)
                    TO {_quote(tmp)} ({CALLS_PARQUET})"""
            )
            replace_atomically(tmp, final)
            if progress:
                progress(Progress("written", rows_in, i + 1, time.monotonic() - started))

        quarantine_path = None
        samples: list[dict[str, str | int | None]] = []
        if rows_bad:
            qpath = lake.quarantine(digest)
            qpath.parent.mkdir(parents=True, exist_ok=True)
            # `line` is the line of the file (the header is line 1; for Parquet, the row).
            # A well-formed row's ordinal k sits after every malformed line i whose
            # position among the data rows, line_i - i, is at most k.
            is_csv = path.suffix.lower() != ".parquet"
            con.execute("CREATE TEMP TABLE mal (p BIGINT)")
            if malformed:
                con.executemany(
                    "INSERT INTO mal VALUES (?)",
                    [[int(line) - i] for i, (line, _text) in enumerate(malformed, start=1)],
                )
            con.execute(
                "CREATE TEMP TABLE bad AS SELECT row_no + "
                + ("1 + (SELECT count(*) FROM mal WHERE p <= row_no)" if is_csv else "0")
                + " AS line, reason, "
                + ", ".join(COLUMNS)
                + ", NULL::VARCHAR AS raw_line FROM typed WHERE reason IS NOT NULL"
            )
            if malformed:
                con.executemany(
                    "INSERT INTO bad (line, reason, raw_line) VALUES (?, 'malformed_line', ?)",
                    [[int(line), text] for line, text in malformed],
                )
            tmp = qpath.with_suffix(".parquet.tmp")
            con.execute(f"COPY (SELECT * FROM bad ORDER BY line) TO {_quote(tmp)} (FORMAT parquet)")
            replace_atomically(tmp, qpath)
            quarantine_path = str(qpath)
            cur = con.execute("SELECT * FROM bad ORDER BY line LIMIT 50")
            names = [d[0] for d in cur.description]
            samples = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        return IngestReport(
            digest=digest,
            rows_in=rows_in + len(malformed),
            rows_ok=rows_in - rows_bad_values,
            rows_bad=rows_bad,
            reasons=reasons,
            days=days,
            samples=samples,
            quarantine_path=quarantine_path,
            seconds=time.monotonic() - started,
        )
    finally:
        con.close()


def match_day(lake: Lake, day: dt.date, lines: pa.Table, *, only_unmatched: bool = False) -> int:
    """Match the call files of `day` again to the accounts' `lines` (for lines registered
    after their calls landed, or files landed before calls carried their account): each
    file is rewritten in place, which marks the day's aggregate stale. With
    `only_unmatched`, only files without an account column. Returns the files rewritten."""
    files = lake.call_files(day)
    con = duckdb.connect()
    rewritten = 0
    try:
        _register_lines(con, lines)
        for file in files:
            names = [
                r[0]
                for r in con.execute(
                    f"DESCRIBE SELECT * FROM read_parquet({_quote(file)})"
                ).fetchall()
            ]
            if only_unmatched and "account_id" in names:
                continue
            kept = ", ".join(n for n in CALLS_SCHEMA.names if n != "account_id")
            tmp = Path(file).with_suffix(".parquet.tmp")
            # Every column breaks ties after the sort: the same lines write the same bytes.
            con.execute(
                f"""COPY (SELECT {kept}, owned_account AS account_id
                          FROM read_parquet({_quote(file)}) LEFT JOIN tk_lines
                            ON calling_line = owned_line
                          ORDER BY {CALLS_SORT}, {kept})
                    TO {_quote(tmp)} ({CALLS_PARQUET})"""
            )
            replace_atomically(tmp, Path(file))
            rewritten += 1
    finally:
        con.close()
    return rewritten
