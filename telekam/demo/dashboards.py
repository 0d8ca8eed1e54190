"""Demo KPI targets: for every billed year, the department's targets (the yearly ones, and
each month's for retention and growth, which a year's figure does not stand for) and the
finance group's stricter visit and callback standards, so the dashboards show 达标 and
未达标 from the first look."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Max, Min

from telekam.billing.models import BillingLine
from telekam.dashboards.models import KpiTarget, TargetLevel
from telekam.org.models import IndustryGroup

YEAR_TARGETS: dict[str, str] = {
    "retention_count": "95",
    "retention_revenue": "92",
    "satisfaction": "85",
    "new_accounts": "60",
    "revenue_growth": "5",
    "avg_value": "45000",
    "sla_on_time": "95",
    "callback_coverage": "100",  # domain §5: every callback on time
    "visit_compliance": "90",
    "warning_response": "95",
}
MONTH_TARGETS: dict[str, str] = {
    "retention_count": "99.5",
    "retention_revenue": "99",
    "revenue_growth": "0.4",
    "new_accounts": "5",
}
FINANCE_TARGETS: dict[str, str] = {"visit_compliance": "95", "callback_coverage": "100"}


def delete_kpi_targets() -> None:
    KpiTarget.objects.all().delete()


def generate_kpi_targets() -> dict[str, int]:
    """The targets of each year with bills. Idempotent: a year's targets are made once."""
    span = BillingLine.objects.aggregate(first=Min("month"), last=Max("month"))
    if span["first"] is None:
        return {"kpi_targets": 0}
    finance = IndustryGroup.objects.filter(code="finance").first()
    rows = []
    for year in range(span["first"].year, span["last"].year + 1):
        for kpi, value in YEAR_TARGETS.items():
            rows.append(KpiTarget(kpi=kpi, year=year, month=0, level=TargetLevel.DEPARTMENT,
                                  value=Decimal(value)))  # fmt: skip
        for month in range(1, 13):
            for kpi, value in MONTH_TARGETS.items():
                rows.append(KpiTarget(kpi=kpi, year=year, month=month,
                                      level=TargetLevel.DEPARTMENT, value=Decimal(value)))  # fmt: skip
        if finance is not None:
            for kpi, value in FINANCE_TARGETS.items():
                rows.append(KpiTarget(kpi=kpi, year=year, month=0, level=TargetLevel.GROUP,
                                      group=finance, value=Decimal(value)))  # fmt: skip
    KpiTarget.objects.bulk_create(rows, ignore_conflicts=True)
    return {"kpi_targets": KpiTarget.objects.count()}
