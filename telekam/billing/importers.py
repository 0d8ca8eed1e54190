"""Reading billing statement files (CSV or Excel) into checked rows.

This module knows file formats and cell formats only; whether an account or a product
exists is the service's question (`billing.services.billing_import`). Every row is read
and every problem collected, so the user fixes the file once.

Columns (header row, any order, case-insensitive, Chinese or English names; other columns
are ignored):

    客户编码 / account_code   the account's code
    账期     / month          2026-09, 2026-09-01, 202609, 2026/9, 2026年9月 or an Excel date
    产品编码 / product        a catalog product code
    金额     / amount         yuan, at most 2 decimals, may be negative (a credit)
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import enum
import functools
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from telekam.billing.errors import RowErrorCode

ACCOUNT = "account_code"
MONTH = "month"
PRODUCT = "product"
AMOUNT = "amount"
FIELDS = (ACCOUNT, MONTH, PRODUCT, AMOUNT)

# The label used in messages and in the downloadable template.
COLUMN_LABELS: dict[str, Promise] = {
    ACCOUNT: gettext_lazy("客户编码"),
    MONTH: gettext_lazy("账期"),
    PRODUCT: gettext_lazy("产品编码"),
    AMOUNT: gettext_lazy("金额"),
}
# Accepted header names, compared after `_header_key` (case, spaces, brackets ignored).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    ACCOUNT: ("客户编码", "客户代码", "account_code", "account", "customer_code"),
    MONTH: ("账期", "账务月份", "计费月份", "month", "billing_month"),
    PRODUCT: ("产品编码", "产品代码", "product", "product_code"),
    AMOUNT: ("金额", "金额元", "金额（元）", "amount", "amount_yuan"),
}

MAX_AMOUNT = Decimal("1000000000000")  # BillingLine.amount: 14 digits, 2 of them decimals
CENT = Decimal("0.01")
MAX_VALUE_SHOWN = 60

_AMOUNT_PLAIN = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_AMOUNT_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_MONTH_PATTERNS = (
    re.compile(r"^(\d{4})(\d{2})$"),  # 202609
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),  # 2026-09, 2026/9
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?$"),  # 2026年9月
)


def _header_key(text: str) -> str:
    key = text.replace("\ufeff", "").strip().casefold()
    for ch in " -_()（）":
        key = key.replace(ch, "")
    return key


_ALIAS_INDEX = {
    _header_key(alias): field for field, names in COLUMN_ALIASES.items() for alias in names
}


@dataclasses.dataclass(frozen=True)
class RowError:
    """One problem in the file, as the user sees it: line (header = 1), column, value."""

    line: int | None
    column: str
    value: str
    message: str
    code: enum.StrEnum  # the importer's own codes (billing's RowErrorCode, the survey's...)

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "code": str(self.code),
        }


class StatementRow(NamedTuple):
    """A data row whose cells are well-formed (the codes are not yet looked up)."""

    line: int
    account_code: str
    month: dt.date
    product_code: str
    amount: Decimal


@dataclasses.dataclass
class ParsedStatement:
    rows: list[StatementRow]
    errors: list[RowError]
    # field -> the header as written in the file, for messages about that column
    columns: dict[str, str]
    # non-blank data rows, good or bad
    data_rows: int = 0
    # rows with a bad cell whose account or product code still read: (line, account, product),
    # so an unknown code on such a row is reported in the same round
    codes_only: list[tuple[int, str | None, str | None]] = dataclasses.field(default_factory=list)
    # a file-level error: no row could be read at all
    fatal: bool = False


class _CellError(Exception):
    def __init__(self, message: str, code: RowErrorCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= MAX_VALUE_SHOWN else text[: MAX_VALUE_SHOWN - 1] + "…"


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- cell parsers: each returns the value or raises _CellError ---------------------------


def parse_code(value: Any) -> str:
    """A code cell. Excel may store a numeric-looking code as a number: 123.0 -> '123'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@functools.lru_cache(maxsize=512)
def _month_from_text(text: str) -> dt.date | None:
    for pattern in _MONTH_PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        groups = match.groups()
        year, month = int(groups[0]), int(groups[1])
        day = int(groups[2]) if len(groups) > 2 and groups[2] else 1
        try:
            dt.date(year, month, day)  # rejects month 13 and 2026-02-30
        except ValueError:
            return None
        return dt.date(year, month, 1)
    return None


def parse_month(value: Any, *, latest: dt.date) -> dt.date:
    """The billing month (its first day). `latest` is the first day of the last month that
    may be billed (the current month); later months are refused."""
    month: dt.date | None
    if isinstance(value, dt.datetime):
        month = dt.date(value.year, value.month, 1)
    elif isinstance(value, dt.date):
        month = value.replace(day=1)
    elif isinstance(value, bool):
        month = None
    elif isinstance(value, int | float):
        month = _month_from_text(parse_code(value))
    else:
        month = _month_from_text(str(value).strip())
    if month is None or month.year < 1990:
        raise _CellError(
            _("账期格式不正确，应为 YYYY-MM、YYYY-MM-DD 或 YYYYMM（例如 2026-09）。"),
            RowErrorCode.BAD_MONTH,
        )
    if month > latest:
        raise _CellError(
            _("账期 %(month)s 晚于当前月份 %(now)s，不能导入未来月份的账单。")
            % {"month": f"{month:%Y-%m}", "now": f"{latest:%Y-%m}"},
            RowErrorCode.FUTURE_MONTH,
        )
    return month


def parse_amount(value: Any) -> Decimal:
    """Yuan with at most two decimals. Excel numbers are read as Excel shows them (15
    significant digits), so a formula's 1234.5600000000002 is 1234.56."""
    amount: Decimal | None = None
    if isinstance(value, bool):
        amount = None
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = (
            Decimal(format(value, ".15g"))
            if value == value and abs(value) != float("inf")
            else None
        )
    else:
        text = str(value).strip().lstrip("¥￥").strip()
        if _AMOUNT_GROUPED.match(text):
            text = text.replace(",", "")
        if _AMOUNT_PLAIN.match(text):
            try:
                amount = Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
                amount = None
    if amount is None or not amount.is_finite():
        raise _CellError(_("金额不是有效的数字。"), RowErrorCode.BAD_AMOUNT)
    if amount != amount.quantize(CENT):
        raise _CellError(_("金额最多保留两位小数。"), RowErrorCode.BAD_AMOUNT)
    if abs(amount) >= MAX_AMOUNT:
        raise _CellError(_("金额超出允许范围。"), RowErrorCode.BAD_AMOUNT)
    return amount.quantize(CENT)


# --- reading the file ---------------------------------------------------------------------


def _file_error(
    message: str, code: RowErrorCode, *, line: int | None = None, column: str = ""
) -> ParsedStatement:
    return ParsedStatement(
        rows=[], errors=[RowError(line, column, "", message, code)], columns={}, fatal=True
    )


def _decode(content: bytes) -> str | None:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _csv_rows(text: str) -> Iterator[Sequence[Any]]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_rows(content: bytes) -> Iterator[Sequence[Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # some writers store a wrong sheet size
        yield from sheet.iter_rows(min_row=1, values_only=True)
    finally:
        workbook.close()


def _kind(file_name: str, content: bytes) -> str:
    name = file_name.lower()
    if content.startswith(b"PK\x03\x04") or name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if content.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        return "xls"
    return "csv"


def parse_statement(*, file_name: str, content: bytes, today: dt.date) -> ParsedStatement:
    """Read a statement file; `today` decides which months are in the future."""
    kind = _kind(file_name, content)
    if kind == "xls":
        return _file_error(
            _("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再导入。"),
            RowErrorCode.UNSUPPORTED_FORMAT,
        )
    rows: Iterator[Sequence[Any]]
    if kind == "xlsx":
        rows = _xlsx_rows(content)
    else:
        text = _decode(content)
        if text is None:
            return _file_error(
                _("无法识别文件编码，请将 CSV 保存为 UTF-8 或 GBK 编码。"), RowErrorCode.UNREADABLE
            )
        rows = _csv_rows(text)
    try:
        return _parse_rows(rows, today=today)
    except csv.Error as exc:
        return _file_error(
            _("CSV 文件格式有误：%(error)s") % {"error": exc}, RowErrorCode.UNREADABLE
        )
    except Exception:  # a damaged .xlsx can fail in many ways inside openpyxl
        if kind != "xlsx":
            raise
        return _file_error(
            _("无法读取 Excel 文件，文件可能已损坏或不是 .xlsx 格式。"), RowErrorCode.UNREADABLE
        )


def map_header(
    header: Sequence[Any],
    *,
    alias_index: Mapping[str, str],
    labels: Mapping[str, Any],
    required: Iterable[str],
    duplicate_code: enum.StrEnum,
    missing_code: enum.StrEnum,
) -> tuple[dict[str, int], dict[str, str], list[RowError]]:
    """A spreadsheet's header row read against an importer's columns: each field's
    position and the header as written (`alias_index` maps a normalised header, see
    `_header_key`, to its field), with an error for a column given twice and for each
    required column missing. The billing and survey importers read their headers here."""
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    errors: list[RowError] = []
    for position, cell in enumerate(header):
        if _is_blank(cell):
            continue
        written = str(cell).replace("\ufeff", "").strip()
        field = alias_index.get(_header_key(written))
        if field is None:
            continue
        if field in index:
            errors.append(
                RowError(
                    1,
                    written,
                    written,
                    _("“%(label)s”列出现了不止一次。") % {"label": labels[field]},
                    duplicate_code,
                )
            )
            continue
        index[field] = position
        names[field] = written
    for field in required:
        if field not in index:
            errors.append(
                RowError(
                    1,
                    str(labels[field]),
                    "",
                    _("缺少必填列“%(label)s”（也可写作 %(alias)s）。")
                    % {"label": labels[field], "alias": field},
                    missing_code,
                )
            )
    return index, names, errors


def _parse_rows(rows: Iterator[Sequence[Any]], *, today: dt.date) -> ParsedStatement:
    header = next(rows, None)
    if header is None:
        return _file_error(_("文件是空的。"), RowErrorCode.EMPTY)
    if all(_is_blank(c) for c in header):
        return _file_error(
            _("第 1 行应为表头（客户编码、账期、产品编码、金额）。"), RowErrorCode.EMPTY, line=1
        )
    index, names, header_errors = map_header(
        header,
        alias_index=_ALIAS_INDEX,
        labels=COLUMN_LABELS,
        required=FIELDS,
        duplicate_code=RowErrorCode.DUPLICATE_COLUMN,
        missing_code=RowErrorCode.MISSING_COLUMN,
    )
    if header_errors:
        return ParsedStatement(rows=[], errors=header_errors, columns=names, fatal=True)

    latest = today.replace(day=1)
    i_account, i_month, i_product, i_amount = (index[f] for f in FIELDS)
    width = max(index.values()) + 1
    parsed: list[StatementRow] = []
    codes_only: list[tuple[int, str | None, str | None]] = []
    errors: list[RowError] = []
    data_rows = 0
    for line, cells in enumerate(rows, start=2):
        if len(cells) < width:
            cells = (*cells, *([None] * (width - len(cells))))
        raw = (cells[i_account], cells[i_month], cells[i_product], cells[i_amount])
        account, month, product, amount = raw
        if account.__class__ is str and product.__class__ is str:
            # Fast path for a well-formed row; anything odd (a blank, a bad value) takes
            # the general path below, which reports the errors.
            account, product = account.strip(), product.strip()
            if account and product:
                try:
                    parsed.append(
                        StatementRow(
                            line,
                            account,
                            parse_month(month, latest=latest),
                            product,
                            parse_amount(amount),
                        )
                    )
                    data_rows += 1
                    continue
                except _CellError:
                    pass
        if all(_is_blank(c) for c in raw) and all(_is_blank(c) for c in cells):
            continue  # blank line (Excel leaves them at the end)
        data_rows += 1
        values: list[Any] = [None, None, None, None]
        ok = True
        for slot, (field, value) in enumerate(zip(FIELDS, raw, strict=True)):
            if _is_blank(value):
                errors.append(
                    RowError(
                        line,
                        names[field],
                        "",
                        _("“%(label)s”不能为空。") % {"label": names[field]},
                        RowErrorCode.MISSING_VALUE,
                    )
                )
                ok = False
                continue
            try:
                if field == MONTH:
                    values[slot] = parse_month(value, latest=latest)
                elif field == AMOUNT:
                    values[slot] = parse_amount(value)
                else:
                    values[slot] = parse_code(value)
            except _CellError as exc:
                errors.append(RowError(line, names[field], _shown(value), exc.message, exc.code))
                ok = False
        if ok:
            parsed.append(StatementRow(line, values[0], values[1], values[2], values[3]))
        elif values[0] is not None or values[2] is not None:
            codes_only.append((line, values[0], values[2]))
    if data_rows == 0:
        errors.append(RowError(None, "", "", _("文件中没有账单数据。"), RowErrorCode.EMPTY))
        return ParsedStatement(rows=[], errors=errors, columns=names, fatal=True)
    return ParsedStatement(
        rows=parsed, errors=errors, columns=names, data_rows=data_rows, codes_only=codes_only
    )


def template_csv() -> bytes:
    """A header and one example row, UTF-8 with BOM so that Excel shows the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(COLUMN_LABELS[f]) for f in FIELDS])
    # The example account code cannot exist: importing the template unchanged is refused.
    writer.writerow(["示例-KA00000001", "2026-09", "digital_circuit", "2800.00"])
    return buffer.getvalue().encode("utf-8-sig")
