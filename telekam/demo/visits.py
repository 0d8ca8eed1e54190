"""A year of visits and calls for the demo accounts, ending today (domain §6).

The plan every active account is owed for the twelve months ending today, as the monthly
job would have made it (`plan_generate`: the month's calls, the quarter's visits, the extra
visits of major events and contract renewals), with the same source keys, so the live job
adds nothing for the current month; the quarter of the first month is planned whole. Items
due before this week are fulfilled by a visit or call log (contacts met, topics, needs
found on some, next steps, a day near the planned one within the item's period) with gaps:
each AM's load is the staffing model's (hours the standards owe a month against the hours
the AM has, `telekam.engagement.selectors`), and the lighter the load the more is done
(about 95 % down to 55 % of items), calls more often than visits; a few accounts, more of
the overloaded AMs', saw no visit at all. Items due this week or later stay open.
`am_finance` does almost everything: only the most recent few items stay open, overdue
in "My week" (what is missed stays overdue there whatever its period).

Every log is on the account's timeline. Rows are written in bulk, the logs with ids chosen
here (the plans point at them). Draws come from a random source of their own (the demo
seed xor SALT), so this part neither shifts nor depends on the draws of the others.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from telekam.accounts.models import Account, AccountStatus, Contact
from telekam.core.models import AuditAction, AuditEntry
from telekam.demo.service import _insert
from telekam.demo.staff import Staff
from telekam.engagement.models import (
    ContactKind,
    ContactLog,
    PlannedContact,
    PlanStatus,
    StaffingParameters,
    VisitStandard,
)
from telekam.engagement.selectors import am_capacity, monthly_hours
from telekam.engagement.services import (
    _event_items,
    month_end,
    month_start,
    quarter_end,
    quarter_start,
    spread,
)
from telekam.org.models import User

SALT = 0x715_17ED  # this part's random source: the demo seed xor SALT
MONTHS = 12
BEST, WORST = 0.95, 0.57  # the share of items done by the lightest and the heaviest loads
CALL_BONUS, VISIT_MALUS = 0.04, 0.05
NEVER_VISITED = (0.02, 0.12)  # chance an account sees no visit: light .. heavy AM
AM_FINANCE_OPEN = 4  # am_finance's overdue items in "My week"

VISIT_TOPICS = (
    "年度通信服务满意度走访", "专线扩容需求沟通", "云网融合方案介绍", "合同续约条款沟通",
    "5G 专网试点进展交流", "数据中心托管需求调研", "网络安全服务方案介绍", "账单与资费结构梳理",
    "近期故障处理情况通报及改进措施", "新办公楼网络规划", "IDC 机柜续租洽谈", "分支机构 SD-WAN 组网方案",
    "集团短号与移动办公推广", "视频会议系统升级需求", "高层拜访：年度战略合作", "信息化建设规划交流",
    "重要保障期间网络保障安排", "物联网应用场景探讨",
)  # fmt: skip
CALL_TOPICS = (
    "月度服务回访", "近期故障处理结果确认", "账单核对", "业务使用情况了解", "节假日网络保障通知",
    "新产品及资费政策告知", "合同到期提醒", "满意度调查", "专线质量回访", "开通进度告知",
    "发票与付款事宜确认", "下次上门拜访时间预约",
)  # fmt: skip
NEEDS = (
    "新增两条 100M 互联网专线", "分支机构 SD-WAN 组网", "机房搬迁，需协助网络割接",
    "增加 50 张物联网卡", "希望提供 DDoS 防护服务", "评估核心系统上云", "视频会议终端更新换代",
    "现有专线扩容至 1G", "新增 IDC 机柜 4 个", "办公区 Wi-Fi 全覆盖改造", "集团成员手机套餐统一调整",
    "异地灾备链路", "云桌面试点 200 点", "等保测评配套安全服务",
)  # fmt: skip
NEXT_STEPS = (
    "本周内提交方案初稿", "安排售前工程师现场勘查", "下周电话确认需求细节", "整理报价发给客户",
    "协调运维排查网络质量", "约定下季度再次拜访", "发送资费说明材料", "跟进合同续签流程",
    "邀请客户参加新品推介会", "与客户信息中心确认割接时间",
)  # fmt: skip


@dataclasses.dataclass(slots=True)
class Row:
    """A PlannedContact's values (`services._item`'s), without a model instance."""

    account_id: int
    owner_id: int
    kind: str
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    source_key: str
    reason: str = "standard"
    note: str = ""
    updated_at: dt.datetime | None = None


@dataclasses.dataclass(slots=True)
class Plan:
    row: Row
    created: dt.datetime
    log_id: int | None = None
    moved: bool = False


def delete_visits_data() -> None:
    """Every visit-part row and its timeline entries: plans (they protect users), the logs'
    contacts, the logs. Runs before the sales rows, the accounts and the demo users go."""
    AuditEntry.objects.filter(target_type__startswith="engagement.").delete()
    PlannedContact.objects.all().delete()
    ContactLog.contacts.through._default_manager.all().delete()
    with connection.cursor() as cursor:  # nothing points at the logs any more
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(ContactLog._meta.db_table)}")  # noqa: S608


def generate_visits(*, seed: int, staff: Staff, now: dt.datetime) -> dict[str, int]:
    """Plan the year, fulfil most of it, write it; the counts of what was written."""
    rng = random.Random(seed ^ SALT)
    today = timezone.localtime(now).date()
    week_start = today - dt.timedelta(days=today.weekday())
    standards = {s.grade_id: s for s in VisitStandard.objects.all()}
    accounts = list(
        Account.objects.filter(status=AccountStatus.ACTIVE, grade_id__in=list(standards))
        .order_by("pk")
        .only("pk", "owner_id", "grade_id")
    )
    plans = _plan(accounts, standards, today, now)
    t = _loads(accounts, standards, staff, today)
    contacts: dict[int, list[int]] = defaultdict(list)
    for pk, account_id in Contact.objects.order_by("pk").values_list("pk", "account_id"):
        contacts[account_id].append(pk)

    # who does what: a share per AM by load, a little per account, some never visited
    factor = {a.pk: rng.uniform(0.9, 1.05) for a in accounts}
    unvisited = {
        a.pk
        for a in accounts
        if standards[a.grade_id].visits_per_quarter  # type: ignore[index]
        and rng.random() < NEVER_VISITED[0] + (NEVER_VISITED[1] - NEVER_VISITED[0]) * t.get(a.owner_id, 0.5)
    }  # fmt: skip
    am_finance = staff.am_finance.pk if staff.am_finance else None
    past = [p for p in plans if p.row.due_on < week_start]
    finance_open = {
        id(p)
        for p in sorted(
            (p for p in past if p.row.owner_id == am_finance),
            key=lambda p: p.row.due_on,  # a stable sort: ties in the order planned
        )[-AM_FINANCE_OPEN:]
    }
    _fill_week(plans, am_finance, today, week_start)
    done: list[Plan] = []
    for plan in past:
        row = plan.row
        share = BEST - (BEST - WORST) * t.get(row.owner_id, 0.5)
        if row.kind == ContactKind.CALL:
            share = min(0.98, share + CALL_BONUS)
        else:
            share -= VISIT_MALUS
        hit = rng.random() < share * factor[row.account_id]
        if row.owner_id == am_finance:
            hit = id(plan) not in finance_open
        elif row.kind == ContactKind.VISIT and row.account_id in unvisited:
            hit = False
        if hit:
            done.append(plan)

    first_id = (ContactLog.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    logs: list[tuple[object, ...]] = []
    met: list[tuple[int, int]] = []
    audits: list[tuple[object, ...]] = []
    names = {u.pk: u.get_full_name() or u.get_username() for u in staff.users}
    for index, plan in enumerate(done):
        row = plan.row
        log_id = first_id + index
        visit = row.kind == ContactKind.VISIT
        day = _near(
            rng, row.due_on, row.period_start, min(row.period_end, today), 5 if visit else 3
        )
        at = min(now, _at(day, rng))
        pool = VISIT_TOPICS if visit else CALL_TOPICS
        topics = "；".join(rng.sample(pool, 2 if visit and rng.random() < 0.5 else 1))
        if row.note and row.reason != "standard":
            topics = f"{row.note}：{topics}"
        needs = "" if rng.random() > (0.35 if visit else 0.1) else rng.choice(NEEDS)
        steps = rng.choice(NEXT_STEPS) if needs or rng.random() < 0.5 else ""
        follow = (
            day + dt.timedelta(days=rng.randint(3, 21)) if steps and rng.random() < 0.6 else None
        )
        logs.append(
            (log_id, row.account_id, row.owner_id, row.kind, day, topics[:500], needs, steps,
             follow, at)
        )  # fmt: skip
        people = contacts.get(row.account_id, [])
        if people:
            top = people[: max(1, min(len(people), 4))]
            for pk in sorted(rng.sample(top, min(len(top), 2 if visit else 1))):
                met.append((log_id, pk))
        kind_label = "上门拜访" if visit else "主动电话"
        audits.append(
            (at, row.owner_id, names.get(row.owner_id, ""), AuditAction.EVENT, "engagement.contactlog",
             str(log_id), f"{row.account_id} {row.kind} {day}", row.account_id,
             f"{kind_label}：{topics[:200]}", {})
        )  # fmt: skip
        plan.log_id = log_id
        plan.row.updated_at = max(plan.created, at)

    _insert(ContactLog, ("id", "account", "author", "kind", "happened_on", "topics", "needs",
                         "next_steps", "follow_up_on", "created_at"), logs)  # fmt: skip
    if logs:
        with connection.cursor() as cursor:  # the id sequence past the ids chosen here
            for sql in connection.ops.sequence_reset_sql(no_style(), [ContactLog]):
                cursor.execute(sql)
    _insert(ContactLog.contacts.through, ("contactlog", "contact"), met)
    _insert(PlannedContact, ("account", "owner", "kind", "period_start", "period_end", "due_on",
                             "reason", "note", "source_key", "status", "log", "created_at",
                             "updated_at", "version"),
            ((p.row.account_id, p.row.owner_id, p.row.kind, p.row.period_start, p.row.period_end,
              p.row.due_on, p.row.reason, p.row.note, p.row.source_key,
              PlanStatus.DONE if p.log_id else PlanStatus.PLANNED, p.log_id, p.created,
              p.row.updated_at if p.log_id else now if p.moved else p.created,
              2 if p.log_id or p.moved else 1)
             for p in plans))  # fmt: skip
    _insert(AuditEntry, ("at", "actor", "actor_name", "action", "target_type", "target_id",
                         "target_repr", "account", "summary", "changes"), audits)  # fmt: skip
    return {
        "planned_contacts": len(plans),
        "planned_contacts_done": len(done),
        "planned_contacts_open_past": len(past) - len(done),
        "contact_logs": len(logs),
        "contact_log_contacts": len(met),
        "visit_audit_entries": len(audits),
        "accounts_never_visited": len(unvisited),
    }


def _plan(
    accounts: Sequence[Account], standards: dict[int, VisitStandard], today: dt.date,
    now: dt.datetime,
) -> list[Plan]:  # fmt: skip
    """The items `plan_generate` makes for each of the twelve months ending with this one
    (and the visits of the first month's quarter), built here in one pass."""
    months = [month_start(today)]
    for _i in range(MONTHS - 1):
        months.append(month_start(months[-1] - dt.timedelta(days=1)))
    months.reverse()
    quarters = sorted({quarter_start(m) for m in months})
    plans: list[Plan] = []

    def created(day: dt.date) -> dt.datetime:  # the job runs on the 1st at 06:00
        return min(now, timezone.make_aware(dt.datetime.combine(day, dt.time(6))))

    def add(account: Account, kind: str, start: dt.date, end: dt.date, n: int) -> None:
        at, tag = created(start), f"std:{account.pk}:{kind}:{start:%Y%m}"
        for i, day in enumerate(spread(start, end, n)):
            due = min(max(day, start), end)
            row = Row(account.pk, account.owner_id, kind, start, end, due, f"{tag}:{i}"[:80])
            plans.append(Plan(row, at))

    for month in months:
        for account in accounts:
            calls = standards[account.grade_id].calls_per_month  # type: ignore[index]
            add(account, ContactKind.CALL, month, month_end(month), calls)
    for q_start in quarters:
        for account in accounts:
            visits = standards[account.grade_id].visits_per_quarter  # type: ignore[index]
            add(account, ContactKind.VISIT, q_start, quarter_end(q_start), visits)
    # the events' extra visits: one pass over the year finds what each month's would
    qs = Account.objects.filter(status=AccountStatus.ACTIVE, grade_id__in=list(standards))
    for item in _event_items(months[0], month_end(today), qs):
        row = Row(item.account_id, item.owner_id, item.kind, item.period_start, item.period_end,
                  item.due_on, item.source_key, item.reason, item.note)  # fmt: skip
        plans.append(Plan(row, created(month_start(item.period_start))))
    return plans


def _fill_week(plans: list[Plan], owner: int | None, today: dt.date, week_start: dt.date) -> None:
    """Whatever the day, am_finance has a few items due this week: if fewer than three
    fall in it, the next ones whose period allows are moved into it (as `plan_move`)."""
    week_end = week_start + dt.timedelta(days=6)
    mine = sorted(
        (p for p in plans if p.row.owner_id == owner and p.row.due_on >= week_start),
        key=lambda p: p.row.due_on,  # a stable sort: ties in the order planned
    )
    missing = 3 - sum(p.row.due_on <= week_end for p in mine)
    for plan in mine:
        if missing <= 0:
            break
        row = plan.row
        day = max(today, row.period_start)
        while day.weekday() >= 5 and day < week_end:
            day += dt.timedelta(days=1)
        if row.due_on > week_end and day <= min(week_end, row.period_end):
            row.due_on, plan.moved = day, True
            missing -= 1


def _loads(
    accounts: Sequence[Account], standards: dict[int, VisitStandard], staff: Staff, today: dt.date
) -> dict[int, float]:
    """Each AM's load (hours owed a month / hours available, as `selectors.staffing`) as a
    place between the lightest tenth (0) and the heaviest tenth (1) of the department."""
    params = StaffingParameters.objects.first() or StaffingParameters()
    hours = {gid: monthly_hours(s) for gid, s in standards.items()}
    owed: dict[int, Decimal] = defaultdict(Decimal)
    for account in accounts:
        owed[account.owner_id] += hours[account.grade_id]  # type: ignore[index]
    users: list[User] = [u for group in staff.ams.values() for u in group]
    load = {}
    for user in users:
        _factor, available = am_capacity(user, params, today)
        load[user.pk] = float(owed.get(user.pk, Decimal(0)) / available) if available else 0.0
    if not load:
        return {}
    ranked = sorted(load.values())
    low, high = ranked[len(ranked) // 10], ranked[-1 - len(ranked) // 10]
    span = high - low or 1.0
    return {pk: min(1.0, max(0.0, (value - low) / span)) for pk, value in load.items()}


def _near(rng: random.Random, day: dt.date, lo: dt.date, hi: dt.date, spread_days: int) -> dt.date:
    """A working day within `spread_days` of `day`, inside [lo, hi] (a weekend day if the
    range has no other)."""
    hi = max(lo, hi)
    out = min(hi, max(lo, day + dt.timedelta(days=rng.randint(-spread_days, spread_days))))
    for shift in (0, -1, 1, -2, 2):
        candidate = out + dt.timedelta(days=shift)
        if lo <= candidate <= hi and candidate.weekday() < 5:
            return candidate
    return out


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """When the AM typed the log: that afternoon or evening."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time(rng.randint(12, 20), rng.randint(0, 59)))
    )
