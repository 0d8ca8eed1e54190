"""Reads of value assessment (domain §8): an account's direct value in a month (revenue
by product, cost allocated by its share of data, voice and bandwidth resources, profit),
the average revenue per customer of each segment, and the equivalence (how many average
commercial or public customers replace a key account's revenue).

Cost allocation, for a month and each resource r with a cost pool:

    key cost_r   = pool_r × key share_r                  (the key accounts' part of the pool)
    cost_r(a)    = key cost_r × use_r(a) / Σ_key use_r    (split by each key account's use)

where use is, per account and month: data, the revenue of data, internet and cloud
products; voice, the revenue of voice and mobile products; bandwidth, the Mbps of its
circuits in service during the month. A negative use counts as 0; a resource nobody
used is not allocated. Each allocation is rounded to the fen, half up.

Every function here runs a fixed number of queries, however many accounts there are.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils.translation import get_language

from telekam.accounts.models import Account, Segment, ServiceInUse
from telekam.accounts.selectors import account_get_visible
from telekam.billing.models import BillingCredit, BillingLine
from telekam.catalog.models import ProductFamily
from telekam.core import clock
from telekam.core.errors import PermissionDenied
from telekam.value import access
from telekam.value.models import CostPool, Resource, SegmentFigure

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
TENTH = Decimal("0.1")

RESOURCE_FAMILIES: dict[str, tuple[str, ...]] = {
    Resource.DATA: (ProductFamily.DATA, ProductFamily.INTERNET, ProductFamily.CLOUD),
    Resource.VOICE: (ProductFamily.VOICE, ProductFamily.MOBILE),
}
EQUIVALENT_SEGMENTS = (Segment.COMMERCIAL, Segment.PUBLIC)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def latest_billed_month(*, on_or_before: dt.date | None = None) -> dt.date | None:
    """The last month with any bill (up to the month of `on_or_before`). One query."""
    lines = BillingLine.objects.all()
    if on_or_before is not None:
        lines = lines.filter(month__lte=on_or_before)
    month = lines.aggregate(m=Max("month"))["m"]
    return month


def _cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ResourceCost:
    resource: str
    pool: Decimal  # the month's pool, yuan
    key_share_pct: Decimal
    key_cost: Decimal  # the key accounts' part
    use: Decimal  # the account's use (yuan of revenue, or Mbps)
    use_total: Decimal  # all key accounts' use
    cost: Decimal  # allocated to the account

    @property
    def label(self) -> str:
        return str(Resource(self.resource).label)

    @property
    def share_pct(self) -> Decimal | None:
        if self.use_total <= 0:
            return None
        return (self.use / self.use_total * 100).quantize(Decimal("0.001"), ROUND_HALF_UP)


@dataclass(frozen=True)
class ProductRevenue:
    code: str
    name_zh: str
    name_en: str
    family: str
    amount: Decimal

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


@dataclass(frozen=True)
class DirectValue:
    account_id: int
    month: dt.date
    revenue: Decimal
    credits: Decimal
    costs: list[ResourceCost]
    products: list[ProductRevenue] = field(default_factory=list)

    @property
    def cost(self) -> Decimal:
        return sum((c.cost for c in self.costs), ZERO)

    @property
    def profit(self) -> Decimal:
        return self.revenue - self.credits - self.cost

    @property
    def margin_pct(self) -> Decimal | None:
        if self.revenue <= 0:
            return None
        return (self.profit / self.revenue * 100).quantize(TENTH, ROUND_HALF_UP)

    @property
    def pools_missing(self) -> list[str]:
        have = {c.resource for c in self.costs}
        return [r for r in Resource.values if r not in have]


def _uses(month: dt.date) -> dict[str, dict[int, Decimal]]:
    """resource -> key account id -> its use in the month. Two queries."""
    uses: dict[str, dict[int, Decimal]] = {r: {} for r in Resource.values}
    family_resource = {f: r for r, fams in RESOURCE_FAMILIES.items() for f in fams}
    rows = (
        BillingLine.objects.filter(month=month, account__segment=Segment.KEY)
        .order_by()
        .values_list("account_id", "product__family")
        .annotate(total=Sum("amount"))
    )
    for account_id, family, total in rows:
        resource = family_resource.get(family)
        if resource is not None:
            bucket = uses[resource]
            bucket[account_id] = bucket.get(account_id, ZERO) + Decimal(total)
    start, end = month, month_end(month)
    in_service = (
        ServiceInUse.objects.filter(
            account__segment=Segment.KEY, activated_on__lte=end, bandwidth_mbps__isnull=False
        )
        .filter(Q(cancelled_on__isnull=True) | Q(cancelled_on__gte=start))
        .order_by()
        .values_list("account_id")
        .annotate(mbps=Sum("bandwidth_mbps"))
    )
    uses[Resource.BANDWIDTH] = {a: Decimal(m) for a, m in in_service}
    return {r: {a: max(v, ZERO) for a, v in by.items()} for r, by in uses.items()}


def direct_values(
    *, month: dt.date, account_ids: list[int] | None = None
) -> dict[int, DirectValue]:
    """The direct value in `month` of the given key accounts (default: every key account
    billed that month). No permission check: for callers that have checked. Five queries."""
    uses = _uses(month)
    totals = {r: sum(by.values(), ZERO) for r, by in uses.items()}
    pools = {p.resource: p for p in CostPool.objects.filter(month=month)}
    lines = BillingLine.objects.filter(month=month)
    if account_ids is not None:
        lines = lines.filter(account_id__in=account_ids)
    else:
        lines = lines.filter(account__segment=Segment.KEY)
    revenue = dict(lines.order_by().values_list("account_id").annotate(total=Sum("amount")))
    ids = list(account_ids) if account_ids is not None else sorted(revenue)
    credit_rows = BillingCredit.objects.filter(month=month, account_id__in=ids)
    credits = dict(credit_rows.order_by().values_list("account_id").annotate(t=Sum("amount")))
    out = {}
    for account_id in ids:
        costs = []
        for resource in Resource.values:
            pool = pools.get(resource)
            if pool is None:
                continue
            key_cost = _cents(pool.amount * pool.key_share_pct / 100)
            use = uses[resource].get(account_id, ZERO)
            total = totals[resource]
            cost = _cents(key_cost * use / total) if total > 0 else ZERO
            costs.append(
                ResourceCost(
                    resource=resource,
                    pool=pool.amount,
                    key_share_pct=pool.key_share_pct,
                    key_cost=key_cost,
                    use=use,
                    use_total=total,
                    cost=cost,
                )
            )
        out[account_id] = DirectValue(
            account_id=account_id,
            month=month,
            revenue=_cents(revenue.get(account_id, ZERO)),
            credits=_cents(credits.get(account_id, ZERO)),
            costs=costs,
        )
    return out


@dataclass(frozen=True)
class Arpu:
    segment: str
    customers: int
    revenue: Decimal
    source: str  # "statistics" (entered figures) or "billing" (the bills in this system)

    @property
    def value(self) -> Decimal:
        return _cents(self.revenue / self.customers)

    @property
    def label(self) -> str:
        return str(Segment(self.segment).label)


def segment_arpu(*, month: dt.date) -> dict[str, Arpu]:
    """Average monthly revenue per customer of each segment in `month`: from the entered
    segment statistics where there are some (they cover the whole segment), otherwise
    from the bills in this system (customers billed that month). Two queries."""
    out: dict[str, Arpu] = {}
    billed = (
        BillingLine.objects.filter(month=month)
        .order_by()
        .values_list("account__segment")
        .annotate(total=Sum("amount"), customers=Count("account", distinct=True))
    )
    for segment, total, customers in billed:
        if customers and Decimal(total) > 0:
            out[segment] = Arpu(segment, customers, Decimal(total), "billing")
    for figure in SegmentFigure.objects.filter(month=month):
        out[figure.segment] = Arpu(figure.segment, figure.customers, figure.revenue, "statistics")
    return out


@dataclass(frozen=True)
class Equivalent:
    segment: str
    arpu: Arpu | None
    customers: Decimal | None  # how many average customers of the segment, to 0.1

    @property
    def label(self) -> str:
        return str(Segment(self.segment).label)


def equivalence(*, revenue: Decimal, arpu: dict[str, Arpu]) -> list[Equivalent]:
    """How many average commercial and public customers bring `revenue` a month."""
    out = []
    for segment in EQUIVALENT_SEGMENTS:
        a = arpu.get(segment)
        count = (Decimal(revenue) / a.value).quantize(TENTH, ROUND_HALF_UP) if a else None
        out.append(Equivalent(segment=segment, arpu=a, customers=count))
    return out


@dataclass(frozen=True)
class AccountValue:
    account: Account
    month: dt.date | None
    direct: DirectValue | None
    equivalents: list[Equivalent]


def account_value(*, user: Any, account_id: int, month: dt.date | None = None) -> AccountValue:
    """The account's direct value and equivalence in `month` (default: the latest billed
    month). NotFound if the user may not see the account, PermissionDenied for those who
    do not see financial information."""
    account = account_get_visible(user=user, pk=account_id)
    if not access.sees_value(user):
        raise PermissionDenied("value figures are financial information")
    month = month or latest_billed_month(on_or_before=clock.today())
    if month is None:
        return AccountValue(account=account, month=None, direct=None, equivalents=[])
    direct = direct_values(month=month, account_ids=[account.pk])[account.pk]
    products = [
        ProductRevenue(code=c, name_zh=zh, name_en=en, family=fam, amount=_cents(total))
        for c, zh, en, fam, total in BillingLine.objects.filter(month=month, account_id=account.pk)
        .order_by()
        .values_list("product__code", "product__name_zh", "product__name_en", "product__family")
        .annotate(total=Sum("amount"))
        .order_by("-total", "product__code")
    ]
    direct = DirectValue(
        account_id=direct.account_id,
        month=direct.month,
        revenue=direct.revenue,
        credits=direct.credits,
        costs=direct.costs,
        products=products,
    )
    equivalents = equivalence(revenue=direct.revenue, arpu=segment_arpu(month=month))
    return AccountValue(account=account, month=month, direct=direct, equivalents=equivalents)


@dataclass(frozen=True)
class LostEquivalence:
    start: dt.date
    end: dt.date
    accounts: int  # key accounts lost or partly lost (retention cases closed so)
    revenue_lost: Decimal  # their monthly revenue lost
    month: dt.date | None  # the month whose average revenue per customer is used
    equivalents: list[Equivalent]
    account_ids: list[int]


def lost_equivalence(*, user: Any, start: dt.date, end: dt.date) -> LostEquivalence:
    """The key accounts lost (or partly lost) between `start` and `end` among those the
    user sees, their monthly revenue lost, and how many average commercial and public
    customers would replace it (at the latest billed month up to `end`). Four queries."""
    from telekam.accounts.access import accounts_visible_to
    from telekam.retention.models import LOST_OUTCOMES, RetentionCase

    if not access.sees_value(user):
        raise PermissionDenied("value figures are financial information")
    cases = RetentionCase.objects.filter(
        outcome__in=LOST_OUTCOMES,
        closed_on__gte=start,
        closed_on__lte=end,
        account__in=accounts_visible_to(user).values("pk"),
    )
    rows = list(cases.order_by().values_list("account_id", "monthly_revenue_lost"))
    lost = _cents(sum((Decimal(r or 0) for _a, r in rows), ZERO))
    ids = sorted({a for a, _r in rows})
    month = latest_billed_month(on_or_before=end)
    arpu = segment_arpu(month=month) if month else {}
    return LostEquivalence(
        start=start,
        end=end,
        accounts=len(ids),
        revenue_lost=lost,
        month=month,
        equivalents=equivalence(revenue=lost, arpu=arpu),
        account_ids=ids,
    )


# --- the intangible-value sheet -------------------------------------------------------------


@dataclass(frozen=True)
class SheetLine:
    code: str
    name: str
    weight: Decimal
    mark: int | None


@dataclass(frozen=True)
class SheetView:
    year: int
    sheet: Any  # IntangibleSheet | None
    lines: list[SheetLine]
    history: list[Any]  # earlier years' sheets, newest first
    can_fill: bool
    can_submit: bool
    can_review: bool


def account_sheet(*, user: Any, account: Account, year: int) -> SheetView:
    """The account's intangible-value sheet of `year` with the criteria (the sheet's own
    weights once saved), earlier years, and what the user may do. Three queries."""
    from telekam.value.models import IntangibleCriterion, IntangibleSheet, SheetStatus

    if not access.sees_value(user):
        raise PermissionDenied("value figures are financial information")
    sheets = list(
        IntangibleSheet.objects.filter(account=account, year__lte=year)
        .select_related("filled_by", "reviewed_by")
        .order_by("-year")[:4]
    )
    sheet = sheets[0] if sheets and sheets[0].year == year else None
    history = [s for s in sheets if s.year != year]
    criteria = list(IntangibleCriterion.objects.filter(active=True))
    names = {c.code: c.name for c in criteria}
    if sheet is not None:
        lines = [
            SheetLine(code=c, name=names.get(c, c), weight=Decimal(w), mark=sheet.marks.get(c))
            for c, w in sheet.weights.items()
        ]
    else:
        lines = [SheetLine(code=c.code, name=c.name, weight=c.weight, mark=None) for c in criteria]
    can_fill = access.can_fill_sheet(user, account)
    open_ = sheet is None or sheet.status in (SheetStatus.DRAFT, SheetStatus.RETURNED)
    if sheet is not None:
        sheet.account = account
    return SheetView(
        year=year,
        sheet=sheet,
        lines=lines,
        history=history,
        can_fill=can_fill and open_,
        can_submit=can_fill and sheet is not None and open_,
        can_review=sheet is not None
        and sheet.status == SheetStatus.SUBMITTED
        and access.can_review_sheet(user, sheet),
    )


def sheets_to_review(*, user: Any) -> list[Any]:
    """The submitted sheets this user may review (the head: all; a group lead: its
    group's, except those it filled). One query."""
    from telekam.org.models import Role
    from telekam.value.models import IntangibleSheet, SheetStatus

    qs = IntangibleSheet.objects.filter(status=SheetStatus.SUBMITTED).select_related(
        "account", "filled_by"
    )
    if user.role == Role.DEPARTMENT_HEAD:
        return list(qs.order_by("submitted_at"))
    if user.role == Role.GROUP_LEAD and user.group_id:
        return list(
            qs.filter(account__group_id=user.group_id)
            .exclude(filled_by=user)
            .order_by("submitted_at")
        )
    return []


# --- the value overview ---------------------------------------------------------------------

MARGIN_BANDS = ((None, 0), (0, 20), (20, 40), (40, 60), (60, 80), (80, None))


@dataclass(frozen=True)
class OverviewRow:
    account: Account
    value: DirectValue


@dataclass(frozen=True)
class MarginBand:
    low: int | None
    high: int | None
    accounts: int
    revenue: Decimal


@dataclass(frozen=True)
class ValueOverview:
    month: dt.date | None
    accounts: int
    revenue: Decimal
    credits: Decimal
    cost: Decimal
    profit: Decimal
    margin_pct: Decimal | None
    bands: list[MarginBand]
    top_profit: list[OverviewRow]
    low_margin: list[OverviewRow]
    pools_missing: list[str]
    arpu: dict[str, Arpu]


def value_overview(*, user: Any, month: dt.date | None = None, top: int = 15) -> ValueOverview:
    """The key accounts the user sees, in `month` (default: the latest billed): their
    revenue, allocated cost and profit in total, how many fall in each margin band, the
    most profitable and the least. A fixed number of queries, whatever the accounts."""
    from telekam.accounts.access import accounts_visible_to

    if not access.sees_value(user):
        raise PermissionDenied("value figures are financial information")
    month = month or latest_billed_month(on_or_before=clock.today())
    if month is None:
        return ValueOverview(None, 0, ZERO, ZERO, ZERO, ZERO, None, [], [], [], [], {})
    everyone = direct_values(month=month)
    visible = set(
        accounts_visible_to(user).filter(segment=Segment.KEY).values_list("pk", flat=True)
    )
    values = [v for a, v in everyone.items() if a in visible]
    revenue = sum((v.revenue for v in values), ZERO)
    credits = sum((v.credits for v in values), ZERO)
    cost = sum((v.cost for v in values), ZERO)
    profit = revenue - credits - cost
    bands = []
    for low, high in MARGIN_BANDS:
        inside = [
            v
            for v in values
            if v.margin_pct is not None
            and (low is None or v.margin_pct >= low)
            and (high is None or v.margin_pct < high)
        ]
        bands.append(MarginBand(low, high, len(inside), sum((v.revenue for v in inside), ZERO)))
    by_profit = sorted(values, key=lambda v: (-v.profit, v.account_id))[:top]
    by_margin = sorted(
        (v for v in values if v.margin_pct is not None),
        key=lambda v: (v.margin_pct, v.account_id),
    )[:top]
    ids = {v.account_id for v in [*by_profit, *by_margin]}
    accounts = Account.objects.select_related("grade", "owner").in_bulk(list(ids))
    return ValueOverview(
        month=month,
        accounts=len(values),
        revenue=revenue,
        credits=credits,
        cost=cost,
        profit=profit,
        margin_pct=(profit / revenue * 100).quantize(TENTH, ROUND_HALF_UP) if revenue > 0 else None,
        bands=bands,
        top_profit=[OverviewRow(accounts[v.account_id], v) for v in by_profit],
        low_margin=[OverviewRow(accounts[v.account_id], v) for v in by_margin],
        pools_missing=values[0].pools_missing if values else [],
        arpu=segment_arpu(month=month),
    )
