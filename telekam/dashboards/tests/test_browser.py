"""The head's morning look in a real browser: the dashboard, a KPI card, the accounts
behind it, one account. Screenshots go to /tmp/shots/ for a look at the layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from telekam.core import clock
from telekam.dashboards.tests.conftest import TODAY
from telekam.org.tests.factories import TEST_PASSWORD
from telekam.service.tests.factories import aware

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.browser,
]

SHOTS = Path("/tmp/shots")  # noqa: S108 (screenshots to look at, not a secret)


def test_head_drills_from_a_kpi_to_an_account(page, world):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with clock.frozen(aware(TODAY, 8)):
        page.goto("/login/")
        page.fill("#id_username", world.head.username)
        page.fill("#id_password", TEST_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/dashboard/")  # the start page
        expect(page.get_by_test_id("dashboard-title")).to_contain_text("全部门")
        card = page.get_by_test_id("kpi-retention_count")
        expect(card).to_contain_text("50.0%")
        expect(page.get_by_test_id("trend-chart")).to_be_visible()
        expect(page.get_by_test_id("league-groups")).to_contain_text("金融")
        page.screenshot(path=str(SHOTS / "dashboard_head.png"), full_page=True)

        # the trend follows the KPI picked, without leaving the page
        page.get_by_test_id("trend-select").select_option("satisfaction")
        expect(page.locator("#trend .card-header")).to_contain_text("满意度")

        card.click()
        expect(page.get_by_test_id("drill-title")).to_contain_text("客户保有率")
        expect(page.get_by_test_id("drill-figure")).to_have_text("50.0%")
        rows = page.get_by_test_id("drill-accounts").locator("tbody tr")
        expect(rows).to_have_count(4)
        expect(rows.first).to_contain_text("丁")
        page.screenshot(path=str(SHOTS / "dashboard_drill.png"), full_page=True)

        rows.first.get_by_role("link", name="丁").click()
        page.wait_for_url(f"**/accounts/{world.d.pk}/")
        expect(page.locator("h1")).to_contain_text("丁")
