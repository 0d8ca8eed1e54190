"""Reads of the visit part: an AM's week, compliance against the standards, never-visited
accounts, and the workload and staffing model with its what-if and re-balancing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q

from telekam.accounts.models import Account, AccountStatus, GradeBand, Segment
from telekam.engagement.models import (
    ContactKind,
    PlannedContact,
    PlanStatus,
    StaffingParameters,
    VisitStandard,
)
from telekam.engagement.services import logs_visible_to, plans_visible_to
from telekam.org.models import IndustryGroup, Role, User

PCT = Decimal("0.1")


@dataclasses.dataclass(frozen=True)
class Week:
    start: dt.date
    end: dt.date
    overdue: list[PlannedContact]
    due: list[PlannedContact]  # due this week, open
    done: list[PlannedContact]  # due this week, done
    days: list[tuple[dt.date, list[PlannedContact]]]  # the calendar: Monday..Sunday


def my_week(*, user: Any, today: dt.date) -> Week:
    """What the signed-in AM owes this week and what is overdue, by due date (two queries)."""
    start = today - dt.timedelta(days=today.weekday())
    end = start + dt.timedelta(days=6)
    qs = (
        PlannedContact.objects.filter(owner=user)
        .select_related("account", "account__grade")
        .order_by("due_on", "-account__grade__rank", "id")
    )
    # overdue: past its day but its period still open (after the period it is missed and
    # only counts against compliance)
    overdue = list(qs.filter(status=PlanStatus.PLANNED, due_on__lt=start, period_end__gte=today))
    week = list(qs.filter(due_on__gte=start, due_on__lte=end))
    days = [
        (
            start + dt.timedelta(days=i),
            [p for p in week if p.due_on == start + dt.timedelta(days=i)],
        )
        for i in range(7)
    ]
    return Week(
        start=start,
        end=end,
        overdue=overdue,
        due=[p for p in week if p.status == PlanStatus.PLANNED],
        done=[p for p in week if p.status == PlanStatus.DONE],
        days=days,
    )


@dataclasses.dataclass(frozen=True)
class ComplianceRow:
    key: Any  # user id, group id or grade id
    label: str
    visits_owed: int
    visits_done: int
    calls_owed: int
    calls_done: int

    @property
    def owed(self) -> int:
        return self.visits_owed + self.calls_owed

    @property
    def done(self) -> int:
        return self.visits_done + self.calls_done

    @property
    def pct(self) -> Decimal | None:
        if not self.owed:
            return None
        return (Decimal(self.done) * 100 / self.owed).quantize(PCT, ROUND_HALF_UP)


def compliance(
    *, user: Any, start: dt.date, end: dt.date, by: str = "owner", today: dt.date
) -> list[ComplianceRow]:
    """Visits and calls done against owed, for the planned items due between `start` and
    `end` that are due by `today` or already done, per AM, group or grade. One query."""
    field = {"owner": "owner", "group": "account__group", "grade": "account__grade"}[by]
    qs = plans_visible_to(user).filter(due_on__gte=start, due_on__lte=end)
    qs = qs.filter(Q(due_on__lte=today) | Q(status=PlanStatus.DONE))
    rows = qs.values(field).annotate(
        vo=Count("pk", filter=Q(kind=ContactKind.VISIT)),
        vd=Count("pk", filter=Q(kind=ContactKind.VISIT, status=PlanStatus.DONE)),
        co=Count("pk", filter=Q(kind=ContactKind.CALL)),
        cd=Count("pk", filter=Q(kind=ContactKind.CALL, status=PlanStatus.DONE)),
    )
    labels = _labels(by, [r[field] for r in rows])
    out = [
        ComplianceRow(
            key=r[field],
            label=labels.get(r[field], "—"),
            visits_owed=r["vo"],
            visits_done=r["vd"],
            calls_owed=r["co"],
            calls_done=r["cd"],
        )
        for r in rows
    ]
    return sorted(out, key=lambda r: (r.pct if r.pct is not None else Decimal(101), r.label))


def _labels(by: str, keys: list[Any]) -> dict[Any, str]:
    if by == "owner":
        return {u.pk: str(u) for u in User.objects.filter(pk__in=keys)}
    if by == "group":
        return {g.pk: str(g) for g in IndustryGroup.objects.filter(pk__in=keys)}
    return {g.pk: str(g) for g in GradeBand.objects.filter(pk__in=keys)}


def compliance_trend(
    *, user: Any, months: int, today: dt.date
) -> list[tuple[dt.date, ComplianceRow]]:
    """The whole visible scope's compliance month by month (one query per month)."""
    out = []
    first = today.replace(day=1)
    starts = []
    for _i in range(months):
        starts.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    for start in reversed(starts):
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        rows = compliance(user=user, start=start, end=end, by="group", today=today)
        total = ComplianceRow(
            key=None,
            label="",
            visits_owed=sum(r.visits_owed for r in rows),
            visits_done=sum(r.visits_done for r in rows),
            calls_owed=sum(r.calls_owed for r in rows),
            calls_done=sum(r.calls_done for r in rows),
        )
        out.append((start, total))
    return out


def compliance_accounts(
    *, user: Any, start: dt.date, end: dt.date, today: dt.date, owner_id: int | None = None,
    group_id: int | None = None, grade_id: int | None = None,
) -> list[tuple[Account, int, int]]:  # fmt: skip
    """The drill-down: accounts behind a compliance figure, with owed and done, worst first."""
    qs = plans_visible_to(user).filter(due_on__gte=start, due_on__lte=end)
    qs = qs.filter(Q(due_on__lte=today) | Q(status=PlanStatus.DONE))
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if group_id:
        qs = qs.filter(account__group_id=group_id)
    if grade_id:
        qs = qs.filter(account__grade_id=grade_id)
    rows = qs.values("account").annotate(
        owed=Count("pk"), done=Count("pk", filter=Q(status=PlanStatus.DONE))
    )
    accounts = Account.objects.in_bulk([r["account"] for r in rows])
    out = [(accounts[r["account"]], r["owed"], r["done"]) for r in rows]
    return sorted(out, key=lambda t: (t[2] - t[1], t[0].name))


def never_visited(*, user: Any, year: int) -> Any:
    """Active accounts with a visit standard and no visit logged this year."""
    visited = (
        logs_visible_to(user)
        .filter(kind=ContactKind.VISIT, happened_on__year=year)
        .values("account_id")
    )
    from telekam.accounts import access as account_access

    scope = account_access.accounts_visible_to(user)
    if getattr(user, "role", None) == Role.ACCOUNT_MANAGER:
        scope = scope.filter(owner=user)
    return (
        scope.filter(
            status=AccountStatus.ACTIVE,
            grade__visit_standard__visits_per_quarter__gt=0,
        )
        .exclude(pk__in=visited)
        .select_related("owner", "grade")
        .order_by("-grade__rank", "name")
    )


# --- workload and staffing ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AmLoad:
    user: User
    accounts: int
    hours_owed: Decimal  # a month, by the standards
    hours_available: Decimal  # a month, for customer contact, after the reserve
    factor: Decimal  # experience x support

    @property
    def load_pct(self) -> Decimal:
        if not self.hours_available:
            return Decimal("0")
        return (self.hours_owed * 100 / self.hours_available).quantize(PCT, ROUND_HALF_UP)


@dataclasses.dataclass(frozen=True)
class GroupStaffing:
    group: IndustryGroup
    ams: list[AmLoad]
    hours_owed: Decimal
    headcount: int  # AMs today
    needed: int  # AMs the standards need (at the group's average capacity)

    @property
    def gap(self) -> int:
        return self.needed - self.headcount


def monthly_hours(standard: VisitStandard) -> Decimal:
    """Hours a month one account of the grade owes: visits a quarter / 3 and calls a month."""
    return (
        Decimal(standard.visits_per_quarter) * standard.visit_hours / 3
        + standard.calls_per_month * standard.call_hours
    )


def am_capacity(user: User, params: StaffingParameters, today: dt.date) -> tuple[Decimal, Decimal]:
    """(factor, hours available a month for customer contact) of one AM: experience (under
    1 year, 1-3 years, more) times the back-office support factor."""
    years = (today - user.hired_on).days / 365.25 if user.hired_on else 5
    factor = params.junior_factor if years < 1 else params.mid_factor if years < 3 else Decimal(1)
    factor *= params.support_factor
    hours = params.hours_per_month * params.contact_share * (1 - params.reserve_share) * factor
    return factor, hours.quantize(Decimal("0.1"))


def staffing(
    *, today: dt.date, extra_key_accounts: int = 0, standard_overrides: dict[int, tuple[int, int]] | None = None,
    group_id: int | None = None,
) -> list[GroupStaffing]:  # fmt: skip
    """Hours owed per AM and group, load against available hours, and the headcount each
    group needs. What-if: `extra_key_accounts` new key accounts (spread over groups and
    grades like today's key accounts) and standards changed per grade id -> (visits a
    quarter, calls a month). A fixed number of queries."""
    params = StaffingParameters.objects.first() or StaffingParameters()
    standards = {s.grade_id: s for s in VisitStandard.objects.all()}
    for grade_id, (visits, calls) in (standard_overrides or {}).items():
        if grade_id in standards:
            s = standards[grade_id]
            standards[grade_id] = VisitStandard(
                grade_id=grade_id,
                visits_per_quarter=visits,
                calls_per_month=calls,
                visit_hours=s.visit_hours,
                call_hours=s.call_hours,
            )
    hours = {gid: monthly_hours(s) for gid, s in standards.items()}
    counts = (
        Account.objects.filter(status=AccountStatus.ACTIVE, grade_id__in=list(hours))
        .values("owner", "group", "grade", "segment")
        .annotate(n=Count("pk"))
    )
    by_owner: dict[int, Decimal] = defaultdict(Decimal)
    n_by_owner: dict[int, int] = defaultdict(int)
    key_mix: dict[tuple[int, int], int] = defaultdict(int)  # (group, grade) -> key accounts
    for row in counts:
        by_owner[row["owner"]] += hours[row["grade"]] * row["n"]
        n_by_owner[row["owner"]] += row["n"]
        if row["segment"] == Segment.KEY:
            key_mix[(row["group"], row["grade"])] += row["n"]
    extra_by_group: dict[int, Decimal] = defaultdict(Decimal)
    total_key = sum(key_mix.values())
    if extra_key_accounts and total_key:
        for (gid, grade), n in key_mix.items():
            extra_by_group[gid] += hours[grade] * Decimal(extra_key_accounts * n) / total_key
    users = User.objects.filter(
        is_active=True, role=Role.ACCOUNT_MANAGER, group__kind="industry"
    ).select_related("group")
    if group_id:
        users = users.filter(group_id=group_id)
    groups: dict[int, list[AmLoad]] = defaultdict(list)
    group_objs: dict[int, IndustryGroup] = {}
    for user in users.order_by("group__sort_order", "username"):
        factor, available = am_capacity(user, params, today)
        assert user.group is not None  # noqa: S101 (AMs have a group)
        group_objs[user.group.pk] = user.group
        groups[user.group.pk].append(
            AmLoad(
                user=user,
                accounts=n_by_owner.get(user.pk, 0),
                hours_owed=by_owner.get(user.pk, Decimal(0)).quantize(Decimal("0.1")),
                hours_available=available,
                factor=factor,
            )
        )
    out = []
    for gid, ams in groups.items():
        owed = sum((a.hours_owed for a in ams), Decimal(0)) + extra_by_group.get(gid, Decimal(0))
        average = sum((a.hours_available for a in ams), Decimal(0)) / len(ams)
        needed = math.ceil(owed / average) if average else 0
        out.append(
            GroupStaffing(
                group=group_objs[gid],
                ams=ams,
                hours_owed=owed.quantize(Decimal("0.1")),
                headcount=len(ams),
                needed=needed,
            )
        )
    return out


@dataclasses.dataclass(frozen=True)
class Move:
    account: Account
    hours: Decimal
    from_user: User
    to_user: User


def rebalance(*, group: GroupStaffing, today: dt.date) -> list[Move]:
    """Suggest accounts to move from overloaded AMs (above 100 %) to underloaded ones in the
    same group: the smallest accounts first, never pushing the receiver above 100 %."""
    standards = {s.grade_id: monthly_hours(s) for s in VisitStandard.objects.all()}
    load = {a.user.pk: a.hours_owed for a in group.ams}
    cap = {a.user.pk: a.hours_available for a in group.ams}
    users = {a.user.pk: a.user for a in group.ams}
    over = [pk for pk in load if load[pk] > cap[pk]]
    moves: list[Move] = []
    if not over:
        return moves
    accounts = Account.objects.filter(
        owner_id__in=over, status=AccountStatus.ACTIVE, grade_id__in=list(standards)
    ).only("pk", "name", "owner_id", "grade_id")
    per_owner: dict[int, list[Account]] = defaultdict(list)
    for account in accounts:
        per_owner[account.owner_id].append(account)
    for pk in sorted(over, key=lambda p: load[p] - cap[p], reverse=True):
        for account in sorted(per_owner[pk], key=lambda a: (standards[a.grade_id], a.pk)):  # type: ignore[index]
            if load[pk] <= cap[pk]:
                break
            h = standards[account.grade_id]  # type: ignore[index]
            target = min(
                (u for u in load if u not in over and load[u] + h <= cap[u]),
                key=lambda u: load[u] / cap[u] if cap[u] else Decimal(1),
                default=None,
            )
            if target is None:
                break
            load[pk] -= h
            load[target] += h
            moves.append(
                Move(
                    account=account,
                    hours=h.quantize(Decimal("0.1")),
                    from_user=users[pk],
                    to_user=users[target],
                )
            )
    return moves
