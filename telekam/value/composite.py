"""The composite value score and grade advice (domain §8, issue 7 point 4).

Population: the key accounts billed in the month (default the latest billed month). For
each, three components on a 0–100 scale:

- current: the percentile of its profit in the month (`selectors.direct_values`) among the
  population,
- potential: the percentile of its direct potential value (`potential.py`) among the
  accounts that have one,
- intangible: the score of its latest approved intangible-value sheet of this year or
  before (already out of 100),

where percentile(x) = 100 · (#{others below x} + ½ · #{others equal to x}) / (N - 1)
among the N values (50 when N = 1), to 0.1. A missing component (no potential for want of
a retention fit, no approved sheet) drops out and the weights of the others are scaled
up to 100:

    composite = Σ_available w_i · c_i / Σ_available w_i           (to 0.1, half up)

with the weights of `ValueParameters` (default 50 / 30 / 20). Ranks are by composite,
highest first, within the same grade and within the same industry (ties share a rank:
1, 2, 2, 4). The suggested grade is `accounts.grading.grade_for_spend` applied to the
average monthly spend over the billed months among the last 12 (the yearly list's rule);
none when the account was not billed in the last 12 months.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from telekam.accounts.grading import grade_for_spend
from telekam.accounts.models import Account, GradeBand
from telekam.accounts.selectors import account_get_visible
from telekam.core import clock
from telekam.core.errors import PermissionDenied
from telekam.value import access
from telekam.value.models import IntangibleSheet, SheetStatus
from telekam.value.potential import Potential, potentials, value_parameters
from telekam.value.selectors import direct_values, latest_billed_month

TENTH = Decimal("0.1")


def percentiles(values: dict[int, Decimal]) -> dict[int, Decimal]:
    """key -> 100 · (#below + ½ #equal others) / (N - 1), to 0.1 (50 when N = 1)."""
    n = len(values)
    if n == 1:
        return dict.fromkeys(values, Decimal(50))
    ordered = sorted(values.values())
    out = {}
    for key, x in values.items():
        below = bisect_left(ordered, x)
        equal = bisect_right(ordered, x) - below - 1
        out[key] = (Decimal(100) * (below + Decimal(equal) / 2) / (n - 1)).quantize(
            TENTH, ROUND_HALF_UP
        )
    return out


def ranks(
    scores: dict[int, Decimal], group: Callable[[int], Hashable]
) -> dict[int, tuple[int, int]]:
    """key -> (rank, group size), highest score first, ties sharing a rank."""
    groups: dict[Hashable, list[Decimal]] = defaultdict(list)
    for key, score in scores.items():
        groups[group(key)].append(-score)
    for members in groups.values():
        members.sort()
    out = {}
    for key, score in scores.items():
        members = groups[group(key)]
        out[key] = (bisect_left(members, -score) + 1, len(members))
    return out


@dataclass(frozen=True)
class Composite:
    account: Account
    month: dt.date
    profit: Decimal
    potential: Potential | None
    intangible: Decimal | None  # the approved sheet's score
    intangible_year: int | None
    current_score: Decimal
    potential_score: Decimal | None
    intangible_score: Decimal | None
    weights: dict[str, Decimal]
    score: Decimal | None
    grade_rank: tuple[int, int] | None
    industry_rank: tuple[int, int] | None
    avg_monthly_spend: Decimal
    suggested_segment: str | None
    suggested_grade: GradeBand | None

    @property
    def advice(self) -> str:
        """ "up", "down", "keep" or "" (no suggestion)."""
        now, new = self.account.grade, self.suggested_grade
        if new is None or self.suggested_segment is None:
            return ""
        if now is None or new.rank > now.rank:
            return "up"
        return "down" if new.rank < now.rank else "keep"


@dataclass(frozen=True)
class CompositeTable:
    month: dt.date | None
    rows: dict[int, Composite]


ROW_FIELDS = (
    "id", "code", "name", "short_name", "segment", "industry", "group_id", "star_level",
    "grade__id", "grade__segment", "grade__code", "grade__name_zh", "grade__name_en",
    "grade__rank", "grade__star_level",
    "owner__id", "owner__username", "owner__first_name", "owner__last_name",
)  # fmt: skip


def composite_table(*, month: dt.date | None = None) -> CompositeTable:
    """The composite score, ranks and grade advice of every key account billed in `month`
    (default the latest billed). No permission check. A fixed number of queries."""
    month = month or latest_billed_month(on_or_before=clock.today())
    if month is None:
        return CompositeTable(None, {})
    values = direct_values(month=month)
    ids = sorted(values)
    params = value_parameters()
    found = potentials(month=month, account_ids=ids, values=values, params=params)
    weights = {
        "current": params.weight_current,
        "potential": params.weight_potential,
        "intangible": params.weight_intangible,
    }
    sheets: dict[int, tuple[int, Decimal]] = {}
    for account_id, year, score in (
        IntangibleSheet.objects.filter(
            status=SheetStatus.APPROVED, year__lte=clock.today().year, account_id__in=ids
        )
        .order_by("account_id", "-year")
        .values_list("account_id", "year", "score")
    ):
        sheets.setdefault(account_id, (year, score))
    current = percentiles({a: v.profit for a, v in values.items()})
    potential = percentiles({a: p.direct for a, p in found.items() if p.direct is not None})
    scores: dict[int, Decimal] = {}
    for a in ids:
        parts = [
            (weights["current"], current[a]),
            (weights["potential"], potential.get(a)),
            (weights["intangible"], sheets[a][1] if a in sheets else None),
        ]
        total = sum((w for w, c in parts if c is not None), Decimal(0))
        if total > 0:
            points = sum((w * c for w, c in parts if c is not None), Decimal(0))
            scores[a] = (points / total).quantize(TENTH, ROUND_HALF_UP)
    # Only what the rows show: building 4,000 whole accounts costs more than the figures.
    accounts = Account.objects.select_related("grade", "owner").only(*ROW_FIELDS).in_bulk(ids)
    bands = list(GradeBand.objects.all())
    by_grade = ranks(scores, lambda a: accounts[a].grade_id)
    by_industry = ranks(scores, lambda a: accounts[a].industry)
    rows = {}
    for a in ids:
        p = found.get(a)
        spend = p.avg_monthly_spend if p else Decimal("0.00")
        segment, band = grade_for_spend(spend, bands) if p and p.months_billed else (None, None)
        rows[a] = Composite(
            account=accounts[a],
            month=month,
            profit=values[a].profit,
            potential=p,
            intangible=sheets[a][1] if a in sheets else None,
            intangible_year=sheets[a][0] if a in sheets else None,
            current_score=current[a],
            potential_score=potential.get(a),
            intangible_score=sheets[a][1] if a in sheets else None,
            weights=weights,
            score=scores.get(a),
            grade_rank=by_grade.get(a),
            industry_rank=by_industry.get(a),
            avg_monthly_spend=spend,
            suggested_segment=segment,
            suggested_grade=band,
        )
    return CompositeTable(month, rows)


def account_composite(
    *, user: Any, account_id: int, month: dt.date | None = None
) -> tuple[Account, dt.date | None, Composite | None]:
    """The account's composite score, ranks and suggested grade (None when the account
    was not billed in the month). NotFound outside the user's accounts, PermissionDenied
    for those who do not see value figures."""
    account = account_get_visible(user=user, pk=account_id)
    if not access.sees_value(user):
        raise PermissionDenied("value figures are financial information")
    table = composite_table(month=month)
    return account, table.month, table.rows.get(account.pk)


def composite_top(*, user: Any, month: dt.date | None = None, top: int = 15) -> list[Composite]:
    """The user's key accounts with the highest composite score. A fixed number of queries."""
    from telekam.accounts.access import accounts_visible_to

    if not access.sees_value(user):
        raise PermissionDenied("value figures are financial information")
    table = composite_table(month=month)
    visible = set(accounts_visible_to(user).values_list("pk", flat=True))
    rows = [r for a, r in table.rows.items() if a in visible and r.score is not None]
    rows.sort(key=lambda r: (-(r.score or 0), r.account.pk))
    return rows[:top]
