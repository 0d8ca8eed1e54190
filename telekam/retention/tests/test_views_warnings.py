"""The warning pages: who sees which warning, the acknowledge/dismiss/case flows with the
database state after, stale pages and bad input (never a 500), the account page's panel."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from telekam.accounts.tests.factories import AccountFactory
from telekam.core import clock
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory
from telekam.retention.models import (
    CaseOutcome,
    CaseStatus,
    ChurnWarning,
    FieldReport,
    RetentionAction,
    RetentionCase,
    WarningSource,
    WarningStatus,
)
from telekam.retention.tests.factories import (
    DAY,
    ChurnWarningFactory,
    RetentionCaseFactory,
    spend_evidence,
)
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db

TODAY = DAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(aware(TODAY, 10)):
        yield


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def am():
    return UserFactory(username="am_w")


@pytest.fixture
def warning(am):
    return ChurnWarningFactory(account=AccountFactory(owner=am, name="华信证券"))


def url(name: str, *args) -> str:
    return reverse(f"retention:{name}", args=args)


# --- who sees what -------------------------------------------------------------------------


def test_am_sees_only_its_accounts_warnings(am, warning):
    other = ChurnWarningFactory(account=AccountFactory(name="别人的客户"))
    client = login(am)
    response = client.get(url("queue"))
    assert response.status_code == 200
    assert list(response.context["warnings"]) == [warning]
    body = response.content.decode()
    assert "华信证券" in body
    assert "别人的客户" not in body
    assert client.get(url("warning", other.pk)).status_code == 404
    assert client.post(url("acknowledge", other.pk), {"version": 1}).status_code == 404
    other.refresh_from_db()
    assert other.status == WarningStatus.OPEN


def test_queue_filters(am, warning):
    closed = ChurnWarningFactory(
        account=AccountFactory(owner=am, name="已关闭客户"),
        source=WarningSource.SPEND,
        status=WarningStatus.CLOSED,
        evidence=spend_evidence(),
    )
    overdue = ChurnWarningFactory(
        account=AccountFactory(owner=am, name="逾期客户"), ack_due=DAY - dt.timedelta(days=1)
    )
    client = login(am)

    def listed(**params):
        return list(client.get(url("queue"), params).context["warnings"])

    assert set(listed()) == {warning, overdue}
    assert listed(state="closed") == [closed]
    assert listed(state="overdue") == [overdue]
    assert listed(state="all", source="spend") == [closed]
    assert listed(q="逾期") == [overdue]
    assert set(listed(state="nonsense")) == {warning, overdue}  # a bad value is ignored
    body = client.get(url("queue")).content.decode()
    assert body.count('data-testid="overdue"') == 1


@pytest.mark.parametrize("n", [3, 30])
def test_queue_query_count_is_bounded(am, n, django_assert_max_num_queries):
    for _ in range(n):
        warning = ChurnWarningFactory(account=AccountFactory(owner=am))
        warning.case = RetentionCaseFactory(account=warning.account)
        warning.save()
    client = login(am)
    with django_assert_max_num_queries(9):
        response = client.get(url("queue"))
    assert len(response.context["warnings"]) == min(n, 25)


def test_desk_has_no_queue_but_files_field_intelligence(warning):
    desk = UserFactory(desk=True)
    client = login(desk)
    assert client.get(url("queue")).status_code == 403
    assert client.get(url("warning", warning.pk)).status_code == 403
    account = warning.account
    page = client.get(url("field_report", account.pk))
    assert page.status_code == 200
    response = client.post(
        url("field_report", account.pk),
        {"heard_on": "2026-11-28", "competitor": "china_unicom", "text": "客户说联通报价更低"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[account.pk])
    report = FieldReport.objects.get()
    assert (report.account, report.reported_by, report.heard_on, report.text) == (
        account,
        desk,
        dt.date(2026, 11, 28),
        "客户说联通报价更低",
    )
    field = ChurnWarning.objects.get(source=WarningSource.FIELD)
    assert field.account == account
    assert field.competitor == "china_unicom"
    assert field.evidence["reports"][0]["text"] == "客户说联通报价更低"


def test_field_report_bad_input_is_a_form_error(am, warning):
    client = login(am)
    response = client.post(
        url("field_report", warning.account.pk), {"heard_on": "2026-12-25", "text": "听说"}
    )
    assert response.status_code == 200
    assert "日期不能晚于今天。" in response.content.decode()
    assert not FieldReport.objects.exists()
    response = client.post(url("field_report", warning.account.pk), {"heard_on": "x", "text": ""})
    assert response.status_code == 200
    assert not FieldReport.objects.exists()


def test_field_report_on_an_unseen_account_is_404(warning):
    other_am = UserFactory(username="am_other")
    assert login(other_am).get(url("field_report", warning.account.pk)).status_code == 404


def test_readers_see_the_warning_read_only(warning):
    analyst = UserFactory(analyst=True)
    client = login(analyst)
    response = client.get(url("warning", warning.pk))
    assert response.status_code == 200
    assert response.context["can_act"] is False
    assert "ack_form" not in response.context
    assert "open_form" not in response.context
    assert client.post(url("acknowledge", warning.pk), {"version": 1}).status_code == 403
    warning.refresh_from_db()
    assert (warning.status, warning.version) == (WarningStatus.OPEN, 1)


# --- the evidence --------------------------------------------------------------------------


def test_calls_evidence_in_words_and_chart(am, warning):
    response = login(am).get(url("warning", warning.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="calls-chart"' in body
    bars = response.context["ev"]["chart"]["bars"]
    assert [b["competitor"] for b in bars] == [35.0] * 7 + [420.0]
    assert [b["own"] for b in bars] == [665.0] * 7 + [280.0]
    assert bars[0]["own_h"] == 120.0
    assert response.context["ev"]["own_minutes"] == 280.0
    assert (
        "近 7 天经竞争对手的长途分钟占全部长途的 60.0%（阈值 20.0%），"
        "比此前 4 周基线 5.0% 上升 55.0 个百分点（阈值 10.0）。"
    ) in body
    assert "近 7 天经本网的长途分钟比此前 4 周周均下降 57.9%（阈值 40.0%）。" in body


def test_spend_cancellation_and_field_evidence(am):
    account = AccountFactory(owner=am)
    spend = ChurnWarningFactory(account=account, source="spend", evidence=spend_evidence())
    cancel = ChurnWarningFactory(
        account=account,
        source="cancellation",
        evidence={
            "orders": [
                {
                    "number": "TZ001",
                    "line": "BJ-DC-1",
                    "product": "数字电路",
                    "monthly_fee": "2800.00",
                    "ordered_on": "2026-11-20",
                    "reason": "改用联通",
                }
            ],
            "total_fee": "2800.00",
            "avg_monthly_spend": "5000.00",
            "share_pct": 56.0,
        },
    )
    field = ChurnWarningFactory(
        account=account,
        source="field",
        evidence={
            "reports": [
                {
                    "id": 1,
                    "heard_on": "2026-11-27",
                    "by": "王测",
                    "competitor": "china_mobile",
                    "text": "移动在谈",
                }
            ]
        },
    )
    client = login(am)
    body = client.get(url("warning", spend.pk)).content.decode()
    assert 'data-testid="spend-chart"' in body
    assert "2026-10 月消费较前 3 个月均值下降 50.0%" in body
    assert "4,000.00" in body
    body = client.get(url("warning", cancel.pk)).content.decode()
    for text in ("TZ001", "改用联通", "2,800.00", "56.0%"):
        assert text in body
    body = client.get(url("warning", field.pk)).content.decode()
    assert "移动在谈" in body
    assert "中国移动" in body


# --- acting on a warning -------------------------------------------------------------------


def test_acknowledge(am, warning):
    response = login(am).post(url("acknowledge", warning.pk), {"version": 1})
    assert response.status_code == 302
    warning.refresh_from_db()
    assert warning.status == WarningStatus.ACKNOWLEDGED
    assert warning.acknowledged_at == aware(TODAY, 10)
    assert warning.version == 2


def test_stale_version_is_a_conflict_and_changes_nothing(am, warning):
    ChurnWarning.objects.filter(pk=warning.pk).update(version=2)
    response = login(am).post(url("acknowledge", warning.pk), {"version": 1})
    assert response.status_code == 400
    assert (
        "该记录已被他人修改（您编辑的是第 1 版）。请刷新后重新修改。" in response.content.decode()
    )
    warning.refresh_from_db()
    assert (warning.status, warning.acknowledged_at) == (WarningStatus.OPEN, None)


def test_dismiss_needs_a_note(am, warning):
    client = login(am)
    response = client.post(url("dismiss", warning.pk), {"version": 1, "note": "  "})
    assert response.status_code == 400
    warning.refresh_from_db()
    assert warning.status == WarningStatus.OPEN
    response = client.post(url("dismiss", warning.pk), {"version": 1, "note": "客户合并号码，误报"})
    assert response.status_code == 302
    warning.refresh_from_db()
    assert warning.status == WarningStatus.CLOSED
    assert warning.close_note == "客户合并号码，误报"
    assert warning.closed_at == aware(TODAY, 10)


def test_open_case_plan_actions_and_close_retained(am, warning):
    client = login(am)
    response = client.post(url("open_case", warning.pk), {"open-version": 1, "open-plan": ""})
    assert response.status_code == 400
    assert not RetentionCase.objects.exists()

    response = client.post(
        url("open_case", warning.pk), {"open-version": 1, "open-plan": "拜访信息部，推长途套餐"}
    )
    assert response.status_code == 302
    case = RetentionCase.objects.get()
    warning.refresh_from_db()
    assert (case.account, case.owner, case.plan, case.opened_on) == (
        warning.account,
        am,
        "拜访信息部，推长途套餐",
        TODAY,
    )
    assert (warning.case, warning.status) == (case, WarningStatus.ACKNOWLEDGED)

    response = client.post(
        url("case_plan", case.pk) + f"?w={warning.pk}",
        {"plan-version": 1, "plan-plan": "拜访信息部；长途资费八折"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("warning", warning.pk)
    case.refresh_from_db()
    assert (case.plan, case.version) == ("拜访信息部；长途资费八折", 2)

    response = client.post(url("case_action", case.pk), {"done_on": "2026-12-05", "text": "拜访"})
    assert response.status_code == 400
    assert "日期不能晚于今天。" in response.content.decode()
    response = client.post(url("case_action", case.pk), {"done_on": "2026-12-01", "text": "已拜访"})
    assert response.status_code == 302
    action = RetentionAction.objects.get()
    assert (action.case, action.done_on, action.text, action.author) == (
        case,
        TODAY,
        "已拜访",
        am,
    )

    page = client.get(url("warning", warning.pk))
    assert "已拜访" in page.content.decode()
    assert "close_form" in page.context

    response = client.post(
        url("case_close", case.pk),
        {
            "close-version": 2,
            "close-outcome": "retained",
            "close-closed_on": "2026-12-01",
            "close-note": "签了三年长途协议",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    warning.refresh_from_db()
    assert (case.status, case.outcome, case.closed_on, case.close_note) == (
        CaseStatus.CLOSED,
        CaseOutcome.RETAINED,
        TODAY,
        "签了三年长途协议",
    )
    assert case.monthly_revenue_lost == Decimal("0.00")
    assert warning.status == WarningStatus.CLOSED
    page = client.get(url("warning", warning.pk))
    assert "close_form" not in page.context
    assert "挽留成功" in page.content.decode()


def test_close_lost_without_reason_is_a_form_error(am, warning):
    case = RetentionCaseFactory(account=warning.account)
    ChurnWarning.objects.filter(pk=warning.pk).update(case=case, status="acknowledged")
    client = login(am)
    data = {
        "close-version": 1,
        "close-outcome": "lost",
        "close-closed_on": "2026-12-01",
        "close-monthly_revenue_lost": "3000",
    }
    response = client.post(url("case_close", case.pk), data)
    assert response.status_code == 400
    assert "流失或部分流失须填写流失原因。" in response.content.decode()
    response = client.post(url("case_close", case.pk), {**data, "close-reason": "competitor_ld"})
    assert response.status_code == 400
    assert "流失给竞争对手时须选择竞争对手。" in response.content.decode()
    response = client.post(
        url("case_close", case.pk), {**data, "close-monthly_revenue_lost": "abc"}
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert (case.status, case.outcome, case.version) == (CaseStatus.OPEN, "", 1)

    response = client.post(
        url("case_close", case.pk),
        {**data, "close-reason": "competitor_ld", "close-competitor": "china_unicom"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.outcome, case.reason, case.competitor, case.monthly_revenue_lost) == (
        CaseOutcome.LOST,
        "competitor_ld",
        "china_unicom",
        Decimal("3000.00"),
    )


def test_case_of_another_am_is_404(am, warning):
    case = RetentionCaseFactory(account=AccountFactory())
    client = login(am)
    assert (
        client.post(url("case_plan", case.pk), {"plan-version": 1, "plan-plan": "x"}).status_code
        == 404
    )
    case.refresh_from_db()
    assert case.plan == "上门拜访信息部主任，提供长途资费套餐"


# --- the account page and the navigation ---------------------------------------------------


def test_account_page_shows_churn_panel(am, warning):
    client = login(am)
    body = client.get(reverse("accounts:detail", args=[warning.account.pk])).content.decode()
    assert 'data-testid="churn-panel"' in body
    assert url("warning", warning.pk) in body
    assert url("field_report", warning.account.pk) in body
    assert re.search(r'data-testid="open-warnings"[^>]*>1<', body)


def test_desk_account_page_has_report_link_only(warning):
    client = login(UserFactory(desk=True))
    body = client.get(reverse("accounts:detail", args=[warning.account.pk])).content.decode()
    assert 'data-testid="churn-panel"' not in body
    assert url("warning", warning.pk) not in body
    assert url("field_report", warning.account.pk) in body
    assert 'data-testid="nav-warnings"' not in body
