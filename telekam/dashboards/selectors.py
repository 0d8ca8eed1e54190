"""The dashboards' reads: one call assembles a page (KPI cards with their targets, the
trend of one KPI, the league tables of groups and AMs, the distribution by grade, the
accounts that matter most), from one book of facts (`kpis.book_load`) and a fixed number
of further queries."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from telekam.accounts.models import GradeBand
from telekam.core.errors import NotFound, PermissionDenied
from telekam.dashboards import access
from telekam.dashboards.kpis import (
    KPIS,
    AccountFacts,
    Book,
    DrillLine,
    Figure,
    Kpi,
    Period,
    PeriodKind,
    Scope,
    book_load,
    drill,
    facts_in,
    figures,
    league,
    month_add,
    period_of,
    sum_figures,
    trend,
    window_for,
)
from telekam.dashboards.targets import Targets, targets_of
from telekam.org.models import IndustryGroup, User
from telekam.retention.models import ChurnWarning, WarningStatus
from telekam.value.selectors import latest_billed_month

TREND_MONTHS = 12


@dataclasses.dataclass(frozen=True)
class Card:
    figure: Figure
    target: Decimal | None

    @property
    def kpi(self) -> Kpi:
        return self.figure.kpi

    @property
    def met(self) -> bool | None:
        """Every KPI is better higher: met when at or above its target."""
        if self.target is None or self.figure.value is None:
            return None
        return self.figure.value >= self.target


@dataclasses.dataclass(frozen=True)
class LeagueRow:
    key: int | None
    label: str
    group_id: int | None  # for an AM: its group (targets fall back to it)
    cards: dict[Kpi, Card]


@dataclasses.dataclass(frozen=True)
class GradeBar:
    grade_id: int | None
    label: str
    accounts: int
    revenue: Decimal


@dataclasses.dataclass(frozen=True)
class TopAccount:
    id: int
    code: str
    name: str
    revenue: Decimal
    share_pct: Decimal | None
    change: Decimal  # closing minus opening month
    open_warnings: int


@dataclasses.dataclass(frozen=True)
class Dashboard:
    period: Period
    scope: Scope
    level: str  # "department", "group" or "owner"
    title: str
    cards: list[Card]
    trend_kpi: Kpi
    trend: list[tuple[dt.date, Figure, Decimal | None]]
    groups: list[LeagueRow]  # empty unless the department is shown
    owners: list[LeagueRow]  # empty when one AM is shown
    grades: list[GradeBar]
    top: list[TopAccount]


def default_month(today: dt.date) -> dt.date:
    """The latest billed month (the closing book), else the current month."""
    return latest_billed_month(on_or_before=today) or today.replace(day=1)


def resolve_scope(
    *, user: Any, group_id: int | None = None, owner_id: int | None = None
) -> tuple[Scope, str, str, int | None]:
    """The scope asked for, checked: (scope, level, title, the AM's group). Without one,
    the user's own: the department for the head, the group for a lead, the AM's own."""
    if not access.sees_dashboard(user):
        raise PermissionDenied(_("你没有查看经营看板的权限。"))
    if owner_id is None and group_id is None:
        if access.sees_department(user):
            return Scope(), "department", _("全部门"), None
        if user.role == "account_manager":
            owner_id = user.pk
        elif user.group_id:
            group_id = user.group_id
        else:
            owner_id = user.pk
    if owner_id is not None:
        owner = User.objects.filter(pk=owner_id).first()
        if owner is None:
            raise NotFound(_("没有这位客户经理。"))
        if not access.sees_owner(user, owner):
            raise PermissionDenied(_("你不能查看这位客户经理的指标。"))
        return Scope(owner_id=owner.pk), "owner", str(owner), owner.group_id
    group = IndustryGroup.objects.filter(pk=group_id).first() if group_id else None
    if group is None:
        raise NotFound(_("没有这个行业组。"))
    if not access.sees_group(user, group.pk):
        raise PermissionDenied(_("你不能查看这个行业组的指标。"))
    return Scope(group_id=group.pk), "group", str(group), None


def _cards(
    figs: dict[Kpi, Figure],
    targets: Targets,
    period: Period,
    *,
    group_id: int | None = None,
    owner_id: int | None = None,
    owner_group_id: int | None = None,
) -> dict[Kpi, Card]:
    return {
        k: Card(
            f,
            targets.for_figure(
                k, period, group_id=group_id, owner_id=owner_id, owner_group_id=owner_group_id
            ),
        )
        for k, f in figs.items()
    }


def dashboard(
    *,
    user: Any,
    today: dt.date,
    kind: str = PeriodKind.MONTH,
    month: dt.date | None = None,
    group_id: int | None = None,
    owner_id: int | None = None,
    trend_kpi: Kpi = Kpi.RETENTION_REVENUE,
    top: int = 10,
) -> Dashboard:
    """A dashboard page's figures: 15 queries at most, whatever the data size."""
    scope, level, title, owner_group = resolve_scope(
        user=user, group_id=group_id, owner_id=owner_id
    )
    period = period_of(kind, month or default_month(today))
    first, last = window_for(period, TREND_MONTHS)
    book = book_load(
        user=user,
        first=min(period.opening, period.start),
        last=last,
        today=today,
        long_kpi=trend_kpi,
        long_first=first,
        period=period,
    )
    targets = targets_of(year=period.year)
    facts = facts_in(book, period, scope)
    cards = _cards(
        sum_figures(facts),
        targets,
        period,
        group_id=scope.group_id,
        owner_id=scope.owner_id,
        owner_group_id=owner_group,
    )
    months = [month_add(period.closing, -i) for i in reversed(range(TREND_MONTHS))]
    trend_rows = [
        (m, f, targets.for_figure(
            trend_kpi, period_of(PeriodKind.MONTH, m), group_id=scope.group_id,
            owner_id=scope.owner_id, owner_group_id=owner_group,
        ))
        for m, f in trend(book, trend_kpi, months, scope)
    ]  # fmt: skip
    groups = _group_rows(book, period, targets, facts) if level == "department" else []
    owners = _owner_rows(book, period, targets, facts) if level != "owner" else []
    return Dashboard(
        period=period,
        scope=scope,
        level=level,
        title=title,
        cards=[cards[k] for k in KPIS],
        trend_kpi=trend_kpi,
        trend=trend_rows,
        groups=groups,
        owners=owners,
        grades=_grades(facts),
        top=_top(facts, top),
    )


def _group_rows(
    book: Book, period: Period, targets: Targets, facts: list[AccountFacts]
) -> list[LeagueRow]:
    table = league(book, period, by="group", facts=facts)
    names = {g.pk: str(g) for g in IndustryGroup.objects.filter(pk__in=[k for k in table if k])}
    rows = [
        LeagueRow(key, names.get(key, _("未分组")) if key else _("未分组"), None,
                  _cards(figs, targets, period, group_id=key))
        for key, figs in table.items()
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (r.key is None, r.label))


def _owner_rows(
    book: Book, period: Period, targets: Targets, facts: list[AccountFacts]
) -> list[LeagueRow]:
    table = league(book, period, by="owner", facts=facts)
    users = {u.pk: u for u in User.objects.filter(pk__in=[k for k in table if k])}
    rows = []
    for key, figs in table.items():
        user = users.get(key) if key else None
        rows.append(
            LeagueRow(
                key,
                str(user) if user else _("未指派"),
                user.group_id if user else None,
                _cards(figs, targets, period, owner_id=key,
                       owner_group_id=user.group_id if user else None),
            )
        )  # fmt: skip
    return sorted(rows, key=lambda r: (r.key is None, r.label))


def _grades(facts: list[AccountFacts]) -> list[GradeBar]:
    counts: dict[int | None, list[Any]] = {}
    for f in facts:
        revenue, billed = f.parts[Kpi.AVG_VALUE]
        if not billed:
            continue
        cell = counts.setdefault(f.account.grade_id, [0, Decimal(0)])
        cell[0] += 1
        cell[1] += revenue
    grades = {g.pk: g for g in GradeBand.objects.filter(pk__in=[k for k in counts if k])}
    bars = [
        GradeBar(key, str(grades[key]) if key in grades else _("未定级"), n, revenue)
        for key, (n, revenue) in counts.items()
    ]
    return sorted(
        bars, key=lambda b: (grades[b.grade_id].rank if b.grade_id in grades else 999, b.label)
    )


def _top(all_facts: list[AccountFacts], n: int) -> list[TopAccount]:
    facts = [f for f in all_facts if f.parts[Kpi.AVG_VALUE][0] > 0]
    total = sum((f.parts[Kpi.AVG_VALUE][0] for f in facts), Decimal(0))
    facts.sort(key=lambda f: (-f.parts[Kpi.AVG_VALUE][0], f.account.name))
    chosen = facts[:n]
    warned: dict[int, int] = {}
    for account_id in ChurnWarning.objects.filter(
        account_id__in=[f.account.id for f in chosen], status__in=OPEN_WARNING
    ).values_list("account_id", flat=True):
        warned[account_id] = warned.get(account_id, 0) + 1
    out = []
    for f in chosen:
        revenue = f.parts[Kpi.AVG_VALUE][0]
        growth_num, _opening = f.parts[Kpi.REVENUE_GROWTH]
        out.append(
            TopAccount(
                id=f.account.id,
                code=f.account.code,
                name=f.account.name,
                revenue=revenue,
                share_pct=(revenue * 100 / total).quantize(Decimal("0.1")) if total else None,
                change=growth_num,
                open_warnings=warned.get(f.account.id, 0),
            )
        )
    return out


OPEN_WARNING = (WarningStatus.OPEN, WarningStatus.ACKNOWLEDGED)


@dataclasses.dataclass(frozen=True)
class Drill:
    period: Period
    kpi: Kpi
    title: str
    figure: Figure
    lines: list[DrillLine]


def kpi_accounts(
    *,
    user: Any,
    today: dt.date,
    kpi: Kpi,
    kind: str = PeriodKind.MONTH,
    month: dt.date | None = None,
    group_id: int | None = None,
    owner_id: int | None = None,
    grade_id: int | None = None,
) -> Drill:
    """The accounts behind a KPI figure (of a group, an AM, a grade, or all)."""
    scope, _level, title, _g = resolve_scope(user=user, group_id=group_id, owner_id=owner_id)
    if grade_id is not None:
        scope = dataclasses.replace(scope, grade_id=grade_id)
    period = period_of(kind, month or default_month(today))
    book = book_load(
        user=user, first=period.opening, last=period.closing, today=today, period=period
    )
    return Drill(
        period=period,
        kpi=kpi,
        title=title,
        figure=figures(book, period, scope)[kpi],
        lines=drill(book, period, kpi, scope),
    )
