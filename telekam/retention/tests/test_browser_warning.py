"""The AM's churn journey in a real browser: the queue, a call-record warning with its
chart, a retention case opened with a plan and closed as retained. Screenshots go to
/tmp/shots/ for a look at the layout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from telekam.accounts.tests.factories import AccountFactory, band
from telekam.core import clock
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory
from telekam.retention.models import (
    CaseOutcome,
    ChurnWarning,
    RetentionCase,
    Run,
    RunKind,
    RunStatus,
    WarningStatus,
)
from telekam.retention.tests.factories import DAY, ChurnWarningFactory
from telekam.service.tests.factories import aware

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.browser,
]

SHOTS = Path("/tmp/shots")  # noqa: S108 (screenshots to look at, not a secret)


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_am_works_a_calls_warning_to_retained(page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    am = UserFactory(username="am_churn")
    account = AccountFactory(owner=am, grade=band("diamond"), name="上海华信证券股份有限公司")
    warning = ChurnWarningFactory(account=account)
    with clock.frozen(aware(DAY + dt.timedelta(days=1), 9)):
        log_in(page, "am_churn")
        nav = page.get_by_test_id("nav-warnings")
        expect(nav.get_by_test_id("open-warnings")).to_have_text("1")
        nav.click()
        queue = page.get_by_test_id("warning-queue")
        expect(queue).to_contain_text("上海华信证券股份有限公司")
        expect(queue).to_contain_text("关口局话单")
        expect(queue.get_by_test_id("severity")).to_have_text("高")
        page.screenshot(path=str(SHOTS / "retention_queue.png"), full_page=True)
        queue.get_by_test_id("warning-link").click()

        expect(page.get_by_test_id("calls-chart")).to_be_visible()
        expect(page.get_by_test_id("calls-chart").locator("rect")).to_have_count(16)
        expect(page.get_by_test_id("share")).to_have_text("60.0%")
        expect(page.get_by_test_id("rule-sentence").first).to_contain_text("60.0%")
        page.screenshot(path=str(SHOTS / "retention_warning_calls.png"), full_page=True)

        form = page.get_by_test_id("open-case-form")
        form.get_by_label("挽留方案").fill("拜访信息部主任，提供长途资费套餐")
        form.get_by_role("button", name="立案").click()
        expect(page.locator(".alert-success")).to_contain_text("已立案挽留")
        expect(page.get_by_test_id("case-plan")).to_contain_text("提供长途资费套餐")
        expect(page.get_by_test_id("warning-status")).to_have_text("已确认")

        actions = page.get_by_test_id("action-form")
        actions.get_by_label("措施").fill("上门拜访，客户同意试用套餐")
        actions.get_by_role("button", name="登记").click()
        expect(page.get_by_test_id("actions")).to_contain_text("上门拜访，客户同意试用套餐")
        page.screenshot(path=str(SHOTS / "retention_case_open.png"), full_page=True)

        close = page.get_by_test_id("close-form")
        close.get_by_label("结果").select_option("retained")
        close.get_by_label("结案说明").fill("签订三年长途协议")
        close.get_by_role("button", name="结案").click()
        expect(page.locator(".alert-success")).to_contain_text("挽留成功")
        expect(page.get_by_test_id("case-status")).to_contain_text("挽留成功")
        expect(page.get_by_test_id("warning-status")).to_have_text("已关闭")
        page.screenshot(path=str(SHOTS / "retention_case_closed.png"), full_page=True)

    case = RetentionCase.objects.get()
    assert (case.outcome, case.plan, case.close_note) == (
        CaseOutcome.RETAINED,
        "拜访信息部主任，提供长途资费套餐",
        "签订三年长途协议",
    )
    assert ChurnWarning.objects.get(pk=warning.pk).status == WarningStatus.CLOSED


def test_runs_page_layout(page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    UserFactory(username="analyst_runs", analyst=True)
    Run.objects.create(
        kind=RunKind.INGEST_CALLS,
        status=RunStatus.DONE,
        source="cdr_20261120.csv",
        engine="duckdb",
        files=1,
        rows_in=120_000,
        rows_ok=119_997,
        rows_bad=3,
        progress=100,
        day_from=dt.date(2026, 11, 20),
        day_to=dt.date(2026, 11, 20),
        finished_at=clock.now() + dt.timedelta(seconds=4),
        report={
            "days": ["2026-11-20"],
            "reasons": {"bad_duration": 2, "bad_calling_line": 1},
            "samples": [
                {"line": 17, "reason": "bad_calling_line", "calling_line": "0215550x001"},
                {"line": 33, "reason": "bad_duration", "duration_s": "-5"},
            ],
        },
    )
    Run.objects.create(kind=RunKind.CALL_SIGNALS, engine="duckdb", progress=35, rows_in=5000)
    log_in(page, "analyst_runs")
    page.goto("/retention/runs/")
    expect(page.get_by_test_id("runs")).to_contain_text("cdr_20261120.csv")
    expect(page.locator(".progress-bar")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "retention_runs.png"), full_page=True)
    page.get_by_role("link", name="话单入库").click()
    expect(page.get_by_test_id("reasons")).to_contain_text("通话时长无效")
    expect(page.get_by_test_id("samples")).to_contain_text("0215550x001")
    page.screenshot(path=str(SHOTS / "retention_run.png"), full_page=True)
