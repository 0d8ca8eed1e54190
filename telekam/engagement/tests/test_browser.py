"""The AM's visit journey in a real browser: My week, logging a planned call, and the
compliance figure moving from 0/1 to 1/1."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from telekam.accounts.tests.factories import AccountFactory, ContactFactory, band
from telekam.core import clock
from telekam.engagement import services
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory
from telekam.service.tests.factories import aware

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


def test_an_am_logs_a_planned_call_and_compliance_moves(page):
    am = UserFactory(username="am_visits")
    account = AccountFactory(owner=am, grade=band("crystal"), name="北京华信证券股份有限公司")
    ContactFactory(account=account, name="李总")
    services.plan_generate(month=dt.date(2026, 11, 1), accounts=[account])  # a call on 11-16
    with clock.frozen(aware(dt.date(2026, 11, 16), 9)):
        log_in(page, "am_visits")
        page.get_by_role("link", name="走访").first.click()
        page.get_by_role("link", name="走访达标").click()
        owner = page.get_by_test_id("compliance-owner")
        expect(owner).to_contain_text("0/1")
        expect(owner.get_by_test_id("pct")).to_have_text("0.0%")

        page.get_by_role("link", name="走访").first.click()
        day = page.get_by_test_id("day-2026-11-16")
        expect(day).to_contain_text("北京华信证券股份有限公司")
        expect(day).to_contain_text("电话")
        day.get_by_role("link", name="登记").click()

        form = page.get_by_test_id("log-form")
        expect(form.get_by_label("主动电话")).to_be_checked()
        expect(form.locator("#id_happened_on")).to_have_value("2026-11-16")
        form.get_by_label("李总").check()
        form.locator("#id_topics").fill("确认专线割接安排")
        form.get_by_role("button", name="保存").click()
        expect(page.locator(".alert-success")).to_contain_text("已登记主动电话")
        expect(page.get_by_test_id("day-2026-11-16")).to_contain_text("已完成")

        page.get_by_role("link", name="走访达标").click()
        owner = page.get_by_test_id("compliance-owner")
        expect(owner).to_contain_text("1/1")
        expect(owner.get_by_test_id("pct")).to_have_text("100.0%")
