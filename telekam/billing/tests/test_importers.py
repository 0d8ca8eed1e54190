"""File and cell parsing: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from telekam.billing.errors import RowErrorCode
from telekam.billing.importers import (
    StatementRow,
    _CellError,
    parse_amount,
    parse_month,
    parse_statement,
    template_csv,
)
from telekam.billing.tests.helpers import csv_bytes, xlsx_bytes

TODAY = dt.date(2026, 11, 15)
LATEST = dt.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-09", dt.date(2026, 9, 1)),
        ("2026-9", dt.date(2026, 9, 1)),
        ("2026-09-30", dt.date(2026, 9, 1)),
        ("202609", dt.date(2026, 9, 1)),
        ("2026/9/1", dt.date(2026, 9, 1)),
        ("2026/09", dt.date(2026, 9, 1)),
        ("2026-09-01 00:00:00", dt.date(2026, 9, 1)),
        ("2026年9月", dt.date(2026, 9, 1)),
        (" 2026-11 ", dt.date(2026, 11, 1)),
        (202609, dt.date(2026, 9, 1)),
        (202609.0, dt.date(2026, 9, 1)),
        (dt.datetime(2026, 9, 17, 0, 0), dt.date(2026, 9, 1)),  # noqa: DTZ001 - Excel cells are naive
        (dt.date(2025, 12, 31), dt.date(2025, 12, 1)),
    ],
)
def test_month_formats(value, expected):
    assert parse_month(value, latest=LATEST) == expected


@pytest.mark.parametrize(
    "value", ["2026-13", "2026-02-30", "26-09", "abc", "2026", "20269", "1899-01", True]
)
def test_bad_months(value):
    with pytest.raises(_CellError) as info:
        parse_month(value, latest=LATEST)
    assert info.value.code == RowErrorCode.BAD_MONTH


def test_future_month_is_refused_current_month_is_not():
    assert parse_month("2026-11", latest=LATEST) == LATEST
    with pytest.raises(_CellError) as info:
        parse_month("2026-12", latest=LATEST)
    assert info.value.code == RowErrorCode.FUTURE_MONTH
    assert "2026-12" in info.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234.5", Decimal("1234.50")),
        ("-300", Decimal("-300.00")),
        ("+12.34", Decimal("12.34")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("¥2800.00", Decimal("2800.00")),
        ("12.500", Decimal("12.50")),
        (2800, Decimal("2800.00")),
        (1234.56, Decimal("1234.56")),
        (0.1 + 0.2, Decimal("0.30")),  # Excel shows 0.3
        (Decimal("7.1"), Decimal("7.10")),
    ],
)
def test_amounts(value, expected):
    amount = parse_amount(value)
    assert amount == expected
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "12.345",
        "1e3",
        "NaN",
        "Infinity",
        "1,23",
        "12,34.5",
        "1000000000000",
        True,
        float("nan"),
    ],
)
def test_bad_amounts(value):
    with pytest.raises(_CellError) as info:
        parse_amount(value)
    assert info.value.code == RowErrorCode.BAD_AMOUNT


def test_header_in_english_any_case_any_order_extra_columns_ignored():
    content = csv_bytes(
        [["xx", "1500.00", "ip_vpn", "KA1", "2026-10"]],
        header=["Remark", "AMOUNT", "Product", "Account_Code", "Month"],
    )
    parsed = parse_statement(file_name="s.csv", content=content, today=TODAY)
    assert parsed.errors == []
    assert parsed.rows == [
        StatementRow(2, "KA1", dt.date(2026, 10, 1), "ip_vpn", Decimal("1500.00"))
    ]
    assert parsed.columns == {
        "account_code": "Account_Code",
        "month": "Month",
        "product": "Product",
        "amount": "AMOUNT",
    }


def test_missing_columns_are_a_file_level_error_naming_each():
    content = csv_bytes([["KA1", "100"]], header=["客户编码", "金额"])
    parsed = parse_statement(file_name="s.csv", content=content, today=TODAY)
    assert parsed.fatal
    assert [(e.line, e.column, e.code) for e in parsed.errors] == [
        (1, "账期", RowErrorCode.MISSING_COLUMN),
        (1, "产品编码", RowErrorCode.MISSING_COLUMN),
    ]
    assert parsed.errors[0].message == "缺少必填列“账期”（也可写作 month）。"


def test_duplicate_column():
    content = csv_bytes([], header=["客户编码", "account_code", "账期", "产品编码", "金额"])
    parsed = parse_statement(file_name="s.csv", content=content, today=TODAY)
    assert parsed.fatal
    assert [(e.line, e.column, e.code) for e in parsed.errors] == [
        (1, "account_code", RowErrorCode.DUPLICATE_COLUMN)
    ]


def test_blank_lines_are_skipped_and_missing_values_reported_with_line_numbers():
    content = csv_bytes(
        [
            ["KA1", "2026-10", "ip_vpn", "100"],
            ["", "", "", ""],
            ["KA2", "", "ip_vpn", ""],
        ]
    )
    parsed = parse_statement(file_name="s.csv", content=content, today=TODAY)
    assert parsed.data_rows == 2
    assert [(e.line, e.column, e.code) for e in parsed.errors] == [
        (4, "账期", RowErrorCode.MISSING_VALUE),
        (4, "金额", RowErrorCode.MISSING_VALUE),
    ]
    assert parsed.errors[0].message == "“账期”不能为空。"


def test_header_only_file_and_empty_file():
    parsed = parse_statement(file_name="s.csv", content=csv_bytes([]), today=TODAY)
    assert parsed.fatal
    assert parsed.errors[0].code == RowErrorCode.EMPTY
    parsed = parse_statement(file_name="s.csv", content=b"", today=TODAY)
    assert parsed.fatal
    assert parsed.errors[0].code == RowErrorCode.EMPTY


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings(encoding):
    content = csv_bytes([["KA1", "2026年10月", "ip_vpn", "100"]], encoding=encoding)
    parsed = parse_statement(file_name="账单.csv", content=content, today=TODAY)
    assert parsed.errors == []
    assert parsed.rows[0].month == dt.date(2026, 10, 1)


def test_tab_separated_text():
    content = "客户编码\t账期\t产品编码\t金额\r\nKA1\t2026-10\tip_vpn\t1,500.00\r\n".encode(
        "utf-16"
    )
    parsed = parse_statement(file_name="账单.txt", content=content, today=TODAY)
    assert parsed.rows == [
        StatementRow(2, "KA1", dt.date(2026, 10, 1), "ip_vpn", Decimal("1500.00"))
    ]


def test_xlsx_with_date_and_number_cells():
    content = xlsx_bytes(
        [
            ["KA1", dt.datetime(2026, 10, 1), "ip_vpn", 1500.5],  # noqa: DTZ001 - naive like Excel
            [None, None, None, None],
            [12345, 202609, "idc", 4500],
            ["KA3", "2026-09", "idc", "x"],
        ]
    )
    parsed = parse_statement(file_name="账单.xlsx", content=content, today=TODAY)
    assert parsed.rows == [
        StatementRow(2, "KA1", dt.date(2026, 10, 1), "ip_vpn", Decimal("1500.50")),
        StatementRow(4, "12345", dt.date(2026, 9, 1), "idc", Decimal("4500.00")),
    ]
    assert [(e.line, e.column, e.value, e.code) for e in parsed.errors] == [
        (5, "金额", "x", RowErrorCode.BAD_AMOUNT)
    ]


def test_broken_xlsx_and_old_xls_are_refused_clearly():
    parsed = parse_statement(file_name="a.xlsx", content=b"PK\x03\x04garbage", today=TODAY)
    assert parsed.fatal
    assert parsed.errors[0].code == RowErrorCode.UNREADABLE
    parsed = parse_statement(file_name="a.xls", content=b"\xd0\xcf\x11\xe0rest", today=TODAY)
    assert parsed.fatal
    assert parsed.errors[0].code == RowErrorCode.UNSUPPORTED_FORMAT


def test_template_reads_back_as_a_statement():
    content = template_csv()
    assert content.startswith(b"\xef\xbb\xbf")
    parsed = parse_statement(file_name="template.csv", content=content, today=TODAY)
    assert parsed.errors == []
    assert parsed.rows == [
        StatementRow(
            2, "示例-KA00000001", dt.date(2026, 9, 1), "digital_circuit", Decimal("2800.00")
        )
    ]
