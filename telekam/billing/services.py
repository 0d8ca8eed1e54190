"""Billing writes: statement import and the spend figures derived from it."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Count, Max, Sum
from django.utils.translation import gettext as _

from telekam.accounts import access
from telekam.accounts.models import Account
from telekam.billing import importers
from telekam.billing.errors import BillingErrorCode, BillingImportInvalid, RowErrorCode
from telekam.billing.models import BillingImport, BillingLine
from telekam.catalog.models import Product
from telekam.core import clock
from telekam.core.errors import ApplicationError, PermissionDenied
from telekam.core.models import AuditAction
from telekam.core.services import audit_entry_create, full_clean_or_raise
from telekam.org.models import User

WINDOW_MONTHS = 12
CENT = Decimal("0.01")


def month_add(month: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months after `month` (n may be negative)."""
    index = month.year * 12 + (month.month - 1) + n
    return dt.date(index // 12, index % 12 + 1, 1)


def latest_billed_month() -> dt.date | None:
    return BillingLine.objects.aggregate(m=Max("month"))["m"]


@transaction.atomic
def account_spend_refresh(
    *, account_ids: Iterable[int] | None = None, through: dt.date | None = None
) -> int:
    """Recompute Account.avg_monthly_spend: the average of the billed months among the
    12 months ending at `through` (default: the latest billed month in the system).

    Months without any bill do not count (a customer of three months is averaged over
    three). Accounts with no bill in the window get 0. Returns the number of accounts set.
    """
    end = through or latest_billed_month()
    accounts = Account.objects.all()
    if account_ids is not None:
        accounts = accounts.filter(pk__in=list(account_ids))
    if end is None:
        return accounts.update(avg_monthly_spend=Decimal("0.00"), spend_through=None)
    start = month_add(end, -(WINDOW_MONTHS - 1))
    lines = BillingLine.objects.filter(month__gte=start, month__lte=end)
    if account_ids is not None:
        lines = lines.filter(account_id__in=accounts.values("pk"))
    sums = {
        row["account_id"]: (row["total"], row["months"])
        for row in lines.values("account_id").annotate(
            total=Sum("amount"), months=Count("month", distinct=True)
        )
    }
    # Only averages that changed are written (a per-row CASE update is the costly part);
    # the window end is the same for all, so it is one UPDATE.
    count = 0
    changed: list[Account] = []
    for account in accounts.only("pk", "avg_monthly_spend").iterator(chunk_size=2000):
        count += 1
        total, months = sums.get(account.pk, (Decimal("0"), 0))
        average = (
            (Decimal(total) / months).quantize(CENT, rounding=ROUND_HALF_UP)
            if months
            else Decimal("0.00")
        )
        if account.avg_monthly_spend != average:
            account.avg_monthly_spend = average
            changed.append(account)
    accounts.update(spend_through=end)
    Account.objects.bulk_update(changed, ["avg_monthly_spend"], batch_size=1000)
    return count


# --- statement import -------------------------------------------------------------------

# Above this many distinct codes in a file, reading every account code is cheaper than an
# IN list (and stays within the databases' bound-parameter limits).
ACCOUNT_LOOKUP_ALL_ABOVE = 5000
DELETE_CHUNK = 900
INSERT_BATCH = 2000
LINE_COLUMNS = ("account", "month", "product", "amount", "billing_import")
# Refreshing this many accounts one by one costs more than refreshing all of them.
REFRESH_ALL_ABOVE = 20000
ZERO = Decimal("0.00")


def billing_template_csv() -> bytes:
    """The statement template users download: the header and one example row."""
    return importers.template_csv()


def _account_ids(codes: set[str]) -> dict[str, int]:
    if len(codes) > ACCOUNT_LOOKUP_ALL_ABOVE:
        return {c: pk for c, pk in Account.objects.values_list("code", "pk") if c in codes}
    return dict(Account.objects.filter(code__in=codes).values_list("code", "pk"))


def _months_label(months: list[str]) -> str:
    if len(months) <= 3:
        return "、".join(months)
    return _("%(first)s 至 %(last)s（%(n)d 个月）") % {
        "first": months[0],
        "last": months[-1],
        "n": len(months),
    }


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _unknown_codes(
    parsed: importers.ParsedStatement,
    account_ids: dict[str, int],
    product_ids: dict[str, int],
    columns: dict[str, str],
) -> list[importers.RowError]:
    """An error for every account or product code the system does not know, on good rows
    and on rows that have another bad cell alike."""
    found: list[importers.RowError] = []
    rows = [(r.line, r.account_code, r.product_code) for r in parsed.rows]
    for line, account, product in rows + parsed.codes_only:
        if account is not None and account not in account_ids:
            found.append(
                importers.RowError(
                    line,
                    columns[importers.ACCOUNT],
                    account,
                    _("客户编码“%(code)s”不存在。") % {"code": account},
                    RowErrorCode.UNKNOWN_ACCOUNT,
                )
            )
        if product is not None and product.lower() not in product_ids:
            found.append(
                importers.RowError(
                    line,
                    columns[importers.PRODUCT],
                    product,
                    _("产品编码“%(code)s”不存在。") % {"code": product},
                    RowErrorCode.UNKNOWN_PRODUCT,
                )
            )
    return found


def billing_import(*, actor: User, file_name: str, content: bytes) -> BillingImport:
    """Import a billing statement (CSV or .xlsx) for all accounts.

    Every row is checked first and every error reported (`BillingImportInvalid`, nothing
    written). Rows with the same account, month and product are added up. For each
    (account, month) in the file, the file's lines replace ALL lines already stored for
    that account and month: re-importing a month never doubles it, and a product dropped
    from a corrected file disappears. Then the average spend of the affected accounts is
    refreshed (of all accounts when the file moves the latest billed month, since that
    moves everybody's 12-month window).

    The file is read and checked outside the transaction (a long read must not hold the
    database's write lock); all writes happen in one transaction.
    """
    if not access.can_import_billing(actor):
        raise PermissionDenied(_("您无权导入账单。"))
    name = os.path.basename(file_name.replace("\\", "/")).strip()[:255] or "statement.csv"
    parsed = importers.parse_statement(file_name=name, content=content, today=clock.today())
    if parsed.fatal:
        raise BillingImportInvalid([e.as_dict() for e in parsed.errors])
    errors = list(parsed.errors)
    columns = parsed.columns

    account_ids = _account_ids(
        {r.account_code for r in parsed.rows} | {a for _l, a, _p in parsed.codes_only if a}
    )
    product_ids = {code.lower(): pk for pk, code in Product.objects.values_list("pk", "code")}
    errors.extend(_unknown_codes(parsed, account_ids, product_ids, columns))
    amounts: dict[tuple[int, dt.date, int], Decimal] = {}
    month_totals: dict[tuple[int, dt.date], Decimal] = {}
    for row in parsed.rows:
        account_id = account_ids.get(row.account_code)
        product_id = product_ids.get(row.product_code.lower())
        if account_id is None or product_id is None:
            continue
        key = (account_id, row.month, product_id)
        amounts[key] = amounts.get(key, ZERO) + row.amount
        pair = (account_id, row.month)
        month_totals[pair] = month_totals.get(pair, ZERO) + row.amount
    errors.extend(_negative_totals(parsed.rows, account_ids, month_totals, columns))
    if errors:
        errors.sort(key=lambda e: e.line or 0)  # stable: columns stay in file order
        raise BillingImportInvalid([e.as_dict() for e in errors])

    try:
        with transaction.atomic():
            return _billing_import_write(
                actor=actor,
                file_name=name,
                content=content,
                row_count=parsed.data_rows,
                amounts=amounts,
                pairs=list(month_totals),
            )
    except IntegrityError as exc:  # an account or product was deleted while we read the file
        raise ApplicationError(
            _("导入期间客户或产品数据发生了变化，请重新导入。"),
            code=BillingErrorCode.IMPORT_CONFLICT,
        ) from exc


def _negative_totals(
    rows: list[importers.StatementRow],
    account_ids: dict[str, int],
    month_totals: dict[tuple[int, dt.date], Decimal],
    columns: dict[str, str],
) -> list[importers.RowError]:
    negative = {pair for pair, total in month_totals.items() if total < 0}
    if not negative:
        return []
    lines: dict[tuple[int, dt.date], list[int]] = defaultdict(list)
    codes: dict[tuple[int, dt.date], str] = {}
    for row in rows:
        pair = (account_ids.get(row.account_code, 0), row.month)
        if pair in negative:
            lines[pair].append(row.line)
            codes[pair] = row.account_code
    errors = []
    for pair, where in lines.items():
        shown = "、".join(str(n) for n in where[:10]) + ("…" if len(where) > 10 else "")
        errors.append(
            importers.RowError(
                where[0],
                columns[importers.AMOUNT],
                str(month_totals[pair]),
                _(
                    "客户“%(code)s”账期 %(month)s 的金额合计为 %(total)s（第 %(lines)s 行），"
                    "冲减不能超过当月费用，合计不能为负数。"
                )
                % {
                    "code": codes[pair],
                    "month": f"{pair[1]:%Y-%m}",
                    "total": month_totals[pair],
                    "lines": shown,
                },
                RowErrorCode.NEGATIVE_TOTAL,
            )
        )
    return errors


def _insert_lines(import_id: int, amounts: dict[tuple[int, dt.date, int], Decimal]) -> None:
    """Write the file's lines: COPY on PostgreSQL, multi-row INSERTs elsewhere.

    This is the one hot path of the import. Building 200,000 model instances for
    bulk_create cost more than the database work itself (profiled: ~60% of the import),
    and on PostgreSQL COPY is about five times faster than INSERT; so the rows go to the
    driver as plain values, adapted by Django's backend operations, in the same
    transaction as everything else."""
    connection = connections[router.db_for_write(BillingLine)]
    ops, meta = connection.ops, BillingLine._meta
    column_of = {f.name: str(f.column) for f in meta.concrete_fields}
    columns = [column_of[name] for name in LINE_COLUMNS]
    table = ops.quote_name(meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    months = {m: ops.adapt_datefield_value(m) for (_a, m, _p) in amounts}
    rows = [
        (
            account_id,
            months[month],
            product_id,
            ops.adapt_decimalfield_value(amount, 14, 2),
            import_id,
        )
        for (account_id, month, product_id), amount in amounts.items()
    ]
    with connection.cursor() as cursor:
        copy = getattr(cursor.cursor, "copy", None)  # psycopg 3
        if connection.vendor == "postgresql" and copy is not None:
            with copy(f"COPY {table} ({names}) FROM STDIN") as stream:
                for row in rows:
                    stream.write_row(row)
            return
        width = len(columns)
        max_rows = (connection.features.max_query_params or INSERT_BATCH * width) // width
        per_statement = max(1, min(INSERT_BATCH, max_rows))
        placeholder = "(" + ", ".join(["%s"] * width) + ")"
        head = f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608 - names from the model
        for i in range(0, len(rows), per_statement):
            chunk = rows[i : i + per_statement]
            sql = head + ", ".join([placeholder] * len(chunk))
            cursor.execute(sql, [value for row in chunk for value in row])


def _billing_import_write(
    *,
    actor: User,
    file_name: str,
    content: bytes,
    row_count: int,
    amounts: dict[tuple[int, dt.date, int], Decimal],
    pairs: list[tuple[int, dt.date]],
) -> BillingImport:
    latest_before = latest_billed_month()
    by_month: dict[dt.date, list[int]] = defaultdict(list)
    for account_id, month in pairs:
        by_month[month].append(account_id)
    replaced = 0
    for month, ids in sorted(by_month.items()):
        for chunk in _chunks(sorted(ids), DELETE_CHUNK):
            replaced += BillingLine.objects.filter(month=month, account_id__in=chunk).delete()[0]

    months = sorted(by_month)
    affected = sorted({account_id for account_id, _month in pairs})
    batch = BillingImport(
        file_name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        imported_by=actor,
        imported_at=clock.now(),
        row_count=row_count,
        account_count=len(affected),
        months=[f"{m:%Y-%m}" for m in months],
        total_amount=sum(amounts.values(), ZERO),
        replaced_lines=replaced,
    )
    full_clean_or_raise(batch)
    batch.save()
    _insert_lines(batch.pk, amounts)

    latest = max(latest_before, months[-1]) if latest_before else months[-1]
    if latest != latest_before or len(affected) > REFRESH_ALL_ABOVE:
        account_spend_refresh(through=latest)
    else:
        account_spend_refresh(account_ids=affected, through=latest)

    audit_entry_create(
        actor=actor,
        action=AuditAction.IMPORT,
        target=batch,
        account=None,
        summary=_("导入账单 %(file)s：%(rows)d 行，%(accounts)d 个客户，账期 %(months)s")
        % {
            "file": file_name,
            "rows": row_count,
            "accounts": len(affected),
            "months": _months_label(batch.months),
        },
        changes={
            "row_count": row_count,
            "lines": len(amounts),
            "replaced_lines": replaced,
            "total_amount": str(batch.total_amount),
            "sha256": batch.sha256,
        },
    )
    return batch
