"""Churn early warning for the demo accounts (domain §7): call records, warnings, cases.

1. The lake: Beijing's area code 010 as the local area (the competitor prefixes and trunks
   are the migration's), then eight weeks of the gateway exchange's daily call-record files
   ending yesterday, written as the switches write them and landed through `calls_ingest`
   (validation, quarantine, Parquet), one file a day; one file carries a few bad rows. The
   calling lines are the voice-trunk pilot numbers of the key accounts (the demo's only
   fixed lines), plus lines of other customers. Most accounts send about 5 % of their long
   distance through a competitor, steadily; a few drift to China Unicom over the last three
   weeks (17911, 17931 or the CUCC trunk) to 40-60 %, their own long distance falling.
   `call_signals_run` then raises their warnings by the real rules.
2. Eighteen months of history, written directly with past dates: closed retention cases
   (retained, partly lost, lost; the reasons and industries in about §7's proportions) with
   the warnings that preceded them, their actions and plans; some lost accounts were never
   warned; some warnings were false alarms. The lost accounts are drawn from the accounts
   whose generated bills decline (and the partly lost from those that stopped a product, at
   the month it stopped), so their billing shows the fall; the bills are not edited.
3. Today: am_finance's queue (an overdue open warning, an acknowledged one, one with an open
   case), field reports by am_finance and desk, a cancellation import by head (services).
4. The risk model is trained on that history.

Draws come from a random source of their own (the demo seed xor SALT).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from telekam.accounts.models import Account, AccountStatus, Competitor, Segment, ServiceInUse
from telekam.accounts.models import ServiceStatus as SvcStatus
from telekam.analytics.ingest import COLUMNS
from telekam.core.models import AuditAction, AuditEntry, Notification
from telekam.demo import spend
from telekam.demo.portfolio import Draft
from telekam.demo.staff import Staff
from telekam.engagement.models import PlannedContact, TriggerKind
from telekam.org.models import User
from telekam.retention.models import (
    CancellationOrder,
    CaseOutcome,
    CaseStatus,
    ChurnReason,
    ChurnWarning,
    FieldReport,
    LocalAreaCode,
    RetentionAction,
    RetentionCase,
    RiskScore,
    Run,
    RunStatus,
    Severity,
    WarningSource,
    WarningStatus,
)
from telekam.retention.services import (
    call_signals_run,
    calls_ingest,
    cancellations_import,
    case_action_add,
    case_open,
    field_report_create,
    risk_model_train,
)
from telekam.retention.services.warnings import ack_due

SALT = 0xC4_0A_2E_5D  # this part's random source: the demo seed xor SALT
LOCAL_AREA = ("010", "北京")
GATEWAY = "BJGW01"  # the gateway exchange whose files these are
DAYS = 56  # eight weeks of call records, ending yesterday
BAD_FILE_AGE = 10  # the file of this many days ago has a few bad rows
DRIFTERS = 4
HISTORY_DAYS = 540  # eighteen months of closed cases
MAX_CASES = 34
RECENT_LOST = 6  # lost or partly lost within the risk model's 180-day horizon, at least

# §7: the reasons of lost revenue, and the industries it was lost in.
REASON_SHARES = {
    ChurnReason.BUSINESS_TROUBLE: 0.40,
    ChurnReason.COMPETITOR_LD: 0.32,
    ChurnReason.COMPETITOR_DATA: 0.085,
    ChurnReason.PRICE: 0.07,
    ChurnReason.SERVICE_QUALITY: 0.06,
    ChurnReason.RELOCATION: 0.045,
    ChurnReason.OTHER: 0.02,
}
INDUSTRY_SHARES = {
    ("government",): 0.2653,
    ("mining", "manufacturing"): 0.1482,
    ("real_estate",): 0.1357,
}  # the rest (0.4508) over the other industries by their number of accounts
DATA_PRODUCTS = {"ip_vpn", "internet_leased_line", "digital_circuit", "ddn", "frame_relay", "atm"}

# Where the calls go. Beijing local numbers start 5-8; long distance is 0 + another area.
LD_AREAS = (
    "21", "22", "23", "24", "25", "27", "28", "29", "20", "311", "351", "371", "431", "451",
    "512", "532", "571", "591", "731", "755", "769", "871", "898",
)  # fmt: skip
INTL = ("1", "44", "49", "81", "82", "852", "65", "33")
MOBILE = {  # prefix -> the carrier the call is handed to
    **dict.fromkeys(("133", "153", "173", "177", "180", "181", "189", "191", "199"), "CT"),
    **dict.fromkeys(
        (
            "134",
            "135",
            "136",
            "137",
            "138",
            "139",
            "150",
            "151",
            "152",
            "157",
            "158",
            "159",
            "182",
            "183",
            "187",
            "188",
            "198",
        ),
        "CMCC",
    ),
    **dict.fromkeys(("130", "131", "132", "155", "156", "166", "185", "186"), "CUCC"),
}
MOBILE_PREFIXES = tuple(MOBILE)
HOURS = (7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21)
HOUR_WEIGHTS = (1, 5, 10, 11, 10, 5, 7, 10, 10, 9, 7, 4, 2, 1, 1)
DAY_FACTOR = (1.0, 1.0, 1.0, 1.0, 0.95, 0.35, 0.2)  # Monday .. Sunday

# (how, competitor target share of long distance in the last days, own volume kept)
DRIFT_STYLES = (
    ("17911", 0.56, 1.0),
    ("CUCC", 0.66, 0.8),
    ("17931", 0.54, 1.0),
    ("mixed", 0.60, 0.9),
)

PLANS = {
    ChurnReason.BUSINESS_TROUBLE: "了解客户经营状况，争取分期缴费与阶段性降档保留核心业务",
    ChurnReason.COMPETITOR_LD: "针对长途分流，推出长途包月与 IP 长途优惠，高层拜访稳定合作关系",
    ChurnReason.COMPETITOR_DATA: "对标竞争对手数据专线报价，提供带宽升级与 SLA 加强方案",
    ChurnReason.PRICE: "梳理资费结构，申请大客户价格优惠，签订两年期协议",
    ChurnReason.SERVICE_QUALITY: "通报故障整改措施，安排专属维护经理，提供服务质量承诺",
    ChurnReason.RELOCATION: "协助新址网络规划与割接，保留原有业务号码",
    ChurnReason.OTHER: "走访了解原因，制定个性化保留方案",
}
ACTIONS = (
    "上门拜访客户信息中心负责人", "高层拜访：分管副总经理带队", "提交优惠资费方案",
    "申请价格特批并获批", "安排网络质量专项检测", "电话回访确认客户意向", "发送新版合同条款",
    "邀请客户参观数据中心", "协调运维处理遗留故障", "与客户财务部门沟通缴费安排",
    "提供竞争对手方案对比分析", "约定两周后再次拜访",
)  # fmt: skip
CLOSE_NOTES = {
    CaseOutcome.RETAINED: ("客户接受优惠方案，续签两年", "问题解决，客户表示继续合作",
                           "签订长途包月协议，话务回流"),
    CaseOutcome.PARTLY_LOST: ("部分业务转网，核心业务保留", "分支机构线路退租，总部业务保留"),
    CaseOutcome.LOST: ("客户决定转网，业务陆续拆机", "客户停业整顿，业务全部终止",
                       "挽留未果，合同到期不再续签"),
}  # fmt: skip
FALSE_ALARMS = (
    "客户确认为季节性波动，无流失意向", "话务下降系节假日放假所致", "客户机房搬迁期间临时停用，已恢复",
    "核实为计费调整，非业务流失",
)  # fmt: skip
FIELD_TEXTS = (
    ("china_unicom", "客户办公室主任透露联通近期多次上门推介 IP 长途优惠"),
    ("china_mobile", "听客户 IT 负责人说移动给了集团专线的报价，比我们低约两成"),
    ("china_unicom", "客户分公司已试用联通专线一个月"),
    ("", "客户财务说明年预算压缩，通信费要砍三成"),
    ("china_mobile", "移动客户经理频繁拜访客户行政部，推销 5G 专网"),
)
CANCEL_REASONS = ("业务调整", "分支机构撤并", "改用其他运营商线路", "机房搬迁")


def delete_churn_data() -> None:
    """Every churn row (scores, warnings, cases, orders, reports, runs, their timeline and
    notifications), the demo's local area code and the lake's files. Runs first in the
    reset: its rows protect accounts and users. The competitor rules stay: they come with
    the product."""
    AuditEntry.objects.filter(target_type__startswith="retention.").delete()
    Notification.objects.filter(key__startswith="churn:").delete()
    RiskScore.objects.all().delete()
    ChurnWarning.objects.all().delete()
    RetentionAction.objects.all().delete()
    RetentionCase.objects.all().delete()
    CancellationOrder.objects.all().delete()
    FieldReport.objects.all().delete()
    Run.objects.all().delete()
    LocalAreaCode.objects.filter(code=LOCAL_AREA[0]).delete()
    root = Path(settings.TELEKAM_LAKE_DIR)
    for part in ("calls", "quarantine", "agg", "signals"):  # only the lake's own folders
        shutil.rmtree(root / part, ignore_errors=True)


@dataclass
class Line:
    digits: str
    account_id: int | None
    per_day: float  # calls on a weekday
    ld_share: float  # of calls, long distance
    competitor: float  # of long distance, through a competitor (steady)
    drift: tuple[str, float, float] | None = None


@dataclass(frozen=True)
class ChurnResult:
    counts: dict[str, int]
    drifting: list[str]  # the codes of the accounts drifting to a competitor
    risk: str  # what became of the risk model: done, failed: why, absent


def generate_churn(
    *, seed: int, drafts: Sequence[Draft], staff: Staff, now: dt.datetime
) -> ChurnResult:
    """The call records and their warnings, the history, today's queue, the risk scores."""
    rng = random.Random(seed ^ SALT)
    today = timezone.localtime(now).date()
    LocalAreaCode.objects.get_or_create(code=LOCAL_AREA[0], defaults={"city": LOCAL_AREA[1]})
    users = {u.username: u for u in staff.users}

    lines, drifting = _lines(rng)
    counts = _calls(rng, lines, today)
    signals = call_signals_run(as_of=today - dt.timedelta(days=1))
    counts["call_warnings"] = int(signals.report.get("warnings_created", 0))
    counts |= _history(rng, drafts, users, today, skip=set(drifting))
    counts |= _today(rng, users, today, skip=set(drifting))
    risk = _train(today)
    # Nobody is mailed about the demo's warnings: the inbox has them.
    Notification.objects.filter(key__startswith="churn:").update(emailed=True)
    counts["churn_warnings"] = ChurnWarning.objects.count()
    counts["churn_warnings_open"] = ChurnWarning.objects.exclude(
        status=WarningStatus.CLOSED
    ).count()
    counts["retention_cases"] = RetentionCase.objects.count()
    counts["risk_scores"] = RiskScore.objects.count()
    # the extra visits the warnings raised today earned (visits' plan counts them too)
    counts["churn_planned_visits"] = PlannedContact.objects.filter(
        reason=TriggerKind.CHURN_WARNING
    ).count()
    codes = list(
        Account.objects.filter(pk__in=drifting).order_by("code").values_list("code", flat=True)
    )
    return ChurnResult(counts=counts, drifting=codes, risk=risk)


# --- call records ---------------------------------------------------------------------------


def _lines(rng: random.Random) -> tuple[list[Line], list[int]]:
    """The key accounts' voice-trunk pilot numbers with their calling habits (a few of them
    drifting), and lines of other customers of the exchange."""
    rows = list(
        ServiceInUse.objects.filter(
            product__code="voice_trunk",
            status=SvcStatus.ACTIVE,
            account__segment=Segment.KEY,
            account__status=AccountStatus.ACTIVE,
        )
        .order_by("account__code", "number")
        .values_list("number", "account_id", "monthly_fee")
    )
    lines: list[Line] = []
    for number, account_id, fee in rows:
        per_day = min(20.0, max(0.3, float(fee) / 1800 * rng.lognormvariate(0, 0.3)))
        lines.append(
            Line(
                digits="".join(c for c in number if c.isdigit()),
                account_id=account_id,
                per_day=per_day,
                ld_share=rng.uniform(0.2, 0.35),
                competitor=rng.uniform(0.02, 0.08),
            )
        )
    # The drifting: among the bigger trunks, one line per account.
    big = sorted(lines, key=lambda line: -line.per_day)[: max(DRIFTERS * 2, len(lines) // 5)]
    chosen = sorted(rng.sample(big, min(DRIFTERS, len(big) // 2)), key=lambda x: x.digits)
    for line, style in zip(chosen, DRIFT_STYLES, strict=False):
        line.drift = style
        line.per_day, line.ld_share, line.competitor = rng.uniform(55, 75), 0.5, 0.05
    taken = {line.digits for line in lines}
    others: list[Line] = []
    while len(others) < max(10, len(lines) // 10):
        digits = f"010{rng.choice('5678')}{rng.randrange(10**7):07d}"
        if digits not in taken:
            taken.add(digits)
            others.append(Line(digits, None, rng.uniform(0.5, 4), 0.25, rng.uniform(0.03, 0.3)))
    return lines + others, [line.account_id for line in chosen if line.account_id]


def _charge(seconds: int, *, kind: str) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if kind == "ld":
        fen = 30 * minutes
    elif kind == "intl":
        fen = 800 * minutes
    else:  # local: 0.22 for the first three minutes, 0.11 a minute after
        fen = 22 + 11 * max(0, minutes - 3)
    return f"{fen // 100}.{fen % 100:02d}"


def _drift_share(line: Line, age: int) -> tuple[float, float]:
    """(competitor share of long distance, own volume factor) `age` days before yesterday."""
    if line.drift is None:
        return line.competitor, 1.0
    _how, target, keep = line.drift
    if age >= 21:
        return line.competitor, 1.0
    t = (21 - age) / 21
    return line.competitor + (target - line.competitor) * t, 1 - (1 - keep) * t


def _day_rows(rng: random.Random, lines: Sequence[Line], day: dt.date, age: int) -> list[str]:
    rows: list[tuple[str, str]] = []
    factor = DAY_FACTOR[day.weekday()]
    for line in lines:
        mean = line.per_day * factor
        n = max(0, round(rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0
        share, keep = _drift_share(line, age)
        for _ in range(n):
            at = f"{day} {rng.choices(HOURS, HOUR_WEIGHTS)[0]:02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
            prefix, carrier = "", "CT"
            if rng.random() < line.ld_share:
                competitor = rng.random() < share
                if not competitor and rng.random() > keep:
                    continue  # long distance that no longer comes through our exchange
                intl = rng.random() < 0.05
                if intl:
                    called = f"00{rng.choice(INTL)}{rng.randrange(10**8):08d}"
                else:
                    area = rng.choice(LD_AREAS)
                    called = f"0{area}{rng.randrange(10 ** (10 - len(area))):0{10 - len(area)}d}"
                seconds = max(10, int(rng.expovariate(1 / 270)))
                kind = "intl" if intl else "ld"
                if competitor:
                    kind = "local"  # we charge the local leg; the competitor the rest
                    how = (
                        line.drift[0]
                        if line.drift
                        else rng.choice(("17911", "17911", "CUCC", "17951"))
                    )
                    if how == "mixed":
                        how = rng.choice(("17911", "CUCC"))
                    if how == "CUCC":
                        carrier = "CUCC"
                    else:
                        prefix = how
                        carrier = "CMCC" if how == "17951" else "CUCC"
            else:
                seconds = max(5, int(rng.expovariate(1 / 150)))
                kind = "local"
                if rng.random() < 0.6:
                    called = f"{rng.choice('5678')}{rng.randrange(10**7):07d}"
                else:
                    mobile = rng.choice(MOBILE_PREFIXES)
                    called = f"{mobile}{rng.randrange(10**8):08d}"
                    carrier = MOBILE[mobile]
            charge = _charge(seconds, kind=kind)
            rows.append((at, f"{at},{line.digits},{called},{prefix},{carrier},{seconds},{charge}"))
    rows.sort()
    return [text for _at, text in rows]


def _bad_rows(day: dt.date, line: str) -> list[str]:
    """What a switch writes now and then: every reason the ingest knows, once."""
    return [
        f"{day} 25:61:00,{line},65012345,,CT,60,0.22",
        f"{day} 09:15:00,010-6501ABCD,65012345,,CT,60,0.22",
        f"{day} 09:16:00,{line},,,CT,60,0.22",
        f"{day} 09:17:00,{line},02112345678,17A11,CUCC,60,0.22",
        f"{day} 09:18:00,{line},65012345,,CT,-12,0.22",
        f"{day} 09:19:00,{line},65012345,,CT,60,1.2.3",
        f"{day} 09:20:00,{line},65012345,,CT,60",  # cut short: a field missing
    ]


def _calls(rng: random.Random, lines: Sequence[Line], today: dt.date) -> dict[str, int]:
    """Write a file a day, land each through the ingest (each run dated the night after
    its day, as the nightly job would have), report what went in."""
    calls = bad = files = 0
    with tempfile.TemporaryDirectory(prefix="telekam-demo-cdr-") as tmp:
        for age in range(DAYS - 1, -1, -1):
            day = today - dt.timedelta(days=age + 1)
            rows = _day_rows(rng, lines, day, age)
            if age == BAD_FILE_AGE and lines:
                extra = _bad_rows(day, lines[0].digits)
                rows[len(rows) // 2 : len(rows) // 2] = extra
                bad += len(extra)
            path = Path(tmp) / f"{GATEWAY}_{day:%Y%m%d}.csv"
            path.write_text(",".join(COLUMNS) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
            run = calls_ingest(path=path)
            started = timezone.make_aware(
                dt.datetime.combine(day + dt.timedelta(days=1), dt.time(1, 30))
            )
            took = (run.finished_at - run.started_at) if run.finished_at else dt.timedelta()
            Run.objects.filter(pk=run.pk).update(started_at=started, finished_at=started + took)
            calls += run.rows_ok
            files += 1
    return {"call_files": files, "call_records": calls, "call_rows_bad": bad}


# --- history --------------------------------------------------------------------------------


def _quota(shares: dict[Any, float], n: int) -> list[Any]:
    """`n` items in the given proportions (largest remainder)."""
    total = sum(shares.values())
    exact = {k: n * v / total for k, v in shares.items()}
    counts = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: -(exact[k] - counts[k]))[: n - sum(counts.values())]:
        counts[k] += 1
    return [k for k, c in counts.items() for _ in range(c)]


def _weights(accounts: Sequence[Account]) -> list[float]:
    """Each account's weight so that the industries come out about as in §7."""
    by_industry = Counter(a.industry for a in accounts)
    named = {i for group in INDUSTRY_SHARES for i in group}
    rest = sum(n for i, n in by_industry.items() if i not in named) or 1
    weight: dict[str, float] = {}
    for group, share in INDUSTRY_SHARES.items():
        n = sum(by_industry[i] for i in group) or 1
        weight |= dict.fromkeys(group, share / n)
    rest_share = 1 - sum(INDUSTRY_SHARES.values())
    return [weight.get(a.industry, rest_share / rest) for a in accounts]


def _draw(
    rng: random.Random, pool: list[Account], used: set[int], want: tuple[str, ...] | None = None
) -> Account | None:
    """An account of the pool not drawn before: of the industries `want` (() for the
    industries §7 does not name) when the pool has one, else weighted by §7's shares."""
    left = [a for a in pool if a.pk not in used]
    if not left:
        return None
    if want is not None:
        named = {i for group in INDUSTRY_SHARES for i in group}
        match = [a for a in left if (a.industry in want if want else a.industry not in named)]
        account = rng.choice(match) if match else rng.choices(left, _weights(left))[0]
    else:
        account = rng.choices(left, _weights(left))[0]
    used.add(account.pk)
    return account


def _at(day: dt.date, rng: random.Random, first: int = 9, last: int = 18) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time(rng.randint(first, last), rng.randrange(60)))
    )


@dataclass
class CaseDraft:
    account: Account
    outcome: str
    closed_on: dt.date
    reason: str = ""
    lost: Decimal = Decimal("0.00")
    stopped: str = ""  # the product it stopped, for a partly lost case at its stop


def _history(
    rng: random.Random, drafts: Sequence[Draft], users: dict[str, User], today: dt.date,
    *, skip: set[int],
) -> dict[str, int]:  # fmt: skip
    by_pk = {d.account.pk: d for d in drafts}
    key = [
        a
        for a in Account.objects.filter(segment=Segment.KEY, status=AccountStatus.ACTIVE)
        .order_by("code")
        .only("pk", "code", "name", "industry", "owner_id", "avg_monthly_spend")
        if a.pk not in skip and a.pk in by_pk
    ]
    n_cases = min(MAX_CASES, max(6, len(key) // 3))
    n_lost, n_partly = round(n_cases * 0.28), round(n_cases * 0.27)
    used: set[int] = set()
    earliest = today - dt.timedelta(days=HISTORY_DAYS)
    months = spend.Calendar.ending_before(today).months
    declining = [
        a for a in key
        if by_pk[a.pk].trend in (spend.SHARP_DECLINE, spend.DROP_OFF, spend.DECLINING)
    ]  # fmt: skip
    stopped = [
        a for a in key
        if (stop := by_pk[a.pk].stop) and months[stop[1] - 1] >= earliest.replace(day=1)
    ]  # fmt: skip
    cancelled = {
        (s.account_id, s.product.code): s.cancelled_on
        for s in ServiceInUse.objects.filter(status=SvcStatus.CANCELLED, account__in=stopped)
        .select_related("product")
        .order_by("pk")
    }
    cases: list[CaseDraft] = []
    # the industries of the cases in §7's proportions, in a random order
    shares: dict[tuple[str, ...], float] = {
        **INDUSTRY_SHARES,
        (): 1 - sum(INDUSTRY_SHARES.values()),
    }
    wanted = _quota(shares, n_cases)
    rng.shuffle(wanted)
    wants = iter(wanted)

    def spend_of(account: Account) -> Decimal:
        return account.avg_monthly_spend or Decimal("1000.00")

    for _ in range(n_partly):
        want = next(wants, ())
        account = _draw(rng, stopped, used, want)
        if account is not None:
            product, index = by_pk[account.pk].stop  # type: ignore[misc]
            gone = cancelled.get((account.pk, product)) or months[index - 1].replace(day=15)
            fee = Decimal(by_pk[account.pk].series[product][index - 1]) / 100
            closed = min(today - dt.timedelta(days=1), gone + dt.timedelta(days=rng.randint(2, 15)))
            cases.append(CaseDraft(account, CaseOutcome.PARTLY_LOST, closed, lost=fee,
                                   stopped=product))  # fmt: skip
            continue
        account = _draw(rng, declining, used, want) or _draw(rng, key, used, want)
        if account is not None:
            lost = (spend_of(account) * Decimal(rng.uniform(0.1, 0.35))).quantize(Decimal("0.01"))
            closed = today - dt.timedelta(days=8 + round(520 * rng.random() ** 1.4))
            cases.append(CaseDraft(account, CaseOutcome.PARTLY_LOST, closed, lost=lost))
    for _ in range(n_lost):
        want = next(wants, ())
        account = _draw(rng, declining, used, want) or _draw(rng, key, used, want)
        if account is None:
            break
        trend = by_pk[account.pk].trend
        if trend == spend.SHARP_DECLINE:
            age = rng.randint(7, 100)
        elif trend == spend.DROP_OFF:
            age = rng.randint(40, 220)
        else:
            age = 8 + round(520 * rng.random() ** 1.4)
        lost = (spend_of(account) * Decimal(rng.uniform(0.4, 0.8))).quantize(Decimal("0.01"))
        cases.append(
            CaseDraft(account, CaseOutcome.LOST, today - dt.timedelta(days=age), lost=lost)
        )
    # Enough losses within the risk model's horizon to learn from.
    horizon = today - dt.timedelta(days=170)
    movable = sorted((c for c in cases if not c.stopped), key=lambda c: c.closed_on)
    recent = sum(c.closed_on >= horizon for c in cases)
    for case in movable:
        if recent >= RECENT_LOST:
            break
        if case.closed_on < horizon:
            case.closed_on = today - dt.timedelta(days=rng.randint(7, 165))
            recent += 1
    for _ in range(n_cases - len(cases)):
        account = _draw(rng, key, used, next(wants, ()))
        if account is None:
            break
        closed = today - dt.timedelta(days=rng.randint(5, HISTORY_DAYS - 70))
        cases.append(CaseDraft(account, CaseOutcome.RETAINED, closed))

    # Reasons in §7's proportions: a data product stopped goes to a competitor's data.
    lost_cases = [c for c in cases if c.outcome != CaseOutcome.RETAINED]
    reasons = _quota(REASON_SHARES, len(lost_cases))
    rng.shuffle(reasons)
    for case in lost_cases:
        want = (
            ChurnReason.COMPETITOR_DATA if case.stopped in DATA_PRODUCTS
            else ChurnReason.COMPETITOR_LD if case.stopped == "voice_trunk" else None
        )  # fmt: skip
        pick = reasons.index(want) if want in reasons else 0
        case.reason = reasons.pop(pick)
    cases.sort(key=lambda c: (c.closed_on, c.account.code))
    return _write_history(rng, cases, users, today, key, used)


def _sources(reason: str, rng: random.Random) -> list[str]:
    pairs: dict[str, tuple[str, str]] = {
        ChurnReason.COMPETITOR_LD: (WarningSource.CALLS, WarningSource.FIELD),
        ChurnReason.COMPETITOR_DATA: (WarningSource.FIELD, WarningSource.CANCELLATION),
        ChurnReason.BUSINESS_TROUBLE: (WarningSource.SPEND, WarningSource.CANCELLATION),
        ChurnReason.PRICE: (WarningSource.FIELD, WarningSource.SPEND),
        ChurnReason.SERVICE_QUALITY: (WarningSource.FIELD, WarningSource.SPEND),
        ChurnReason.RELOCATION: (WarningSource.CANCELLATION, WarningSource.FIELD),
    }
    first, second = pairs.get(reason, (WarningSource.SPEND, WarningSource.FIELD))
    return [first, second] if rng.random() < 0.3 else [first]


def _competitor(reason: str, rng: random.Random) -> str:
    if reason == ChurnReason.COMPETITOR_LD:
        return Competitor.CHINA_UNICOM if rng.random() < 0.8 else Competitor.CHINA_MOBILE
    if reason == ChurnReason.COMPETITOR_DATA:
        return rng.choice(
            [Competitor.CHINA_MOBILE, Competitor.CHINA_UNICOM, Competitor.CHINA_MOBILE]
        )
    return ""


def _evidence(source: str, on: dt.date, account: Account, competitor: str,
              rng: random.Random) -> dict[str, Any]:  # fmt: skip
    """Evidence in the shape the jobs write (retention.services), with figures of the time."""
    if source == WarningSource.CALLS:
        base = rng.uniform(400, 1500)
        share = rng.uniform(25, 55)
        series = []
        for w in range(7, -1, -1):
            s = 5.0 if w >= 3 else 5 + (share - 5) * (3 - w) / 3
            series.append({"week_end": (on - dt.timedelta(days=7 * w)).isoformat(),
                           "ld_minutes": round(base, 1),
                           "competitor_minutes": round(base * s / 100, 1)})  # fmt: skip
        return {"as_of": on.isoformat(), "rules": ["competitor_share"],
                "ld_minutes": round(base, 1), "competitor_minutes": round(base * share / 100, 1),
                "share_pct": round(share, 1), "baseline_ld_minutes": round(base, 1),
                "baseline_share_pct": 8.0, "own_drop_pct": round(share - 8, 1),
                "thresholds": {"competitor_share_pct": 20.0, "share_rise_points": 10.0,
                               "ld_drop_pct": 40.0},
                "series": series}  # fmt: skip
    monthly = float(account.avg_monthly_spend or 1000)
    if source == WarningSource.SPEND:
        drop = rng.uniform(22, 45)
        month = on.replace(day=1)
        return {"month": month.isoformat(), "products": [],
                "total_yuan": f"{monthly * (1 - drop / 100):.2f}",
                "baseline_total_yuan": f"{monthly:.2f}", "total_drop_pct": round(drop, 1),
                "threshold_pct": 20.0, "series": []}  # fmt: skip
    if source == WarningSource.CANCELLATION:
        fee = monthly * rng.uniform(0.1, 0.5)
        return {"orders": [{"number": f"TZ{on:%Y%m%d}{rng.randrange(1000):03d}", "line": "",
                            "product": "", "monthly_fee": f"{fee:.2f}",
                            "ordered_on": on.isoformat(), "reason": rng.choice(CANCEL_REASONS)}],
                "total_fee": f"{fee:.2f}", "avg_monthly_spend": f"{monthly:.2f}",
                "share_pct": round(100 * fee / monthly, 1)}  # fmt: skip
    return {"reports": []}  # field: filled in with the report rows


def _write_history(
    rng: random.Random, cases: Sequence[CaseDraft], users: dict[str, User], today: dt.date,
    key: Sequence[Account], used: set[int],
) -> dict[str, int]:  # fmt: skip
    names = {u.pk: u.get_full_name() or u.get_username() for u in users.values()}
    desk = users.get("desk")
    voiced = set(
        ServiceInUse.objects.filter(
            product__code="voice_trunk", status=SvcStatus.ACTIVE
        ).values_list("account_id", flat=True)
    )
    audits: list[AuditEntry] = []
    no_warning = 0
    rows: list[tuple[RetentionCase, list[ChurnWarning], list[RetentionAction]]] = []
    # about a third of the losses came without a warning: the misses of the hit rate
    lost = [i for i, c in enumerate(cases) if c.outcome == CaseOutcome.LOST]
    unwarned = set(rng.sample(lost, max(1, round(len(lost) * 0.3)))) if lost else set()
    for index, case in enumerate(cases):
        account = case.account
        threat = case.reason or rng.choice(list(REASON_SHARES))
        competitor = _competitor(threat, rng)
        silent = index in unwarned
        lead = rng.randint(3, 15) if silent else rng.randint(10, 60)
        raised = case.closed_on - dt.timedelta(days=lead)
        opened = raised + dt.timedelta(days=0 if silent else rng.randint(0, min(4, lead - 5)))
        closed_at = _at(case.closed_on, rng, 14, 18)
        row = RetentionCase(
            account=account, owner_id=account.owner_id, status=CaseStatus.CLOSED,
            opened_on=opened,
            plan=("客户来函告知拟终止合作；" if silent else "") + PLANS[ChurnReason(threat)],
            outcome=case.outcome, reason=case.reason,
            competitor=competitor if case.outcome != CaseOutcome.RETAINED else "",
            monthly_revenue_lost=case.lost, closed_on=case.closed_on,
            close_note=rng.choice(CLOSE_NOTES[CaseOutcome(case.outcome)]),
            created_at=_at(opened, rng), updated_at=closed_at, version=3,
        )  # fmt: skip
        warnings = []
        if silent:
            no_warning += 1
        else:
            sources = _sources(threat, rng)
            if account.pk not in voiced:  # no line of its own through the exchange
                sources = list(dict.fromkeys(
                    WarningSource.FIELD if x == WarningSource.CALLS else x for x in sources
                ))  # fmt: skip
            for i, source in enumerate(sources):
                on = raised + dt.timedelta(days=rng.randint(0, lead - 10) if i else 0)
                warnings.append(_closed_warning(
                    account, source, on, closed_at, competitor, rng, acked_by=min(opened, on + dt.timedelta(days=1)),
                ))  # fmt: skip
        actions = []
        span = (case.closed_on - opened).days
        for day in sorted(
            {opened + dt.timedelta(days=rng.randint(0, span)) for _ in range(rng.randint(1, 4))}
        ):
            actions.append(RetentionAction(done_on=day, text=rng.choice(ACTIONS),
                                           author_id=account.owner_id, created_at=_at(day, rng, 16, 20)))  # fmt: skip
        rows.append((row, warnings, actions))
    RetentionCase.objects.bulk_create([r for r, _w, _a in rows])
    dismissed = []
    n_false = max(3, len(cases) // 4)
    for _ in range(n_false):
        target = _draw(rng, list(key), used)
        if target is None:
            break
        on = today - dt.timedelta(days=rng.randint(20, HISTORY_DAYS))
        sources = [WarningSource.SPEND, WarningSource.FIELD]
        if target.pk in voiced:
            sources.append(WarningSource.CALLS)
        warning = _closed_warning(
            target, rng.choice(sources),
            on, _at(on + dt.timedelta(days=rng.randint(2, 10)), rng), "", rng,
            acked_by=on + dt.timedelta(days=1),
        )  # fmt: skip
        warning.close_note = rng.choice(FALSE_ALARMS)
        dismissed.append(warning)
    all_warnings = dismissed[:]
    for case_row, warnings, actions in rows:
        for w in warnings:
            w.case = case_row
        for a in actions:
            a.case = case_row
        all_warnings += warnings
    _field_reports(all_warnings, users, desk, rng)
    ChurnWarning.objects.bulk_create(all_warnings)
    RetentionAction.objects.bulk_create([a for _r, _w, acts in rows for a in acts])
    for case_row, _w, actions in rows:
        owner = case_row.owner_id
        audits.append(_audit(case_row, case_row.account, case_row.created_at, owner, names,
                             AuditAction.CREATE, f"立案挽留：{case_row.plan[:200]}"))  # fmt: skip
        for a in actions:
            audits.append(_audit(case_row, case_row.account, a.created_at, owner, names,
                                 AuditAction.EVENT, f"挽留措施：{a.text}"))  # fmt: skip
        audits.append(_audit(case_row, case_row.account, case_row.updated_at, owner, names,
                             AuditAction.UPDATE, f"挽留结案：{case_row.get_outcome_display()}"))  # fmt: skip
    for w in all_warnings:
        audits.append(_audit(w, w.account, w.created_at, None, names, AuditAction.EVENT,
                             f"流失预警：{w.get_source_display()}（{w.get_severity_display()}）"))  # fmt: skip
    AuditEntry.objects.bulk_create(audits)
    return {
        "history_cases": len(rows),
        "history_cases_lost": sum(r.outcome != CaseOutcome.RETAINED for r, _w, _a in rows),
        "history_lost_unwarned": no_warning,
        "history_warnings": len(all_warnings),
        "history_false_alarms": len(dismissed),
    }


def _closed_warning(
    account: Account, source: str, on: dt.date, closed_at: dt.datetime, competitor: str,
    rng: random.Random, *, acked_by: dt.date,
) -> ChurnWarning:  # fmt: skip
    created = _at(on, rng, 2, 7)
    return ChurnWarning(
        account=account, source=source,
        severity=Severity.HIGH if rng.random() < 0.45 else Severity.MEDIUM,
        status=WarningStatus.CLOSED,
        competitor=competitor if source in (WarningSource.CALLS, WarningSource.FIELD) else "",
        evidence=_evidence(source, on, account, competitor, rng),
        raised_on=on, evidence_on=on, assignee_id=account.owner_id, ack_due=ack_due(on, 2),
        acknowledged_at=min(closed_at, _at(max(on, acked_by), rng, 9, 12)),
        closed_at=closed_at, created_at=created, updated_at=closed_at, version=3,
    )  # fmt: skip


def _field_reports(
    warnings: Iterable[ChurnWarning], users: dict[str, User], desk: User | None,
    rng: random.Random,
) -> None:  # fmt: skip
    """The report behind each field warning, dated before it, in its evidence."""
    field = [w for w in warnings if w.source == WarningSource.FIELD]
    reports = []
    for w in field:
        competitor, text = rng.choice(FIELD_TEXTS)
        by = desk if desk is not None and rng.random() < 0.3 else None
        reports.append(FieldReport(
            account=w.account, competitor=w.competitor or competitor,
            heard_on=w.raised_on - dt.timedelta(days=rng.randint(0, 3)), text=text,
            reported_by_id=by.pk if by else w.account.owner_id, created_at=w.created_at,
        ))  # fmt: skip
    FieldReport.objects.bulk_create(reports)
    names = {u.pk: u.get_full_name() or u.get_username() for u in users.values()}
    for w, r in zip(field, reports, strict=True):
        w.evidence = {"reports": [{"id": r.pk, "heard_on": r.heard_on.isoformat(),
                                   "by": names.get(r.reported_by_id, ""),
                                   "competitor": r.competitor, "text": r.text}]}  # fmt: skip


def _audit(target: Any, account: Account, at: dt.datetime, actor: int | None,
           names: dict[int, str], action: str, summary: str) -> AuditEntry:  # fmt: skip
    return AuditEntry(
        at=at, actor_id=actor, actor_name=names.get(actor, "") if actor else "", action=action,
        target_type=target._meta.label_lower, target_id=str(target.pk),
        target_repr=str(target)[:255], account=account, summary=summary[:500], changes={},
    )  # fmt: skip


# --- today ----------------------------------------------------------------------------------


def _today(
    rng: random.Random, users: dict[str, User], today: dt.date, *, skip: set[int]
) -> dict[str, int]:
    """am_finance's queue (open and overdue, acknowledged, with an open case), field reports
    by am_finance and desk, a cancellation import by head: through the services where they
    stamp today, directly where the date lies in the past."""
    am, desk, head = users.get("am_finance"), users.get("desk"), users.get("head")
    if am is None or desk is None or head is None:
        return {}
    busy = (
        set(
            ChurnWarning.objects.exclude(status=WarningStatus.CLOSED).values_list(
                "account_id", flat=True
            )
        )
        | skip
    )
    mine = [
        a for a in Account.objects.filter(owner=am, status=AccountStatus.ACTIVE).select_related("owner").order_by("code")
        if a.pk not in busy
    ]  # fmt: skip
    others = [
        a for a in Account.objects.filter(segment=Segment.KEY, status=AccountStatus.ACTIVE)
        .exclude(owner=am).select_related("owner").order_by("code")[:400]
        if a.pk not in busy
    ]  # fmt: skip
    picks = iter(mine)
    counts = {"field_reports_today": 0, "cancellation_orders": 0}

    # 1. open and overdue: a field warning raised last week, not yet acknowledged
    overdue = next(picks, None)
    if overdue is not None:
        on = today - dt.timedelta(days=8)
        competitor, text = FIELD_TEXTS[0]
        report = FieldReport.objects.create(
            account=overdue, competitor=competitor, heard_on=on - dt.timedelta(days=1),
            text=text, reported_by=users.get("lead_finance") or am, created_at=_at(on, rng),
        )  # fmt: skip
        ChurnWarning.objects.create(
            account=overdue, source=WarningSource.FIELD, severity=Severity.MEDIUM,
            competitor=competitor, raised_on=on, evidence_on=on, assignee=am,
            ack_due=ack_due(on, 2), created_at=_at(on, rng), updated_at=_at(on, rng),
            evidence={"reports": [{"id": report.pk, "heard_on": report.heard_on.isoformat(),
                                   "by": report.reported_by.get_full_name(),
                                   "competitor": competitor, "text": text}]},
        )  # fmt: skip
    # 2. acknowledged, no case yet: a spend warning of last month's bill
    acked = next(picks, None)
    if acked is not None:
        on = today - dt.timedelta(days=5)
        ChurnWarning.objects.create(
            account=acked, source=WarningSource.SPEND, severity=Severity.MEDIUM,
            status=WarningStatus.ACKNOWLEDGED, raised_on=on, evidence_on=on, assignee=am,
            ack_due=ack_due(on, 2), acknowledged_at=_at(on + dt.timedelta(days=1), rng),
            evidence=_evidence(WarningSource.SPEND, on, acked, "", rng),
            created_at=_at(on, rng, 2, 7), updated_at=_at(on + dt.timedelta(days=1), rng),
            version=2,
        )  # fmt: skip
    # 3. with an open case: a field report today, the case opened on it, a first action
    cased = next(picks, None)
    if cased is not None:
        field_report_create(
            actor=desk, account=cased, text=FIELD_TEXTS[2][1], heard_on=today,
            competitor=FIELD_TEXTS[2][0],
        )  # fmt: skip
        warning = ChurnWarning.objects.get(account=cased, source=WarningSource.FIELD,
                                           status=WarningStatus.OPEN)  # fmt: skip
        case = case_open(actor=am, warning=warning, plan=PLANS[ChurnReason.COMPETITOR_DATA],
                         expected_version=warning.version)  # fmt: skip
        case_action_add(actor=am, case=case, done_on=today, text=ACTIONS[0])
        counts["field_reports_today"] += 1
    # 4. field reports of today by am_finance and desk (two reporters: a HIGH warning)
    for account in [next(picks, None), (others[0] if others else None)]:
        if account is None:
            continue
        reporters = [am, desk] if account.owner_id == am.pk else [desk]
        for i, user in enumerate(reporters):
            competitor, text = FIELD_TEXTS[(i + 3) % len(FIELD_TEXTS)]
            field_report_create(actor=user, account=account, text=text, heard_on=today - dt.timedelta(days=i),
                                competitor=competitor)  # fmt: skip
            counts["field_reports_today"] += 1
    # 5. a cancellation import by head for one account
    target = next(picks, None) or (others[1] if len(others) > 1 else None)
    if target is not None:
        services = list(
            ServiceInUse.objects.filter(account=target, status=SvcStatus.ACTIVE)
            .select_related("product").order_by("number")[:2]
        )  # fmt: skip
        lines = ["退租单号,客户编码,电路/线路号,产品,月租,申请日期,退租原因"]
        for i, service in enumerate(services):
            day = today - dt.timedelta(days=3 + 4 * i)
            lines.append(
                f"TZ{day:%Y%m%d}{i + 1:03d},{target.code},{service.number},"
                f"{service.product.name_zh},{service.monthly_fee},{day},{CANCEL_REASONS[2]}"
            )
        if services:
            cancellations_import(actor=head, file_name=f"退租单_{today:%Y%m%d}.csv",
                                 content="\n".join(lines).encode("utf-8"))  # fmt: skip
            counts["cancellation_orders"] = len(services)
    return counts


def _train(today: dt.date) -> str:
    """Train the risk model on the history just written: what became of it."""
    run = risk_model_train(today=today)
    if run.status != RunStatus.DONE:
        return f"{run.status}: {run.error[:200]}"
    return str(run.status)
