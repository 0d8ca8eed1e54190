"""The figures summed from a book: per account, per scope, per group or AM, per month,
and the accounts behind each."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from telekam.dashboards.kpis.book import COUNTED, AccountRef, Book
from telekam.dashboards.kpis.definitions import (
    CENT,
    KPI_INFO,
    KPIS,
    TENTH,
    ZERO,
    Kpi,
    KpiInfo,
    Period,
    PeriodKind,
    month_add,
    period_of,
)

# --- figures ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Figure:
    """A KPI's value with what it is made of: `num` over `den` for a rate (value in %),
    the count or the amount otherwise (den = the number of accounts it is spread over)."""

    kpi: Kpi
    value: Decimal | None
    num: Decimal
    den: Decimal

    @property
    def info(self) -> KpiInfo:
        return KPI_INFO[self.kpi]


def _pct(num: Decimal | int, den: Decimal | int) -> Decimal | None:
    if not den:
        return None
    return (Decimal(num) * 100 / Decimal(den)).quantize(TENTH, ROUND_HALF_UP)


@dataclasses.dataclass(frozen=True)
class AccountFacts:
    """One account's part in every KPI of a period: (num, den) per KPI."""

    account: AccountRef
    parts: dict[Kpi, tuple[Decimal, Decimal]]


def account_facts(
    book: Book, period: Period, account_id: int, months: list[dt.date] | None = None
) -> AccountFacts:
    parts = _book_part(book, period, account_id)
    for kpi in COUNTED:
        num = den = 0
        by_month = book.rates[kpi].get(account_id, {})
        span = book.summed.get(kpi)
        if span is not None and span != (period.start, period.end):
            raise ValueError(f"the book holds {kpi} for {span}, not for {period.label}")
        for month in [span[0]] if span else period.months if months is None else months:
            cell = by_month.get(month)
            if cell:
                num += cell[0]
                den += cell[1]
        parts[kpi] = (Decimal(num), Decimal(den))
    return AccountFacts(book.accounts[account_id], parts)


def _book_sum(book: Book, period: Period, kpi: Kpi, refs: list[int]) -> tuple[Decimal, Decimal]:
    """One book KPI summed over `refs`: what `_book_part` gives, without the others (the
    trend asks this for each of its months)."""
    num = den = Decimal(0)
    for pk in refs:
        months = book.revenue.get(pk)
        opening = months.get(period.opening, ZERO) if months else ZERO
        closing = months.get(period.closing, ZERO) if months else ZERO
        if kpi == Kpi.AVG_VALUE:
            if closing > 0:
                num += closing
                den += 1
            continue
        if kpi == Kpi.NEW_ACCOUNTS:
            num += closing > 0 and opening <= 0
            continue
        if kpi == Kpi.REVENUE_GROWTH:
            num += closing - opening
            den += opening
            continue
        if opening <= 0:
            continue
        lost_on = book.lost_on.get(pk)
        kept = closing > 0 and not (lost_on is not None and period.contains(lost_on))
        if kpi == Kpi.RETENTION_COUNT:
            num += kept
            den += 1
        else:
            num += min(closing, opening) if kept else ZERO
            den += opening
    return num, den


def _book_part(book: Book, period: Period, account_id: int) -> dict[Kpi, tuple[Decimal, Decimal]]:
    """The KPIs of the opening and closing book for one account."""
    months = book.revenue.get(account_id, {})
    opening = months.get(period.opening, ZERO)
    closing = months.get(period.closing, ZERO)
    lost = account_id in book.lost_on and period.contains(book.lost_on[account_id])
    in_base = opening > 0
    kept = in_base and closing > 0 and not lost
    one, none = Decimal(1), Decimal(0)
    parts: dict[Kpi, tuple[Decimal, Decimal]] = {
        Kpi.RETENTION_COUNT: (one if kept else none, one if in_base else none),
        Kpi.RETENTION_REVENUE: (min(closing, opening) if kept else ZERO, opening),
        Kpi.NEW_ACCOUNTS: (one if closing > 0 and not in_base else none, none),
        Kpi.REVENUE_GROWTH: (closing - opening, opening),
        Kpi.AVG_VALUE: (closing, one if closing > 0 else none),
    }
    return parts


def figure(kpi: Kpi, num: Decimal, den: Decimal) -> Figure:
    if kpi == Kpi.NEW_ACCOUNTS:
        return Figure(kpi, num, num, den)
    if kpi == Kpi.AVG_VALUE:
        value = (num / den).quantize(CENT, ROUND_HALF_UP) if den else None
        return Figure(kpi, value, num, den)
    return Figure(kpi, _pct(num, den), num, den)


def sum_figures(facts: Iterable[AccountFacts]) -> dict[Kpi, Figure]:
    totals = {k: [Decimal(0), Decimal(0)] for k in KPIS}
    for f in facts:
        for k, (num, den) in f.parts.items():
            totals[k][0] += num
            totals[k][1] += den
    return {k: figure(k, num, den) for k, (num, den) in totals.items()}


@dataclasses.dataclass(frozen=True)
class Scope:
    """Whose accounts: the whole book, one industry group, or one AM (and one grade)."""

    group_id: int | None = None
    owner_id: int | None = None
    grade_id: int | None = None  # a drill-down may narrow to one grade

    def holds(self, ref: AccountRef) -> bool:
        if self.group_id is not None and ref.group_id != self.group_id:
            return False
        if self.grade_id is not None and ref.grade_id != self.grade_id:
            return False
        return self.owner_id is None or ref.owner_id == self.owner_id


EVERYONE = Scope()


def facts_in(book: Book, period: Period, scope: Scope = EVERYONE) -> list[AccountFacts]:
    months = period.months
    return [
        account_facts(book, period, pk, months)
        for pk, ref in book.accounts.items()
        if scope.holds(ref)
    ]


def figures(book: Book, period: Period, scope: Scope = EVERYONE) -> dict[Kpi, Figure]:
    return sum_figures(facts_in(book, period, scope))


def league(book: Book, period: Period, *, by: str, scope: Scope = EVERYONE,
           facts: list[AccountFacts] | None = None) -> dict[Any, dict[Kpi, Figure]]:  # fmt: skip
    """Every KPI per industry group (`by="group"`) or per AM (`by="owner"`)."""
    buckets: dict[Any, list[AccountFacts]] = defaultdict(list)
    for f in facts if facts is not None else facts_in(book, period, scope):
        buckets[f.account.group_id if by == "group" else f.account.owner_id].append(f)
    return {key: sum_figures(rows) for key, rows in buckets.items()}


def trend(book: Book, kpi: Kpi, months: list[dt.date], scope: Scope = EVERYONE) -> list[tuple[dt.date, Figure]]:  # fmt: skip
    """A KPI month by month (each month a period of its own): only that KPI's part of
    each account is summed."""
    if kpi in book.summed:
        raise ValueError(f"the book holds {kpi} for one period, not month by month")
    if months:
        needed = months[0] if kpi in COUNTED else month_add(months[0], -1)
        if needed < book.loaded[kpi]:
            raise ValueError(f"the book holds {kpi} from {book.loaded[kpi]}, not {needed}")
    refs = [pk for pk, ref in book.accounts.items() if scope.holds(ref)]
    out = []
    for m in months:
        period = period_of(PeriodKind.MONTH, m)
        num = den = Decimal(0)
        if kpi in COUNTED:
            rates = book.rates[kpi]
            for pk in refs:
                cell = rates.get(pk, {}).get(m)
                if cell:
                    num += cell[0]
                    den += cell[1]
        else:
            num, den = _book_sum(book, period, kpi, refs)
        out.append((m, figure(kpi, num, den)))
    return out


@dataclasses.dataclass(frozen=True)
class DrillLine:
    account: AccountRef
    num: Decimal
    den: Decimal
    value: Decimal | None


def drill(book: Book, period: Period, kpi: Kpi, scope: Scope = EVERYONE) -> list[DrillLine]:
    """The accounts behind a KPI: those with a part in it, the weakest first (for a rate,
    the most missed; for an amount, the smallest)."""
    out = []
    for f in facts_in(book, period, scope):
        num, den = f.parts[kpi]
        if kpi == Kpi.NEW_ACCOUNTS:
            if num:
                out.append(DrillLine(f.account, num, den, num))
            continue
        if not den and not num:
            continue
        out.append(DrillLine(f.account, num, den, figure(kpi, num, den).value))
    if kpi in (Kpi.AVG_VALUE, Kpi.NEW_ACCOUNTS):
        out.sort(key=lambda d: (-(d.num), d.account.name))
    elif kpi == Kpi.REVENUE_GROWTH:
        out.sort(key=lambda d: (d.num, d.account.name))
    else:
        out.sort(key=lambda d: (d.num - d.den, d.account.name))
    return out


def window_for(period: Period, trend_months: int = 12) -> tuple[dt.date, dt.date]:
    """The months a dashboard needs: the period with its opening month, and the trend's
    months each with its own opening month."""
    first = min(period.opening, month_add(period.closing, -trend_months))
    return first, period.closing
