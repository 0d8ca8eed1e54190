"""The two sources people bring in: cancellation orders from a file (until the one-stop
service system records them itself) and field intelligence from the form."""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from telekam.accounts.models import Account, Competitor
from telekam.billing import importers
from telekam.core import clock
from telekam.core.errors import ApplicationError, PermissionDenied
from telekam.core.services import save_new
from telekam.org.models import User
from telekam.retention import access
from telekam.retention.models import (
    CancellationOrder,
    ChurnWarning,
    FieldReport,
    Run,
    RunKind,
    RunStatus,
    Severity,
    WarningSource,
)
from telekam.retention.services.warnings import warning_raise

COLUMNS = {
    "number": ("退租单号", "单号", "number", "order_number"),
    "account_code": ("客户编码", "account_code", "account"),
    "line_number": ("电路/线路号", "电路号", "线路号", "line_number", "line"),
    "product": ("产品", "product"),
    "monthly_fee": ("月租", "月租（元）", "monthly_fee", "fee"),
    "ordered_on": ("申请日期", "日期", "ordered_on", "date"),
    "reason": ("退租原因", "原因", "reason"),
}
REQUIRED = ("number", "account_code", "ordered_on")
HIGH_SHARE = Decimal("0.30")  # a cancellation of 30% of the monthly spend or more is HIGH


class CancellationImportInvalid(ApplicationError):
    """The file has errors; nothing was imported. `details`: [{line, column, value, message}]."""

    status = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(
            _("文件有 %(n)d 处错误，未导入任何数据。") % {"n": len(errors)}, details=errors[:200]
        )


def _key(text: Any) -> str:
    return str(text or "").replace("\ufeff", "").strip().casefold().replace(" ", "")


def _rows(file_name: str, content: bytes) -> list[list[Any]]:
    if importers._kind(file_name, content) == "xlsx":
        return [list(r) for r in importers._xlsx_rows(content)]
    text = importers._decode(content)
    if text is None:
        raise CancellationImportInvalid(
            [{"line": None, "column": "", "value": "", "message": _("无法识别文件编码。")}]
        )
    return [list(r) for r in importers._csv_rows(text)]


def _parse_day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def cancellations_import(*, actor: User, file_name: str, content: bytes) -> Run:
    """Import cancellation orders. Every row is checked first; any error and nothing is
    written (CancellationImportInvalid lists each). Order numbers already imported are
    counted as existing, so the same file twice adds nothing. Each account with new orders
    gets (or updates) its cancellation warning."""
    if not access.can_run_jobs(actor):
        raise PermissionDenied(_("您无权导入退租单。"))
    name = os.path.basename(file_name.replace("\\", "/")).strip()[:255] or "cancellations.csv"
    rows = [r for r in _rows(name, content) if any(str(c or "").strip() for c in r)]
    if not rows:
        raise CancellationImportInvalid(
            [{"line": None, "column": "", "value": "", "message": _("文件为空。")}]
        )
    aliases = {_key(a): f for f, names in COLUMNS.items() for a in names}
    header = {aliases[_key(h)]: i for i, h in enumerate(rows[0]) if _key(h) in aliases}
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        raise CancellationImportInvalid(
            [
                {"line": 1, "column": COLUMNS[f][0], "value": "", "message": _("缺少该列。")}
                for f in missing
            ]
        )
    today = clock.today()
    codes = {
        str(r[header["account_code"]] or "").strip()
        for r in rows[1:]
        if len(r) > header["account_code"]
    }
    accounts = {a.code: a for a in Account.objects.filter(code__in=codes)}
    errors: list[dict[str, Any]] = []
    parsed: list[dict[str, Any]] = []
    seen: set[str] = set()

    def cell(row: list[Any], f: str) -> Any:
        i = header.get(f)
        return row[i] if i is not None and i < len(row) else None

    for line, row in enumerate(rows[1:], start=2):

        def bad(f: str, value: Any, message: str, _line: int = line) -> None:
            errors.append(
                {
                    "line": _line,
                    "column": COLUMNS[f][0],
                    "value": str(value or ""),
                    "message": message,
                }
            )

        number = str(cell(row, "number") or "").strip()
        if not number or len(number) > 40:
            bad("number", number, _("请填写退租单号（不超过 40 个字符）。"))
        elif number in seen:
            bad("number", number, _("退租单号在文件中重复。"))
        seen.add(number)
        code = str(cell(row, "account_code") or "").strip()
        account = accounts.get(code)
        if account is None:
            bad("account_code", code, _("没有这个客户编码。"))
        day = _parse_day(cell(row, "ordered_on"))
        if day is None:
            bad("ordered_on", cell(row, "ordered_on"), _("日期格式应为 2026-11-30。"))
        elif day > today:
            bad("ordered_on", day, _("日期不能晚于今天。"))
        fee = Decimal("0")
        raw_fee = cell(row, "monthly_fee")
        if raw_fee not in (None, ""):
            try:
                fee = importers.parse_amount(raw_fee)
            except Exception:
                bad("monthly_fee", raw_fee, _("金额格式不正确。"))
            else:
                if fee < 0:
                    bad("monthly_fee", raw_fee, _("月租不能为负数。"))
        parsed.append(
            {
                "number": number,
                "account": account,
                "line_number": str(cell(row, "line_number") or "").strip()[:40],
                "product_name": str(cell(row, "product") or "").strip()[:100],
                "monthly_fee": fee,
                "ordered_on": day,
                "reason": str(cell(row, "reason") or "").strip()[:200],
            }
        )
    if errors:
        raise CancellationImportInvalid(errors)
    return _write(actor=actor, name=name, content=content, parsed=parsed)


@transaction.atomic
def _write(*, actor: User, name: str, content: bytes, parsed: list[dict[str, Any]]) -> Run:
    import hashlib

    existing = set(
        CancellationOrder.objects.filter(number__in=[p["number"] for p in parsed]).values_list(
            "number", flat=True
        )
    )
    new = [p for p in parsed if p["number"] not in existing]
    now = clock.now()
    run = Run.objects.create(
        kind=RunKind.CANCELLATIONS,
        status=RunStatus.DONE,
        source=name,
        sha256=hashlib.sha256(content).hexdigest(),
        files=1,
        rows_in=len(parsed),
        rows_ok=len(new),
        progress=100,
        started_by=actor,
        started_at=now,
        finished_at=now,
        report={"new": len(new), "existing": len(existing)},
    )
    CancellationOrder.objects.bulk_create([CancellationOrder(run=run, **p) for p in new])
    by_account: dict[int, Account] = {}
    for p in new:
        by_account[p["account"].pk] = p["account"]
    counts: dict[str, int] = defaultdict(int)
    for account in by_account.values():
        counts[_raise_cancellation(account)] += 1
    run.report = run.report | {f"warnings_{k}": v for k, v in counts.items()}
    run.save(update_fields=["report"])
    return run


def _raise_cancellation(account: Account) -> str:
    """The account's cancellation warning shows its orders of the last 90 days."""
    since = clock.today() - dt.timedelta(days=90)
    orders = list(
        CancellationOrder.objects.filter(account=account, ordered_on__gte=since).order_by(
            "ordered_on", "number"
        )
    )
    if not orders:
        return "unchanged"
    total = sum((o.monthly_fee for o in orders), Decimal("0"))
    spend = account.avg_monthly_spend or Decimal("0")
    share = total / spend if spend > 0 else Decimal("1")
    severity = Severity.HIGH if share >= HIGH_SHARE else Severity.MEDIUM
    _w, what = warning_raise(
        account=account,
        source=WarningSource.CANCELLATION,
        severity=int(severity),
        evidence={
            "orders": [
                {
                    "number": o.number,
                    "line": o.line_number,
                    "product": o.product_name,
                    "monthly_fee": str(o.monthly_fee),
                    "ordered_on": o.ordered_on.isoformat(),
                    "reason": o.reason,
                }
                for o in orders
            ],
            "total_fee": str(total),
            "avg_monthly_spend": str(spend),
            "share_pct": float(round(share * 100, 1)),
        },
        evidence_on=max(o.ordered_on for o in orders),
    )
    return what


@transaction.atomic
def field_report_create(
    *, actor: User, account: Account, text: str, heard_on: dt.date, competitor: str = ""
) -> FieldReport:
    """Anyone who sees the account may report what they heard; it raises (or adds to) the
    account's field-intelligence warning."""
    if not access.can_report_field(actor, account):
        raise PermissionDenied(_("您无权为该客户提交情报。"))
    if not text.strip():
        raise ApplicationError(_("请填写情况。"), field="text")
    if competitor and competitor not in Competitor.values:
        raise ApplicationError(_("请选择竞争对手。"), field="competitor")
    if heard_on > clock.today():
        raise ApplicationError(_("日期不能晚于今天。"), field="heard_on")
    report = save_new(
        FieldReport(
            account=account,
            competitor=competitor,
            heard_on=heard_on,
            text=text.strip(),
            reported_by=actor,
        )
    )
    current = (
        ChurnWarning.objects.filter(account=account, source=WarningSource.FIELD)
        .exclude(status="closed")
        .first()
    )
    since = current.raised_on if current else heard_on
    reports = list(
        FieldReport.objects.filter(account=account, created_at__date__gte=since)
        .select_related("reported_by")
        .order_by("heard_on", "id")
    )
    if current is None:
        reports = [report]
    severity = Severity.HIGH if len({r.reported_by_id for r in reports}) >= 2 else Severity.MEDIUM
    warning_raise(
        account=account,
        source=WarningSource.FIELD,
        severity=int(severity),
        competitor=competitor or (current.competitor if current else ""),
        evidence={
            "reports": [
                {
                    "id": r.pk,
                    "heard_on": r.heard_on.isoformat(),
                    "by": r.reported_by.get_full_name() or r.reported_by.get_username(),
                    "competitor": r.competitor,
                    "text": r.text[:500],
                }
                for r in reports[-10:]
            ]
        },
        evidence_on=heard_on,
    )
    return report
