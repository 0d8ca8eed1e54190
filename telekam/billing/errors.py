"""Error codes of the billing app. The API maps them to a 4xx with the Chinese message."""

from __future__ import annotations

import enum
from typing import Any

from django.utils.translation import gettext as _

from telekam.core.errors import ApplicationError


class BillingErrorCode(enum.StrEnum):
    IMPORT_INVALID = "billing_import_invalid"
    IMPORT_CONFLICT = "billing_import_conflict"


class RowErrorCode(enum.StrEnum):
    """What is wrong with one cell (or, for the file-level ones, with the whole file)."""

    # file level
    UNREADABLE = "unreadable_file"
    UNSUPPORTED_FORMAT = "unsupported_format"
    EMPTY = "empty_file"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    # cell level
    MISSING_VALUE = "missing_value"
    UNKNOWN_ACCOUNT = "unknown_account"
    UNKNOWN_PRODUCT = "unknown_product"
    BAD_MONTH = "bad_month"
    FUTURE_MONTH = "future_month"
    BAD_AMOUNT = "bad_amount"
    NEGATIVE_TOTAL = "negative_total"


# Every row is validated, but an error report with hundreds of thousands of entries helps
# nobody: the exception carries the first ones and the total count.
MAX_REPORTED_ERRORS = 1000


class BillingImportInvalid(ApplicationError):
    """The statement file has errors; nothing was imported.

    `details` is the list of errors, in file order, each a dict
    {"line", "column", "value", "message", "code"}; `line` is the line number as the user
    sees it (the header is line 1) or None for an error about the whole file.
    `error_count` is the total number of errors (details stops at MAX_REPORTED_ERRORS).
    """

    status = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        count = len(errors)
        if count > MAX_REPORTED_ERRORS:
            message = _("账单文件有 %(n)d 处错误（仅列出前 %(m)d 处），未导入任何数据。") % {
                "n": count,
                "m": MAX_REPORTED_ERRORS,
            }
        else:
            message = _("账单文件有 %(n)d 处错误，未导入任何数据。") % {"n": count}
        super().__init__(
            message, code=BillingErrorCode.IMPORT_INVALID, details=errors[:MAX_REPORTED_ERRORS]
        )
        self.error_count = count
