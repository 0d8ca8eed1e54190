"""Two years of the one-stop service desk for the demo accounts, ending today (domain §5).

Provisioning orders on the working-day calendar (most on time, ~8 % late, each late one
with its compensation form in whatever status its age has brought it to), faults with
their clocks, pauses and outages, requests of the three other kinds, delivery to key
accounts' headquarters, callbacks (the events of one account merged into one call while it
is open) and follow-ups of unhappy customers; status histories, timeline entries, and
numbers in the live format with each day's counter left at the highest number used.

The rows are those the services of telekam.service would have written: the same terms
(ProvisioningPolicy, FaultPolicy, `fault_priority`, `compensation_for`, the delivery and
callback due dates), the same timeline summaries. An order activated during the two years
is the order of a circuit the account has: that circuit's activation date moves to the
order's. A few cases are pinned relative to today (`_showcase`) so that every demo login
finds work on its desk whatever the scale.

Draws come from a random source of their own, seeded from the demo seed, so this part
neither shifts nor depends on the draws of the account file. Rows that others point at go
in with bulk_create (their ids come back); the ~100,000 rows nothing points at (request
history, timeline, callback items, outages, pauses) go through the DB-API in one
statement per batch, as the bills do (`writer.insert_billing`): the ORM takes several
times longer to compile them than the database takes to store them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone

from telekam.accounts.models import Account, AccountStatus, Segment, ServiceInUse, ServiceStatus
from telekam.billing.models import BillingCredit
from telekam.catalog.models import Product
from telekam.core.calendar import working_calendar
from telekam.core.models import AuditAction, AuditEntry
from telekam.core.models import Sequence as NumberSequence
from telekam.demo.profile import Profile
from telekam.demo.staff import Staff
from telekam.org.models import User
from telekam.service.models import (
    Callback,
    CallbackItem,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    CompensationForm,
    CompensationStatus,
    DeliveryStatus,
    DeliveryTask,
    FaultPause,
    FaultPolicy,
    FaultStatus,
    FaultTicket,
    FollowUp,
    FollowUpStatus,
    OrderStatus,
    Outage,
    ProvisioningOrder,
    ProvisioningPolicy,
    RequestEvent,
    RequestKind,
    RequestStatus,
    ResponsibleSegment,
    ServiceRequest,
    SlaClass,
)
from telekam.service.selectors.sla import CENT, compensation_for
from telekam.service.services.aftercare import (
    CALLBACK_DAYS,
    DELIVERY_WORKING_DAYS,
    FOLLOW_UP_WORKING_DAYS,
    delivery_needed,
)
from telekam.service.services.faults import fault_priority

SALT = 0x5E12_71CE  # this part's random source: the demo seed xor SALT
HISTORY_DAYS = 730
BATCH = 1000
# Volumes: orders and requests per working day at scale 1, faults per circuit and year.
ORDERS_PER_DAY, REQUESTS_PER_DAY, FAULTS_PER_CIRCUIT_YEAR = 3.0, 8.0, 0.3
OPEN_FAULTS, OPEN_REQUESTS = 12, 10  # reported / asked in the last hours, at scale 1
ORDER_PRODUCTS = ("digital_circuit", "ddn", "frame_relay", "atm", "internet_leased_line", "ip_vpn")
CLASSES = ((SlaClass.NORMAL, SlaClass.URGENT, SlaClass.SPECIAL), (0.80, 0.14, 0.06))
LATE_SHARE, CANCEL_SHARE, VOID_SHARE, LATE_CALL_SHARE = 0.08, 0.03, 0.12, 0.07
DAYS_LATE = ((1, 2, 3, 4, 5, 6, 8, 10, 14, 20), (22, 18, 14, 10, 9, 8, 7, 6, 4, 2))
OUTCOMES = (
    (CallbackOutcome.SATISFIED, CallbackOutcome.NEUTRAL, CallbackOutcome.DISSATISFIED,
     CallbackOutcome.UNREACHABLE),
    (0.84, 0.08, 0.04, 0.04),
)  # fmt: skip
FAULT_HOURS = (1,) * 7 + (3, 5, 6, 6, 6, 5, 5, 6, 6, 5, 4, 3) + (2,) * 5  # weights, 0-23 h
MINUTES_PER_MONTH = 30 * 24 * 60
SCAN = "compensation/demo/signed-scan.pdf"  # the one scan every signed demo form points at

OTHER_KINDS = (
    (RequestKind.CONSULTATION, RequestKind.BILLING, RequestKind.TECH_SUPPORT),
    (0.4, 0.35, 0.25),
)
SUBJECTS: dict[str, tuple[str, ...]] = {
    RequestKind.CONSULTATION: ("咨询互联网专线提速及资费", "咨询 IP-VPN 组网方案", "咨询新址专线开通周期",
                               "咨询云专线产品", "咨询语音中继扩容", "咨询 SLA 金牌服务内容"),
    RequestKind.BILLING: ("账单金额核对", "申请开具增值税专用发票", "托收账户变更", "专线月租起租日核对",
                          "账单明细查询"),
    RequestKind.TECH_SUPPORT: ("路由器 BGP 配置协助", "DNS 解析异常协助排查", "视频会议专线质量测试",
                               "VPN 站点互访不通排查", "防火墙策略调整咨询"),
}  # fmt: skip
RESOLUTIONS: dict[str, str] = {
    RequestKind.CONSULTATION: "已解答，资费及方案说明已发客户邮箱",
    RequestKind.BILLING: "已核对账单并向客户说明",
    RequestKind.TECH_SUPPORT: "已远程协助处理完毕，客户确认恢复正常",
}
HOURS_TO_RESOLVE: dict[str, tuple[float, float]] = {
    RequestKind.CONSULTATION: (0.3, 8.0),
    RequestKind.BILLING: (2.0, 96.0),
    RequestKind.TECH_SUPPORT: (1.0, 200.0),
}
FAULT_SUBJECTS = ("电路中断", "专线无法访问", "业务中断，告警 LOS", "链路频繁闪断")
DEGRADED_SUBJECTS = ("丢包率高", "时延大", "误码率超标")
CAUSES = ("光缆被施工挖断，已熔接恢复", "局端传输板卡故障，已更换", "客户侧设备掉电，协助恢复",
          "接入交换机端口故障，已倒换", "数据配置错误，已修正", "楼内尾纤松动，已重新接续",
          "上游链路拥塞，已扩容调度")  # fmt: skip
PAUSE_REASONS = ("客户机房门禁，等待客户开门", "等待客户配合重启设备测试", "客户要求另约上门时间")
FINDINGS = {
    ResponsibleSegment.ACCESS: "接入光缆资源不足，需新建引入",
    ResponsibleSegment.TRANSMISSION: "传输端口资源调度延误",
    ResponsibleSegment.DATA_NETWORK: "数据网端口配置积压",
    ResponsibleSegment.CONSTRUCTION: "施工队进场延误",
    ResponsibleSegment.BRANCH: "分局端设备安装延误",
    ResponsibleSegment.SUPPLIER: "第三方设备到货延误",
}
VOID_REASON = "经核实，延误系客户机房未具备开通条件，不构成违约"
CREDIT_REASON = "开通超时赔付"
CALL_NOTES: dict[str, str] = {
    CallbackOutcome.SATISFIED: "客户表示满意，无其他需求",
    CallbackOutcome.NEUTRAL: "客户认为处理速度一般，希望进一步提速",
    CallbackOutcome.DISSATISFIED: "客户对处理时长不满，要求客户经理上门说明",
    CallbackOutcome.UNREACHABLE: "联系人电话多次未接通",
}
FOLLOW_UP_DONE = "客户经理已上门说明原因并落实改进措施，客户认可"

M = TypeVar("M", bound=Model)
Summary = str | Callable[[], str]  # a callable when it quotes a number given at the end
Day = dt.date | None


@dataclasses.dataclass
class OrderPlan:
    circuit: ServiceInUse  # activated: this circuit; open or cancelled: the model of a new one
    sla_class: str
    accepted_on: dt.date
    activated_on: Day = None
    cancelled_on: Day = None
    form_days: tuple[Day, Day, Day] | None = None  # pinned confirm, sign, settle days
    form_void: bool = False
    delivery_pending: bool = False
    callback_open: bool = False


@dataclasses.dataclass
class CallEvent:
    account: Account
    at: dt.datetime
    reason: str
    order: ProvisioningOrder | None = None
    fault: FaultTicket | None = None
    force_open: bool = False
    force: tuple[dt.date, str] | None = None  # pinned day and outcome of the call

    @property
    def day(self) -> dt.date:
        return timezone.localdate(self.at)


@dataclasses.dataclass
class OpenCall:
    callback: Callback
    planned: dt.datetime | None  # when the desk rings; None: not by now
    last_at: dt.datetime
    outcome: str | None = None
    follow_up_open: bool = False


def delete_service_data() -> None:
    """Every service-desk row, children first: their keys to accounts, circuits, requests
    and users are PROTECT. Runs before the accounts and demo users are deleted."""
    for model in (FollowUp, CallbackItem, Callback, DeliveryTask, CompensationForm, BillingCredit,
                  Outage, FaultPause, FaultTicket, ProvisioningOrder, RequestEvent, ServiceRequest):  # fmt: skip
        model._default_manager.all().delete()
    # the request and form numbers' daily counters (SR/PF + YYYYMMDD)
    NumberSequence.objects.filter(name__regex=r"^(SR|PF)[0-9]{8}$").delete()


def generate_history(
    *,
    seed: int,
    scale: float,
    accounts: Sequence[Account],
    profile: Profile,
    staff: Staff,
    products: dict[str, Product],
    used_numbers: set[str],
    now: dt.datetime,
) -> dict[str, int]:
    """Build the history in memory, write it; the counts of what was written."""
    rng = random.Random(seed ^ SALT)
    history = History(rng, accounts, profile, staff, products, used_numbers, now)
    history.build(scale)
    return history.write()


class History:
    def __init__(
        self,
        rng: random.Random,
        accounts: Sequence[Account],
        profile: Profile,
        staff: Staff,
        products: dict[str, Product],
        used_numbers: set[str],
        now: dt.datetime,
    ) -> None:
        self.rng, self.now, self.used_numbers = rng, now, used_numbers  # circuit numbers
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate(now)
        self.start = self.today - dt.timedelta(days=HISTORY_DAYS)
        self.calendar = working_calendar(start=self.start, end=self.today)  # read once
        span = (self.start + dt.timedelta(days=n) for n in range(HISTORY_DAYS + 1))
        self.workdays = [day for day in span if self.calendar.is_working_day(day)]
        self.products = {p.pk: p for p in products.values()}
        self.policies = {(p.product_id, p.sla_class): p for p in ProvisioningPolicy.objects.all()}
        self.fault_policies = {p.sla_level: p for p in FaultPolicy.objects.all()}
        users = {u.username: u for u in staff.users}
        self.desk = [users["desk"], users["desk2"], users["desk3"]]
        self.ops = [users["ops"], users["ops2"]]
        self.head = users["head"]
        self.am_finance = users["am_finance"]
        self.accounts = [a for a in accounts if a.status == AccountStatus.ACTIVE]
        self.contacts: dict[int, tuple[str, str]] = {}
        for wave in profile.contact_waves:
            for contact in wave:
                if contact.account_id not in self.contacts or contact.is_primary:
                    phone = contact.mobile or contact.phone
                    self.contacts[contact.account_id] = (contact.name, phone)
        in_use = [s for s in profile.services if s.status == ServiceStatus.ACTIVE]
        circuit_products = {products[code].pk for code in ORDER_PRODUCTS if code in products}
        mobile = products["mobile_package"].pk if "mobile_package" in products else None
        self.circuits = [s for s in in_use if s.product_id in circuit_products]
        self.fault_circuits = [s for s in in_use if s.product_id != mobile]
        self.reserved: set[int] = set()  # circuits the pinned cases took
        # What will be written: entity rows, and plain tuples for the leaf tables.
        self.requests: list[ServiceRequest] = []
        self.orders: list[ProvisioningOrder] = []
        self.forms: list[CompensationForm] = []
        self.credits: list[BillingCredit] = []
        self.deliveries: list[DeliveryTask] = []
        self.faults: list[FaultTicket] = []
        self.callbacks: list[Callback] = []
        self.follow_ups: list[FollowUp] = []
        self.redated: list[ServiceInUse] = []
        self.events: list[tuple[ServiceRequest, dt.datetime, User, str, str, str]] = []
        self.pauses: list[tuple[FaultTicket, dt.datetime, dt.datetime | None, str, User]] = []
        self.outages: list[tuple[FaultTicket, dt.datetime, dt.datetime, int]] = []
        self.items: list[tuple[Callback, CallEvent, dt.date]] = []
        self.audits: list[tuple[Model, Account, dt.datetime, User, str, Summary]] = []
        self.calls: list[CallEvent] = []

    # --- time and chance ----------------------------------------------------------------

    def wd(self, back: int) -> dt.date:
        """The working day `back` working days before the last one up to today."""
        return self.workdays[-1 - back]

    def add_wd(self, day: dt.date, days: int) -> dt.date:
        return self.calendar.add_working_days(day, days).date

    def moment(self, day: dt.date, *, after: dt.datetime | None = None) -> dt.datetime:
        """A working-hours moment on `day`, later than `after`; never later than now when
        `day` is today (one on a later day lies in the future: it has not happened)."""
        time = dt.time(self.rng.randint(9, 17), self.rng.randrange(60))
        at = dt.datetime.combine(day, time, tzinfo=self.tz)
        if after is not None and at <= after:
            at = after + dt.timedelta(minutes=self.rng.randint(5, 90))
        if day <= self.today and at > self.now:
            floor = after or self.now - dt.timedelta(hours=2)
            at = floor + (self.now - floor) * self.rng.random()
        return at

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: Sequence[Any]) -> Any:
        return items[self.rng.randrange(len(items))]

    def contact(self, account: Account) -> tuple[str, str]:
        return self.contacts.get(account.pk, ("客户代表", ""))

    # --- requests and the timeline --------------------------------------------------------

    def audit(
        self, row: Model, account: Account, at: dt.datetime, actor: User, summary: Summary
    ) -> None:
        self.audits.append((row, account, at, actor, AuditAction.EVENT, summary))

    def open_request(
        self,
        account: Account,
        kind: str,
        subject: str,
        at: dt.datetime,
        actor: User,
        *,
        status: str = RequestStatus.NEW,
        channel: str = "phone",
        owner: User | None = None,
    ) -> ServiceRequest:
        """`request_create`: the request, its first history entry, its timeline entry."""
        name, phone = self.contact(account)
        request = ServiceRequest(
            number="", account=account, kind=kind, channel=channel, subject=subject,
            contact_name=name, contact_phone=phone, status=status, owner=owner or actor,
            opened_by=actor, opened_at=at, created_at=at, updated_at=at,
        )  # fmt: skip
        self.requests.append(request)
        self.events.append((request, at, actor, "", status, "受理"))
        label = RequestKind(kind).label
        summary = lambda: f"受理{label} {request.number}：{subject}"  # noqa: E731
        self.audits.append((request, account, at, actor, AuditAction.CREATE, summary))
        return request

    def move(
        self,
        request: ServiceRequest,
        at: dt.datetime,
        actor: User,
        status: str,
        note: str = "",
        *,
        audit: bool = False,
    ) -> None:
        """`set_status` (with `request_transition`'s timeline entry when `audit`)."""
        self.events.append((request, at, actor, request.status, status, note))
        _set(request, status=status, updated_at=at, version=request.version + 1)
        if status == RequestStatus.RESOLVED:
            _set(request, resolved_at=at, resolution=request.resolution or note)
        if audit:
            label = RequestStatus(status).label
            self.audit(
                request, request.account, at, actor, lambda: f"受理单 {request.number} {label}"
            )

    def maybe_close(self, request: ServiceRequest) -> None:
        """Most resolved requests are closed by the desk within a week."""
        if request.resolved_at is None or not self.chance(0.85):
            return
        day = timezone.localdate(request.resolved_at) + dt.timedelta(days=self.rng.randint(1, 7))
        if day <= self.today:
            at = self.moment(day, after=request.resolved_at)
            self.move(request, at, self.pick(self.desk), RequestStatus.CLOSED, "办结", audit=True)

    # --- the build ----------------------------------------------------------------------

    def build(self, scale: float) -> None:
        self._showcase()
        pool = [s for s in self.circuits if s.pk not in self.reserved]
        self.rng.shuffle(pool)
        for circuit in pool[: round(ORDERS_PER_DAY * scale * len(self.workdays))]:
            self._order(self._order_plan(circuit))
        self._faults(scale)
        self._other_requests(scale)
        self._callbacks()

    # --- orders, forms, delivery ----------------------------------------------------------

    def _order_plan(self, circuit: ServiceInUse) -> OrderPlan:
        sla_class = self.rng.choices(*CLASSES)[0]
        days = self.policies[(circuit.product_id, sla_class)].working_days
        plan = OrderPlan(circuit, sla_class, accepted_on=self.pick(self.workdays))
        if self.chance(LATE_SHARE):
            late = self.rng.choices(*DAYS_LATE)[0]
            activated = self.add_wd(plan.accepted_on, days + late)
        else:
            activated = self.add_wd(
                plan.accepted_on, max(1, round(days * self.rng.uniform(0.4, 1)))
            )
        if self.chance(CANCEL_SHARE):
            cancelled = self.add_wd(plan.accepted_on, self.rng.randint(1, 1 + days // 2))
            plan.cancelled_on = cancelled if cancelled <= self.today else None
        elif activated <= self.today:
            plan.activated_on = activated
        return plan

    def _order(self, plan: OrderPlan) -> None:
        """`order_accept`, then `order_activate` or `order_cancel` if it has come to that."""
        circuit = plan.circuit
        account, product = circuit.account, self.products[circuit.product_id]
        policy = self.policies[(product.pk, plan.sla_class)]
        due = self.calendar.add_working_days(plan.accepted_on, policy.working_days)
        via_am = self.chance(0.6)
        opener = account.owner if via_am else self.pick(self.desk)
        at = self.moment(plan.accepted_on)
        subject = f"{product.name_zh}开通（{SlaClass(plan.sla_class).label}）"
        request = self.open_request(
            account, RequestKind.ORDER, subject, at, opener,
            status=RequestStatus.IN_PROGRESS, channel="am" if via_am else "phone",
        )  # fmt: skip
        number = circuit.number if plan.activated_on else self._new_number(circuit.number)
        order = ProvisioningOrder(
            request=request, account=account, product=product, sla_class=plan.sla_class,
            sla_level=circuit.sla_level, working_days=policy.working_days,
            price_factor=policy.price_factor, compensation_rate=policy.compensation_rate,
            one_time_fee=(product.list_one_time_fee * policy.price_factor).quantize(CENT),
            monthly_fee=circuit.monthly_fee, circuit_number=number,
            bandwidth_mbps=circuit.bandwidth_mbps, a_end=circuit.a_end, z_end=circuit.z_end,
            accepted_on=plan.accepted_on, deadline=due.date, deadline_provisional=due.provisional,
            created_at=at, updated_at=at,
        )  # fmt: skip
        self.orders.append(order)
        if plan.cancelled_on is not None:
            when = self.moment(plan.cancelled_on, after=at)
            _set(order, status=OrderStatus.CANCELLED, version=2, updated_at=when)
            self.move(request, when, opener, RequestStatus.CANCELLED, "客户取消需求")
        elif plan.activated_on is not None:
            self._activate(order, plan, plan.activated_on, after=at)

    def _activate(
        self, order: ProvisioningOrder, plan: OrderPlan, day: dt.date, *, after: dt.datetime
    ) -> None:
        """`order_activate`: the circuit, the days late, the draft form of a late activation,
        the delivery task of a key account's headquarters, the callback event."""
        at, ops, circuit = self.moment(day, after=after), self.pick(self.ops), plan.circuit
        late = self.calendar.working_days_after(order.deadline, day).days
        circuit.activated_on = day
        self.redated.append(circuit)
        _set(order, status=OrderStatus.ACTIVATED, activated_on=day, working_days_late=late,
             service=circuit, version=2, updated_at=at)  # fmt: skip
        self.move(
            order.request, at, ops, RequestStatus.RESOLVED, f"已开通，电路号 {circuit.number}"
        )
        self.maybe_close(order.request)
        what = f"{order.product.name_zh} {circuit.number}"
        self.audit(order, order.account, at, ops,
                   f"{what} 开通，超时 {late} 个工作日" if late else f"{what} 按时开通")  # fmt: skip
        if late:
            self._form(order, plan, at)
        if delivery_needed(order.account):
            self._delivery(order, plan, at)
        event = CallEvent(order.account, at, CallbackReason.ACTIVATION, order=order)
        event.force_open = plan.callback_open
        self.calls.append(event)

    def _new_number(self, like: str) -> str:
        prefix = like.rsplit("-", 1)[0]
        while True:
            number = f"{prefix}-{self.rng.randrange(10**7):07d}"
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def _form(self, order: ProvisioningOrder, plan: OrderPlan, at: dt.datetime) -> None:
        """`compensation_draft`, then as far as its age has taken it: confirmed by operations
        (naming the segment), signed by the customer (recorded by the AM), settled as a
        billing credit by the head; or void: the customer caused the delay."""
        days_late = order.working_days_late or 0
        fee, rate = order.one_time_fee, order.compensation_rate
        amount, capped = compensation_for(rate=rate, days_late=days_late, fee=fee)
        form = CompensationForm(
            number="", order=order, account=order.account, one_time_fee=fee, rate=rate,
            working_days_late=days_late, amount=amount, capped=capped, created_at=at, updated_at=at,
        )  # fmt: skip
        self.forms.append(form)
        account, ops, day = order.account, self.pick(self.ops), at.date()
        if plan.form_void or (plan.form_days is None and self.chance(VOID_SHARE)):
            void = self.add_wd(day, self.rng.randint(1, 5))
            if void <= self.today:
                when = self.moment(void, after=at)
                _set(form, status=CompensationStatus.VOID, void_reason=VOID_REASON, version=2,
                     updated_at=when)  # fmt: skip
                self.audit(
                    form, account, when, ops, lambda: f"赔付单 {form.number} 作废：{VOID_REASON}"
                )
            return
        if plan.form_days is not None:
            confirm, sign, settle = plan.form_days
        else:
            confirm = self.add_wd(day, self.rng.randint(1, 6))
            sign = self.add_wd(confirm, self.rng.randint(2, 10))
            settle = self.add_wd(sign, self.rng.randint(3, 15))
        if confirm is None or confirm > self.today:
            return
        when = self.moment(confirm, after=at)
        segment = self.pick(list(FINDINGS))
        _set(form, status=CompensationStatus.CONFIRMED, responsible_segment=segment,
             finding=FINDINGS[segment], confirmed_by=ops, confirmed_at=when, version=2,
             updated_at=when)  # fmt: skip
        _set(order, responsible_segment=segment, version=order.version + 1)
        label = ResponsibleSegment(segment).label
        self.audit(form, account, when, ops, lambda: f"运维确认赔付单 {form.number}（{label}）")
        if sign is None or sign > self.today:
            return
        when = self.moment(sign, after=when)
        _set(form, status=CompensationStatus.SIGNED, customer_signatory=self.contact(account)[0],
             signed_on=sign, signature_scan=SCAN, signed_by=account.owner, version=3,
             updated_at=when)  # fmt: skip
        self.audit(form, account, when, account.owner, lambda: f"客户签字确认赔付单 {form.number}")
        if settle is None or settle > self.today:
            return
        when, month = self.moment(settle, after=when), settle.replace(day=1)
        credit = BillingCredit(account=account, month=month, amount=amount, reason=CREDIT_REASON,
                               created_at=when, created_by=self.head)  # fmt: skip
        self.credits.append(credit)
        _set(form, status=CompensationStatus.SETTLED, settled_by=self.head, settled_at=when,
             credit=credit, version=4, updated_at=when)  # fmt: skip
        self.audit(form, account, when, self.head,
                   lambda: f"赔付单 {form.number} 结算：{month:%Y-%m} 账期减免 {amount} 元")  # fmt: skip

    def _delivery(self, order: ProvisioningOrder, plan: OrderPlan, at: dt.datetime) -> None:
        """`delivery_open`, then the AM's delivery (mostly within the 3 working days) and
        the customer's confirmation, which is the billing start, when their day has come."""
        account, activated = order.account, at.date()
        due = self.calendar.add_working_days(activated, DELIVERY_WORKING_DAYS)
        task = DeliveryTask(order=order, account=account, owner=account.owner, due_on=due.date,
                            due_provisional=due.provisional, created_at=at, updated_at=at)  # fmt: skip
        self.deliveries.append(task)
        after = self.rng.randint(4, 6) if self.chance(0.06) else self.rng.randint(0, 3)
        delivered = self.add_wd(activated, after)
        if plan.delivery_pending or delivered > self.today:
            return
        when = self.moment(delivered, after=at)
        _set(task, status=DeliveryStatus.DELIVERED, delivered_on=delivered, version=2,
             updated_at=when)  # fmt: skip
        self.audit(task, account, when, account.owner, f"交付资料已送达（{delivered}）")
        confirmed = self.add_wd(delivered, self.rng.randint(0, 4))
        if confirmed > self.today:
            return
        when, who = self.moment(confirmed, after=when), self.contact(account)[0]
        _set(task, status=DeliveryStatus.CONFIRMED, confirmed_on=confirmed, confirmed_by_name=who,
             billing_start_on=confirmed, version=3, updated_at=when)  # fmt: skip
        self.audit(task, account, when, account.owner, f"客户 {who} 确认交付，起租日期 {confirmed}")

    # --- faults -------------------------------------------------------------------------

    def _faults(self, scale: float) -> None:
        """Faults at FAULTS_PER_CIRCUIT_YEAR on every circuit in use (one at a time on a
        circuit), then a few reported in the last hours that are still being worked."""
        pool = [s for s in self.fault_circuits if s.pk not in self.reserved]
        self.rng.shuffle(pool)
        settled = self.today - dt.timedelta(days=7)
        fresh = [s for s in pool if s.activated_on < settled][: max(4, round(OPEN_FAULTS * scale))]
        quiet = {s.pk for s in fresh}  # their history ends two days ago
        start = dt.datetime.combine(self.start, dt.time(), tzinfo=self.tz)
        for circuit in pool:
            first = max(self.start, circuit.activated_on + dt.timedelta(days=1))
            span = (self.today - first).days
            if span <= 0:
                continue
            count = _poisson(self.rng, FAULTS_PER_CIRCUIT_YEAR * span / 365)
            days = sorted(first + dt.timedelta(days=self.rng.randrange(span)) for _ in range(count))
            until = self.now - dt.timedelta(days=2) if circuit.pk in quiet else self.now
            free_from = start
            for day in days:
                hour = self.rng.choices(range(24), weights=FAULT_HOURS)[0]
                at = dt.datetime.combine(day, dt.time(hour, self.rng.randrange(60)), tzinfo=self.tz)
                if free_from <= at < until:
                    fault = self._fault(circuit, at)
                    free_from = (fault.restored_at or self.now) + dt.timedelta(hours=1)
        ages = (1, 40, 120, 300, 540, 1600)  # minutes since the report: just in ... overdue
        for index, circuit in enumerate(fresh):
            age = ages[index % len(ages)]
            at = self.now - dt.timedelta(minutes=age + self.rng.randint(0, age // 8))
            self._fault(circuit, at, still_open=True, pause=index % 3 == 2)

    def _fault(
        self,
        circuit: ServiceInUse,
        at: dt.datetime,
        *,
        still_open: bool = False,
        pause: bool | None = None,
        down: float | None = None,
    ) -> FaultTicket:
        """`fault_report`, `fault_respond`, `fault_pause`/`fault_resume`, `fault_restore` as
        far as now; `down`: the minutes the restoration clock runs (`_down` draws them)."""
        account, policy = circuit.account, self.fault_policies[circuit.sla_level]
        late_answer = self.chance(0.08)
        response = policy.response_minutes * self.rng.uniform(
            *((1, 3) if late_answer else (0.15, 1))
        )
        if still_open:
            down = (self.now - at).total_seconds() / 60 + self.rng.uniform(60, 600)
        down = max(down or self._down(policy), response + 5)
        responded = at + dt.timedelta(minutes=response)
        waits = self.chance(0.12) if pause is None else pause
        wait = self.rng.uniform(20, 180) if waits else 0.0
        wait_from = responded + dt.timedelta(minutes=(down - response) * self.rng.uniform(0.1, 0.6))
        if still_open and wait:  # waiting on the customer right now
            wait_from = max(responded, min(wait_from, self.now - dt.timedelta(minutes=5)))
            wait = (self.now - wait_from).total_seconds() / 60 + self.rng.uniform(30, 240)
        affecting = self.chance(0.8)
        channel, opener = self._reporter(account)
        subject = (
            f"{circuit.number} {self.pick(FAULT_SUBJECTS if affecting else DEGRADED_SUBJECTS)}"
        )
        request = self.open_request(
            account, RequestKind.FAULT, subject, at, opener, channel=channel
        )
        key = account.segment == Segment.KEY
        fault = FaultTicket(
            request=request, account=account, service=circuit, sla_level=circuit.sla_level,
            priority=fault_priority(star_level=account.star_level, sla_level=circuit.sla_level, key_account=key),
            response_minutes=policy.response_minutes, restore_minutes=policy.restore_minutes,
            service_affecting=affecting, reported_at=at, created_at=at, updated_at=at,
        )  # fmt: skip
        self.faults.append(fault)
        worker = self.pick(self.ops)
        if responded > self.now:
            return fault
        _set(
            fault,
            status=FaultStatus.RESPONDED,
            responded_at=responded,
            version=2,
            updated_at=responded,
        )
        self.move(request, responded, worker, RequestStatus.IN_PROGRESS, "已响应")
        if wait and wait_from <= self.now:
            reason, wait_to = self.pick(PAUSE_REASONS), wait_from + dt.timedelta(minutes=wait)
            ended = wait_to if wait_to <= self.now else None
            self.pauses.append((fault, wait_from, ended, reason, worker))
            self.move(request, wait_from, worker, RequestStatus.WAITING_CUSTOMER, reason)
            _set(fault, version=fault.version + 1, updated_at=wait_from)
            if ended is None:
                _set(fault, status=FaultStatus.WAITING_CUSTOMER, paused_since=wait_from)
                return fault
            self.move(request, ended, worker, RequestStatus.IN_PROGRESS, "恢复计时")
            _set(fault, paused_seconds=int(wait * 60), version=fault.version + 1, updated_at=ended)
        restored = at + dt.timedelta(minutes=down + wait)
        if restored > self.now:
            return fault
        cause = self.pick(CAUSES)
        _set(fault, status=FaultStatus.RESTORED, restored_at=restored, cause=cause,
             version=fault.version + 1, updated_at=restored)  # fmt: skip
        if affecting:
            self.outages.append((fault, at, restored, fault.paused_seconds // 60))
        self.move(request, restored, worker, RequestStatus.RESOLVED, f"已修复：{cause}")
        self.maybe_close(request)
        self.calls.append(CallEvent(account, restored, CallbackReason.FAULT_REPAIR, fault=fault))
        self.audit(fault, account, restored, worker, f"电路 {circuit.number} 故障修复：{cause}")
        return fault

    def _down(self, policy: FaultPolicy) -> float:
        """Most outages stay within what the month's availability allows, some go past it
        (the circuit misses its month), a few past the restoration target."""
        allowance = float(100 - policy.availability_pct) / 100 * MINUTES_PER_MONTH
        roll = self.rng.random()
        if roll < 0.80:
            return self.rng.uniform(0.15, 0.9) * allowance
        if roll < 0.95:
            return self.rng.uniform(1.2 * allowance, 0.9 * policy.restore_minutes)
        return self.rng.uniform(1.05, 2.5) * policy.restore_minutes

    def _reporter(self, account: Account) -> tuple[str, User]:
        roll = self.rng.random()
        if roll < 0.3:
            return "monitoring", self.pick(self.ops)
        if roll < 0.9:
            return "phone", self.pick(self.desk)
        return "am", account.owner

    # --- the other three kinds ------------------------------------------------------------

    def _other_requests(self, scale: float) -> None:
        weights = [3.0 if a.segment == Segment.KEY else 1.0 for a in self.accounts]
        total = round(REQUESTS_PER_DAY * scale * len(self.workdays))
        for account in self.rng.choices(self.accounts, weights=weights, k=total):
            kind = self.rng.choices(*OTHER_KINDS)[0]
            self._other_request(account, kind, self.moment(self.pick(self.workdays)))
        for index in range(max(3, round(OPEN_REQUESTS * scale))):  # asked lately, still open
            at = self.now - dt.timedelta(minutes=self.rng.randint(10, 26 * 60))
            kind = OTHER_KINDS[0][index % 3]
            self._other_request(
                self.pick(self.accounts), kind, at, owner=self.desk[0], still_open=True
            )

    def _other_request(
        self,
        account: Account,
        kind: str,
        at: dt.datetime,
        *,
        owner: User | None = None,
        still_open: bool = False,
    ) -> None:
        """`request_open`, then `request_transition` as far as now."""
        if owner is None:
            tech = kind == RequestKind.TECH_SUPPORT and self.chance(0.5)
            owner = self.pick(self.ops if tech else self.desk)
        channel = self.rng.choices(("phone", "email", "am"), weights=(0.6, 0.2, 0.2))[0]
        opener = account.owner if channel == "am" else owner
        subject = self.pick(SUBJECTS[kind])
        request = self.open_request(
            account, kind, subject, at, opener, channel=channel, owner=owner
        )
        hours = self.rng.uniform(*HOURS_TO_RESOLVE[kind])
        if still_open:
            hours = (self.now - at).total_seconds() / 3600 + self.rng.uniform(2, 72)
        started = at + dt.timedelta(minutes=self.rng.randint(5, 120))
        if (still_open and self.chance(0.3)) or started > self.now:
            return  # not picked up yet
        self.move(request, started, owner, RequestStatus.IN_PROGRESS, "开始处理")
        if not still_open and self.chance(0.03):
            cancelled = started + dt.timedelta(hours=self.rng.uniform(1, 48))
            if cancelled <= self.now:
                self.move(
                    request, cancelled, owner, RequestStatus.CANCELLED, "客户撤销", audit=True
                )
            return
        resolved = max(at + dt.timedelta(hours=hours), started + dt.timedelta(minutes=10))
        waits = self.chance(0.15) or (still_open and self.chance(0.4))
        if kind != RequestKind.CONSULTATION and waits:
            waiting = started + (resolved - started) * self.rng.uniform(0.1, 0.5)
            if waiting > self.now:
                return
            self.move(request, waiting, owner, RequestStatus.WAITING_CUSTOMER, "等待客户提供资料")
            back = waiting + (resolved - waiting) * self.rng.uniform(0.3, 0.8)
            if back > self.now:
                return
            self.move(request, back, owner, RequestStatus.IN_PROGRESS, "客户已补充资料")
        if resolved <= self.now:
            self.move(
                request, resolved, owner, RequestStatus.RESOLVED, RESOLUTIONS[kind], audit=True
            )
            self.maybe_close(request)

    # --- callbacks ----------------------------------------------------------------------

    def _callbacks(self) -> None:
        """`callback_event_add` in the order things happened, account by account: an event
        joins the account's open call (then due by the earliest due date) or opens one; the
        desk rings within the due date most of the time (`callback_record`)."""
        per_account: dict[int, list[CallEvent]] = defaultdict(list)
        for event in self.calls:
            per_account[event.account.pk].append(event)
        for account_pk in sorted(per_account):
            call: OpenCall | None = None
            for event in sorted(per_account[account_pk], key=lambda e: e.at):
                due = event.day + dt.timedelta(days=CALLBACK_DAYS[event.reason])
                if call is not None and (call.planned is None or event.at < call.planned):
                    if due < call.callback.due_on:
                        call.callback.due_on = due
                        if call.planned and call.planned.date() > due and self.chance(0.9):
                            call.planned = self._call_at(event.at, due, late=False)
                else:
                    if call is not None:
                        self._call(call)
                    callback = Callback(account=event.account, opened_on=event.day, due_on=due,
                                        created_at=event.at, updated_at=event.at)  # fmt: skip
                    self.callbacks.append(callback)
                    planned = self._call_at(event.at, due, late=self.chance(LATE_CALL_SHARE))
                    call = OpenCall(callback, planned, event.at)
                call.last_at = event.at
                if event.force_open:
                    call.planned = None
                elif event.force is not None:
                    call.planned = self.moment(event.force[0], after=event.at)
                    call.outcome, call.follow_up_open = event.force[1], True
                self.items.append((call.callback, event, due))
            if call is not None:
                self._call(call)

    def _call_at(self, at: dt.datetime, due: dt.date, *, late: bool) -> dt.datetime | None:
        first = timezone.localdate(at)
        if late:
            day = due + dt.timedelta(days=self.rng.randint(1, 10))
        else:  # early in the window more often than late in it
            span = (due - first).days
            day = first + dt.timedelta(
                days=min(self.rng.randint(0, span), self.rng.randint(0, span))
            )
        if day > self.today:
            return None
        return self.moment(day, after=at + dt.timedelta(minutes=30))

    def _call(self, call: OpenCall) -> None:
        """The call is made, if its time has come; a dissatisfied customer goes to the AM."""
        callback, at = call.callback, call.planned
        if at is None or at > self.now or at < call.last_at:
            return
        outcome = call.outcome or self.rng.choices(*OUTCOMES)[0]
        account, caller = callback.account, self.pick(self.desk)
        reached = outcome != CallbackOutcome.UNREACHABLE
        _set(callback, status=CallbackStatus.DONE, done_at=at, done_by=caller, outcome=outcome,
             contact_name=self.contact(account)[0] if reached else "", notes=CALL_NOTES[outcome],
             version=2, updated_at=at)  # fmt: skip
        label = CallbackOutcome(outcome).label
        self.audit(callback, account, at, caller, f"回访：{label}（{callback.notes}）")
        if outcome != CallbackOutcome.DISSATISFIED:
            return
        day = timezone.localdate(at)
        follow_up = FollowUp(callback=callback, account=account, owner=account.owner,
                             due_on=self.add_wd(day, FOLLOW_UP_WORKING_DAYS), opened_at=at,
                             created_at=at, updated_at=at)  # fmt: skip
        self.follow_ups.append(follow_up)
        closed = self.add_wd(day, self.rng.randint(1, 5))
        if call.follow_up_open or closed > self.today:
            return
        when = self.moment(closed, after=at)
        _set(follow_up, status=FollowUpStatus.CLOSED, resolution=FOLLOW_UP_DONE, closed_at=when,
             version=2, updated_at=when)  # fmt: skip
        self.audit(follow_up, account, when, account.owner, f"不满意回访已跟进：{FOLLOW_UP_DONE}")

    # --- what the demo logins find today --------------------------------------------------

    def _showcase(self) -> None:
        """Pinned cases, whatever the scale: forms for `am_finance` to sign, deliveries to
        make and a follow-up to lead; signed forms for `head` to settle; draft forms and
        open orders (two late, two due within two working days) for `ops`; open callbacks
        for `desk`, one of them overdue; and one form in each of the other statuses."""
        am = self.am_finance.pk
        own = [s for s in self.circuits if s.account.owner_id == am and delivery_needed(s.account)]
        others = [s for s in self.circuits if s.account.owner_id != am]
        if not own or len(others) < 8:
            return
        self.rng.shuffle(others)

        def take(*, mine: bool) -> ServiceInUse:
            circuit = (own if mine and own else others).pop()
            self.reserved.add(circuit.pk)
            return circuit

        def order(
            mine: bool, sla_class: str, back: int, late: int | None = None, **plan: Any
        ) -> None:
            """Activated `back` working days ago and `late` working days late (None: on
            time), or still open with its deadline `back` working days ago (`open`)."""
            circuit = take(mine=mine)
            days = self.policies[(circuit.product_id, sla_class)].working_days
            if plan.pop("open", False):
                self._order(OrderPlan(circuit, sla_class, self.wd(back + days)))
            elif late is None:
                self._order(OrderPlan(circuit, sla_class, self.wd(back + days // 2),
                                      activated_on=self.wd(back), **plan))  # fmt: skip
            else:
                self._order(OrderPlan(circuit, sla_class, self.wd(back + late + days),
                                      activated_on=self.wd(back), **plan))  # fmt: skip

        wd, normal, urgent, special = self.wd, SlaClass.NORMAL, SlaClass.URGENT, SlaClass.SPECIAL
        order(True, normal, 6, 4, form_days=(wd(2), None, None))  # am_finance signs
        order(True, urgent, 9, 2, form_days=(wd(4), None, None))
        order(True, normal, 1, delivery_pending=True, callback_open=True)  # am_finance delivers
        order(True, normal, 0, delivery_pending=True, callback_open=True)
        order(True, normal, 30, 3, form_days=(wd(26), wd(5), None))  # head settles
        order(False, special, 40, 5, form_days=(wd(35), wd(8), None))
        order(False, normal, 1, 1, form_days=(None, None, None))  # ops confirms
        order(False, urgent, 2, 5, form_days=(None, None, None))
        order(False, normal, 60, 2, form_days=(wd(56), wd(50), wd(40)))  # settled
        order(False, normal, 20, 6, form_void=True)  # void
        order(True, normal, 3, open=True)  # open, 3 working days late
        order(False, urgent, 1, open=True)  # open, 1 working day late
        order(False, normal, -1, open=True)  # open, due on the next working day
        order(True, special, -2, open=True)  # open, due in two working days
        # A fault of an am_finance account repaired, the customer unhappy on the call; and
        # a repair five days ago the desk has not called about yet (overdue).
        for mine, repaired, force in ((True, wd(3), (wd(2), CallbackOutcome.DISSATISFIED)),
                                      (False, self.today - dt.timedelta(days=5), None)):  # fmt: skip
            circuit = next((s for s in self.fault_circuits
                            if (s.account.owner_id == am) == mine and s.pk not in self.reserved), None)  # fmt: skip
            if circuit is None:
                continue
            self.reserved.add(circuit.pk)
            fault = self._fault(circuit, self.moment(repaired), pause=False, down=90.0)
            if fault.status == FaultStatus.RESTORED:
                self.calls[-1].force, self.calls[-1].force_open = force, force is None

    # --- writing ------------------------------------------------------------------------

    def _number(self) -> dict[str, int]:
        """SR/PF + the day + a four-digit count per day, in the order things happened."""
        last: dict[str, int] = defaultdict(int)

        def number(prefix: str, at: dt.datetime) -> str:
            stem = f"{prefix}{timezone.localdate(at):%Y%m%d}"
            last[stem] += 1
            return f"{stem}{last[stem]:04d}"

        for request in sorted(self.requests, key=lambda r: r.opened_at):
            request.number = number("SR", request.opened_at)
        for form in sorted(self.forms, key=lambda f: f.created_at):
            form.number = number("PF", form.created_at)
            if form.credit is not None:
                form.credit.reference = form.number
        return last

    def write(self) -> dict[str, int]:
        last = self._number()
        _execute(
            f"UPDATE {_table(ServiceInUse)} SET {_column(ServiceInUse, 'activated_on')} = %s "  # noqa: S608 - names from model meta
            f"WHERE {_column(ServiceInUse, 'id')} = %s",
            [(connection.ops.adapt_datefield_value(s.activated_on), s.pk) for s in self.redated],
        )
        _bulk(ServiceRequest, self.requests)
        _bulk(ProvisioningOrder, self.orders)
        _bulk(BillingCredit, self.credits)
        _bulk(CompensationForm, self.forms)
        _bulk(DeliveryTask, self.deliveries)
        _bulk(FaultTicket, self.faults)
        _bulk(Callback, self.callbacks)
        _bulk(FollowUp, self.follow_ups)
        # The live app numbers on from here: each day's counter at the highest number used.
        NumberSequence.objects.bulk_create(
            [NumberSequence(name=name, value=value) for name, value in last.items()],
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["name"],
            update_fields=["value"],
        )
        _insert(RequestEvent, ("request", "at", "actor", "actor_name", "from_status", "to_status", "note"),
                ((r.pk, at, u.pk, _name(u), a, b, note) for r, at, u, a, b, note in self.events))  # fmt: skip
        _insert(FaultPause, ("fault", "started_at", "ended_at", "reason", "started_by"),
                ((f.pk, start, end, reason, u.pk) for f, start, end, reason, u in self.pauses))  # fmt: skip
        _insert(Outage, ("service", "fault", "started_at", "ended_at", "excluded_minutes"),
                ((f.service.pk, f.pk, start, end, gap) for f, start, end, gap in self.outages))  # fmt: skip
        _insert(CallbackItem, ("callback", "reason", "order", "fault", "event_on", "due_on"),
                ((c.pk, e.reason, e.order and e.order.pk, e.fault and e.fault.pk, e.day, due)
                 for c, e, due in self.items))  # fmt: skip
        _insert(AuditEntry, ("at", "actor", "actor_name", "action", "target_type", "target_id",
                             "target_repr", "account", "summary", "changes"),
                ((at, u.pk, _name(u), action, row._meta.label_lower, str(row.pk), str(row)[:255],
                  account.pk, (s if isinstance(s, str) else s())[:500], {})
                 for row, account, at, u, action, s in self.audits))  # fmt: skip
        if self.forms and not default_storage.exists(SCAN):
            default_storage.save(SCAN, ContentFile(_scan_pdf()))
        return {
            "service_requests": len(self.requests),
            "request_events": len(self.events),
            "orders": len(self.orders),
            "orders_open": sum(o.status == OrderStatus.OPEN for o in self.orders),
            "compensation_forms": len(self.forms),
            "billing_credits": len(self.credits),
            "deliveries": len(self.deliveries),
            "faults": len(self.faults),
            "faults_open": sum(f.status != FaultStatus.RESTORED for f in self.faults),
            "fault_pauses": len(self.pauses),
            "outages": len(self.outages),
            "callbacks": len(self.callbacks),
            "callback_items": len(self.items),
            "follow_ups": len(self.follow_ups),
            "service_audit_entries": len(self.audits),
        }


def _set(row: Model, **values: Any) -> None:
    for name, value in values.items():
        setattr(row, name, value)


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's), for the small means of faults per circuit."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(_field(model, name).column)


def _bulk(model: type[M], rows: Sequence[M]) -> None:
    model._default_manager.bulk_create(rows, batch_size=BATCH)


def _insert(model: type[Model], names: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Rows of a table nothing points at, values in `names` order (ids for foreign keys),
    adapted for the backend column by column."""
    ops = connection.ops
    adapters: list[Callable[[Any], Any] | None] = []
    for name in names:
        kind = _field(model, name).get_internal_type()
        adapters.append(
            {
                "DateTimeField": ops.adapt_datetimefield_value,
                "DateField": ops.adapt_datefield_value,
                "JSONField": lambda value: ops.adapt_json_value(value, None),
            }.get(kind)
        )
    columns = ", ".join(_column(model, name) for name in names)
    sql = f"INSERT INTO {_table(model)} ({columns}) VALUES "  # noqa: S608 - names from model meta
    values = [
        tuple(v if adapt is None else adapt(v) for adapt, v in zip(adapters, row, strict=True))
        for row in rows
    ]
    one = "(" + ", ".join(["%s"] * len(names)) + ")"
    if connection.vendor == "sqlite":
        _execute(sql + one, values)  # one prepared statement over all rows, in C
        return
    with connection.cursor() as cursor:  # elsewhere a round trip per statement, not per row
        for start in range(0, len(values), BATCH):
            part = values[start : start + BATCH]
            cursor.execute(sql + ", ".join([one] * len(part)), [v for row in part for v in row])


def _execute(sql: str, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _scan_pdf() -> bytes:
    """A one-page stand-in for the scans of signed forms."""
    text = b"BT /F1 18 Tf 72 760 Td (TeleKAM demo: scan of a signed compensation form) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
