"""The desk's main journey in a real browser: an order's deadline, a late activation, the
compensation form it opens, and operations confirming it."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from telekam.accounts.tests.factories import AccountFactory
from telekam.core import clock
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory
from telekam.service.tests.factories import aware, order

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.browser,
]


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_open_an_order_see_its_deadline_mark_it_late_see_the_compensation_form(page):
    am = UserFactory(username="am_finance")
    UserFactory(ops=True, username="ops")
    account = AccountFactory(owner=am, name="北京华信证券股份有限公司", star_level=4)
    created = order(
        actor=am,
        account=account,
        accepted_on=dt.date(2026, 9, 21),
        fee="10000.00",
        circuit_number="BJ-DC-000777",
    )
    with clock.frozen(aware(dt.date(2026, 10, 28), 9)):
        log_in(page, "ops")
        page.get_by_role("link", name="服务受理").first.click()
        queue = page.get_by_test_id("queue")
        expect(queue).to_contain_text("北京华信证券股份有限公司")
        expect(queue).to_contain_text("已超时 2 个工作日")
        queue.get_by_role("link", name=created.request.number).click()

        # The SLA clock: due 2026-10-26 (National Day not counted), two working days late.
        expect(page.get_by_test_id("deadline")).to_contain_text("2026-10-26")
        expect(page.get_by_test_id("compensation-so-far")).to_contain_text("400.00")

        # Operations records the activation today: late, so the form opens as a draft.
        activate = page.get_by_test_id("activate-form")
        activate.locator("#id_activated_on").fill("2026-10-28")
        activate.get_by_role("button", name="登记开通").click()
        expect(page.locator(".alert-warning").first).to_contain_text("超时 2 个工作日")
        page.get_by_test_id("compensation-link").click()

        form = page.get_by_test_id("compensation-form")
        expect(page.get_by_test_id("amount")).to_contain_text("400.00")
        expect(page.get_by_test_id("form-status")).to_have_text("草稿")
        expect(page.get_by_test_id("days-late")).to_have_text("2")
        expect(form).to_contain_text("BJ-DC-000777")

        # Operations confirms and names the segment responsible.
        confirm = page.get_by_test_id("confirm-form")
        confirm.locator("#id_segment").select_option("transmission")
        confirm.locator("#id_finding").fill("传输资源调配延误")
        confirm.get_by_role("button", name="确认违约").click()
        expect(page.get_by_test_id("form-status")).to_have_text("运维已确认")
        expect(page.get_by_test_id("sign-form")).to_have_count(0)  # the AM's step, not ops'
