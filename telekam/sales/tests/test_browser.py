"""The sales journey in a real browser: an AM opens a deal, adds a solution and a quote
beyond its discount limit, the group lead approves it, the customer accepts, the deal is
won and the contract is there."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from telekam.accounts.tests.factories import AccountFactory
from telekam.core import clock
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory
from telekam.sales.models import Contract, Opportunity, Quote
from telekam.service.tests.factories import aware

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.browser,
]


def log_in(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_opportunity_solution_quote_approval_win_contract(page):
    am = UserFactory(username="am_finance")
    UserFactory(username="lead_finance", lead=True, group=am.group)
    account = AccountFactory(owner=am, name="北京华信证券股份有限公司")
    with clock.frozen(aware(dt.date(2026, 11, 2), 10)):
        log_in(page, "am_finance")
        page.goto(f"/sales/opportunities/new/?account={account.pk}")
        page.fill("#id_name", "总部 IP-VPN 组网")
        page.fill("#id_expected_monthly", "12000")
        page.fill("#id_close_date", "2026-12-31")
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_test_id("stage-badge")).to_have_text("需求确认")
        opportunity = Opportunity.objects.get(name="总部 IP-VPN 组网")

        # A solution and a quote with a 15 % discount: beyond the AM's 10 %.
        page.get_by_test_id("solution-new").click()
        page.fill("#id_title", "总部与 12 家分支 IP-VPN")
        page.get_by_role("button", name="保存").click()
        page.get_by_test_id("quote-new").click()
        select = page.locator("select[name='lines-0-product']")
        vpn = select.locator("option", has_text="IP-VPN").first.get_attribute("value")
        select.select_option(vpn)
        page.fill("input[name='lines-0-quantity']", "2")
        page.fill("input[name='lines-0-discount_pct']", "15")
        page.get_by_role("button", name="保存为草稿").click()
        page.get_by_role("button", name="提交").click()
        quote = Quote.objects.get(solution__opportunity=opportunity)
        assert (quote.status, quote.approver_role) == ("pending", "group_lead")
        expect(page.locator("body")).to_contain_text("待审批")

        # The group lead finds it among its approvals and approves it.
        log_in(page, "lead_finance")
        page.goto("/sales/approvals/")
        page.get_by_test_id("approvals").get_by_role("link", name=quote.number).click()
        page.get_by_role("button", name="批准").click()
        expect(page.locator("body")).to_contain_text("已批准")

        # The AM records the customer's acceptance and wins the deal.
        log_in(page, "am_finance")
        page.goto(f"/sales/quotes/{quote.pk}/")
        page.get_by_role("button", name="客户已接受").click()
        page.goto(f"/sales/opportunities/{opportunity.pk}/")
        expect(page.get_by_test_id("stage-badge")).to_have_text("合同签订")
        form = page.get_by_test_id("move-form")
        form.locator("select[name='to_stage']").select_option("won")
        form.get_by_role("button", name="变更阶段").click()
        expect(page.get_by_test_id("stage-badge")).to_have_text("赢单")

        contract = Contract.objects.get(opportunity=opportunity)
        page.get_by_test_id("contracts").get_by_role("link", name=contract.number).click()
        expect(page.get_by_test_id("contract-status")).to_contain_text("待签订")
        expect(page.get_by_test_id("contract-lines")).to_contain_text("IP-VPN")
