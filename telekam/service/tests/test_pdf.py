"""The printable documents: they render, and the figures on them are the right ones."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pypdf import PdfReader

from telekam.accounts.models import ServiceInUse
from telekam.accounts.tests.factories import AccountFactory, ServiceFactory, product
from telekam.billing.models import BillingCredit
from telekam.org.tests.factories import UserFactory
from telekam.service.models import (
    CompensationForm,
    DeliveryTask,
    ProvisioningOrder,
    ServiceRequest,
)
from telekam.service.pdf import (
    compensation_form_pdf,
    delivery_package_pdf,
    money,
    sla_report_pdf,
)
from telekam.service.selectors.desk import sla_report

pytestmark = pytest.mark.django_db

D = dt.date
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def pages_text(pdf: bytes) -> list[str]:
    """The text of each page with all white space removed: table cells wrap anywhere."""
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    return ["".join((page.extract_text() or "").split()) for page in reader.pages]


def squash(text: str) -> str:
    return "".join(text.split())


def make_order(account, *, number: str, circuit: str, **extra) -> ProvisioningOrder:
    request = ServiceRequest.objects.create(
        number=number, account=account, kind="order", subject="数字电路开通"
    )
    fields = {
        "request": request,
        "account": account,
        "product": product("digital_circuit"),
        "sla_class": "special",
        "working_days": 5,
        "price_factor": Decimal("1.50"),
        "compensation_rate": Decimal("0.0500"),
        "one_time_fee": Decimal("24690.00"),
        "circuit_number": circuit,
        "accepted_on": D(2026, 2, 13),
        "deadline": D(2026, 2, 27),
        "status": "activated",
        "activated_on": D(2026, 2, 28),
        "working_days_late": 1,
        "responsible_segment": "transmission",
    }
    fields.update(extra)
    return ProvisioningOrder.objects.create(**fields)


def loaded_form(pk: int) -> CompensationForm:
    return CompensationForm.objects.select_related(
        "order__product", "account", "confirmed_by", "signed_by", "settled_by", "credit"
    ).get(pk=pk)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("12345"), "¥12,345.00"),
        (Decimal("1234.5"), "¥1,234.50"),
        (Decimal("0.00"), "¥0.00"),
        (Decimal("1234567.891"), "¥1,234,567.89"),
        (Decimal("-50.00"), "-¥50.00"),
        (None, "—"),
    ],
)
def test_money_has_two_places_and_thousands_separators(value, shown):
    assert money(value) == shown


def test_settled_compensation_form_shows_its_figures_without_a_query(django_assert_num_queries):
    account = AccountFactory(name="华北能源集团有限公司", code="KA20260001")
    order = make_order(account, number="SR1", circuit="BJ-DC-000777")
    ops = UserFactory(ops=True, last_name="赵", first_name="运维")
    am = UserFactory(last_name="钱", first_name="经理")
    credit = BillingCredit.objects.create(
        account=account,
        month=D(2026, 3, 1),
        amount=Decimal("1234.50"),
        reason="开通超时赔付",
        reference="CR-PF2026000001",
    )
    form = CompensationForm.objects.create(
        number="PF2026000001",
        order=order,
        account=account,
        one_time_fee=Decimal("24690.00"),
        rate=Decimal("0.0500"),
        working_days_late=1,
        amount=Decimal("1234.50"),
        status="settled",
        responsible_segment="transmission",
        finding="传输资源调度延误一个工作日",
        confirmed_by=ops,
        confirmed_at=dt.datetime(2026, 3, 2, 10, 30, tzinfo=SHANGHAI),
        customer_signatory="孙主任",
        signed_on=D(2026, 3, 3),
        signature_scan="compensation/2026/03/PF2026000001.pdf",
        signed_by=am,
        settled_by=am,
        settled_at=dt.datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI),
        credit=credit,
    )
    form = loaded_form(form.pk)

    with django_assert_num_queries(0):
        pdf = compensation_form_pdf(form=form)

    [page] = pages_text(pdf)
    for needle in [
        "赔付单号：PF2026000001",
        "华北能源集团有限公司",
        "KA20260001",
        "数字电路",
        "BJ-DC-000777",
        "特急",
        "2026-02-13",
        "2026-02-27",
        "2026-02-28",
        "¥24,690.00",
        "5%",
        "¥1,234.50",
        "传输",
        "传输资源调度延误一个工作日",
        "赵运维",
        "2026-03-0210:30",
        "孙主任",
        "2026-03-03",
        "钱经理",
        "已结算",
        "CR-PF2026000001",
        "客户签字",
        "运维部门",
        "大客户部",
        "TeleKAM",
        "第1页",
    ]:
        assert needle in page, needle


def test_draft_form_shows_dashes_and_the_cap(django_assert_num_queries):
    account = AccountFactory(name="A&B <科技> 有限公司")
    order = make_order(
        account, number="SR2", circuit="", one_time_fee=Decimal("1000.00"), working_days_late=20
    )
    form = CompensationForm.objects.create(
        number="PF2026000002",
        order=order,
        account=account,
        one_time_fee=Decimal("1000.00"),
        rate=Decimal("0.0500"),
        working_days_late=20,
        amount=Decimal("1000.00"),
        capped=True,
    )
    form = loaded_form(form.pk)

    with django_assert_num_queries(0):
        pdf = compensation_form_pdf(form=form)

    [page] = pages_text(pdf)
    # markup characters in user text are printed, not read as markup
    assert "A&B<科技>有限公司" in page
    assert "是（免收一次性费用）" in page
    assert "¥1,000.00" in page
    assert "草稿" in page
    assert "CR-" not in page
    assert "账务减免单号—" in page


@pytest.fixture
def delivery():
    owner = UserFactory(last_name="周", first_name="经理", mobile="13800138000")
    account = AccountFactory(name="华东制造集团总部", owner=owner)
    order = make_order(account, number="SR3", circuit="SH-DC-000001")
    gold = ServiceFactory(
        account=account,
        number="SH-DC-000001",
        bandwidth_mbps=Decimal("100.000"),
        a_end="上海浦东总部机房",
        z_end="苏州工厂",
        sla_level="gold",
        activated_on=D(2026, 2, 28),
    )
    silver = ServiceFactory(account=account, number="SH-DC-000002", sla_level="silver")
    task = DeliveryTask.objects.create(
        order=order, account=account, owner=owner, due_on=D(2026, 3, 4), delivered_on=D(2026, 3, 2)
    )
    task = DeliveryTask.objects.select_related("account", "owner").get(pk=task.pk)
    services = list(
        ServiceInUse.objects.select_related("product")
        .filter(pk__in=[gold.pk, silver.pk])
        .order_by("number")
    )
    return task, services


def test_delivery_package_has_letter_list_card_and_guide(delivery, django_assert_num_queries):
    task, services = delivery

    with django_assert_num_queries(0):
        pdf = delivery_package_pdf(
            task=task,
            services=services,
            hotline="400-800-1000",
            commitments={"gold": ("99.95", 15, 240)},
        )

    letter, listing, card, guide = pages_text(pdf)
    for needle in ["尊敬的华东制造集团总部", "2条电路", "周经理", "13800138000", "2026-03-02"]:
        assert needle in letter, needle
    for needle in [
        "SH-DC-000001",
        "SH-DC-000002",
        "数字电路",
        "100Mbps",
        "上海浦东总部机房",
        "苏州工厂",
        "2026-02-28",
        "金牌",
        "银牌",
    ]:
        assert needle in listing, needle
    for needle in ["金牌≥99.95%15分钟4小时1", "银牌按合同约定", "400-800-1000"]:
        assert needle in card, needle
    assert "铜牌" not in card
    for needle in ["400-800-1000", "CPE", "网线", "重启", "电路编号", "确认后即为起租日期"]:
        assert needle in guide, needle
    assert all("第" in page for page in (letter, listing, card, guide))
    assert "第4页" in guide


def test_confirmed_delivery_prints_who_confirmed(delivery):
    task, services = delivery
    task.confirmed_by_name = "吴总监"
    task.confirmed_on = D(2026, 3, 3)
    task.billing_start_on = D(2026, 3, 3)

    guide = pages_text(delivery_package_pdf(task=task, services=services, hotline="10000"))[-1]

    assert "客户确认人（签字）：吴总监" in guide
    assert "起租日期：2026-03-03" in guide


@dataclass(frozen=True)
class Circuit:
    service: ServiceInUse
    sla_level: str
    sla_level_label: str
    minutes_in_month: int
    outage_minutes: int
    excluded_minutes: int
    availability_pct: Decimal
    target_pct: Decimal
    met: bool
    credit: Decimal


@dataclass(frozen=True)
class OrderRow:
    order: ProvisioningOrder
    on_time: bool | None
    working_days_late: int | None
    compensation: Decimal | None


@dataclass(frozen=True)
class Report:
    account: object
    month: dt.date
    circuits: list[Circuit]
    orders: list[OrderRow]
    faults_count: int
    orders_due: int
    orders_on_time: int
    compensation_total: Decimal
    credit_total: Decimal


def test_sla_report_shows_the_month_of_one_account():
    account = AccountFactory(name="西南金融控股集团", code="KA20269999")
    good = ServiceFactory(account=account, number="CD-DC-000001", sla_level="gold")
    bad = ServiceFactory(account=account, number="CD-DC-000002", sla_level="silver")
    late = make_order(account, number="SR4", circuit="CD-DC-000003")
    on_time = make_order(
        account, number="SR5", circuit="CD-DC-000004", activated_on=D(2026, 2, 27),
        working_days_late=0,
    )  # fmt: skip
    open_order = make_order(
        account, number="SR6", circuit="CD-DC-000005", status="open", activated_on=None,
        working_days_late=None,
    )  # fmt: skip
    report = Report(
        account=account,
        month=D(2026, 3, 1),
        circuits=[
            Circuit(good, "gold", "金牌", 44640, 0, 0, Decimal("100.000"), Decimal("99.950"),
                    True, Decimal("0.00")),
            Circuit(bad, "silver", "银牌", 44640, 180, 30, Decimal("99.664"), Decimal("99.900"),
                    False, Decimal("280.00")),
        ],
        orders=[
            OrderRow(late, False, 1, Decimal("1234.50")),
            OrderRow(on_time, True, 0, Decimal("0.00")),
            OrderRow(open_order, None, None, None),
        ],
        faults_count=3,
        orders_due=2,
        orders_on_time=1,
        compensation_total=Decimal("1234.50"),
        credit_total=Decimal("280.00"),
    )  # fmt: skip

    [page] = pages_text(sla_report_pdf(report=report))

    for needle in [
        "SLA服务月报",
        "西南金融控股集团2026年03月",
        "KA20269999",
        "故障次数3",
        "电路数2",
        "可用率达标电路1",
        "到期开通工单2",
        "按时开通1",
        "按时开通率50.0%",
        "开通超时赔付合计¥1,234.50",
        "可用率减免合计¥280.00",
        "CD-DC-000001",
        "100.000%",
        "99.95%",
        "CD-DC-000002",
        "银牌18030",
        "99.664%",
        "99.9%",
        "¥280.00",
        "CD-DC-000003",
        "¥1,234.50",
        "CD-DC-000005",
        "未开通",
    ]:
        assert needle in page, needle


def test_sla_report_of_a_quiet_month_says_so():
    account = AccountFactory(name="空白客户")
    report = Report(
        account=account,
        month=D(2026, 1, 1),
        circuits=[],
        orders=[],
        faults_count=0,
        orders_due=0,
        orders_on_time=0,
        compensation_total=Decimal("0.00"),
        credit_total=Decimal("0.00"),
    )

    [page] = pages_text(sla_report_pdf(report=report))

    assert "2026年01月" in page
    assert "按时开通率—" in page
    assert "本月无在用电路" in page
    assert "本月无到期开通工单" in page


def test_sla_report_of_the_selector_renders():
    # the real report of the selector has the shape the PDF reads
    account = AccountFactory(name="东北交通物流集团")
    ServiceFactory(account=account, number="SY-DC-000001", sla_level="gold")
    make_order(account, number="SR7", circuit="SY-DC-000002", deadline=D(2026, 3, 20),
               accepted_on=D(2026, 3, 13), activated_on=D(2026, 3, 19), working_days_late=0)  # fmt: skip
    report = sla_report(account=account, month=D(2026, 3, 1), today=D(2026, 4, 1))

    [page] = pages_text(sla_report_pdf(report=report))

    for needle in ["东北交通物流集团2026年03月", "SY-DC-000001", "100.000%", "SY-DC-000002"]:
        assert needle in page, needle
