"""The spend source: each account's monthly spend per product against its trailing three
months (domain §7, source 1)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from telekam.accounts.models import Account, AccountStatus
from telekam.billing.models import BillingLine
from telekam.billing.services import latest_billed_month, month_add
from telekam.catalog.models import Product
from telekam.core import clock
from telekam.retention.models import ChurnThreshold, Run, RunKind, Severity, WarningSource
from telekam.retention.services.calls import _raise
from telekam.retention.services.runs import Echo, run_recorded
from telekam.retention.services.warnings import thresholds_for

ZERO = Decimal("0")
SERIES_MONTHS = 6


@dataclass
class SpendFinding:
    account_id: int
    severity: int
    competitor: str
    evidence: dict[str, Any]


def evaluate_spend(
    amounts: dict[tuple[int, int, dt.date], Decimal],
    *,
    month: dt.date,
    thresholds: dict[int, ChurnThreshold],
    product_names: dict[int, str],
) -> list[SpendFinding]:
    """`amounts` maps (account, product, month) to the month's spend. A product whose spend
    this month fell by the threshold against the mean of the 3 months before (a mean of at
    least the grade's minimum) is a finding; HIGH when the account's total fell as much."""
    by_account: dict[int, dict[int, dict[dt.date, Decimal]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for (account_id, product_id, m), amount in amounts.items():
        by_account[account_id][product_id][m] = amount
    before = [month_add(month, -k) for k in (1, 2, 3)]
    findings = []
    for account_id, products in sorted(by_account.items()):
        threshold = thresholds.get(account_id)
        if threshold is None:
            continue
        limit = Decimal(threshold.spend_drop_pct)
        dropped = []
        for product_id, months in products.items():
            base = sum((months.get(m, ZERO) for m in before), ZERO) / 3
            now = months.get(month, ZERO)
            if base < threshold.min_spend_yuan or base <= 0:
                continue
            drop = (base - now) / base * 100
            if drop >= limit:
                dropped.append(
                    {
                        "product": product_names.get(product_id, str(product_id)),
                        "month_yuan": str(now.quantize(Decimal("0.01"))),
                        "baseline_yuan": str(base.quantize(Decimal("0.01"))),
                        "drop_pct": float(round(drop, 1)),
                    }
                )
        if not dropped:
            continue
        totals = {
            m: sum((p.get(m, ZERO) for p in products.values()), ZERO)
            for m in [month_add(month, -k) for k in range(SERIES_MONTHS)]
        }
        base_total = sum((totals[m] for m in before), ZERO) / 3
        total_drop = (base_total - totals[month]) / base_total * 100 if base_total else ZERO
        severity = Severity.HIGH if total_drop >= limit else Severity.MEDIUM
        dropped.sort(key=lambda d: (-float(str(d["drop_pct"])), str(d["product"])))
        findings.append(
            SpendFinding(
                account_id=account_id,
                severity=int(severity),
                competitor="",
                evidence={
                    "month": month.isoformat(),
                    "products": dropped,
                    "total_yuan": str(totals[month].quantize(Decimal("0.01"))),
                    "baseline_total_yuan": str(base_total.quantize(Decimal("0.01"))),
                    "total_drop_pct": float(round(total_drop, 1)),
                    "threshold_pct": float(limit),
                    "series": [
                        {"month": m.isoformat()[:7], "yuan": float(totals[m])}
                        for m in sorted(totals)
                    ],
                },
            )
        )
    return findings


def spend_signals_run(
    *, month: dt.date | None = None, actor: Any = None, echo: Echo | None = None
) -> Run:
    """Evaluate the latest billed month (or `month`) for every active account."""
    with run_recorded(kind=RunKind.SPEND_SIGNALS, actor=actor, echo=echo) as progress:
        run = progress.run
        month = (month or latest_billed_month() or clock.today()).replace(day=1)
        first = month_add(month, -(SERIES_MONTHS - 1))
        active = Account.objects.filter(status=AccountStatus.ACTIVE)
        rows = (
            BillingLine.objects.filter(month__gte=first, month__lte=month, account__in=active)
            .values("account_id", "product_id", "month")
            .annotate(total=Sum("amount"))
        )
        amounts = {(r["account_id"], r["product_id"], r["month"]): r["total"] for r in rows}
        grades = dict(active.values_list("pk", "grade_id"))
        by_grade = thresholds_for(set(grades.values()))
        names = dict(Product.objects.values_list("pk", "name_zh"))
        findings = evaluate_spend(
            amounts,
            month=month,
            thresholds={pk: by_grade[g] for pk, g in grades.items()},
            product_names=names,
        )
        run.day_from = first
        run.day_to = month
        run.rows_in = run.rows_ok = len(amounts)
        run.report = {"month": month.isoformat()[:7], "accounts": len(grades)} | _raise(
            findings, as_of=month, source=WarningSource.SPEND
        )
        progress(force=True, done=1.0, stage="spend")
    return Run.objects.get(pk=run.pk)
