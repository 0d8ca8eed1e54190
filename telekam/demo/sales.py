"""A year of the sales pipeline for the demo accounts and prospects, ending today (domain §4).

Deals for accounts and for prospects (a few hundred organisations not yet customers) from
a need to a won or lost deal: stage histories with the loops real deals go through
(solution -> need, negotiation -> solution, contract -> negotiation; `solution_rounds` and
`negotiation_rounds` count the entries), solutions with the group's pre-sales engineer,
quote revisions whose discounts are approved within the role limits (DiscountLimit: AM
10 %, group lead 20 %, head 35 %) or wait for the lead or the head, a few beyond what the
account's grade merits; the draft contract `quote_accept` makes from the accepted quote
(lines at net prices), signed later; implementation projects from TASK_TEMPLATES on the
working-day calendar; lost deals with their reason and the competitor that won; appraisals
of a sample of the biggest deals. Numbers OP/QT/HT + YYYYMMDD + a four-digit count, each
day's counter left at the highest number used; the main events on the account's timeline.

Every deal is played forward from the day it was opened with the rules of the services
(telekam.sales.services): a step whose day has not come yet does not happen, and the deal
stays where today finds it. Pinned cases (`_showcase`) make sure every demo login has work
whatever the scale: `am_finance` a deal in each open stage, a quote to submit, one turned
down, a contract to sign, projects with tasks (two overdue), a renewal coming up;
`lead_finance` and `head` quotes to decide; `presales` the finance group's solutions.

Where the demo departs from the services, on purpose:
- Converted prospects: every demo account has two years of bills, so a prospect converted
  this year is the prospect file of an account already in the demo (of the same AM; a
  commercial customer where the group has one) instead of a new account; the conversion
  moves its deals onto the account and carries its contact over, as `prospect_convert` does.
- Provisioning orders: `contract_sign` makes an order per unit of every circuit line. The
  demo does so only for fixed-network contracts signed in the last LINK_WORKING_DAYS
  working days (their orders still open: no circuit, delivery or callback yet), whose
  circuit lines are at the list price (the desk's demo history prices an order's one-time
  fee at the catalogue fee times the class factor): such a deal is played again with its
  circuit lines at list price. Older contracts and mobile contracts have no orders.

Draws come from a random source of their own (the demo seed xor SALT), so this part
neither shifts nor depends on the draws of the account file or the service desk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext

from telekam.accounts.models import (
    Account,
    AccountLevel,
    AccountStatus,
    Contact,
    DecisionRole,
    GradeBand,
    Segment,
)
from telekam.catalog.models import Product
from telekam.core.calendar import WorkingCalendar, working_calendar
from telekam.core.models import AuditAction, AuditEntry
from telekam.core.models import Sequence as NumberSequence
from telekam.demo import orgs
from telekam.demo.forge import Forge
from telekam.demo.profile import Profile
from telekam.demo.service import _insert
from telekam.demo.staff import Staff
from telekam.org.models import Role, User
from telekam.sales.models import (
    OPEN_STAGES,
    STAGE_PROBABILITY,
    Appraisal,
    BillingMethod,
    Contract,
    ContractLine,
    ContractStatus,
    DiscountLimit,
    LostReason,
    Opportunity,
    OpportunitySource,
    Project,
    ProjectKind,
    ProjectTask,
    Prospect,
    Quote,
    QuoteLine,
    QuoteStatus,
    Solution,
    SolutionAttachment,
    Stage,
    StageChange,
    TaskStatus,
)
from telekam.sales.services.contracts import TASK_TEMPLATES, _months_later
from telekam.service.models import (
    ProvisioningOrder,
    ProvisioningPolicy,
    RequestEvent,
    RequestKind,
    RequestStatus,
    ServiceRequest,
    SlaClass,
)

SALT = 0x5A1E_5DEA  # this part's random source: the demo seed xor SALT
HISTORY_DAYS = 365
BATCH = 1000
ACCOUNT_DEALS, PROSPECTS = 3000, 360  # a year, at scale 1
PROSPECT_DEAL_SHARE, CONVERTED_SHARE = 0.45, 0.1
LINK_WORKING_DAYS = 5  # contracts signed this recently have their orders at the desk
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
STAGE_ORDER: dict[str, int] = {stage: index for index, stage in enumerate(OPEN_STAGES)}

# What each group sells (product code, weight); a deal is fixed network or mobile.
GROUP_PRODUCTS: dict[str, tuple[tuple[str, float], ...]] = {
    "government": (("digital_circuit", 3), ("ip_vpn", 3), ("internet_leased_line", 2),
                   ("voice_trunk", 1), ("cloud", 2), ("mobile_package", 1)),
    "finance": (("ip_vpn", 3), ("digital_circuit", 3), ("internet_leased_line", 2), ("idc", 2),
                ("cloud", 1), ("voice_trunk", 1), ("mobile_package", 1)),
    "enterprise": (("internet_leased_line", 3), ("ip_vpn", 2), ("mobile_package", 3),
                   ("voice_trunk", 1), ("cloud", 1)),
    "hightech": (("internet_leased_line", 3), ("idc", 3), ("cloud", 3), ("ip_vpn", 1)),
    "multinational": (("ip_vpn", 3), ("internet_leased_line", 3), ("idc", 1), ("cloud", 1),
                      ("mobile_package", 1)),
    "expansion": (("internet_leased_line", 3), ("mobile_package", 2), ("cloud", 2),
                  ("voice_trunk", 1)),
}  # fmt: skip
MOBILE = "mobile_package"
# Per product: how many units one deal may take, the terms offered, the deal's name, the
# technical proposal.
UNITS = {"digital_circuit": 12, "ip_vpn": 20, "internet_leased_line": 8, "voice_trunk": 6,
         "idc": 30, "cloud": 20, MOBILE: 2000}  # fmt: skip
TERMS = {MOBILE: ((12, 24), (0.7, 0.3)), "cloud": ((12, 24), (0.6, 0.4))}
DEFAULT_TERMS = ((12, 24, 36), (0.45, 0.25, 0.30))
DEAL_NAMES: dict[str, tuple[str, ...]] = {
    "digital_circuit": ("数字电路扩容", "同城数据中心互联电路", "营业网点数字电路改造"),
    "ip_vpn": ("IP-VPN 组网", "分支机构 VPN 组网扩容", "总分行 IP-VPN 改造"),
    "internet_leased_line": ("互联网专线扩容", "出口带宽升级", "新址互联网专线"),
    "voice_trunk": ("语音中继升级", "呼叫中心语音中继扩容"),
    "idc": ("IDC 机柜扩容", "同城灾备机房", "核心系统托管"),
    "cloud": ("天翼云迁移", "混合云建设", "云上灾备"),
    MOBILE: ("移动集团套餐", "员工移动办公套餐", "集团 V 网扩容"),
}
PROPOSALS: dict[str, str] = {
    "digital_circuit": "双路由接入传输网，主备电路自动倒换，端到端时延承诺并提供月度质量报告。",
    "ip_vpn": "MPLS VPN 组网，总部双上联、分支单上联加 4G 备份，按业务划分 QoS 等级。",
    "internet_leased_line": "城域网双上联独享带宽，提供公网地址段、DDoS 清洗与 7×24 监控。",
    "voice_trunk": "SIP 中继接入 IMS，号码整体迁移，主备局向容灾，话务报表按月提供。",
    "idc": "同城双机房部署，机柜双路供电，配套互联网带宽与跨机房裸纤。",
    "cloud": "天翼云专属资源池，云专线接入客户内网，提供迁移评估与割接方案。",
    MOBILE: "集团统付套餐，按部门分组计费，终端补贴与号码批量选号，专属客户经理服务。",
}
DESCRIPTIONS: dict[str, str] = {
    "digital_circuit": "客户现有电路带宽不足，计划扩容并增加备份路由。",
    "ip_vpn": "客户新设分支机构，需接入总部内网。",
    "internet_leased_line": "业务增长，互联网出口带宽需升级。",
    "voice_trunk": "客服中心座席扩容，语音中继需增加。",
    "idc": "核心系统需托管至同城机房并建设灾备。",
    "cloud": "客户计划将部分业务系统迁移上云。",
    MOBILE: "客户拟统一员工手机套餐，由集团统一付费。",
}
SOURCES = (
    (OpportunitySource.CUSTOMER, OpportunitySource.PROACTIVE, OpportunitySource.RESEARCH,
     OpportunitySource.CAMPAIGN, OpportunitySource.RETENTION),
    (0.35, 0.30, 0.10, 0.12, 0.13),
)  # fmt: skip
PROSPECT_SOURCES = (
    (OpportunitySource.PROACTIVE, OpportunitySource.RESEARCH, OpportunitySource.CAMPAIGN,
     OpportunitySource.CUSTOMER),
    (0.45, 0.25, 0.25, 0.05),
)  # fmt: skip
# Chance of losing the deal in each stage, and why (weights).
LOSS: dict[str, float] = {
    Stage.NEED: 0.1,
    Stage.SOLUTION: 0.1,
    Stage.NEGOTIATION: 0.14,
    Stage.CONTRACT: 0.05,
}
REASONS: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    Stage.NEED: ((LostReason.TIMING, LostReason.RELATIONSHIP, LostReason.COVERAGE,
                  LostReason.OTHER), (0.5, 0.2, 0.15, 0.15)),
    Stage.SOLUTION: ((LostReason.COMPETITOR_SOLUTION, LostReason.COVERAGE, LostReason.TIMING,
                      LostReason.OTHER), (0.35, 0.3, 0.2, 0.15)),
    Stage.NEGOTIATION: ((LostReason.PRICE, LostReason.COMPETITOR_SOLUTION,
                         LostReason.RELATIONSHIP, LostReason.SERVICE), (0.55, 0.2, 0.15, 0.1)),
    Stage.CONTRACT: ((LostReason.PRICE, LostReason.TIMING, LostReason.SERVICE), (0.4, 0.4, 0.2)),
}  # fmt: skip
NAMES_COMPETITOR: dict[str, float] = {LostReason.PRICE: 0.85, LostReason.COMPETITOR_SOLUTION: 1.0,
                    LostReason.RELATIONSHIP: 0.7, LostReason.COVERAGE: 0.6,
                    LostReason.SERVICE: 0.5}  # fmt: skip
OPERATORS = (("中国移动", "中国联通", "中国广电"), (0.48, 0.42, 0.10))
OPERATOR_CODES = {
    "china_mobile": "中国移动",
    "china_unicom": "中国联通",
    "china_broadnet": "中国广电",
}
LOCAL_PROVIDERS = ("世纪互联", "光环新网", "首都在线", "鹏博士", "阿里云", "华为云")
LOST_NOTES: dict[str, str] = {
    LostReason.PRICE: "对方报价低约{pct}%，客户选择低价方案",
    LostReason.COMPETITOR_SOLUTION: "对方方案含免费提速及设备，客户评标得分更高",
    LostReason.RELATIONSHIP: "客户决策层与对方合作多年，关系稳固",
    LostReason.COVERAGE: "客户新址暂无我方光缆资源，建设周期超出客户要求",
    LostReason.TIMING: "客户年度预算调整，项目暂缓",
    LostReason.SERVICE: "客户对我方近期故障处理时长不满",
    LostReason.OTHER: "客户上级单位统一招标，本地不再单独采购",
}
REJECT_NOTES: dict[str, str] = {
    Role.GROUP_LEAD: "折扣偏高，请控制在客户经理权限以内后重新提交",
    Role.DEPARTMENT_HEAD: "客户价值不足以支撑该折扣，请重新测算后提交",
}
CONTACT_TITLES = ("信息中心主任", "IT 经理", "行政部经理", "采购经理", "总经理助理", "网络主管")
PROSPECT_NOTES = ("行业研究名单内单位，尚未建立联系。", "营销活动中留下联系方式，有专线需求。",
                  "现由竞争对手提供互联网专线，合同年底到期。", "")  # fmt: skip

Summary = str | Callable[[], str]  # a callable when it quotes a number given at the end
M = TypeVar("M", bound=Model)


class Today(Exception):
    """The deal's next step lies after today: it has not happened yet."""


@dataclasses.dataclass
class Item:
    """One product of a deal: units, term, and how far below the deal's discount it goes."""

    product: Product
    quantity: int
    term: int
    offset: Decimal = ZERO


@dataclasses.dataclass
class Line:
    """A quote line as plain data: model instances cost more to build than to store."""

    quote: Quote
    product: Product
    quantity: int
    term_months: int
    monthly_price: Decimal
    one_time_price: Decimal
    discount_pct: Decimal


@dataclasses.dataclass
class Task:
    """A project task as plain data, as `project_create` and `task_update` leave it."""

    project: Project
    name: str
    sort_order: int
    owner: User
    due_on: dt.date
    created_at: dt.datetime
    status: str = TaskStatus.TODO
    progress: int = 0
    done_on: dt.date | None = None
    updated_at: dt.datetime | None = None
    version: int = 1


@dataclasses.dataclass
class Deal:
    """One opportunity being played forward, with everything it will write."""

    opp: Opportunity
    owner: User
    customer: str  # the short name used in texts
    merit: Decimal | None  # the most the account's grade merits; None: a prospect
    items: list[Item]
    discount: Decimal  # the discount the AM starts from (largest line)
    ceiling: Decimal  # the most it will give: the grade's merit, or beyond it in a few deals
    presales: User | None
    day: dt.date
    last: dt.datetime
    list_circuits: bool = False  # circuit lines at the list price (see the module doc)
    twin: Account | None = None  # a prospect's account once converted
    sure: bool = False  # no loss and no loop before the customer accepts
    converted_at: dt.datetime | None = None
    contact: Contact | None = None  # carried over from the prospect when converted
    signed_at: dt.datetime | None = None
    changes: list[tuple[dt.datetime, str, str, bool, Summary]] = dataclasses.field(
        default_factory=list
    )
    solution: Solution | None = None
    solution_at: dt.datetime | None = None
    quotes: list[Quote] = dataclasses.field(default_factory=list)
    quote_lines: list[Line] = dataclasses.field(default_factory=list)
    contract: Contract | None = None
    contract_lines: list[ContractLine] = dataclasses.field(default_factory=list)
    project: Project | None = None
    tasks: list[Task] = dataclasses.field(default_factory=list)
    appraisal: Appraisal | None = None
    audits: list[tuple[Model, Account, dt.datetime, User, str, Summary]] = dataclasses.field(
        default_factory=list
    )

    @property
    def account(self) -> Account | None:
        return self.opp.account

    @property
    def kind(self) -> str:
        return ProjectKind.MOBILE if self.items[0].product.code == MOBILE else ProjectKind.FIXED

    def latest(self) -> Quote | None:
        return self.quotes[-1] if self.quotes else None


def delete_sales_data() -> None:
    """Every sales row, children first (contracts protect quotes, opportunities and
    accounts; projects protect contracts), their timeline entries, and the daily counters
    of the opportunity, quote and contract numbers. Runs before the service desk's rows,
    the accounts and the demo users are deleted."""
    AuditEntry.objects.filter(target_type__startswith="sales.").delete()
    ContractLine.orders.through._default_manager.all().delete()
    Opportunity.products.through._default_manager.all().delete()
    for model in (ProjectTask, Project, ContractLine, Contract, Appraisal, QuoteLine, Quote,
                  SolutionAttachment, Solution, StageChange, Opportunity, Prospect):  # fmt: skip
        model._default_manager.all().delete()
    NumberSequence.objects.filter(name__regex=r"^(OP|QT|HT)[0-9]{8}$").delete()


def generate_sales(
    *,
    seed: int,
    scale: float,
    accounts: Sequence[Account],
    profile: Profile,
    staff: Staff,
    products: dict[str, Product],
    forge: Forge,
    now: dt.datetime,
) -> dict[str, int]:
    """Build the year of deals in memory, write it; the counts of what was written.
    `forge` lends its registers of names and numbers in use (not its random source)."""
    rng = random.Random(seed ^ SALT)
    own = Forge(rng)
    own.used_names, own.used_uscc, own.used_mobiles = (
        forge.used_names,
        forge.used_uscc,
        forge.used_mobiles,
    )
    pipeline = Pipeline(own, accounts, profile, staff, products, now)
    pipeline.build(scale)
    return pipeline.write()


class Pipeline:
    def __init__(
        self,
        forge: Forge,
        accounts: Sequence[Account],
        profile: Profile,
        staff: Staff,
        products: dict[str, Product],
        now: dt.datetime,
    ) -> None:
        self.forge, self.rng, self.now = forge, forge.rng, now
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate(now)
        self.start = self.today - dt.timedelta(days=HISTORY_DAYS)
        self.calendar: WorkingCalendar = working_calendar(
            start=self.start - dt.timedelta(days=60), end=self.today + dt.timedelta(days=200)
        )
        span = (self.start + dt.timedelta(days=n) for n in range(HISTORY_DAYS + 1))
        self.workdays = [day for day in span if self.calendar.is_working_day(day)]
        self.products = products
        self.staff = staff
        users = {u.username: u for u in staff.users}
        self.users = users
        self.head = users["head"]
        self.leads = {u.group.code: u for u in staff.users if u.role == Role.GROUP_LEAD and u.group}
        self.limits = dict(DiscountLimit.objects.values_list("role", "max_discount_pct"))
        self.policies = {(p.product_id, p.sla_class): p for p in ProvisioningPolicy.objects.all()}
        merits = dict(GradeBand.objects.values_list("pk", "max_discount_pct"))
        spend = dict(Account.objects.values_list("pk", "avg_monthly_spend"))
        self.accounts = [a for a in accounts if a.status == AccountStatus.ACTIVE]
        self.merit = {a.pk: merits.get(a.grade_id or 0) for a in self.accounts}
        self.spend = {a.pk: spend.get(a.pk) or ZERO for a in self.accounts}
        self.competitors: dict[int, list[str]] = defaultdict(list)
        for info in profile.competitors:
            if info.competitor in OPERATOR_CODES:
                self.competitors[info.account_id].append(OPERATOR_CODES[info.competitor])
        self.labels = {stage: str(label) for stage, label in Stage.choices}  # read once
        self.operator = getattr(settings, "TELEKAM_OPERATOR_NAME", "") or gettext("本公司")
        self.prospects: list[Prospect] = []
        self.free_prospects: list[Prospect] = []  # not the file of an account
        self.short: dict[int, str] = {}  # id(prospect) -> the short name used in texts
        self.deals: list[Deal] = []
        self.used_twins: set[int] = set()
        self.twins: dict[tuple[str, bool], list[Account]] = {}
        self.orders_made: dict[int, int] = {}  # id(contract) -> provisioning orders

    # --- time and chance ----------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: Sequence[Any]) -> Any:
        return items[self.rng.randrange(len(items))]

    def wd(self, back: int) -> dt.date:
        """The working day `back` working days before the last one up to today; a
        negative `back` counts forward."""
        if back < 0:
            return self.calendar.add_working_days(self.workdays[-1], -back).date
        return self.workdays[-1 - back]

    def add_wd(self, day: dt.date, days: int) -> dt.date:
        return self.calendar.add_working_days(day, days).date

    def working(self, day: dt.date) -> dt.date:
        while not self.calendar.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def moment(self, day: dt.date, after: dt.datetime | None = None) -> dt.datetime:
        """A working-hours moment on `day`, later than `after`, never later than now."""
        at = dt.datetime.combine(
            day, dt.time(self.rng.randint(9, 17), self.rng.randrange(60)), tzinfo=self.tz
        )
        if after is not None and at <= after:
            at = after + dt.timedelta(minutes=self.rng.randint(5, 90))
        if at > self.now:
            floor = after or self.now - dt.timedelta(hours=2)
            at = floor + (self.now - floor) * self.rng.random()
        return at

    def _on(self, deal: Deal, day: dt.date) -> dt.datetime:
        """The deal's next step happens on `day` (raises Today when that is after today)."""
        if day > self.today:
            raise Today
        deal.day = max(deal.day, day)
        deal.last = self.moment(deal.day, after=deal.last)
        return deal.last

    def _wait(self, deal: Deal, low: int, high: int) -> dt.datetime:
        """The next step, `low` to `high` calendar days later, on a working day."""
        day = deal.day + dt.timedelta(days=self.rng.randint(low, high))
        return self._on(deal, self.working(day) if day != deal.day else day)

    def _wait_wd(self, deal: Deal, low: int, high: int) -> dt.datetime:
        return self._on(deal, self.add_wd(deal.day, self.rng.randint(low, high)))

    # --- a deal and its steps (each what the service of the same name would write) ------

    def _new_deal(
        self,
        *,
        account: Account | None,
        prospect: Prospect | None,
        opened: dt.date,
        main: str | None = None,
        source: str | None = None,
        discount: Decimal | None = None,
        list_circuits: bool = False,
        target: Decimal | None = None,
    ) -> Deal:
        """`opportunity_create`: products and amounts sized to the customer."""
        if account is not None:
            owner, group, short = account.owner, account.group, account.short_name or account.name
            merit = self.merit.get(account.pk)
            spend = self.spend.get(account.pk, ZERO)
            target = target or max(Decimal(500), spend * Decimal(self.rng.uniform(0.06, 0.35)))
        else:
            assert prospect is not None  # noqa: S101
            owner, group, merit = prospect.owner, prospect.group, None
            short = self.short.get(id(prospect), prospect.name)
            size = prospect.employees or 100
            target = target or Decimal(min(60000, max(2000, size * self.rng.uniform(8, 40))))
        items = self._items(group.code, target, main)
        if discount is None:
            discount, ceiling = self._discount(merit)
        else:
            ceiling = max(discount, Decimal(10) if merit is None else merit)
        if list_circuits and all(i.product.has_circuit for i in items):
            discount = ZERO
        main_product = items[0].product
        name = f"{short}{self.pick(DEAL_NAMES[main_product.code])}"
        if source is None:
            source = self.rng.choices(*(SOURCES if account else PROSPECT_SOURCES))[0]
        if source == OpportunitySource.RETENTION:
            name = f"{short}{main_product.name_zh}续约"
        monthly = sum(
            (self._net(i.product.list_monthly_fee, i.quantity, self._line_discount(i, discount,
             list_circuits)) for i in items), ZERO)  # fmt: skip
        one_time = sum(
            (self._net(i.product.list_one_time_fee, i.quantity, self._line_discount(i, discount,
             list_circuits)) for i in items), ZERO)  # fmt: skip
        presales = self.staff.presales.get(group.code)
        opened = self.working(opened)
        at = self.moment(opened)
        opp = Opportunity(
            number="", name=name[:200], account=account, prospect=prospect, owner=owner,
            group=group, source=source, expected_monthly=monthly, expected_one_time=one_time,
            close_date=opened + dt.timedelta(days=self.rng.randint(45, 150)),
            stage=Stage.NEED, probability=STAGE_PROBABILITY[Stage.NEED],
            description=DESCRIPTIONS[main_product.code], created_at=at, updated_at=at,
        )  # fmt: skip
        deal = Deal(opp, owner, short, merit, items, discount, ceiling, presales, opened, at,
                    list_circuits=list_circuits)  # fmt: skip
        deal.changes.append((at, "", Stage.NEED, False, "新建商机"))
        self._audit(deal, opp, at, owner, f"新建商机“{opp.name}”")
        return deal

    def _items(self, group: str, target: Decimal, main: str | None) -> list[Item]:
        codes, weights = zip(*GROUP_PRODUCTS[group], strict=True)
        main = main or self.rng.choices(codes, weights=weights)[0]
        chosen = [main]
        if main != MOBILE:
            others = [c for c in codes if c not in (main, MOBILE)]
            for _extra in range(self.rng.choices((0, 1, 2), weights=(0.5, 0.35, 0.15))[0]):
                if others:
                    chosen.append(others.pop(self.rng.randrange(len(others))))
        items = []
        for index, code in enumerate(chosen):
            product = self.products[code]
            share = target * Decimal(0.7 if index == 0 else 0.3 / max(1, len(chosen) - 1))
            units = int(share / product.list_monthly_fee) if product.list_monthly_fee else 1
            low = 10 if code == MOBILE else 1
            terms, term_weights = TERMS.get(code, DEFAULT_TERMS)
            term = self.rng.choices(terms, term_weights)[0]
            offset = ZERO if index == 0 else Decimal(self.rng.randint(0, 6)) / 2
            items.append(Item(product, max(low, min(UNITS[code], units)), term, offset))
        return items

    def _discount(self, merit: Decimal | None) -> tuple[Decimal, Decimal]:
        """The discount the AM starts from and the most it will give: mostly within its
        own limit and the grade's merit; above its limit only where the grade merits it
        (the lead decides); in a few deals beyond the merit (the quote is flagged)."""
        own = self.limits.get(Role.ACCOUNT_MANAGER, Decimal(10))
        merit = Decimal(10) if merit is None else merit
        roll = self.rng.random()
        if roll < 0.02:  # beyond what the grade merits
            beyond = _half(min(Decimal(30), merit + Decimal(self.rng.uniform(1, 8))))
            return beyond, beyond
        if roll < 0.035 and merit >= 15:  # the head's call
            beyond = _half(Decimal(self.rng.uniform(20.5, 28)))
            return beyond, beyond
        if roll < 0.25 and merit > own:
            return _half(Decimal(self.rng.uniform(float(own) + 0.5, float(merit)))), merit
        if roll < 0.4 or merit == 0:
            return ZERO, min(merit, own)
        return _half(Decimal(self.rng.uniform(0.25, 1.0)) * min(merit, own)), merit

    @staticmethod
    def _line_discount(item: Item, discount: Decimal, list_circuits: bool) -> Decimal:
        if list_circuits and item.product.has_circuit:
            return ZERO
        return max(ZERO, discount - item.offset)

    @staticmethod
    def _net(price: Decimal, quantity: int, discount: Decimal) -> Decimal:
        return (price * quantity * (100 - discount) / 100).quantize(CENT)

    def _audit(
        self, deal: Deal, row: Model, at: dt.datetime, actor: User, summary: Summary,
        action: str = AuditAction.EVENT,
    ) -> None:  # fmt: skip
        """A timeline entry on the account (none while the deal is a prospect's)."""
        if deal.account is not None:
            deal.audits.append((row, deal.account, at, actor, action, summary))

    def _move(self, deal: Deal, to: str, note: Summary = "", at: dt.datetime | None = None,
              **lost: str) -> None:  # fmt: skip
        """`opportunity_move`."""
        opp = deal.opp
        at = at or deal.last
        before = opp.stage
        backward = to in STAGE_ORDER and STAGE_ORDER[to] < STAGE_ORDER[before]
        if to == Stage.SOLUTION:
            opp.solution_rounds += 1
        elif to == Stage.NEGOTIATION:
            opp.negotiation_rounds += 1
        if to in (Stage.WON, Stage.LOST):
            opp.closed_on = timezone.localdate(at)
        for name, value in lost.items():
            setattr(opp, name, value)
        opp.stage, opp.probability = to, STAGE_PROBABILITY[Stage(to)]
        opp.version += 1
        opp.updated_at = at
        deal.changes.append((at, before, to, backward, note))
        self._audit(deal, opp, at, deal.owner,
                    f"商机“{opp.name}”：{self.labels[before]} → {self.labels[to]}")  # fmt: skip

    def _solution(self, deal: Deal) -> None:
        """`solution_create` (by the group's pre-sales engineer where there is one), or on a
        later round `solution_update`."""
        if deal.solution is not None:
            deal.solution.version += 1
            deal.solution.updated_at = deal.last
            return
        product = deal.items[0].product
        deal.solution = Solution(
            opportunity=deal.opp, title=f"{deal.opp.name}技术方案"[:200],
            proposal=PROPOSALS[product.code], presales=deal.presales,
            created_at=deal.last, updated_at=deal.last,
        )  # fmt: skip
        deal.solution_at = deal.last

    def _quote(self, deal: Deal, discount: Decimal) -> Quote:
        """`quote_create`: the next revision; earlier ones not accepted are superseded."""
        assert deal.solution is not None  # noqa: S101
        for quote in deal.quotes:
            if quote.status in (QuoteStatus.DRAFT, QuoteStatus.PENDING, QuoteStatus.APPROVED,
                                QuoteStatus.REJECTED):  # fmt: skip
                quote.status = QuoteStatus.SUPERSEDED
        quote = Quote(
            solution=deal.solution, number="", revision=len(deal.quotes) + 1,
            valid_until=deal.day + dt.timedelta(days=30), created_at=deal.last,
            updated_at=deal.last,
        )  # fmt: skip
        deal.quotes.append(quote)
        for item in deal.items:
            line = Line(
                quote=quote, product=item.product, quantity=item.quantity,
                term_months=item.term, monthly_price=item.product.list_monthly_fee,
                one_time_price=item.product.list_one_time_fee,
                discount_pct=self._line_discount(item, discount, deal.list_circuits),
            )  # fmt: skip
            deal.quote_lines.append(line)
        return quote

    def _max_discount(self, deal: Deal, quote: Quote) -> Decimal:
        return max((ln.discount_pct for ln in deal.quote_lines if ln.quote is quote), default=ZERO)

    def _submit(self, deal: Deal, quote: Quote) -> None:
        """`quote_submit` by the owner: within its limit approved at once, beyond it
        waiting for the lowest role whose limit covers the largest discount."""
        at, actor = deal.last, deal.owner
        discount = self._max_discount(deal, quote)
        quote.submitted_by, quote.submitted_at = actor, at
        quote.version += 1
        quote.updated_at = at
        if discount <= self.limits.get(actor.role, ZERO):
            quote.status, quote.decided_by, quote.decided_at = QuoteStatus.APPROVED, actor, at
            return
        chain = (Role.GROUP_LEAD, Role.DEPARTMENT_HEAD)
        quote.status = QuoteStatus.PENDING
        quote.approver_role = next(r for r in chain if self.limits.get(r, ZERO) >= discount)

    def _decide(self, deal: Deal, quote: Quote, *, approve: bool) -> None:
        """`quote_decide` by the group's lead or the head."""
        role = quote.approver_role
        actor = self.head if role == Role.DEPARTMENT_HEAD else self.leads[deal.opp.group.code]
        quote.status = QuoteStatus.APPROVED if approve else QuoteStatus.REJECTED
        quote.decided_by, quote.decided_at = actor, deal.last
        quote.decision_note = "" if approve else REJECT_NOTES[role]
        quote.version += 1
        quote.updated_at = deal.last

    def _price(self, deal: Deal, discount: Decimal) -> Quote:
        """A revision made, submitted, decided until one stands approved (or today comes):
        a rejected discount comes back within the AM's own limit."""
        quote = self._quote(deal, discount)
        self._wait(deal, 0, 1)
        self._submit(deal, quote)
        while quote.status == QuoteStatus.PENDING:
            self._wait_wd(deal, 1, 3)
            lead = quote.approver_role == Role.GROUP_LEAD
            self._decide(deal, quote, approve=self.chance(0.8 if lead else 0.65))
            if quote.status == QuoteStatus.REJECTED:
                self._wait(deal, 1, 4)
                own = self.limits.get(Role.ACCOUNT_MANAGER, Decimal(10))
                lower = max(ZERO, min(own, deal.ceiling, discount - 2))
                quote = self._quote(deal, lower)
                self._wait(deal, 0, 1)
                self._submit(deal, quote)
        return quote

    def _accept(self, deal: Deal) -> None:
        """`quote_accept` (a prospect is converted first: a contract needs an account);
        an expired offer is renewed before."""
        quote = deal.latest()
        assert quote is not None  # noqa: S101
        if quote.valid_until < deal.day:
            quote = self._price(deal, self._max_discount(deal, quote))
            self._wait(deal, 0, 2)
        if deal.account is None and deal.twin is not None:
            self._convert(deal, deal.twin)
            self._on(deal, deal.day)
        for earlier in deal.quotes:
            if earlier.status == QuoteStatus.ACCEPTED:
                _set(earlier, status=QuoteStatus.SUPERSEDED, version=earlier.version + 1)
        quote.status = QuoteStatus.ACCEPTED
        quote.version += 1
        quote.updated_at = deal.last
        self._audit(deal, deal.opp, deal.last, deal.owner, lambda: f"客户接受报价 {quote.number}")
        if deal.opp.stage in (Stage.NEED, Stage.SOLUTION, Stage.NEGOTIATION):
            self._move(deal, Stage.CONTRACT, lambda: f"客户接受报价 {quote.number}")
        if deal.account is not None:  # the contract stage starts with the draft contract
            self._draft(deal)

    def _convert(self, deal: Deal, account: Account) -> None:
        """`prospect_convert`: the prospect's deals move onto its account (here an account
        of the demo file, see `_twin`), the contact typed on the prospect becomes one of the
        account's contacts."""
        prospect = deal.opp.prospect
        assert prospect is not None  # noqa: S101
        deal.opp.account, deal.converted_at = account, deal.last
        if prospect.contact_name:
            deal.contact = Contact(
                account=account, name=prospect.contact_name, title=prospect.contact_title,
                decision_role=DecisionRole.DECISION_MAKER, mobile=prospect.contact_phone,
                created_at=deal.last, updated_at=deal.last,
            )  # fmt: skip
            self._audit(deal, deal.contact, deal.last, deal.owner,
                        f"新增联系人“{prospect.contact_name}”", AuditAction.CREATE)  # fmt: skip

    def _draft(self, deal: Deal) -> None:
        """`contract_draft_for`: the contract of the accepted quote, lines at net prices."""
        quote = next(q for q in deal.quotes if q.status == QuoteStatus.ACCEPTED)
        account = deal.account
        assert account is not None  # noqa: S101
        lines = [line for line in deal.quote_lines if line.quote is quote]
        term = max(line.term_months for line in lines)
        start = deal.day
        sla_class = SlaClass.NORMAL
        if not deal.list_circuits:
            sla_class = self.rng.choices(
                (SlaClass.NORMAL, SlaClass.URGENT, SlaClass.SPECIAL), (0.8, 0.15, 0.05)
            )[0]
        government = deal.opp.group.code == "government"
        contract = Contract(
            number="", opportunity=deal.opp, quote=quote, account=account,
            our_party=self.operator, customer_party=account.name, term_months=term,
            start_on=start, end_on=_months_later(start, term),
            billing_method=self.rng.choices(
                (BillingMethod.MONTHLY, BillingMethod.QUARTERLY, BillingMethod.ANNUAL,
                 BillingMethod.PREPAID),
                (0.3, 0.3, 0.4, 0) if government else (0.75, 0.15, 0.07, 0.03))[0],
            sla_class=sla_class, sla_level=_sla_level(account),
            specification="；".join(f"{line.product.name_zh} ×{line.quantity}（{line.term_months} 个月）"
                                   for line in lines),
            renewal_lead_days=self.rng.choices((60, 90, 30), (0.7, 0.2, 0.1))[0],
            created_at=deal.last, updated_at=deal.last,
        )  # fmt: skip
        if deal.contract is not None:  # `quote_accept` deletes the draft of the quote replaced
            replaced = deal.contract
            deal.audits = [entry for entry in deal.audits if entry[0] is not replaced]
        deal.contract = contract
        deal.contract_lines = []
        for line in lines:  # at net prices, by QuoteLine's own arithmetic
            net = QuoteLine(product=line.product, quantity=line.quantity,
                            monthly_price=line.monthly_price, one_time_price=line.one_time_price,
                            discount_pct=line.discount_pct)  # fmt: skip
            deal.contract_lines.append(ContractLine(
                contract=contract, product=line.product, quantity=line.quantity,
                monthly_fee=net.net_monthly, one_time_fee=net.net_one_time,
            ))  # fmt: skip
        self._audit(deal, contract, deal.last, deal.owner,
                    lambda: f"合同 {contract.number} 已按报价 {quote.number} 起草",
                    AuditAction.CREATE)  # fmt: skip

    def _sign(self, deal: Deal) -> None:
        """`contract_sign` (the orders of the circuit lines are made at the write, see
        `_orders`), then `project_create` the same day with the template's tasks."""
        contract = deal.contract
        assert contract is not None  # noqa: S101
        contract.status, contract.signed_on = ContractStatus.SIGNED, deal.day
        contract.version += 1
        contract.updated_at = deal.signed_at = deal.last
        made = self.orders_made
        self._audit(deal, contract, deal.last, deal.owner, lambda: (
            f"合同 {contract.number} 签订，生成开通工单 {made.get(id(contract), 0)} 张"))  # fmt: skip
        if deal.opp.stage == Stage.CONTRACT:
            self._move(deal, Stage.IMPLEMENTATION, "合同已签订")
        self._on(deal, deal.day)
        kind = deal.kind
        main = deal.items[0].product
        project = Project(contract=contract, kind=kind, manager=deal.owner,
                          name=f"{deal.customer}{main.name_zh}实施项目"[:200],
                          created_at=deal.last, updated_at=deal.last)  # fmt: skip
        deal.project = project
        day = deal.day
        for order, (name, days) in enumerate(TASK_TEMPLATES[kind]):
            day = self.add_wd(day, days)
            deal.tasks.append(Task(project, name, order, deal.owner, day, deal.last,
                                   updated_at=deal.last))  # fmt: skip
        for line in deal.contract_lines:
            line.activation_on = day
        self._audit(deal, project, deal.last, deal.owner, f"建立实施项目“{project.name}”",
                    AuditAction.CREATE)  # fmt: skip

    def _work(self, deal: Deal, late: Sequence[int] | None = None) -> dt.date | None:
        """`task_update` as the work goes: one task after another, each done around its
        due date (`late`: working days after it, drawn when not given); the task under
        way today is in progress. The day the last was done, or None."""
        assert deal.project is not None  # noqa: S101
        start = deal.day
        for index, task in enumerate(deal.tasks):
            delay = late[index] if late is not None else self._delay()
            done = max(self.add_wd(start, 1), self._shift(task.due_on, delay))
            if done > self.today:
                days = max(1, self.calendar.working_days_after(start, done).days)
                spent = self.calendar.working_days_after(start, self.today).days
                if spent > 0 or index == 0:
                    progress = min(90, max(10, round(100 * spent / days / 10) * 10))
                    day = min(self.today, self.add_wd(start, max(1, spent // 2)))
                    at = self.moment(day, after=deal.project.created_at)
                    _set(task, status=TaskStatus.DOING, progress=progress, version=2,
                         updated_at=at)  # fmt: skip
                return None
            at = self.moment(done)
            _set(task, status=TaskStatus.DONE, progress=100, done_on=done, version=3,
                 updated_at=at)  # fmt: skip
            start = done
        return start

    def _delay(self) -> int:
        roll = self.rng.random()
        if roll < 0.12:
            return self.rng.randint(2, 10)  # late
        return self.rng.randint(-2, 1)

    def _shift(self, day: dt.date, delay: int) -> dt.date:
        if delay >= 0:
            return self.add_wd(day, delay)
        back = day
        for _i in range(-delay):
            back -= dt.timedelta(days=1)
            back = self._previous_working(back)
        return back

    def _previous_working(self, day: dt.date) -> dt.date:
        while not self.calendar.is_working_day(day):
            day -= dt.timedelta(days=1)
        return day

    def _lose(self, deal: Deal, stage: str, reason: str | None = None,
              competitor: str | None = None) -> None:  # fmt: skip
        """`opportunity_move` to lost, with the reason and the competitor that won."""
        reason = reason or self.rng.choices(*REASONS[stage])[0]
        if competitor is None:
            competitor = ""
            if self.chance(NAMES_COMPETITOR.get(reason, 0.0)):
                competitor = self._competitor(deal)
        note = LOST_NOTES[reason].format(pct=self.rng.randint(5, 25))
        self._move(deal, Stage.LOST, note, lost_reason=reason, lost_to=competitor, lost_note=note)
        if deal.contract is not None and deal.contract.status == ContractStatus.DRAFT:
            # `opportunity_move` to lost deletes the draft contract
            replaced = deal.contract
            deal.audits = [entry for entry in deal.audits if entry[0] is not replaced]
            deal.contract = None
            deal.contract_lines = []

    def _competitor(self, deal: Deal) -> str:
        """The operator already present at the customer, often; for IDC and cloud, often a
        local provider; otherwise the other operators in their market shares."""
        known = self.competitors.get(deal.account.pk, []) if deal.account else []
        if known and self.chance(0.5):
            return str(self.pick(known))
        cloudy = deal.items[0].product.code in ("idc", "cloud")
        if self.chance(0.55 if cloudy else 0.08):
            return str(self.pick(LOCAL_PROVIDERS))
        return str(self.rng.choices(*OPERATORS)[0])

    def _appraise(self, deal: Deal, *, declined: bool = False) -> None:
        """`appraisal_set` during the solution: the build cost and the running cost
        against the revenue of the term; one the figures say to decline."""
        revenue, one_time = deal.opp.expected_monthly, deal.opp.expected_one_time
        if declined:
            capex, opex = revenue * 40, revenue * Decimal("0.9")
        else:
            capex = revenue * Decimal(self.rng.uniform(3, 20))
            opex = revenue * Decimal(self.rng.uniform(0.25, 0.45))
        at = deal.solution_at or deal.last
        at = min(self.now, at + dt.timedelta(hours=self.rng.randint(2, 72)))
        deal.appraisal = Appraisal(
            opportunity=deal.opp, capex=capex.quantize(Decimal(1)).quantize(CENT),
            monthly_opex=opex.quantize(CENT), monthly_revenue=revenue, one_time_revenue=one_time,
            term_months=36 if declined or self.chance(0.7) else 60,
            discount_rate=self.pick((Decimal("0.0800"), Decimal("0.1000"))),
            created_at=at, updated_at=at,
        )  # fmt: skip

    # --- the story of a deal ------------------------------------------------------------

    def _story(self, deal: Deal) -> None:
        """From the need onwards, each step a few days after the one before, until the deal
        is won or lost or its next step lies after today."""
        with contextlib.suppress(Today):
            self._play(deal)

    def _lost_here(self, deal: Deal, stage: str) -> bool:
        return not deal.sure and self.chance(LOSS[stage])

    def _play(self, deal: Deal) -> None:
        self._wait(deal, 3, 20)
        if self._lost_here(deal, Stage.NEED):
            return self._lose(deal, Stage.NEED)
        self._move(deal, Stage.SOLUTION, "需求已确认，进入方案设计")
        self._solution(deal)
        discount, pushes = deal.discount, 0
        while True:
            self._wait(deal, 5, 20)
            opp = deal.opp
            if opp.solution_rounds == 1 and not deal.sure and self.chance(0.12):
                self._move(deal, Stage.NEED, "客户需求调整，重新确认需求")
                self._wait(deal, 3, 12)
                self._move(deal, Stage.SOLUTION, "需求重新确认，更新方案")
                self._solution(deal)
                continue
            self._price(deal, discount)
            if self._lost_here(deal, Stage.SOLUTION):
                return self._lose(deal, Stage.SOLUTION)
            self._wait(deal, 1, 5)
            self._move(deal, Stage.NEGOTIATION, "方案及报价已提交客户")
            outcome, discount, pushes = self._negotiate(deal, discount, pushes)
            if outcome == "back":
                self._move(deal, Stage.SOLUTION, "客户要求调整方案")
                self._solution(deal)
                continue
            if outcome != "accept":
                return None
            if opp.negotiation_rounds < 3 and not deal.sure and self.chance(0.05):
                self._wait(deal, 2, 8)  # the terms of the contract reopen the price
                self._move(deal, Stage.NEGOTIATION, "合同条款未达成一致，重新商务谈判")
                outcome, discount, pushes = self._negotiate(deal, discount, pushes, reopened=True)
                if outcome != "accept":
                    return None
            break
        self._wait(deal, 3, 15)
        if self.chance(LOSS[Stage.CONTRACT]):
            return self._lose(deal, Stage.CONTRACT)
        if self.chance(0.25):  # won on signing; the implementation follows
            self._move(deal, Stage.WON, "客户签约，确认赢单")
            self._sign(deal)
            self._work(deal)
            return None
        self._sign(deal)
        done = self._work(deal)
        if done is None:
            return None
        self._on(deal, done)
        self._wait(deal, 0, 5)
        self._move(deal, Stage.WON, "项目交付完成，客户确认开通")
        return None

    def _negotiate(
        self, deal: Deal, discount: Decimal, pushes: int, *, reopened: bool = False
    ) -> tuple[str, Decimal, int]:
        """Rounds of talks: the customer accepts, asks for a better price (a new revision),
        sends the solution back, or goes elsewhere. ("accept" | "back" | "lost" | "stall")"""
        if reopened:
            self._wait(deal, 2, 6)
            discount = _half(min(deal.ceiling, discount + Decimal(self.rng.uniform(0.5, 2))))
            self._price(deal, discount)
        while True:
            self._wait(deal, 3, 12)
            roll = self.rng.random()
            if not deal.sure and roll < LOSS[Stage.NEGOTIATION] * 0.6:
                self._lose(deal, Stage.NEGOTIATION)
                return "lost", discount, pushes
            if not deal.sure and deal.opp.solution_rounds < 3 and roll < 0.30:
                self._wait(deal, 1, 4)
                return "back", discount, pushes
            better = _half(min(deal.ceiling, discount + Decimal(self.rng.uniform(1, 4))))
            if pushes < 2 and roll < 0.55 and better > discount:  # a better price
                pushes, discount = pushes + 1, better
                self._price(deal, discount)
                continue
            break
        if deal.account is None and deal.twin is None:  # a prospect not converted (yet)
            if deal.opp.created_at.date() < self.today - dt.timedelta(days=120) or self.chance(0.7):
                self._lose(deal, Stage.NEGOTIATION)
                return "lost", discount, pushes
            return "stall", discount, pushes
        latest = deal.latest()
        if latest is None or latest.status != QuoteStatus.APPROVED:
            self._price(deal, discount)
            self._wait(deal, 1, 4)
        self._accept(deal)
        return "accept", discount, pushes

    # --- the build ----------------------------------------------------------------------

    def build(self, scale: float) -> None:
        self._make_prospects(scale)
        self._showcase()
        pool = self.accounts
        weights = [self._weight(a) for a in pool]
        total = max(40, round(ACCOUNT_DEALS * scale))
        for account in self.rng.choices(pool, weights=weights, k=total):
            opened = self.start + dt.timedelta(days=self.rng.randint(0, HISTORY_DAYS - 1))
            self._random_deal(account=account, prospect=None, opened=opened)
        for prospect in self.free_prospects:
            if self.chance(PROSPECT_DEAL_SHARE):
                known = max(self.start, timezone.localdate(prospect.created_at))
                for _i in range(1 if self.chance(0.8) else 2):
                    opened = known + dt.timedelta(
                        days=self.rng.randint(0, (self.today - known).days)
                    )
                    self._random_deal(account=None, prospect=prospect, opened=opened)
        # Appraisals on half of the biggest tenth of the deals that got to a solution.
        designed = [d for d in self.deals if d.solution is not None and d.appraisal is None]
        amounts = sorted(d.opp.expected_monthly for d in designed)
        big = amounts[int(len(amounts) * 0.9)] if amounts else ZERO
        for deal in designed:
            if deal.opp.expected_monthly >= big and self.chance(0.5):
                self._appraise(deal)

    def _weight(self, account: Account) -> float:
        stars = account.star_level if account.segment == Segment.KEY else 0
        weight = (0.35, 1.0, 1.5, 2.0, 3.0, 4.0)[min(stars, 5)]
        if account.level == AccountLevel.HEADQUARTERS:
            weight *= 2
        if account.owner_id == self.users["am_finance"].pk:
            weight *= 2
        return weight

    def _random_deal(
        self, *, account: Account | None, prospect: Prospect | None, opened: dt.date,
        twin: Account | None = None,
    ) -> Deal:  # fmt: skip
        """One deal played forward; if its contract is signed within the orders' window,
        played again the same way with its circuit lines at the list price (see the module
        doc), so that every recent fixed-network contract has its orders."""
        state = self.rng.getstate()
        deal = self._played(account, prospect, opened, twin, list_circuits=False)
        if self._wants_orders(deal):
            self.rng.setstate(state)
            deal = self._played(account, prospect, opened, twin, list_circuits=True)
        self.deals.append(deal)
        return deal

    def _played(self, account: Account | None, prospect: Prospect | None, opened: dt.date,
                twin: Account | None, *, list_circuits: bool) -> Deal:  # fmt: skip
        deal = self._new_deal(account=account, prospect=prospect, opened=opened,
                              list_circuits=list_circuits)  # fmt: skip
        deal.twin, deal.sure = twin, twin is not None
        self._story(deal)
        return deal

    def _wants_orders(self, deal: Deal) -> bool:
        contract = deal.contract
        return (
            not deal.list_circuits
            and contract is not None
            and contract.signed_on is not None
            and contract.signed_on >= self.wd(LINK_WORKING_DAYS)
            and deal.kind == ProjectKind.FIXED
            and all(i.product.code != MOBILE for i in deal.items)
        )

    def _make_prospects(self, scale: float) -> None:
        """Organisations of every group not yet customers; some converted this year: they
        become an account of the same AM (carrying over name and credit code)."""
        total = max(12, round(PROSPECTS * scale))
        groups = list(GROUP_PRODUCTS)
        converted = max(2, round(total * CONVERTED_SHARE))
        am_finance = self.users["am_finance"]
        for index in range(total):
            group = groups[index % len(groups)]
            owner = (
                am_finance
                if index in (1, 1 + len(groups))
                else self.staff.pick_am(self.forge, group)
            )
            identity = orgs.organisation(self.forge, group_code=group, small=self.chance(0.6))
            person = self.forge.person()
            small = self.chance(0.6)
            prospect = Prospect(
                name=identity.name, credit_code=identity.credit_code or "",
                industry=identity.industry, group=owner.group, owner=owner,
                city=identity.place.city,
                address=self.forge.address(identity.place, street=identity.street),
                contact_name=person.name, contact_title=self.pick(CONTACT_TITLES),
                contact_phone=self.forge.mobile(),
                employees=self.rng.randint(20, 300) if small else self.rng.randint(300, 8000),
                notes=self.pick(PROSPECT_NOTES),
            )  # fmt: skip
            # entered in the last two years: from the research lists, campaigns, visits
            prospect.created_at = self.moment(
                self.today - dt.timedelta(days=self.rng.randint(1, 700))
            )
            prospect.updated_at = prospect.created_at
            self.prospects.append(prospect)
            self.free_prospects.append(prospect)
            self.short[id(prospect)] = identity.short_name
        # The converted ones: each the prospect file of an account of its group, whose
        # first deal was opened while it was a prospect.
        for index in range(converted):
            group = groups[(index + 2) % len(groups)]
            account = self._twin(group)
            if account is None:
                continue
            opened = self.today - dt.timedelta(days=self.rng.randint(90, 330))
            prospect = self._prospect_of(account, opened)
            self._random_deal(account=None, prospect=prospect, opened=opened, twin=account)

    def _twin(self, group: str) -> Account | None:
        """An account of the group (a commercial customer where there is one left) to be
        the converted prospect: standalone, not am_finance's, not taken yet."""
        if not self.twins:
            am = self.users["am_finance"].pk
            for a in self.accounts:
                if a.level == AccountLevel.STANDALONE and a.owner_id != am:
                    key = (a.group.code, a.segment == Segment.COMMERCIAL)
                    self.twins.setdefault(key, []).append(a)
        for key in ((group, True), (group, False)):
            pool = [a for a in self.twins.get(key, []) if a.pk not in self.used_twins]
            if pool:
                account: Account = self.pick(pool)
                self.used_twins.add(account.pk)
                return account
        return None

    def _prospect_of(self, account: Account, opened: dt.date) -> Prospect:
        """The prospect file an account of the demo started as, entered a little before its
        first deal was opened on `opened`."""
        person = self.forge.person()
        entered = self.moment(opened - dt.timedelta(days=self.rng.randint(10, 60)))
        prospect = Prospect(
            name=account.name, credit_code=account.credit_code or "", industry=account.industry,
            group=account.group, owner=account.owner, city=account.city, address=account.address,
            contact_name=person.name, contact_title=self.pick(CONTACT_TITLES),
            contact_phone=self.forge.mobile(), employees=account.employees,
            notes="营销活动中接触，首单签约后转为客户。", created_at=entered, updated_at=entered,
        )  # fmt: skip
        self.prospects.append(prospect)
        self.short[id(prospect)] = account.short_name or account.name
        return prospect

    # --- what the demo logins find today --------------------------------------------------

    def _showcase(self) -> None:
        """Pinned deals (see the module doc), on working days counted back from today."""
        am = self.users["am_finance"]
        mine = sorted((a for a in self.accounts if a.owner_id == am.pk),
                      key=lambda a: (-(self.merit.get(a.pk) or 0), a.code))  # fmt: skip
        if len(mine) < 3:
            return
        best, second, third = mine[0], mine[1], mine[-1]
        wd = self.wd

        def deal(account: Account, opened: dt.date, main: str, discount: str, **extra: Any) -> Deal:
            d = self._new_deal(account=account, prospect=None, opened=opened, main=main,
                               discount=Decimal(discount), **extra)  # fmt: skip
            self.deals.append(d)
            return d

        def step(d: Deal, day: dt.date, to: str | None = None, note: str = "") -> None:
            self._on(d, day)
            if to is not None:
                self._move(d, to, note)
                if to == Stage.SOLUTION:
                    self._solution(d)

        def price(d: Deal, day: dt.date, discount: str, *, submit: bool = True) -> Quote:
            self._on(d, day)
            quote = self._quote(d, Decimal(discount))
            if submit:
                self._submit(d, quote)
            return quote

        # A need raised two days ago.
        deal(third, wd(2), "ip_vpn", "0", source=OpportunitySource.CUSTOMER)
        # Back from solution to need once, now in its second solution round, appraised:
        # the figures say to decline.
        d = deal(second, wd(45), "idc", "8", target=Decimal(90000))
        step(d, wd(38), Stage.SOLUTION, "需求已确认，进入方案设计")
        step(d, wd(30), Stage.NEED, "客户新增同城灾备要求，重新确认需求")
        step(d, wd(24), Stage.SOLUTION, "需求重新确认，更新方案")
        self._appraise(d, declined=True)
        # In negotiation with a new revision still to submit.
        d = deal(third, wd(40), "internet_leased_line", "6")
        step(d, wd(32), Stage.SOLUTION, "需求已确认，进入方案设计")
        price(d, wd(26), "6")
        step(d, wd(22), Stage.NEGOTIATION, "方案及报价已提交客户")
        price(d, wd(1), str(min(Decimal(9), self.merit.get(third.pk) or Decimal(9))), submit=False)
        # In negotiation, a discount above the AM's limit waiting for lead_finance.
        d = deal(best, wd(50), "digital_circuit", "10")
        step(d, wd(42), Stage.SOLUTION, "需求已确认，进入方案设计")
        price(d, wd(30), "10")
        step(d, wd(26), Stage.NEGOTIATION, "方案及报价已提交客户")
        price(d, wd(2), str(min(Decimal(15), max(Decimal("12.5"), self.merit.get(best.pk) or 0))))
        # A discount lead_finance turned down yesterday: a revision is due.
        d = deal(third, wd(35), "voice_trunk", "8")
        step(d, wd(28), Stage.SOLUTION, "需求已确认，进入方案设计")
        price(d, wd(20), "8")
        step(d, wd(16), Stage.NEGOTIATION, "方案及报价已提交客户")
        quote = price(d, wd(4), "14")
        step(d, wd(1))
        self._decide(d, quote, approve=False)
        # Solution sent back once; a discount only the head may give (beyond the grade).
        d = deal(second, wd(60), "ip_vpn", "10")
        step(d, wd(50), Stage.SOLUTION, "需求已确认，进入方案设计")
        price(d, wd(40), "10")
        step(d, wd(35), Stage.NEGOTIATION, "方案及报价已提交客户")
        step(d, wd(25), Stage.SOLUTION, "客户要求增加备份链路，调整方案")
        step(d, wd(15), Stage.NEGOTIATION, "方案及报价已提交客户")
        price(d, wd(3), "24")
        # A contract to sign: a better price asked for once, then accepted.
        d = deal(best, wd(40), "ip_vpn", "6")
        step(d, wd(34), Stage.SOLUTION, "需求已确认，进入方案设计")
        price(d, wd(26), "6")
        step(d, wd(22), Stage.NEGOTIATION, "方案及报价已提交客户")
        price(d, wd(12), "9")
        step(d, wd(4))
        self._accept(d)
        # Signed three working days ago: the project starting, the circuits' orders open.
        d = deal(best, wd(45), "internet_leased_line", "8", list_circuits=True)
        step(d, wd(36), Stage.SOLUTION, "需求已确认，进入方案设计")
        price(d, wd(22), "8")
        step(d, wd(18), Stage.NEGOTIATION, "方案及报价已提交客户")
        step(d, wd(12))
        self._accept(d)
        step(d, wd(3))
        self._sign(d)
        self._work(d, late=(0, 0, 0))
        # Won on signing; mobile implementation with two tasks overdue.
        d = deal(second, wd(90), MOBILE, "5")
        step(d, wd(80), Stage.SOLUTION, "需求已确认，进入方案设计")
        price(d, wd(62), "5")
        step(d, wd(58), Stage.NEGOTIATION, "方案及报价已提交客户")
        step(d, wd(50))
        self._accept(d)
        step(d, wd(40), Stage.WON, "客户签约，确认赢单")
        self._sign(d)
        self._work(d, late=(0, -2, 30, 30))
        # Lost on price to China Mobile.
        d = deal(third, wd(110), MOBILE, "5")
        step(d, wd(100), Stage.SOLUTION, "需求已确认，进入方案设计")
        price(d, wd(95), "5")
        step(d, wd(90), Stage.NEGOTIATION, "方案及报价已提交客户")
        step(d, wd(40))
        self._lose(d, Stage.NEGOTIATION, LostReason.PRICE, "中国移动")
        # Won a year ago on a twelve-month contract: the renewal reminder is due.
        self._renewal(second, "internet_leased_line")
        # Elsewhere: one more quote for lead_finance, one more for the head, one more
        # renewal, and a prospect converted by its first deal.
        others = [a for a in self.accounts if a.group.code == "finance" and a.owner_id != am.pk]
        if others:
            other = max(others, key=lambda a: (self.merit.get(a.pk) or 0, a.code))
            d = deal(other, wd(45), "ip_vpn", "8")
            step(d, wd(36), Stage.SOLUTION, "需求已确认，进入方案设计")
            price(d, wd(20), "8")
            step(d, wd(16), Stage.NEGOTIATION, "方案及报价已提交客户")
            price(d, wd(1), "12")
        tech = [a for a in self.accounts if a.group.code == "hightech"]
        if tech:
            other = max(tech, key=lambda a: (self.merit.get(a.pk) or 0, a.code))
            d = deal(other, wd(55), "idc", "10")
            step(d, wd(45), Stage.SOLUTION, "需求已确认，进入方案设计")
            price(d, wd(33), "10")
            step(d, wd(28), Stage.NEGOTIATION, "方案及报价已提交客户")
            price(d, wd(3), "22")
            self._renewal(self.pick(tech), "cloud", lead=90, ends_in=70)
        firms = [a for a in self.accounts if a.group.code == "enterprise"]
        if firms:  # accepted, back to negotiation over the terms, accepted again
            d = deal(max(firms, key=lambda a: (self.merit.get(a.pk) or 0, a.code)), wd(60),
                     "internet_leased_line", "5")  # fmt: skip
            step(d, wd(52), Stage.SOLUTION, "需求已确认，进入方案设计")
            price(d, wd(45), "5")
            step(d, wd(40), Stage.NEGOTIATION, "方案及报价已提交客户")
            step(d, wd(30))
            self._accept(d)
            step(d, wd(25), Stage.NEGOTIATION, "客户对付款方式有异议，重新商务谈判")
            price(d, wd(15), "7")
            step(d, wd(8))
            self._accept(d)
        twin = self._twin("finance")
        if twin is not None:
            prospect = self._prospect_of(twin, wd(120))
            d = self._new_deal(account=None, prospect=prospect, opened=wd(120), main="ip_vpn",
                               discount=Decimal(5))  # fmt: skip
            d.twin = twin
            self.deals.append(d)
            step(d, wd(110), Stage.SOLUTION, "需求已确认，进入方案设计")
            price(d, wd(90), "5")
            step(d, wd(86), Stage.NEGOTIATION, "方案及报价已提交客户")
            step(d, wd(80))
            self._accept(d)
            step(d, wd(70))
            self._sign(d)
            done = self._work(d, late=(0, 0, 0))
            if done is not None:
                step(d, self.add_wd(done, 2), Stage.WON, "项目交付完成，客户确认开通")

    def _renewal(self, account: Account, main: str, *, lead: int = 60, ends_in: int = 30) -> None:
        """A deal won about a year ago whose twelve-month contract ends `ends_in` days from
        today, within its renewal lead time."""
        drafted = self.working(_months_later(self.today + dt.timedelta(days=ends_in), -12))
        opened = drafted - dt.timedelta(days=30)
        d = self._new_deal(account=account, prospect=None, opened=opened, main=main,
                           discount=Decimal(5))  # fmt: skip
        for item in d.items:
            item.term = 12
        self.deals.append(d)
        self._on(d, self.working(opened + dt.timedelta(days=6)))
        self._move(d, Stage.SOLUTION, "需求已确认，进入方案设计")
        self._solution(d)
        self._on(d, self.working(opened + dt.timedelta(days=12)))
        self._submit(d, self._quote(d, Decimal(5)))
        self._on(d, self.working(opened + dt.timedelta(days=15)))
        self._move(d, Stage.NEGOTIATION, "方案及报价已提交客户")
        self._on(d, drafted)
        self._accept(d)  # the draft contract's term runs from today
        assert d.contract is not None  # noqa: S101
        d.contract.renewal_lead_days = lead
        self._on(d, self.working(drafted + dt.timedelta(days=5)))
        self._sign(d)
        done = self._work(d, late=(0,) * len(d.tasks))
        if done is not None:
            self._on(d, self.add_wd(done, 1))
            self._move(d, Stage.WON, "项目交付完成，客户确认开通")

    # --- writing ------------------------------------------------------------------------

    def _numbers(self) -> dict[str, int]:
        """OP/QT/HT + the day + a four-digit count per day, in the order things happened."""
        last: dict[str, int] = defaultdict(int)

        def number(prefix: str, at: dt.datetime) -> str:
            stem = f"{prefix}{timezone.localdate(at):%Y%m%d}"
            last[stem] += 1
            return f"{stem}{last[stem]:04d}"

        opps = sorted((d.opp for d in self.deals), key=lambda o: o.created_at)
        for opp in opps:
            opp.number = number("OP", opp.created_at)
        quotes = sorted((q for d in self.deals for q in d.quotes), key=lambda q: q.created_at)
        for quote in quotes:
            quote.number = number("QT", quote.created_at)
        contracts = sorted((d.contract for d in self.deals if d.contract),
                           key=lambda c: c.created_at)  # fmt: skip
        for contract in contracts:
            contract.number = number("HT", contract.created_at)
        return last

    def write(self) -> dict[str, int]:
        deals = self.deals
        for deal in deals:  # conversions: the prospect's deals move onto the account
            prospect = deal.opp.prospect
            if deal.converted_at is not None and prospect is not None:
                prospect.account, prospect.converted_at = deal.twin, deal.converted_at
                prospect.version, prospect.updated_at = 2, deal.converted_at
        for deal in deals:
            prospect = deal.opp.prospect
            if prospect is not None and prospect.account is not None:
                deal.opp.account = prospect.account
        last = self._numbers()
        _bulk(Prospect, self.prospects)
        _bulk(Opportunity, [d.opp for d in deals])
        _insert(Opportunity.products.through, ("opportunity", "product"),
                ((d.opp.pk, item.product.pk) for d in deals for item in d.items))  # fmt: skip
        _insert(StageChange,
                ("opportunity", "at", "actor", "from_stage", "to_stage", "backward", "note"),
                ((d.opp.pk, at, d.owner.pk, a, b, back, _text(note)[:300])
                 for d in deals for at, a, b, back, note in d.changes))  # fmt: skip
        _bulk(Solution, [d.solution for d in deals if d.solution])
        _bulk(Quote, [q for d in deals for q in d.quotes])
        _insert(QuoteLine, ("quote", "product", "quantity", "term_months", "monthly_price",
                            "one_time_price", "discount_pct"),
                ((ln.quote.pk, ln.product.pk, ln.quantity, ln.term_months, ln.monthly_price,
                  ln.one_time_price, ln.discount_pct)
                 for d in deals for ln in d.quote_lines))  # fmt: skip
        contracts = [d.contract for d in deals if d.contract]
        _bulk(Contract, contracts)
        _bulk(ContractLine, [line for d in deals for line in d.contract_lines])
        projects = [d.project for d in deals if d.project]
        _bulk(Project, projects)
        _insert(ProjectTask, ("project", "name", "sort_order", "owner", "due_on", "status",
                              "progress", "done_on", "created_at", "updated_at", "version"),
                ((t.project.pk, t.name, t.sort_order, t.owner.pk, t.due_on, t.status, t.progress,
                  t.done_on, t.created_at, t.updated_at, t.version)
                 for d in deals for t in d.tasks))  # fmt: skip
        _bulk(Appraisal, [d.appraisal for d in deals if d.appraisal])
        _bulk(Contact, [d.contact for d in deals if d.contact])
        orders = self._orders(deals)
        _counters(last)
        _insert(AuditEntry, ("at", "actor", "actor_name", "action", "target_type", "target_id",
                             "target_repr", "account", "summary", "changes"),
                ((at, u.pk, _name(u), action, row._meta.label_lower, str(row.pk), str(row)[:255],
                  account.pk, _text(s)[:500], {})
                 for d in deals for row, account, at, u, action, s in d.audits))  # fmt: skip
        stages: dict[str, int] = defaultdict(int)
        for deal in deals:
            stages[deal.opp.stage] += 1
        quotes = [q for d in deals for q in d.quotes]
        return {
            "prospects": len(self.prospects),
            "prospects_converted": sum(p.account_id is not None for p in self.prospects),
            "opportunities": len(deals),
            **{f"opportunities_{stage}": stages[stage] for stage in Stage.values},
            "stage_changes": sum(len(d.changes) for d in deals),
            "solutions": sum(d.solution is not None for d in deals),
            "quotes": len(quotes),
            "quotes_pending": sum(q.status == QuoteStatus.PENDING for q in quotes),
            "contracts": len(contracts),
            "contracts_signed": sum(c.status == ContractStatus.SIGNED for c in contracts),
            "projects": len(projects),
            "project_tasks": sum(len(d.tasks) for d in deals),
            "appraisals": sum(d.appraisal is not None for d in deals),
            "contract_orders": orders,
            "sales_audit_entries": sum(len(d.audits) for d in deals),
        }

    def _orders(self, deals: Sequence[Deal]) -> int:
        """`contract_sign`'s provisioning orders (via `order_accept`) for the contracts
        signed in the last LINK_WORKING_DAYS working days whose circuits are at list price:
        a request and an order per unit, accepted the day of signing, still open."""
        since = self.wd(LINK_WORKING_DAYS)
        requests: list[tuple[ServiceRequest, User]] = []
        orders: list[tuple[ContractLine, ProvisioningOrder]] = []
        for deal in deals:
            contract = deal.contract
            if (contract is None or contract.signed_on is None or contract.signed_on < since
                    or not deal.list_circuits or deal.kind != ProjectKind.FIXED):  # fmt: skip
                continue
            at = deal.signed_at or self.now
            made = 0
            for line in deal.contract_lines:
                product = line.product
                policy = self.policies.get((product.pk, contract.sla_class))
                if policy is None or not product.has_circuit:
                    continue
                # the line's fees split over its units, the last taking the remaining cents
                per_unit = (line.one_time_fee / line.quantity).quantize(CENT, ROUND_DOWN)
                monthly = (line.monthly_fee / line.quantity).quantize(CENT, ROUND_DOWN)
                due = self.calendar.add_working_days(contract.signed_on, policy.working_days)
                for unit in range(line.quantity):
                    if unit == line.quantity - 1:
                        per_unit = line.one_time_fee - per_unit * (line.quantity - 1)
                        monthly = line.monthly_fee - monthly * (line.quantity - 1)
                    at = min(self.now, at + dt.timedelta(seconds=1))
                    request = ServiceRequest(
                        number="", account=contract.account, kind=RequestKind.ORDER, channel="am",
                        subject=f"{product.name_zh}开通（{SlaClass(contract.sla_class).label}）",
                        description=f"合同 {contract.number}", status=RequestStatus.IN_PROGRESS,
                        owner=deal.owner, opened_by=deal.owner, opened_at=at, created_at=at,
                        updated_at=at,
                    )  # fmt: skip
                    requests.append((request, deal.owner))
                    orders.append((line, ProvisioningOrder(
                        request=request, account=contract.account, product=product,
                        sla_class=contract.sla_class, sla_level=contract.sla_level,
                        working_days=policy.working_days, price_factor=policy.price_factor,
                        compensation_rate=policy.compensation_rate, one_time_fee=per_unit,
                        monthly_fee=monthly, accepted_on=contract.signed_on, deadline=due.date,
                        deadline_provisional=due.provisional, created_at=at, updated_at=at,
                    )))  # fmt: skip
                    made += 1
            self.orders_made[id(contract)] = made
        if not requests:
            return 0
        # Numbered on from the desk's history: each day's counter at the highest used.
        stems = {f"SR{timezone.localdate(r.opened_at):%Y%m%d}" for r, _u in requests}
        last = dict(NumberSequence.objects.filter(name__in=stems).values_list("name", "value"))
        for request, _user in sorted(requests, key=lambda pair: pair[0].opened_at):
            stem = f"SR{timezone.localdate(request.opened_at):%Y%m%d}"
            last[stem] = last.get(stem, 0) + 1
            request.number = f"{stem}{last[stem]:04d}"
        _counters(last)
        _bulk(ServiceRequest, [r for r, _u in requests])
        _bulk(ProvisioningOrder, [order for _line, order in orders])
        _insert(RequestEvent,
                ("request", "at", "actor", "actor_name", "from_status", "to_status", "note"),
                ((r.pk, r.opened_at, u.pk, _name(u), "", r.status, "受理")
                 for r, u in requests))  # fmt: skip
        label = RequestKind(RequestKind.ORDER).label
        _insert(AuditEntry, ("at", "actor", "actor_name", "action", "target_type", "target_id",
                             "target_repr", "account", "summary", "changes"),
                ((r.opened_at, u.pk, _name(u), AuditAction.CREATE, r._meta.label_lower, str(r.pk),
                  str(r)[:255], r.account.pk, f"受理{label} {r.number}：{r.subject}"[:500], {})
                 for r, u in requests))  # fmt: skip
        _insert(ContractLine.orders.through, ("contractline", "provisioningorder"),
                ((line.pk, order.pk) for line, order in orders))  # fmt: skip
        return len(orders)


def _counters(last: dict[str, int]) -> None:
    """The live app numbers on from here: each day's counter at the highest number used."""
    NumberSequence.objects.bulk_create(
        [NumberSequence(name=name, value=value) for name, value in last.items()],
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["value"],
    )


def _half(value: Decimal) -> Decimal:
    """To the nearest half point, two places."""
    return (Decimal(round(value * 2)) / 2).quantize(CENT)


def _sla_level(account: Account) -> str:
    if account.segment != Segment.KEY:
        return "bronze"
    if account.star_level >= 4:
        return "gold"
    return "silver" if account.star_level >= 2 else "bronze"


def _set(row: object, **values: Any) -> None:
    for name, value in values.items():
        setattr(row, name, value)


def _text(summary: Summary) -> str:
    return summary if isinstance(summary, str) else summary()


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _bulk(model: type[M], rows: Sequence[M]) -> None:
    model._default_manager.bulk_create(rows, batch_size=BATCH)
