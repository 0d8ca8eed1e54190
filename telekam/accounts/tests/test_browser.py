"""The main journey of an account manager, in a real browser."""

import pytest
from playwright.sync_api import expect

from telekam.accounts.tests.factories import AccountFactory, ContactFactory, ServiceFactory
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory, group

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


def test_am_finds_account_adds_contact_and_sees_it_in_timeline(page):
    am = UserFactory(username="am_finance", last_name="刘", first_name="洋")
    account = AccountFactory(owner=am, name="北京华信证券股份有限公司")
    ServiceFactory(account=account, number="BJ-DC-004711")
    AccountFactory(owner=am, name="北京远望物流有限公司")
    AccountFactory(owner=UserFactory(group=group("government")), name="市政府办公厅")

    log_in(page, "am_finance")
    page.goto("/accounts/")
    table = page.get_by_test_id("account-table")
    assert "北京远望物流有限公司" in table.inner_text()
    assert "市政府办公厅" not in page.content()

    # Find the account by its circuit number.
    page.fill("form.tk-filters input[name=q]", "BJ-DC-004711")
    page.click("form.tk-filters button[type=submit]")
    rows = table.locator("tbody tr")
    assert rows.count() == 1
    rows.first.get_by_role("link", name="北京华信证券股份有限公司").click()
    assert page.get_by_test_id("account-name").inner_text() == "北京华信证券股份有限公司"

    page.get_by_role("tab", name="联系人").click()
    page.get_by_test_id("add-contact").click()
    page.fill("#id_name", "赵敏")
    page.fill("#id_title", "信息中心主任")
    page.select_option("#id_decision_role", "decision_maker")
    page.fill("#id_mobile", "13800138000")
    page.get_by_role("button", name="保存").click()

    page.wait_for_url(f"**/accounts/{account.pk}/#contacts")
    # Tabs load on demand: expect() waits for the fragment.
    expect(page.locator("#contacts table")).to_contain_text("赵敏")
    expect(page.get_by_test_id("contact-map")).to_contain_text("赵敏")
    page.get_by_role("tab", name="时间线").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("新增联系人“赵敏”")
    expect(timeline).to_contain_text("刘洋")


def test_bad_phone_is_shown_on_the_form(page):
    am = UserFactory(username="am_x")
    account = AccountFactory(owner=am)
    ContactFactory(account=account, name="钱总")
    log_in(page, "am_x")
    page.goto(f"/accounts/{account.pk}/contact/add/")
    page.fill("#id_name", "孙工")
    page.select_option("#id_decision_role", "technical")
    page.fill("#id_mobile", "1234")
    page.get_by_role("button", name="保存").click()
    assert "不是有效的手机号码" in page.locator("main form").first.inner_text()
