"""Demo inputs of value assessment: for every billed month, the cost pools of data, voice
and bandwidth (sized so that the key accounts' allocated cost is a plausible share of
their revenue in that resource) and the public segment's statistics (the system holds no
public customer's bills); for the potential value, every industry's growth of each billed
year and, for about two in three key accounts billed in the latest month, the share of
wallet its AM estimated."""

from __future__ import annotations

import random
from decimal import Decimal

from django.db.models import Sum

from telekam.accounts.models import Account, Industry, Segment
from telekam.billing.models import BillingLine
from telekam.value.models import (
    CostPool,
    IndustryGrowth,
    Resource,
    SegmentFigure,
    ShareOfWallet,
)
from telekam.value.selectors import RESOURCE_FAMILIES

KEY_SHARE: dict[str, Decimal] = {
    Resource.DATA: Decimal("30"),
    Resource.VOICE: Decimal("18"),
    Resource.BANDWIDTH: Decimal("35"),
}
# The key accounts' allocated cost as a share of their revenue (bandwidth: of all of it).
COST_RATIO: dict[str, float] = {Resource.DATA: 0.38, Resource.VOICE: 0.30, Resource.BANDWIDTH: 0.08}
PUBLIC_CUSTOMERS = 1_350_000
PUBLIC_ARPU = 52.0


def delete_value_data() -> None:
    CostPool.objects.all().delete()
    SegmentFigure.objects.all().delete()
    IndustryGrowth.objects.all().delete()
    ShareOfWallet.objects.all().delete()


def generate_value_inputs(*, seed: int) -> dict[str, int]:
    rng = random.Random(seed + 8)
    family_resource = {f: r for r, fams in RESOURCE_FAMILIES.items() for f in fams}
    revenue: dict[tuple, Decimal] = {}
    rows = (
        BillingLine.objects.filter(account__segment=Segment.KEY)
        .order_by()
        .values_list("month", "product__family")
        .annotate(total=Sum("amount"))
    )
    for month, family, total in rows:
        for resource in (family_resource.get(family), Resource.BANDWIDTH):
            if resource is not None:
                revenue[(month, resource)] = revenue.get((month, resource), Decimal(0)) + total
    pools = []
    months = sorted({m for m, _r in revenue})
    for month in months:
        for resource in Resource.values:
            key_revenue = float(revenue.get((month, resource), 0))
            if key_revenue <= 0:
                continue
            share = KEY_SHARE[resource]
            ratio = COST_RATIO[resource] * rng.uniform(0.92, 1.08)
            amount = Decimal(key_revenue * ratio / float(share / 100)).quantize(Decimal("1"))
            pools.append(
                CostPool(
                    month=month,
                    resource=resource,
                    amount=amount,
                    key_share_pct=share,
                    note="演示：网络、运维与折旧",
                )
            )
    figures = []
    for i, month in enumerate(months):
        customers = int(PUBLIC_CUSTOMERS * (1 - 0.002 * i))
        arpu = PUBLIC_ARPU * (1 + 0.003 * i) * rng.uniform(0.98, 1.02)
        figures.append(
            SegmentFigure(
                month=month,
                segment=Segment.PUBLIC,
                customers=customers,
                revenue=Decimal(customers * arpu).quantize(Decimal("0.01")),
            )
        )
    CostPool.objects.bulk_create(pools)
    SegmentFigure.objects.bulk_create(figures)
    growths = [
        IndustryGrowth(
            industry=industry,
            year=year,
            growth_pct=Decimal(rng.uniform(-3, 12)).quantize(Decimal("0.1")),
        )
        for year in sorted({m.year for m in months})
        for industry in Industry.values
    ]
    IndustryGrowth.objects.bulk_create(growths)
    shares = []
    if months:
        billed = (
            Account.objects.filter(segment=Segment.KEY, billing_lines__month=months[-1])
            .distinct()
            .order_by("pk")
            .values_list("pk", "owner_id")
        )
        for account_id, owner_id in billed:
            if rng.random() < 0.65:
                share = Decimal(rng.uniform(25, 95)).quantize(Decimal("1"))
                shares.append(
                    ShareOfWallet(
                        account_id=account_id,
                        share_pct=share,
                        note="演示：客户经理估计",
                        entered_by_id=owner_id,
                    )
                )
    ShareOfWallet.objects.bulk_create(shares)
    return {
        "cost_pools": len(pools),
        "segment_figures": len(figures),
        "industry_growth": len(growths),
        "shares_of_wallet": len(shares),
    }
