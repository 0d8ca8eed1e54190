"""Reading satisfaction survey files (CSV or Excel) into checked rows.

The file formats (encoding, CSV dialect, .xlsx, header names) are read with the billing
statement reader's helpers (telekam.billing.importers), so both imports accept the same
files. This module knows the survey's columns and cell formats only; whether an account
exists is the service's question (`service.services.surveys.survey_import`). Every row is
read and every problem collected, so the user fixes the file once.

Columns (header row, any order, case-insensitive, Chinese or English names; other columns
are ignored):

    客户编码 / account_code   the account's code
    调查名称 / survey         e.g. 2026年度满意度调查 (at most 60 characters)
    调查日期 / surveyed_on    2026-03-05, 2026/3/5, 2026年3月5日 or an Excel date; not after today
    评价     / rating         满意、一般、不满意 (非常满意、非常不满意), or satisfied, neutral, dissatisfied
    受访人   / respondent     optional, at most 60 characters
    意见     / comment        optional, at most 500 characters
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import enum
import io
import re
from collections.abc import Iterator, Sequence
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from telekam.billing.importers import (
    RowError,
    _csv_rows,
    _decode,
    _header_key,
    _is_blank,
    _kind,
    _shown,
    _xlsx_rows,
    map_header,
    parse_code,
)
from telekam.core.errors import ApplicationError
from telekam.service.models import SurveyRating

ACCOUNT = "account_code"
SURVEY = "survey"
DATE = "surveyed_on"
RATING = "rating"
RESPONDENT = "respondent"
COMMENT = "comment"
FIELDS = (ACCOUNT, SURVEY, DATE, RATING, RESPONDENT, COMMENT)
REQUIRED = (ACCOUNT, SURVEY, DATE, RATING)

COLUMN_LABELS: dict[str, Promise] = {
    ACCOUNT: gettext_lazy("客户编码"),
    SURVEY: gettext_lazy("调查名称"),
    DATE: gettext_lazy("调查日期"),
    RATING: gettext_lazy("评价"),
    RESPONDENT: gettext_lazy("受访人"),
    COMMENT: gettext_lazy("意见"),
}
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    ACCOUNT: ("客户编码", "客户代码", "account_code", "account", "customer_code"),
    SURVEY: ("调查名称", "调查", "问卷名称", "survey", "survey_name"),
    DATE: ("调查日期", "日期", "surveyed_on", "survey_date", "date"),
    RATING: ("评价", "满意度", "评价结果", "rating", "satisfaction"),
    RESPONDENT: ("受访人", "受访者", "respondent"),
    COMMENT: ("意见", "意见建议", "客户意见", "comment", "comments"),
}
_ALIAS_INDEX = {
    _header_key(alias): field for field, names in COLUMN_ALIASES.items() for alias in names
}
# SurveyResponse's text columns
MAX_LENGTH = {SURVEY: 60, RESPONDENT: 60, COMMENT: 500}

RATINGS: dict[str, str] = {
    "满意": SurveyRating.SATISFIED,
    "非常满意": SurveyRating.SATISFIED,
    "一般": SurveyRating.NEUTRAL,
    "不满意": SurveyRating.DISSATISFIED,
    "非常不满意": SurveyRating.DISSATISFIED,
    "satisfied": SurveyRating.SATISFIED,
    "neutral": SurveyRating.NEUTRAL,
    "dissatisfied": SurveyRating.DISSATISFIED,
}

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),  # 20260305
)
EARLIEST_YEAR = 1990
# Excel's day numbers for 1990-01-01 and 2199-12-31: a bare number in that range in an
# .xlsx cell is a date whose cell lost its date format.
_EXCEL_SERIALS = (32874, 109574)
# Every row is validated, but a report with thousands of entries helps nobody.
MAX_REPORTED_ERRORS = 1000


class SurveyErrorCode(enum.StrEnum):
    IMPORT_INVALID = "survey_import_invalid"
    IMPORT_CONFLICT = "survey_import_conflict"


class SurveyRowErrorCode(enum.StrEnum):
    """What is wrong with one cell (or, for the file-level ones, with the whole file)."""

    # file level
    UNREADABLE = "unreadable_file"
    UNSUPPORTED_FORMAT = "unsupported_format"
    EMPTY = "empty_file"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    # cell level
    MISSING_VALUE = "missing_value"
    TOO_LONG = "too_long"
    UNKNOWN_ACCOUNT = "unknown_account"
    BAD_DATE = "bad_date"
    FUTURE_DATE = "future_date"
    BAD_RATING = "bad_rating"
    DUPLICATE_ROW = "duplicate_row"


class SurveyImportInvalid(ApplicationError):
    """The survey file has errors; nothing was imported.

    `details` is the list of errors in file order, each a dict {"line", "column", "value",
    "message", "code"}; `line` is the line as the user sees it (the header is line 1), None
    for an error about the whole file. `error_count` is the total (details stops at
    MAX_REPORTED_ERRORS)."""

    status = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        count = len(errors)
        if count > MAX_REPORTED_ERRORS:
            message = _("调查文件有 %(n)d 处错误（仅列出前 %(m)d 处），未导入任何数据。") % {
                "n": count,
                "m": MAX_REPORTED_ERRORS,
            }
        else:
            message = _("调查文件有 %(n)d 处错误，未导入任何数据。") % {"n": count}
        super().__init__(
            message, code=SurveyErrorCode.IMPORT_INVALID, details=errors[:MAX_REPORTED_ERRORS]
        )
        self.error_count = count


@dataclasses.dataclass(frozen=True)
class SurveyRow:
    """A data row whose cells are all well-formed (the account code is not yet looked up)."""

    line: int
    account_code: str
    survey: str
    surveyed_on: dt.date
    rating: str
    respondent: str
    comment: str


@dataclasses.dataclass
class ParsedSurvey:
    rows: list[SurveyRow]
    errors: list[RowError]
    # field -> the header as written in the file, for messages about that column
    columns: dict[str, str]
    # every data row whose account code could be read, good or bad: (line, code), so an
    # unknown code on a row with another bad cell is reported in the same round
    codes: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    # non-blank data rows, good or bad
    data_rows: int = 0
    # a file-level error: no row could be read at all
    fatal: bool = False


class _CellError(Exception):
    def __init__(self, message: str, code: SurveyRowErrorCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --- cell parsers: each returns the value or raises _CellError ---------------------------


def _date_from_text(text: str) -> dt.date | None:
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        year, month, day = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day)  # rejects 2026-02-30
        except ValueError:
            return None
    return None


def parse_date(value: Any, *, today: dt.date) -> dt.date:
    """The survey date; `today` is the latest date allowed."""
    day: dt.date | None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, bool):
        day = None
    elif isinstance(value, int | float):  # an .xlsx cell: a date without its format?
        day = None
        if _EXCEL_SERIALS[0] <= value <= _EXCEL_SERIALS[1]:
            from openpyxl.utils.datetime import from_excel

            day = from_excel(value).date()
        else:
            day = _date_from_text(parse_code(value))
    else:
        day = _date_from_text(str(value).strip())
    if day is None or day.year < EARLIEST_YEAR:
        raise _CellError(
            _("调查日期格式不正确，应为 YYYY-MM-DD 或 YYYY/MM/DD（例如 2026-03-05）。"),
            SurveyRowErrorCode.BAD_DATE,
        )
    if day > today:
        raise _CellError(
            _("调查日期 %(day)s 晚于今天（%(today)s）。")
            % {"day": day.isoformat(), "today": today.isoformat()},
            SurveyRowErrorCode.FUTURE_DATE,
        )
    return day


def parse_rating(value: Any) -> str:
    rating = RATINGS.get(str(value).strip().casefold())
    if rating is None:
        raise _CellError(
            _("评价应为“满意”“一般”或“不满意”（也可写“非常满意”“非常不满意”）。"),
            SurveyRowErrorCode.BAD_RATING,
        )
    return rating


def parse_text(value: Any, *, field: str) -> str:
    text = "" if value is None else str(parse_code(value)).strip()
    limit = MAX_LENGTH[field]
    if len(text) > limit:
        raise _CellError(
            _("“%(label)s”最多 %(n)d 个字，这里有 %(len)d 个字。")
            % {"label": COLUMN_LABELS[field], "n": limit, "len": len(text)},
            SurveyRowErrorCode.TOO_LONG,
        )
    return text


# --- reading the file ---------------------------------------------------------------------


def _file_error(message: str, code: SurveyRowErrorCode, *, line: int | None = None) -> ParsedSurvey:
    return ParsedSurvey(
        rows=[], errors=[RowError(line, "", "", message, code)], columns={}, fatal=True
    )


def parse_survey(*, file_name: str, content: bytes, today: dt.date) -> ParsedSurvey:
    """Read a survey file; `today` is the latest survey date accepted."""
    kind = _kind(file_name, content)
    if kind == "xls":
        return _file_error(
            _("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再导入。"),
            SurveyRowErrorCode.UNSUPPORTED_FORMAT,
        )
    rows: Iterator[Sequence[Any]]
    if kind == "xlsx":
        rows = _xlsx_rows(content)
    else:
        text = _decode(content)
        if text is None or "\x00" in text:
            return _file_error(
                _("无法读取文件：请上传 CSV（UTF-8 或 GBK 编码）或 Excel .xlsx 表格。"),
                SurveyRowErrorCode.UNREADABLE,
            )
        rows = _csv_rows(text)
    try:
        return _parse_rows(rows, today=today)
    except csv.Error as exc:
        return _file_error(
            _("CSV 文件格式有误：%(error)s") % {"error": exc}, SurveyRowErrorCode.UNREADABLE
        )
    except Exception:  # a damaged .xlsx can fail in many ways inside openpyxl
        if kind != "xlsx":
            raise
        return _file_error(
            _("无法读取 Excel 文件，文件可能已损坏或不是 .xlsx 格式。"),
            SurveyRowErrorCode.UNREADABLE,
        )


def _parse_rows(rows: Iterator[Sequence[Any]], *, today: dt.date) -> ParsedSurvey:
    header = next(rows, None)
    if header is None:
        return _file_error(_("文件是空的。"), SurveyRowErrorCode.EMPTY)
    if all(_is_blank(c) for c in header):
        return _file_error(
            _("第 1 行应为表头（客户编码、调查名称、调查日期、评价、受访人、意见）。"),
            SurveyRowErrorCode.EMPTY,
            line=1,
        )
    index, names, header_errors = map_header(
        header,
        alias_index=_ALIAS_INDEX,
        labels=COLUMN_LABELS,
        required=REQUIRED,
        duplicate_code=SurveyRowErrorCode.DUPLICATE_COLUMN,
        missing_code=SurveyRowErrorCode.MISSING_COLUMN,
    )
    if header_errors:
        return ParsedSurvey(rows=[], errors=header_errors, columns=names, fatal=True)

    parsed: list[SurveyRow] = []
    errors: list[RowError] = []
    codes: list[tuple[int, str]] = []
    first_line: dict[tuple[str, str], int] = {}  # (account code, survey) -> first line
    data_rows = 0
    for line, cells in enumerate(rows, start=2):
        raw = {f: (cells[i] if i < len(cells) else None) for f, i in index.items()}
        if all(_is_blank(c) for c in cells):
            continue  # blank line (Excel leaves them at the end)
        data_rows += 1
        values: dict[str, Any] = {}
        row_errors: list[RowError] = []
        for field in FIELDS:
            if field not in index:
                values[field] = ""
                continue
            value = raw[field]
            if _is_blank(value) and field in REQUIRED:
                row_errors.append(
                    RowError(
                        line,
                        names[field],
                        "",
                        _("“%(label)s”不能为空。") % {"label": names[field]},
                        SurveyRowErrorCode.MISSING_VALUE,
                    )
                )
                continue
            try:
                if field == DATE:
                    values[field] = parse_date(value, today=today)
                elif field == RATING:
                    values[field] = parse_rating(value)
                elif field == ACCOUNT:
                    values[field] = parse_code(value)
                else:
                    values[field] = parse_text(value, field=field)
            except _CellError as exc:
                row_errors.append(
                    RowError(line, names[field], _shown(value), exc.message, exc.code)
                )
        account, survey = values.get(ACCOUNT), values.get(SURVEY)
        if account is not None:
            codes.append((line, account))
        if account is not None and survey is not None:
            first = first_line.setdefault((account, survey), line)
            if first != line:
                row_errors.append(
                    RowError(
                        line,
                        names[ACCOUNT],
                        account,
                        _(
                            "客户“%(code)s”在“%(survey)s”中已有一行（第 %(first)d 行），"
                            "同一客户在同一调查中只能有一条结果。"
                        )
                        % {"code": account, "survey": survey, "first": first},
                        SurveyRowErrorCode.DUPLICATE_ROW,
                    )
                )
        if row_errors:
            errors.extend(row_errors)
            continue
        parsed.append(
            SurveyRow(
                line=line,
                account_code=values[ACCOUNT],
                survey=values[SURVEY],
                surveyed_on=values[DATE],
                rating=values[RATING],
                respondent=values[RESPONDENT],
                comment=values[COMMENT],
            )
        )
    if data_rows == 0:
        errors.append(
            RowError(None, "", "", _("文件中没有调查结果数据。"), SurveyRowErrorCode.EMPTY)
        )
        return ParsedSurvey(rows=[], errors=errors, columns=names, fatal=True)
    return ParsedSurvey(rows=parsed, errors=errors, columns=names, codes=codes, data_rows=data_rows)


def template_csv() -> bytes:
    """A header and one example row, UTF-8 with BOM so that Excel shows the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(COLUMN_LABELS[f]) for f in FIELDS])
    # The example account code cannot exist: importing the template unchanged is refused.
    writer.writerow(
        ["示例-KA00000001", "2026年度满意度调查", "2026-03-05", "满意", "张经理", "网络稳定"]
    )
    return buffer.getvalue().encode("utf-8-sig")
