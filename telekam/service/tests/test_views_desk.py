"""The desk's pages: queue, opening orders and faults, the request page with its SLA clock,
compensation forms step by step, the SLA report, and the account page's service tab."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from telekam.accounts.models import Segment
from telekam.accounts.tests.factories import AccountFactory, ServiceFactory
from telekam.billing.models import BillingCredit
from telekam.core import clock
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory, group
from telekam.service import services
from telekam.service.models import CompensationForm, CompensationStatus, OrderStatus
from telekam.service.tests.factories import aware, order, scan

pytestmark = pytest.mark.django_db

D = dt.date


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def people():
    am = UserFactory()
    return {
        "am": am,
        "other_am": UserFactory(group=group("enterprise")),
        "ops": UserFactory(ops=True),
        "desk": UserFactory(desk=True),
        "head": UserFactory(head=True),
    }


@pytest.fixture
def late_order(people):
    """A normal digital circuit accepted 2026-09-21, due 2026-10-26 (National Day counted
    out), activated 2026-10-28: two working days late, 2% x 2 x 10,000 = 400.00."""
    account = AccountFactory(owner=people["am"], level="hq", star_level=4)
    o = order(
        actor=people["am"], account=account, accepted_on=D(2026, 9, 21), circuit_number="BJ-1"
    )
    return o


def test_queue_lists_key_accounts_first_by_star_level(people):
    desk = people["desk"]
    plain = AccountFactory(owner=people["am"], segment=Segment.COMMERCIAL, star_level=5, grade=None)
    two = AccountFactory(owner=people["am"], star_level=2)
    five = AccountFactory(owner=people["am"], star_level=5)
    with clock.frozen(aware(D(2026, 11, 2))):
        for account in (plain, two, five):
            services.request_open(actor=desk, account=account, kind="consultation", subject="咨询")
        response = login(desk).get(reverse("service:queue"))
    assert response.status_code == 200
    names = [row["r"].account.name for row in response.context["items"]]
    assert names == [five.name, two.name, plain.name]


def test_queue_runs_a_bounded_number_of_queries(people, django_assert_max_num_queries):
    desk = people["desk"]
    account = AccountFactory(owner=people["am"])
    service = ServiceFactory(account=account)
    client = login(desk)

    def fill(n: int) -> None:
        with clock.frozen(aware(D(2026, 11, 2))):
            for _ in range(n):
                order(actor=desk, account=account, accepted_on=D(2026, 10, 20))
                services.fault_report(actor=desk, account=account, service=service, subject="断")

    fill(2)
    with django_assert_max_num_queries(14) as small:
        assert client.get(reverse("service:queue")).status_code == 200
    fill(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("service:queue")).status_code == 200


def test_an_am_of_another_group_sees_nothing(people, late_order):
    client = login(people["other_am"])
    assert (
        client.get(reverse("service:request_detail", args=[late_order.request_id])).status_code
        == 404
    )
    assert list(client.get(reverse("service:queue")).context["items"]) == []
    form_url = reverse("service:order_activate", args=[late_order.pk])
    assert client.post(form_url, {"activated_on": "2026-10-28", "version": 1}).status_code == 404


def test_order_form_computes_the_deadline(people):
    account = AccountFactory(owner=people["am"])
    client = login(people["am"])
    with clock.frozen(aware(D(2026, 9, 21))):
        response = client.post(
            reverse("service:order_new") + f"?account={account.pk}",
            {
                "product": "ddn",
                "sla_class": "special",
                "accepted_on": "2026-09-21",
                "monthly_fee": "800",
                "sla_level": "gold",
                "channel": "am",
            },
        )
    assert response.status_code == 302
    created = account.provisioning_orders.get()
    # special DDN: 8 working days after 2026-09-21 -> 2026-10-09 across National Day
    # (Oct 1-7 off; Sunday 9-27 is a make-up working day)
    assert created.deadline == D(2026, 10, 9)
    assert created.one_time_fee == Decimal(
        "0.00"
    ) * 0 + created.product.list_one_time_fee * Decimal("1.50")


def test_order_form_errors_never_500(people):
    account = AccountFactory(owner=people["am"])
    client = login(people["am"])
    url = reverse("service:order_new") + f"?account={account.pk}"
    for data in (
        {"product": "nope", "sla_class": "normal", "accepted_on": "2026-09-21"},
        {"product": "ddn", "sla_class": "x", "accepted_on": "2026-13-01"},
        {"product": "ddn", "sla_class": "normal", "accepted_on": "2099-01-01", "monthly_fee": "1"},
        {
            "product": "ddn",
            "sla_class": "normal",
            "accepted_on": "2026-01-01",
            "one_time_fee": "-5",
        },
    ):
        assert client.post(url, {**data, "channel": "am"}).status_code == 200
    assert account.provisioning_orders.count() == 0


def test_request_page_shows_deadline_and_compensation_so_far(people, late_order):
    client = login(people["ops"])
    with clock.frozen(aware(D(2026, 10, 28))):
        page = client.get(reverse("service:request_detail", args=[late_order.request_id]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "2026-10-26" in body
    assert page.context["standing"].working_days_late == 2
    assert page.context["standing"].compensation == Decimal("400.00")
    assert "activate_form" in page.context


def test_activating_late_opens_the_compensation_form(people, late_order):
    client = login(people["ops"])
    with clock.frozen(aware(D(2026, 10, 28))):
        response = client.post(
            reverse("service:order_activate", args=[late_order.pk]),
            {"activated_on": "2026-10-28", "circuit_number": "BJ-1", "version": late_order.version},
        )
    assert response.status_code == 302
    late_order.refresh_from_db()
    assert late_order.status == OrderStatus.ACTIVATED
    form = CompensationForm.objects.get(order=late_order)
    assert (form.working_days_late, form.amount, form.status) == (2, Decimal("400.00"), "draft")


def test_only_operations_activates(people, late_order):
    for who in ("am", "desk", "head"):
        response = login(people[who]).post(
            reverse("service:order_activate", args=[late_order.pk]),
            {"activated_on": "2026-10-28", "version": late_order.version},
        )
        assert response.status_code == 403
    late_order.refresh_from_db()
    assert late_order.status == OrderStatus.OPEN


def test_a_stale_page_does_not_overwrite(people, late_order):
    client = login(people["ops"])
    url = reverse("service:order_activate", args=[late_order.pk])
    with clock.frozen(aware(D(2026, 10, 28))):
        assert client.post(url, {"activated_on": "2026-10-27", "version": 1}).status_code == 302
        again = client.post(url, {"activated_on": "2026-10-28", "version": 1})
    assert again.status_code == 400
    late_order.refresh_from_db()
    assert late_order.activated_on == D(2026, 10, 27)


def _activated_form(people, late_order) -> CompensationForm:
    with clock.frozen(aware(D(2026, 10, 28))):
        services.order_activate(
            actor=people["ops"], order=late_order, activated_on=D(2026, 10, 28), expected_version=1
        )
    return CompensationForm.objects.get(order=late_order)


def test_compensation_form_steps_each_by_its_role(people, late_order):
    form = _activated_form(people, late_order)
    url = lambda action: reverse("service:compensation_action", args=[form.pk, action])  # noqa: E731
    am, ops, head = (login(people[k]) for k in ("am", "ops", "head"))
    with clock.frozen(aware(D(2026, 10, 30))):
        # the AM cannot confirm, nobody signs or settles a draft
        assert am.post(url("confirm"), {"segment": "access", "version": 1}).status_code == 403
        assert head.post(url("settle"), {"month": "2026-11", "version": 1}).status_code == 400
        assert ops.post(url("confirm"), {"segment": "access", "version": 1}).status_code == 302
        # operations cannot sign; the head cannot settle before the signature
        signed = {"signatory": "王经理", "signed_on": "2026-10-30", "version": 2, "scan": scan()}
        assert ops.post(url("sign"), signed).status_code == 403
        assert head.post(url("settle"), {"month": "2026-11", "version": 2}).status_code == 400
        no_scan = {k: v for k, v in signed.items() if k != "scan"}
        assert am.post(url("sign"), no_scan).status_code == 400
        assert am.post(url("sign"), {**signed, "scan": scan()}).status_code == 302
        assert head.post(url("settle"), {"month": "2026-11", "version": 3}).status_code == 302
    form.refresh_from_db()
    assert form.status == CompensationStatus.SETTLED
    credit = BillingCredit.objects.get(reference=form.number)
    assert (credit.amount, credit.month) == (Decimal("400.00"), D(2026, 11, 1))
    page = head.get(reverse("service:compensation_detail", args=[form.pk]))
    assert "400.00" in page.content.decode()
    pdf = head.get(reverse("service:compensation_pdf", args=[form.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert am.get(reverse("service:compensation_scan", args=[form.pk])).status_code == 200
    other = login(people["other_am"])
    assert other.get(reverse("service:compensation_detail", args=[form.pk])).status_code == 404
    assert other.get(reverse("service:compensation_scan", args=[form.pk])).status_code == 404


def test_fault_actions_through_the_page(people):
    account = AccountFactory(owner=people["am"], star_level=3)
    service = ServiceFactory(account=account, sla_level="gold")
    desk, ops = login(people["desk"]), login(people["ops"])
    with clock.frozen(aware(D(2026, 11, 3), 9)):
        response = desk.post(
            reverse("service:fault_new") + f"?account={account.pk}",
            {
                "service": service.pk,
                "subject": "中断",
                "service_affecting": "on",
                "channel": "phone",
            },
        )
    fault = account.faults.get()
    assert response.status_code == 302
    assert fault.priority == 1
    act = lambda c, a, **d: c.post(  # noqa: E731
        reverse("service:fault_action", args=[fault.pk, a]), {"version": fault.version, **d}
    )
    with clock.frozen(aware(D(2026, 11, 3), 9, 5)):
        assert act(desk, "pause", reason="客户机房无人").status_code == 302
    fault.refresh_from_db()
    with clock.frozen(aware(D(2026, 11, 3), 10, 5)):
        assert act(desk, "restore", cause="光缆").status_code == 403
        assert act(desk, "resume").status_code == 302
    fault.refresh_from_db()
    with clock.frozen(aware(D(2026, 11, 3), 11, 5)):
        assert act(ops, "restore", cause="光缆中断").status_code == 302
    fault.refresh_from_db()
    assert fault.status == "restored"
    assert fault.paused_seconds == 3600
    assert fault.outage.excluded_minutes == 60


def test_sla_report_page_pdf_and_excel(people, late_order):
    _activated_form(people, late_order)
    client = login(people["am"])
    account_pk = late_order.account_id
    with clock.frozen(aware(D(2026, 11, 20))):
        page = client.get(reverse("service:sla_report", args=[account_pk]) + "?month=2026-10")
        pdf = client.get(reverse("service:sla_report_pdf", args=[account_pk]) + "?month=2026-10")
        xlsx = client.get(reverse("service:sla_report_xlsx", args=[account_pk]) + "?month=2026-10")
        bad = client.get(reverse("service:sla_report", args=[account_pk]) + "?month=20x6")
    report = page.context["report"]
    assert (report.orders_due, report.orders_on_time) == (1, 0)
    assert report.compensation_total == Decimal("400.00")
    assert pdf.content.startswith(b"%PDF")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["汇总", "可用率", "开通工单"]
    assert book["开通工单"]["H2"].value == 2
    assert bad.status_code == 404
    other = login(people["other_am"])
    assert other.get(reverse("service:sla_report", args=[account_pk])).status_code == 404


def test_account_page_service_tab(people, late_order, django_assert_max_num_queries):
    client = login(people["am"])
    url = reverse("accounts:tab", args=[late_order.account_id, "service"])
    with clock.frozen(aware(D(2026, 10, 28))), django_assert_max_num_queries(16):
        tab = client.get(url)
    assert tab.status_code == 200
    assert tab.context["svc"].late_orders == 1
    assert late_order.request.number in tab.content.decode()
