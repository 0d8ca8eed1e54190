"""The pages after the work is done: delivery to a key account's headquarters, the callback
desk with its coverage figure, and the follow-ups of dissatisfied customers."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from telekam.accounts.models import Account
from telekam.accounts.tests.factories import AccountFactory
from telekam.core import clock
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory, group
from telekam.service import services
from telekam.service.models import (
    Callback,
    CallbackStatus,
    DeliveryStatus,
    DeliveryTask,
    FollowUp,
    FollowUpStatus,
    ProvisioningOrder,
)
from telekam.service.tests.factories import aware, order
from telekam.service.views.aftercare import fault_commitments

pytestmark = pytest.mark.django_db

D = dt.date
ACTIVATED = D(2026, 3, 10)  # a Tuesday; delivery due 3 working days later, on Friday 3-13
DELIVERY_DUE = D(2026, 3, 13)
CALLBACK_DUE = D(2026, 3, 17)  # activation + 7 days
CONFLICT = "该记录已被他人修改"


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def get(client: Client, url: str, day: dt.date, **params):
    with clock.frozen(aware(day, 9)):
        return client.get(url, params)


def post(client: Client, url: str, day: dt.date, data: dict):
    with clock.frozen(aware(day, 9)):
        return client.post(url, data)


def activate(
    account: Account, day: dt.date, *, circuit: str = "BJ-DC-000001", **extra
) -> ProvisioningOrder:
    """An order of `account` accepted and activated on `day`, through the services: a key
    account HQ gets its delivery task, every account a callback."""
    ops = UserFactory(username="ops", ops=True)
    accepted = order(actor=account.owner, account=account, accepted_on=day, **extra)
    with clock.frozen(aware(day, 11)):
        return services.order_activate(
            actor=ops,
            order=accepted,
            activated_on=day,
            circuit_number=circuit,
            expected_version=accepted.version,
        )


def repair(order_: ProvisioningOrder, day: dt.date) -> None:
    """A fault on the order's circuit, reported at 10:00 and restored at 14:00 on `day`."""
    ops = UserFactory(username="ops", ops=True)
    with clock.frozen(aware(day, 10)):
        fault = services.fault_report(
            actor=ops, account=order_.account, service=order_.service, subject="电路中断"
        )
    with clock.frozen(aware(day, 14)):
        services.fault_restore(
            actor=ops, fault=fault, cause="光缆被挖断", expected_version=fault.version
        )


def record(callback: Callback, at: dt.datetime, outcome: str = "satisfied", notes: str = ""):
    desk = UserFactory(username="desk", desk=True)
    with clock.frozen(at):
        return services.callback_record(
            actor=desk,
            callback=callback,
            outcome=outcome,
            contact_name="刘主任",
            notes=notes,
            expected_version=callback.version,
        )


def body(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def am():
    return UserFactory(username="am_fin", last_name="赵", first_name="经理")


@pytest.fixture
def hq(am):
    return AccountFactory(owner=am, level="hq", name="华信证券股份有限公司", star_level=4)


@pytest.fixture
def task(hq) -> DeliveryTask:
    activate(hq, ACTIVATED, circuit="BJ-DC-778899", sla_level="gold")
    return DeliveryTask.objects.get(account=hq)


@pytest.fixture
def stranger():
    """An AM of another industry group."""
    return UserFactory(username="am_gov", group=group("government"))


# --- deliveries -----------------------------------------------------------------------------


def test_delivery_list_shows_each_role_its_tasks_with_overdue_marked(am, hq, task, stranger):
    other = AccountFactory(owner=stranger, level="hq", name="市政府办公厅")
    activate(other, D(2026, 3, 12), circuit="BJ-DC-000002")
    theirs = DeliveryTask.objects.get(account=other)
    url = reverse("service:delivery_list")
    seen = {
        "am": (am, [task]),
        "stranger": (stranger, [theirs]),
        "lead": (UserFactory(username="lead_fin", lead=True), [task]),
        "head": (UserFactory(username="head", head=True), [task, theirs]),
        "desk": (UserFactory(username="desk", desk=True), [task, theirs]),
        "ops": (UserFactory(username="ops", ops=True), [task, theirs]),
    }
    for who, (user, expected) in seen.items():
        response = get(login(user), url, D(2026, 3, 16))
        assert response.status_code == 200, who
        assert list(response.context["tasks"]) == expected, who
    page = body(get(login(am), url, D(2026, 3, 16)))
    assert page.count('data-overdue="1"') == 1  # due 3-13, still pending on 3-16
    assert "2026-03-13" in page
    assert "BJ-DC-778899" in page
    assert "市政府办公厅" not in page
    # on its due day it is not overdue yet
    assert 'data-overdue="1"' not in body(get(login(am), url, DELIVERY_DUE))


def test_delivery_due_date_is_three_working_days_after_activation(task):
    assert task.due_on == DELIVERY_DUE
    assert task.status == DeliveryStatus.PENDING


@pytest.mark.parametrize("n", [3, 30])
def test_delivery_list_query_count_is_bounded(am, n, django_assert_max_num_queries):
    for i in range(n):
        account = AccountFactory(owner=am, level="hq")
        activate(account, ACTIVATED, circuit=f"BJ-DC-{i:06d}")
    client = login(am)
    with clock.frozen(aware(D(2026, 3, 16))), django_assert_max_num_queries(7):
        response = client.get(reverse("service:delivery_list"), {"show": "all"})
    assert response.status_code == 200
    assert len(response.context["tasks"]) == min(n, 25)


def test_the_am_delivers_and_the_customer_confirms(am, task):
    client = login(am)
    detail = reverse("service:delivery_detail", args=[task.pk])
    page = get(client, detail, D(2026, 3, 12))
    assert page.status_code == 200
    assert page.context["delivered_form"] is not None
    assert page.context["confirm_form"] is None
    assert [s.number for s in page.context["services"]] == ["BJ-DC-778899"]
    assert 'name="version" value="1"' in body(page)
    # an <input type="date"> shows only an ISO value, whatever the language
    assert 'type="date" name="delivered_on" value="2026-03-12"' in body(page)

    delivered = post(
        client,
        reverse("service:delivery_action", args=[task.pk, "delivered"]),
        D(2026, 3, 12),
        {"version": task.version, "delivered_on": "2026-03-12", "note": "面交信息中心"},
    )
    assert delivered.status_code == 302
    assert delivered["Location"] == detail
    task.refresh_from_db()
    assert (task.status, task.delivered_on, task.note) == (
        "delivered",
        D(2026, 3, 12),
        "面交信息中心",
    )

    page = get(client, detail, D(2026, 3, 12))
    assert page.context["delivered_form"] is None
    assert page.context["confirm_form"] is not None
    confirmed = post(
        client,
        reverse("service:delivery_action", args=[task.pk, "confirm"]),
        D(2026, 3, 13),
        {"version": task.version, "confirmed_on": "2026-03-13", "confirmed_by_name": "孙处长"},
    )
    assert confirmed.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.confirmed_on, task.confirmed_by_name, task.billing_start_on) == (
        "confirmed",
        D(2026, 3, 13),
        "孙处长",
        D(2026, 3, 13),
    )
    after = get(client, detail, D(2026, 3, 13))
    assert messages_of(after) == ["客户已确认交付，起租日期 2026-03-13。"]
    assert after.context["confirm_form"] is None
    assert "交付已完成，起租日期 2026-03-13。" in body(after)
    # an open-only list no longer shows it
    listed = get(client, reverse("service:delivery_list"), D(2026, 3, 13))
    assert list(listed.context["tasks"]) == []


def test_an_am_of_another_group_gets_404_for_a_delivery(task, stranger):
    client = login(stranger)
    day = D(2026, 3, 12)
    assert get(client, reverse("service:delivery_detail", args=[task.pk]), day).status_code == 404
    assert get(client, reverse("service:delivery_pdf", args=[task.pk]), day).status_code == 404
    response = post(
        client,
        reverse("service:delivery_action", args=[task.pk, "delivered"]),
        day,
        {"version": task.version, "delivered_on": "2026-03-12"},
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert (task.status, task.version) == ("pending", 1)


@pytest.mark.parametrize("role", ["desk", "ops"])
def test_desk_and_operations_see_a_delivery_but_may_not_act(task, role):
    client = login(UserFactory(username=role, **{role: True}))
    page = get(client, reverse("service:delivery_detail", args=[task.pk]), D(2026, 3, 12))
    assert page.status_code == 200
    assert page.context["delivered_form"] is None
    assert "交付由客户经理办理，此处仅供查看。" in body(page)
    response = post(
        client,
        reverse("service:delivery_action", args=[task.pk, "delivered"]),
        D(2026, 3, 12),
        {"version": task.version, "delivered_on": "2026-03-12"},
    )
    assert response.status_code == 403
    task.refresh_from_db()
    assert (task.status, task.delivered_on, task.version) == ("pending", None, 1)


def test_a_stale_delivery_page_gets_the_conflict_message_and_changes_nothing(am, task):
    seen_version = task.version
    # someone saved the task after the AM opened the page
    DeliveryTask.objects.filter(pk=task.pk).update(version=F("version") + 1)
    response = post(
        login(am),
        reverse("service:delivery_action", args=[task.pk, "delivered"]),
        D(2026, 3, 12),
        {"version": seen_version, "delivered_on": "2026-03-12", "note": "迟到的一页"},
    )
    assert response.status_code == 400
    assert CONFLICT in body(response)
    task.refresh_from_db()
    assert (task.status, task.delivered_on, task.note, task.version) == ("pending", None, "", 2)
    # the page shows the task as it stands, not as the failed call left it in memory
    assert response.context["task"].status == "pending"


def test_a_second_tab_cannot_overwrite_a_delivery_already_recorded(am, task):
    lead = UserFactory(username="lead_fin", lead=True)
    url = reverse("service:delivery_action", args=[task.pk, "delivered"])
    first = post(login(lead), url, D(2026, 3, 11), {"version": 1, "delivered_on": "2026-03-11"})
    assert first.status_code == 302
    late = post(login(am), url, D(2026, 3, 12), {"version": 1, "delivered_on": "2026-03-12"})
    assert late.status_code == 400
    assert CONFLICT in body(late)  # the version is checked first
    task.refresh_from_db()
    assert (task.delivered_on, task.version) == (D(2026, 3, 11), 2)


def test_delivery_form_errors_are_form_errors(am, task):
    client = login(am)
    url = reverse("service:delivery_action", args=[task.pk, "delivered"])
    future = post(client, url, D(2026, 3, 12), {"version": 1, "delivered_on": "2026-03-20"})
    assert future.status_code == 400
    assert "日期不能晚于今天。" in body(future)
    before = post(client, url, D(2026, 3, 12), {"version": 1, "delivered_on": "2026-03-09"})
    assert "交付日期不能早于开通日期。" in body(before)
    missing = post(client, url, D(2026, 3, 12), {"delivered_on": "2026-03-12"})
    assert missing.status_code == 400
    confirm_first = post(
        client,
        reverse("service:delivery_action", args=[task.pk, "confirm"]),
        D(2026, 3, 12),
        {"version": 1, "confirmed_on": "2026-03-12", "confirmed_by_name": "孙处长"},
    )
    assert "请先登记交付，再登记客户确认。" in body(confirm_first)
    unknown = post(
        client,
        reverse("service:delivery_action", args=[task.pk, "cancel"]),
        D(2026, 3, 12),
        {"version": 1},
    )
    assert unknown.status_code == 404
    task.refresh_from_db()
    assert (task.status, task.version) == ("pending", 1)


def test_fault_commitments_come_from_the_fault_policies():
    assert fault_commitments() == {
        "gold": ("99.95", 15, 240),
        "silver": ("99.9", 30, 480),
        "bronze": ("99.5", 60, 1440),
    }


def test_delivery_package_pdf(am, task, settings):
    settings.TELEKAM_FAULT_HOTLINE = "010-66886688"
    response = get(login(am), reverse("service:delivery_pdf", args=[task.pk]), D(2026, 3, 12))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = "".join(
        "".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(response.content)).pages
    )
    assert "010-66886688" in text
    assert "BJ-DC-778899" in text
    assert "99.95%" in text  # the gold level's commitment on the warranty card


def test_delivery_package_pdf_hotline_defaults_to_10000(am, task, settings, monkeypatch):
    if hasattr(settings, "TELEKAM_FAULT_HOTLINE"):
        del settings.TELEKAM_FAULT_HOTLINE
    seen = {}

    def fake_pdf(**kwargs):
        seen.update(kwargs)
        return b"%PDF-1.4 fake"

    monkeypatch.setattr("telekam.service.pdf.delivery_package_pdf", fake_pdf)
    response = get(login(am), reverse("service:delivery_pdf", args=[task.pk]), D(2026, 3, 12))
    assert response.content == b"%PDF-1.4 fake"
    assert seen["hotline"] == "10000"
    assert seen["task"] == task
    assert [s.number for s in seen["services"]] == ["BJ-DC-778899"]
    assert seen["commitments"]["gold"] == ("99.95", 15, 240)


# --- callbacks ------------------------------------------------------------------------------


@pytest.fixture
def desk():
    return UserFactory(username="desk", desk=True)


@pytest.fixture
def callback(hq, task) -> Callback:
    return Callback.objects.get(account=hq)


def test_callback_queue_lists_open_calls_with_what_they_are_about(desk, am, callback, stranger):
    other = AccountFactory(owner=stranger, name="市政府办公厅", star_level=2)
    activate(other, D(2026, 3, 16), circuit="BJ-DC-000002")  # due 3-23
    client = login(desk)
    response = get(client, reverse("service:callback_queue"), D(2026, 3, 18))
    assert response.status_code == 200
    rows = [row["c"] for row in response.context["rows"]]
    assert [c.account.name for c in rows] == ["华信证券股份有限公司", "市政府办公厅"]
    page = body(response)
    assert page.count('data-overdue="1"') == 1  # due 3-17, still open on 3-18
    assert "2026-03-17" in page
    assert "★★★★" in page  # the star level of the account
    assert "业务开通" in page
    assert "BJ-DC-778899" in page
    assert "2026-03-10" in page  # the event date
    assert "记录回访" in page
    # the AM sees its own account's call, read-only
    mine = get(login(am), reverse("service:callback_queue"), D(2026, 3, 18))
    assert [row["c"] for row in mine.context["rows"]] == [callback]
    assert "记录回访" not in body(mine)


def test_callback_coverage_on_the_page(am, desk):
    """30 days up to 3-31 (3-02 .. 3-31): four calls fell due; two on time (one at 23:30 on
    its due day), one late, one still open. One not yet due and one due before the window
    do not count."""
    today = D(2026, 3, 31)

    def call(day: dt.date, name: str) -> Callback:
        account = AccountFactory(owner=am, name=name)
        activate(account, day, circuit=f"BJ-{name}")
        return Callback.objects.get(account=account)

    on_time = call(D(2026, 3, 2), "甲")  # due 3-09
    record(on_time, aware(D(2026, 3, 5)))
    late = call(D(2026, 3, 3), "乙")  # due 3-10
    record(late, aware(D(2026, 3, 12)))
    call(D(2026, 3, 10), "丙")  # due 3-17, never called
    last_minute = call(D(2026, 3, 4), "丁")  # due 3-11
    record(last_minute, aware(D(2026, 3, 11), 23, 30))
    call(D(2026, 3, 28), "戊")  # due 4-04: not yet due
    before = call(D(2026, 2, 20), "己")  # due 2-27: before the window
    record(before, aware(D(2026, 3, 3)))

    for user in (desk, UserFactory(username="head", head=True), am):
        response = get(login(user), reverse("service:callback_queue"), today)
        coverage = response.context["coverage"]
        assert (coverage.start, coverage.end) == (D(2026, 3, 2), today)
        assert (coverage.due, coverage.on_time, coverage.late, coverage.missed) == (4, 2, 1, 1)
        page = body(response)
        assert 'data-due="4" data-on-time="2" data-late="1" data-missed="1"' in page
        assert (
            '<div class="display-6 fw-semibold text-danger" data-testid="coverage-pct">50.0%</div>'
            in page
        )
        assert "2026-03-02 至 2026-03-31 到期的回访" in page

    # another group's AM sees the figure of its own accounts: none fell due
    stranger = UserFactory(username="am_gov", group=group("government"))
    theirs = get(login(stranger), reverse("service:callback_queue"), today)
    assert theirs.context["coverage"].due == 0
    assert 'data-testid="coverage-pct">—</div>' in body(theirs)


def test_done_tab_lists_recorded_calls(desk, callback):
    record(callback, aware(D(2026, 3, 18), 15), outcome="neutral")
    client = login(desk)
    open_tab = get(client, reverse("service:callback_queue"), D(2026, 3, 18))
    assert open_tab.context["rows"] == []
    done = get(client, reverse("service:callback_queue"), D(2026, 3, 18), show="done")
    assert [(row["c"], row["late"]) for row in done.context["rows"]] == [(callback, True)]
    page = body(done)
    assert "一般" in page
    assert "刘主任" in page
    assert "逾期" in page


def test_a_fault_repair_joins_the_open_call_of_the_account(desk, hq, task, callback):
    activation = task.order
    repair(activation, D(2026, 3, 12))  # due 3 days later, on 3-15: the call moves up
    client = login(desk)
    queue = get(client, reverse("service:callback_queue"), D(2026, 3, 13))
    [row] = queue.context["rows"]
    assert row["c"] == callback
    assert [(i.reason, i.event_on, i.due_on) for i in row["c"].items.all()] == [
        ("activation", D(2026, 3, 10), D(2026, 3, 17)),
        ("fault_repair", D(2026, 3, 12), D(2026, 3, 15)),
    ]
    page = body(queue)
    assert "2026-03-15" in page
    assert page.count('data-testid="callback-item"') == 2
    assert page.count("BJ-DC-778899") == 2
    assert "故障修复" in page
    fault_request = activation.service.faults.get().request_id
    assert reverse("service:request_detail", args=[fault_request]) in page
    detail = get(client, reverse("service:callback_detail", args=[callback.pk]), D(2026, 3, 13))
    assert [i.reason for i in detail.context["items"]] == ["activation", "fault_repair"]


@pytest.mark.parametrize("n", [3, 30])
def test_callback_queue_query_count_is_bounded(am, desk, n, django_assert_max_num_queries):
    for i in range(n):
        account = AccountFactory(owner=am)
        repair(activate(account, ACTIVATED, circuit=f"BJ-DC-{i:06d}"), D(2026, 3, 12))
    client = login(desk)
    with clock.frozen(aware(D(2026, 3, 18))), django_assert_max_num_queries(12):
        response = client.get(reverse("service:callback_queue"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == min(n, 25)


def test_an_am_may_read_a_callback_but_not_record_it(am, callback):
    client = login(am)
    url = reverse("service:callback_detail", args=[callback.pk])
    page = get(client, url, D(2026, 3, 12))
    assert page.status_code == 200
    assert page.context["form"] is None
    assert "回访由客服回访台统一进行，此处仅供查看。" in body(page)
    response = post(
        client, url, D(2026, 3, 12), {"version": 1, "outcome": "satisfied", "contact_name": "x"}
    )
    assert response.status_code == 403
    callback.refresh_from_db()
    assert (callback.status, callback.outcome, callback.version) == ("open", "", 1)


def test_an_am_of_another_group_gets_404_for_a_callback(callback, stranger):
    url = reverse("service:callback_detail", args=[callback.pk])
    assert get(login(stranger), url, D(2026, 3, 12)).status_code == 404


def test_a_stale_callback_page_gets_the_conflict_message(desk, callback):
    Callback.objects.filter(pk=callback.pk).update(version=F("version") + 1)
    response = post(
        login(desk),
        reverse("service:callback_detail", args=[callback.pk]),
        D(2026, 3, 12),
        {"version": 1, "outcome": "satisfied", "contact_name": "刘主任"},
    )
    assert response.status_code == 400
    assert CONFLICT in body(response)
    callback.refresh_from_db()
    assert (callback.status, callback.outcome, callback.done_at) == ("open", "", None)
    assert response.context["callback"].status == "open"


def test_the_outcome_is_never_preselected(desk, callback):
    url = reverse("service:callback_detail", args=[callback.pk])
    page = body(get(login(desk), url, D(2026, 3, 12)))
    assert '<option value="" selected>---------</option>' in page
    response = post(login(desk), url, D(2026, 3, 12), {"version": 1, "contact_name": "刘主任"})
    assert response.status_code == 400
    assert response.context["form"].errors["outcome"] == ["这个字段是必填项。"]
    callback.refresh_from_db()
    assert (callback.status, callback.version) == ("open", 1)


def test_dissatisfied_needs_the_reason(desk, callback):
    response = post(
        login(desk),
        reverse("service:callback_detail", args=[callback.pk]),
        D(2026, 3, 12),
        {"version": 1, "outcome": "dissatisfied", "contact_name": "刘主任", "notes": ""},
    )
    assert response.status_code == 400
    assert "客户不满意时请记录原因。" in body(response)
    callback.refresh_from_db()
    assert callback.status == "open"
    assert not FollowUp.objects.exists()


def test_a_dissatisfied_callback_goes_to_the_am_who_closes_it(am, desk, hq, callback):
    desk_client = login(desk)
    url = reverse("service:callback_detail", args=[callback.pk])
    form_page = get(desk_client, url, D(2026, 3, 12))
    assert form_page.context["form"] is not None
    recorded = post(
        desk_client,
        url,
        D(2026, 3, 12),
        {
            "version": 1,
            "outcome": "dissatisfied",
            "contact_name": "刘主任",
            "notes": "开通后两次闪断，无人解释原因",
        },
    )
    assert recorded.status_code == 302
    assert recorded["Location"] == url
    follow_up = FollowUp.objects.get(callback=callback)
    # Thursday 3-12 + 3 working days
    assert (follow_up.owner, follow_up.account, follow_up.due_on) == (am, hq, D(2026, 3, 17))
    shown = get(desk_client, url, D(2026, 3, 12))
    assert messages_of(shown) == [
        "回访已记录。客户不满意，已生成投诉跟进，转客户经理 赵经理 处理，时限 2026-03-17。"
    ]
    assert 'data-testid="follow-up-notice"' in body(shown)
    assert shown.context["form"] is None
    callback.refresh_from_db()
    assert (callback.status, callback.outcome, callback.done_by) == ("done", "dissatisfied", desk)

    # the AM finds it in its follow-ups and closes it
    am_client = login(am)
    listed = get(am_client, reverse("service:follow_ups"), D(2026, 3, 13))
    assert list(listed.context["follow_ups"]) == [follow_up]
    assert "开通后两次闪断" in body(listed)
    detail_url = reverse("service:follow_up_detail", args=[follow_up.pk])
    detail = get(am_client, detail_url, D(2026, 3, 13))
    assert detail.context["form"] is not None
    assert "开通后两次闪断，无人解释原因" in body(detail)
    closed = post(
        am_client,
        detail_url,
        D(2026, 3, 13),
        {"version": follow_up.version, "resolution": "已安排更换光模块，并向客户说明原因"},
    )
    assert closed.status_code == 302
    assert closed["Location"] == reverse("service:follow_ups")
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.CLOSED
    assert follow_up.resolution == "已安排更换光模块，并向客户说明原因"
    assert follow_up.closed_at == aware(D(2026, 3, 13), 9)
    after = get(am_client, reverse("service:follow_ups"), D(2026, 3, 13))
    assert list(after.context["follow_ups"]) == []
    assert messages_of(after) == ["已处理：华信证券股份有限公司 的投诉跟进已关闭。"]
    everything = get(am_client, reverse("service:follow_ups"), D(2026, 3, 13), show="all")
    assert list(everything.context["follow_ups"]) == [follow_up]


@pytest.fixture
def follow_up(callback) -> FollowUp:
    record(callback, aware(D(2026, 3, 12)), outcome="dissatisfied", notes="报障电话无人接")
    return FollowUp.objects.get(callback=callback)


def test_follow_up_lists_by_role(am, follow_up, stranger):
    url = reverse("service:follow_ups")
    seen = {
        "am": (am, [follow_up]),
        "lead": (UserFactory(username="lead_fin", lead=True), [follow_up]),
        "head": (UserFactory(username="head", head=True), [follow_up]),
        "stranger": (stranger, []),
        "colleague": (UserFactory(username="am_fin2"), []),  # same group, not its account
    }
    for who, (user, expected) in seen.items():
        response = get(login(user), url, D(2026, 3, 18))
        assert response.status_code == 200, who
        assert list(response.context["follow_ups"]) == expected, who
    page = body(get(login(am), url, D(2026, 3, 18)))
    assert page.count('data-overdue="1"') == 1  # due 3-17


@pytest.mark.parametrize("n", [3, 30])
def test_follow_up_list_query_count_is_bounded(am, n, django_assert_max_num_queries):
    for i in range(n):
        account = AccountFactory(owner=am)
        activate(account, ACTIVATED, circuit=f"BJ-DC-{i:06d}")
        record(
            Callback.objects.get(account=account),
            aware(D(2026, 3, 12)),
            outcome="dissatisfied",
            notes="不满意",
        )
    client = login(am)
    with clock.frozen(aware(D(2026, 3, 13))), django_assert_max_num_queries(7):
        response = client.get(reverse("service:follow_ups"))
    assert response.status_code == 200
    assert len(response.context["follow_ups"]) == min(n, 25)


def test_who_may_close_a_follow_up(follow_up, desk, stranger):
    url = reverse("service:follow_up_detail", args=[follow_up.pk])
    data = {"version": follow_up.version, "resolution": "已处理"}
    desk_client = login(desk)
    page = get(desk_client, url, D(2026, 3, 13))
    assert page.status_code == 200
    assert page.context["form"] is None
    assert post(desk_client, url, D(2026, 3, 13), data).status_code == 403
    assert get(login(stranger), url, D(2026, 3, 13)).status_code == 404
    assert post(login(stranger), url, D(2026, 3, 13), data).status_code == 404
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.resolution, follow_up.version) == ("open", "", 1)


def test_the_lead_may_close_and_a_stale_page_changes_nothing(am, follow_up):
    url = reverse("service:follow_up_detail", args=[follow_up.pk])
    lead_client = login(UserFactory(username="lead_fin", lead=True))
    closed = post(lead_client, url, D(2026, 3, 13), {"version": 1, "resolution": "组长协调"})
    assert closed.status_code == 302
    stale = post(login(am), url, D(2026, 3, 13), {"version": 1, "resolution": "客户经理处理"})
    assert stale.status_code == 400
    assert CONFLICT in body(stale)  # the version is checked first
    FollowUp.objects.filter(pk=follow_up.pk).update(status="open")  # reopen to test version
    conflict = post(login(am), url, D(2026, 3, 13), {"version": 1, "resolution": "客户经理处理"})
    assert CONFLICT in body(conflict)
    follow_up.refresh_from_db()
    assert (follow_up.resolution, follow_up.version) == ("组长协调", 2)


def test_empty_resolution_is_a_form_error(am, follow_up):
    url = reverse("service:follow_up_detail", args=[follow_up.pk])
    response = post(login(am), url, D(2026, 3, 13), {"version": 1, "resolution": "  "})
    assert response.status_code == 400
    follow_up.refresh_from_db()
    assert follow_up.status == "open"


def test_pages_need_a_login(task, callback):
    client = Client()
    for url in (
        reverse("service:delivery_list"),
        reverse("service:delivery_detail", args=[task.pk]),
        reverse("service:delivery_pdf", args=[task.pk]),
        reverse("service:callback_queue"),
        reverse("service:callback_detail", args=[callback.pk]),
        reverse("service:follow_ups"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    assert Callback.objects.get(pk=callback.pk).status == CallbackStatus.OPEN
