"""Landing call records: the bad rows quarantined with their reason, the good ones in
their day's folder with the derived carrier and long-distance flag, byte-identical when a
file is landed again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from telekam.analytics.ingest import CALLS_SCHEMA, COLUMNS, IngestError, ingest_file
from telekam.analytics.lake import Lake

HEADER = ",".join(COLUMNS)
# (file line, text); the header is line 1.
ROWS = [
    (2, "2025-03-01 08:00:00,13800000001,01012345678,,CT,60,0.50"),
    (3, "2025-03-01 09:00:00,13800000001,02112345678,,,30,0.30"),
    (4, "yesterday,13800000001,01012345678,,CT,60,0.50"),
    (5, "2025-03-01 23:59:59,13800000002,13900000000,17931,,45,0.45"),
    (6, "2025-03-01 10:00:00,1380000x003,01012345678,,CT,60,0.50"),
    (7, "2025-03-01 10:00:00,13800000003,01012345678,,CT,-5,0.50"),
    (8, "2025-03-01 10:00:00,13800000003,01012345678,,CT,60,abc"),
    (9, "2025-03-01 10:00:00,13800000003,01012345678,17a11,CT,60,0.50"),
    (10, "2025-03-01 10:00:00,13800000003,01012345678,,CT,60"),
    (11, "2025-03-01 10:00:00,13800000003,01012345678,,CT,60,0.50,extra"),
    (12, "2025-03-02 00:00:00,13800000003,0085212345678,,cu,120,1.20"),
    (13, "20250302001500,13800000004,075512345678,,CM,7,0.07"),
    (14, "2025-03-02T01:00:00,13800000001,13900000000,, CU ,0,0"),
]
BAD = {
    4: "bad_call_start",
    6: "bad_calling_line",
    7: "bad_duration",
    8: "bad_charge",
    9: "bad_dialled_prefix",
    10: "malformed_line",
    11: "malformed_line",
}
# Per day: (call_start, calling_line, called_number, prefix, trunk, duration_s, charge_fen,
# competitor, long_distance), in the written order (line, then time) when no line is an
# account's (account_id NULL).
GOOD = {
    "2025-03-01": [
        ("2025-03-01 08:00:00", "13800000001", "01012345678", "", "CT", 60, 50, 0, False),
        ("2025-03-01 09:00:00", "13800000001", "02112345678", "", "", 30, 30, 0, True),
        ("2025-03-01 23:59:59", "13800000002", "13900000000", "17931", "", 45, 45, 2, True),
    ],
    "2025-03-02": [
        ("2025-03-02 01:00:00", "13800000001", "13900000000", "", "CU", 0, 0, 1, False),
        ("2025-03-02 00:00:00", "13800000003", "0085212345678", "", "cu", 120, 120, 1, True),
        ("2025-03-02 00:15:00", "13800000004", "075512345678", "", "CM", 7, 7, 2, True),
    ],
}


def write_csv(path: Path, rows: list[tuple[int, str]] = ROWS) -> Path:
    path.write_text("\n".join([HEADER, *(text for _line, text in rows)]) + "\n")
    return path


def day_rows(lake: Lake, day: str) -> list[tuple[object, ...]]:
    files = lake.call_files(dt.date.fromisoformat(day))
    assert len(files) == 1
    table = pq.read_table(files[0])
    assert [(f.name, f.type) for f in table.schema] == [(f.name, f.type) for f in CALLS_SCHEMA]
    out = []
    for row in table.to_pylist():
        assert row.pop("account_id") is None
        row["call_start"] = row["call_start"].isoformat(sep=" ")
        out.append(tuple(row.values()))
    return out


def test_calls_are_matched_to_the_accounts_lines_and_written_first(tmp_path, lake, rules):
    lines = pa.table(
        {
            "line": ["13800000004", "13800000001", "13800000004", "13800000099"],
            "account_id": [9, 7, 8, 7],  # a line listed twice counts for the lowest id
        }
    )
    ingest_file(write_csv(tmp_path / "calls.csv"), lake=lake, rules=rules, lines=lines)

    table = pq.read_table(lake.call_files(dt.date(2025, 3, 2))[0])
    assert table.column("calling_line").to_pylist() == [
        "13800000001",
        "13800000004",
        "13800000003",
    ]
    assert table.column("account_id").to_pylist() == [7, 8, None]
    table = pq.read_table(lake.call_files(dt.date(2025, 3, 1))[0])
    assert table.column("account_id").to_pylist() == [7, 7, None]


def test_bad_rows_are_quarantined_with_their_reason(tmp_path, lake, rules):
    report = ingest_file(write_csv(tmp_path / "calls.csv"), lake=lake, rules=rules)

    assert (report.rows_in, report.rows_ok, report.rows_bad) == (13, 6, 7)
    assert report.reasons == {
        "bad_call_start": 1,
        "bad_calling_line": 1,
        "bad_duration": 1,
        "bad_charge": 1,
        "bad_dialled_prefix": 1,
        "malformed_line": 2,
    }
    assert {(s["line"], s["reason"]) for s in report.samples} == set(BAD.items())
    quarantine = pq.read_table(report.quarantine_path).to_pylist()
    assert [(q["line"], q["reason"]) for q in quarantine] == sorted(BAD.items())
    texts = dict(ROWS)
    for q in quarantine:
        if q["reason"] == "malformed_line":
            assert q["raw_line"] == texts[q["line"]]
            assert all(q[c] is None for c in COLUMNS)
        else:
            assert q["raw_line"] is None
            assert ",".join(q[c] or "" for c in COLUMNS) == texts[q["line"]]


def test_good_rows_land_in_their_day_with_carrier_and_long_distance(tmp_path, lake, rules):
    report = ingest_file(write_csv(tmp_path / "calls.csv"), lake=lake, rules=rules)

    # The file spans midnight: two day folders.
    assert report.days == {"2025-03-01": 3, "2025-03-02": 3}
    assert lake.calls_days() == [dt.date(2025, 3, 1), dt.date(2025, 3, 2)]
    for day, rows in GOOD.items():
        assert day_rows(lake, day) == rows


def test_no_competitor_prefixes_still_gives_a_long_distance_flag(tmp_path, lake, rules):
    path = write_csv(tmp_path / "calls.csv", [ROWS[0], ROWS[1]])
    ingest_file(path, lake=lake, rules=type(rules)(local_area_codes=("010",)))

    assert [r[7:] for r in day_rows(lake, "2025-03-01")] == [(0, False), (0, True)]


def test_the_same_file_twice_writes_the_same_bytes(tmp_path, lake, rules):
    path = write_csv(tmp_path / "calls.csv")
    first = ingest_file(path, lake=lake, rules=rules)
    files = sorted(p for p in lake.root.rglob("*") if p.is_file())
    before = {p: p.read_bytes() for p in files}

    second = ingest_file(path, lake=lake, rules=rules)

    assert sorted(p for p in lake.root.rglob("*") if p.is_file()) == files
    assert {p: p.read_bytes() for p in files} == before
    assert len(files) == 3  # two days and the quarantine
    assert {**vars(second), "seconds": 0} == {**vars(first), "seconds": 0}


def test_a_file_missing_a_column_is_refused_and_writes_nothing(tmp_path, lake, rules):
    path = tmp_path / "calls.csv"
    header = ",".join(c for c in COLUMNS if c != "charge")
    path.write_text(header + "\n2025-03-01 08:00:00,13800000001,01012345678,,CT,60\n")

    with pytest.raises(IngestError, match="missing columns: charge"):
        ingest_file(path, lake=lake, rules=rules)

    assert not lake.root.exists()


def test_a_parquet_file_missing_a_column_is_refused(tmp_path, lake, rules):
    path = tmp_path / "calls.parquet"
    pq.write_table(pa.table({c: ["x"] for c in COLUMNS if c != "duration_s"}), path)

    with pytest.raises(IngestError, match="missing columns: duration_s"):
        ingest_file(path, lake=lake, rules=rules)

    assert not lake.root.exists()


def test_parquet_input_lands_the_same_rows(tmp_path, lake, rules):
    well_formed = [(line, text) for line, text in ROWS if BAD.get(line) != "malformed_line"]
    csv = write_csv(tmp_path / "calls.csv", well_formed)
    parquet = tmp_path / "calls.parquet"
    pq.write_table(
        pacsv.read_csv(
            csv,
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(COLUMNS, pa.string())),
        ),
        parquet,
    )

    report = ingest_file(parquet, lake=lake, rules=rules)

    assert (report.rows_in, report.rows_ok, report.rows_bad) == (11, 6, 5)
    assert report.days == {"2025-03-01": 3, "2025-03-02": 3}
    for day, rows in GOOD.items():
        assert day_rows(lake, day) == rows
    # For Parquet, `line` is the row number (1-based).
    rows = [line for line, _text in well_formed]
    quarantine = pq.read_table(report.quarantine_path).to_pylist()
    assert [(q["line"], q["reason"]) for q in quarantine] == [
        (rows.index(line) + 1, reason) for line, reason in sorted(BAD.items()) if line in rows
    ]


def test_an_unknown_file_type_is_refused(tmp_path, lake, rules):
    path = tmp_path / "calls.xlsx"
    path.write_bytes(b"PK")

    with pytest.raises(IngestError, match="unsupported file type"):
        ingest_file(path, lake=lake, rules=rules)


def test_a_line_missing_several_fields_is_one_malformed_row(tmp_path):
    from telekam.analytics.ingest import CallRules, ingest_file
    from telekam.analytics.lake import Lake

    path = tmp_path / "short.csv"
    path.write_text(
        "call_start,calling_line,called_number,dialled_prefix,trunk_carrier,duration_s,charge\n"
        "2026-11-02 09:00:00,02150001234,01088889999,17911,CT,120,0.60\n"
        "2026-11-02 09:01:00,02150001234\n"
    )
    report = ingest_file(path, lake=Lake(tmp_path / "lake"), rules=CallRules())
    assert (report.rows_in, report.rows_ok, report.rows_bad) == (2, 1, 1)
    assert report.reasons == {"malformed_line": 1}
    assert [(s["line"], s["reason"]) for s in report.samples] == [(3, "malformed_line")]
