"""JSON API of billing: statement import, the import history, an account's monthly spend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile

from telekam.accounts.api.common import visible_account
from telekam.billing import selectors, services
from telekam.billing.models import BillingImport
from telekam.core.api import actor
from telekam.core.errors import ValidationFailed

router = Router(tags=["billing"])

# A statement of a few hundred thousand lines is a few tens of MB; refuse what is far past
# that before reading it into memory.
MAX_STATEMENT_BYTES = 64 * 1024 * 1024


class ImportOut(Schema):
    id: int
    file_name: str
    sha256: str
    imported_by: str | None = Field(None, description="Username")
    imported_at: dt.datetime
    row_count: int
    account_count: int
    months: list[str]
    total_amount: Decimal
    replaced_lines: int

    @staticmethod
    def resolve_imported_by(obj: BillingImport) -> str | None:
        return obj.imported_by.username if obj.imported_by_id else None  # type: ignore[union-attr]


class MonthSpendOut(Schema):
    month: str = Field(..., description="YYYY-MM")
    amount: Decimal


class ProductSpendOut(Schema):
    product: str
    name: str
    total: Decimal
    share_pct: Decimal
    months_billed: int

    @staticmethod
    def resolve_product(obj: selectors.ProductSpend) -> str:
        return obj.product_code


class ImportQuery(Schema):
    limit: int = Field(20, ge=1, le=200)


class SpendQuery(Schema):
    months: int = Field(24, ge=1, le=120)


@router.post("/billing/imports", response={201: ImportOut})
def billing_import(request: Any, file: File[UploadedFile]) -> BillingImport:
    """Import a statement (CSV or .xlsx, multipart field `file`). Nothing is imported when
    any row is wrong: the 422 answer lists every error as {line, column, value, message, code}."""
    if file.size is not None and file.size > MAX_STATEMENT_BYTES:
        message = _("文件过大（上限 %(mb)d MB）。") % {"mb": MAX_STATEMENT_BYTES // (1024 * 1024)}
        raise ValidationFailed(message, errors={"file": [message]})
    return services.billing_import(
        actor=actor(request), file_name=file.name or "", content=file.read()
    )


@router.get("/billing/imports", response=list[ImportOut])
def billing_import_list(request: Any, query: Query[ImportQuery]) -> list[BillingImport]:
    """The latest imports, newest first (for those who may import billing)."""
    return selectors.imports_recent(user=actor(request), limit=query.limit)


@router.get("/accounts/{code}/spend", response=list[MonthSpendOut], tags=["billing", "accounts"])
def account_spend(request: Any, code: str, query: Query[SpendQuery]) -> list[dict[str, Any]]:
    """The account's bill per month, oldest first, up to the latest billed month; months
    without a bill are listed with 0."""
    account = visible_account(request, code)
    series = selectors.monthly_spend(user=actor(request), account=account, months=query.months)
    return [{"month": f"{month:%Y-%m}", "amount": amount} for month, amount in series]


@router.get(
    "/accounts/{code}/spend/products", response=list[ProductSpendOut], tags=["billing", "accounts"]
)
def account_spend_by_product(
    request: Any, code: str, query: Query[SpendQuery]
) -> list[selectors.ProductSpend]:
    """What the account spent on each product over the last `months` billed months."""
    account = visible_account(request, code)
    return selectors.spend_by_product(user=actor(request), account=account, months=query.months)
