"""Reads of the sales part: lists, the pipeline board, the forecast, win/loss analysis.
Everything goes through telekam.sales.access."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum

from telekam.core.errors import NotFound
from telekam.sales import access
from telekam.sales.models import (
    OPEN_STAGES,
    Contract,
    ContractStatus,
    Opportunity,
    Project,
    Prospect,
    Quote,
    QuoteStatus,
    Stage,
)
from telekam.sales.services.quotes import max_discount

ZERO = Decimal("0.00")


@dataclasses.dataclass(frozen=True)
class OpportunityFilters:
    stage: str = ""  # "" = open ones; "all"; or a stage
    owner_id: int | None = None
    group_id: int | None = None
    q: str = ""


def opportunity_list(*, user: Any, filters: OpportunityFilters) -> QuerySet[Opportunity]:
    qs = access.opportunities_visible_to(user).select_related(
        "account", "prospect", "owner", "group"
    )
    if filters.stage == "":
        qs = qs.filter(stage__in=OPEN_STAGES)
    elif filters.stage != "all":
        qs = qs.filter(stage=filters.stage)
    if filters.owner_id:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.group_id:
        qs = qs.filter(group_id=filters.group_id)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(number__iexact=term)
            | Q(account__name__icontains=term)
            | Q(prospect__name__icontains=term)
        )
    return qs.order_by("close_date", "id")


def _get(qs: QuerySet[Any], pk: Any) -> Any:
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def opportunity_get_visible(*, user: Any, pk: int) -> Opportunity:
    qs = access.opportunities_visible_to(user).select_related(
        "account", "account__grade", "prospect", "owner", "group"
    )
    return _get(qs, pk)


def prospect_list(*, user: Any, q: str = "", converted: bool = False) -> QuerySet[Prospect]:
    qs = access.prospects_visible_to(user).select_related("owner", "group", "account")
    qs = qs.filter(account__isnull=not converted)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(contact_name__icontains=q))
    return qs.order_by("name", "id")


def prospect_get_visible(*, user: Any, pk: int) -> Prospect:
    return _get(access.prospects_visible_to(user).select_related("owner", "group", "account"), pk)


def quote_get_visible(*, user: Any, pk: int) -> Quote:
    qs = Quote.objects.filter(
        solution__opportunity__in=access.opportunities_visible_to(user).values("pk")
    ).select_related(
        "solution",
        "solution__opportunity",
        "solution__opportunity__account",
        "solution__opportunity__account__grade",
        "solution__opportunity__prospect",
        "solution__opportunity__owner",
        "submitted_by",
        "decided_by",
    )
    return _get(qs.prefetch_related("lines__product"), pk)


def quotes_awaiting(*, user: Any) -> QuerySet[Quote]:
    """Quotes waiting for a decision the user may take (its role's turn, not its own)."""
    role = getattr(user, "role", None)
    qs = Quote.objects.filter(
        status=QuoteStatus.PENDING,
        solution__opportunity__in=access.opportunities_visible_to(user).values("pk"),
    )
    from telekam.org.models import Role

    if role == Role.GROUP_LEAD:
        qs = qs.filter(approver_role=Role.GROUP_LEAD)
    elif role != Role.DEPARTMENT_HEAD:
        return qs.none()
    return (
        qs.exclude(submitted_by=user)
        .select_related(
            "solution__opportunity",
            "solution__opportunity__account",
            "solution__opportunity__account__grade",
            "submitted_by",
        )
        .prefetch_related("lines__product")
        .order_by("submitted_at", "id")
    )


@dataclasses.dataclass(frozen=True)
class QuoteFigures:
    monthly: Decimal
    one_time: Decimal
    contract_value: Decimal
    max_discount: Decimal
    grade_limit: Decimal | None  # the most the account's grade merits; None: no grade
    over_grade: bool  # the discount is bigger than the grade merits (domain §1)


def quote_figures(quote: Quote) -> QuoteFigures:
    lines = list(quote.lines.all())
    account = quote.solution.opportunity.account
    grade = account.grade if account is not None else None
    limit = grade.max_discount_pct if grade is not None else None
    discount = max_discount(quote)
    return QuoteFigures(
        monthly=sum((line.net_monthly for line in lines), ZERO),
        one_time=sum((line.net_one_time for line in lines), ZERO),
        contract_value=sum((line.contract_value for line in lines), ZERO),
        max_discount=discount,
        grade_limit=limit,
        over_grade=limit is not None and discount > limit,
    )


def contract_get_visible(*, user: Any, pk: int) -> Contract:
    qs = Contract.objects.filter(
        opportunity__in=access.opportunities_visible_to(user).values("pk")
    ).select_related("account", "opportunity", "opportunity__owner", "quote")
    return _get(qs.prefetch_related("lines__product", "lines__orders"), pk)


def contracts_for_renewal(*, user: Any, today: dt.date) -> QuerySet[Contract]:
    """Signed contracts not yet ended, soonest end first (the renewal job and the page apply
    each contract's own lead time)."""
    return (
        Contract.objects.filter(
            opportunity__in=access.opportunities_visible_to(user).values("pk"),
            status=ContractStatus.SIGNED,
            end_on__gte=today,
        )
        .select_related("account", "opportunity__owner")
        .order_by("end_on")
    )


def project_get_visible(*, user: Any, pk: int) -> Project:
    qs = Project.objects.filter(
        contract__opportunity__in=access.opportunities_visible_to(user).values("pk")
    ).select_related("contract", "contract__account", "contract__opportunity", "manager")
    return _get(qs.prefetch_related("tasks__owner"), pk)


@dataclasses.dataclass(frozen=True)
class BoardColumn:
    stage: str
    label: str
    cards: list[Opportunity]  # up to the limit
    count: int  # every deal in the stage
    monthly: Decimal
    weighted: Decimal


def pipeline_board(
    *, user: Any, owner_id: int | None = None, group_id: int | None = None, limit: int = 100
) -> list[BoardColumn]:
    """The kanban: one column per open stage (up to `limit` cards each, soonest close
    first) with its totals. Two queries whatever the number of deals."""
    qs = opportunity_list(
        user=user, filters=OpportunityFilters(owner_id=owner_id, group_id=group_id)
    )
    totals = {
        row["stage"]: row
        for row in qs.order_by()
        .values("stage")
        .annotate(
            n=Count("pk"),
            monthly=Sum("expected_monthly"),
            weighted=Sum(
                ExpressionWrapper(
                    F("expected_monthly") * F("probability"),
                    output_field=DecimalField(max_digits=20, decimal_places=2),
                )
            ),
        )
    }
    cards: dict[str, list[Opportunity]] = defaultdict(list)
    for opp in qs:
        if len(cards[opp.stage]) < limit:
            cards[opp.stage].append(opp)
    columns = []
    for stage in OPEN_STAGES:
        row = totals.get(stage) or {}
        columns.append(
            BoardColumn(
                stage=stage,
                label=str(Stage(stage).label),
                cards=cards.get(stage, []),
                count=row.get("n", 0),
                monthly=Decimal(row.get("monthly") or 0).quantize(Decimal("0.01")),
                weighted=(Decimal(row.get("weighted") or 0) / 100).quantize(Decimal("0.01")),
            )
        )
    return columns


@dataclasses.dataclass(frozen=True)
class ForecastMonth:
    month: dt.date
    deals: int
    monthly: Decimal  # expected monthly revenue of the deals closing that month
    weighted_monthly: Decimal  # x probability
    weighted_one_time: Decimal


def forecast(*, user: Any, today: dt.date, months: int = 6, group_id: int | None = None,
             owner_id: int | None = None) -> list[ForecastMonth]:  # fmt: skip
    """Open deals by the month they are expected to close (overdue ones count in the
    current month), expected and probability-weighted revenue. One query."""
    first = today.replace(day=1)
    qs = opportunity_list(
        user=user, filters=OpportunityFilters(owner_id=owner_id, group_id=group_id)
    )
    buckets: dict[dt.date, list[Opportunity]] = defaultdict(list)
    horizon = first
    for _i in range(months):
        horizon = (horizon + dt.timedelta(days=32)).replace(day=1)
    for opp in (
        qs.filter(close_date__lt=horizon)
        .select_related(None)
        .only("close_date", "expected_monthly", "expected_one_time", "probability")
    ):
        month = max(opp.close_date.replace(day=1), first)
        buckets[month].append(opp)
    rows = []
    month = first
    for _i in range(months):
        deals = buckets.get(month, [])
        rows.append(
            ForecastMonth(
                month=month,
                deals=len(deals),
                monthly=sum((o.expected_monthly for o in deals), ZERO),
                weighted_monthly=sum((o.weighted_monthly for o in deals), ZERO),
                weighted_one_time=sum(
                    (
                        (o.expected_one_time * o.probability / 100).quantize(Decimal("0.01"))
                        for o in deals
                    ),
                    ZERO,
                ),
            )
        )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return rows


@dataclasses.dataclass(frozen=True)
class WinLoss:
    start: dt.date
    end: dt.date
    won: int
    lost: int
    won_monthly: Decimal
    lost_monthly: Decimal
    by_reason: list[tuple[str, str, int, Decimal]]  # code, label, deals, monthly lost
    by_competitor: list[tuple[str, int, Decimal]]

    @property
    def win_rate(self) -> Decimal | None:
        total = self.won + self.lost
        return (Decimal(self.won) * 100 / total).quantize(Decimal("0.1")) if total else None


def win_loss(*, user: Any, start: dt.date, end: dt.date, group_id: int | None = None) -> WinLoss:
    """Deals closed between `start` and `end`: won vs lost, why they were lost and to whom.
    Three queries."""
    from telekam.sales.models import LostReason

    qs = access.opportunities_visible_to(user).filter(closed_on__gte=start, closed_on__lte=end)
    if group_id:
        qs = qs.filter(group_id=group_id)
    totals = {
        row["stage"]: row
        for row in qs.filter(stage__in=[Stage.WON, Stage.LOST])
        .values("stage")
        .annotate(n=Count("pk"), monthly=Sum("expected_monthly"))
    }
    lost = qs.filter(stage=Stage.LOST)
    labels = dict(LostReason.choices)
    by_reason = [
        (row["lost_reason"], str(labels.get(row["lost_reason"], row["lost_reason"])), row["n"], row["m"] or ZERO)
        for row in lost.values("lost_reason").annotate(n=Count("pk"), m=Sum("expected_monthly")).order_by("-n", "lost_reason")
    ]  # fmt: skip
    by_competitor = [
        (row["lost_to"], row["n"], row["m"] or ZERO)
        for row in lost.exclude(lost_to="").values("lost_to").annotate(n=Count("pk"), m=Sum("expected_monthly")).order_by("-n", "lost_to")
    ]  # fmt: skip
    won, lost_row = totals.get(Stage.WON, {}), totals.get(Stage.LOST, {})
    return WinLoss(
        start=start,
        end=end,
        won=won.get("n", 0),
        lost=lost_row.get("n", 0),
        won_monthly=won.get("monthly") or ZERO,
        lost_monthly=lost_row.get("monthly") or ZERO,
        by_reason=by_reason,
        by_competitor=by_competitor,
    )
