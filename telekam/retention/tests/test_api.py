"""The churn JSON API: each endpoint, its refusals from the side that must be refused, the
version check, and bounded queries on the lists."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from telekam.accounts.models import Competitor
from telekam.accounts.tests.factories import AccountFactory
from telekam.core import clock
from telekam.org.tests.factories import UserFactory, group
from telekam.retention import api
from telekam.retention.models import (
    CaseOutcome,
    ChurnReason,
    ChurnWarning,
    FieldReport,
    RetentionAction,
    RetentionCase,
    RiskScore,
    Run,
    RunKind,
    WarningSource,
)
from telekam.retention.tests.factories import (
    ChurnWarningFactory,
    RetentionActionFactory,
    RetentionCaseFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/retention"
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def w() -> dict[str, Any]:
    finance = group("finance")
    am = UserFactory(username="am1", group=finance)
    other_am = UserFactory(username="am2", group=finance)
    mine = AccountFactory(owner=am, code="KA20000001")
    theirs = AccountFactory(owner=other_am, code="KA20000002")
    far = AccountFactory(owner=UserFactory(username="am_gov", group=group("government")))
    warning = ChurnWarningFactory(account=mine)  # raised 11-30, due 12-02: not overdue
    their_warning = ChurnWarningFactory(
        account=theirs, source=WarningSource.SPEND, ack_due=dt.date(2026, 12, 1)
    )
    return {
        "am": am,
        "other_am": other_am,
        "head": UserFactory(username="head", head=True),
        "lead": UserFactory(username="lead", lead=True, group=finance),
        "analyst": UserFactory(username="analyst", analyst=True),
        "desk": UserFactory(username="desk", desk=True),
        "mine": mine,
        "theirs": theirs,
        "far": far,
        "warning": warning,
        "their_warning": their_warning,
    }


def test_literal_choices_mirror_the_models():
    assert set(get_args(api.RetentionOutcome)) == set(CaseOutcome.values)
    assert set(get_args(api.RetentionReason)) == set(ChurnReason.values)
    assert set(get_args(api.RetentionSource)) == set(WarningSource.values)
    assert set(get_args(api.RetentionCompetitor)) == set(Competitor.values)


# --- the queue and a warning ------------------------------------------------------------


def test_queue_is_scoped_to_the_users_accounts(w):
    mine = client_of(w["am"]).get(f"{API}/warnings").json()
    assert (mine["count"], [r["id"] for r in mine["results"]]) == (1, [w["warning"].pk])
    row = mine["results"][0]
    assert (row["account"]["code"], row["source"], row["source_label"], row["overdue"]) == (
        "KA20000001",
        "calls",
        "关口局话单",
        False,
    )
    assert "evidence" not in row
    lead = client_of(w["lead"]).get(f"{API}/warnings").json()
    assert {r["id"] for r in lead["results"]} == {w["warning"].pk, w["their_warning"].pk}
    overdue = client_of(w["lead"]).get(f"{API}/warnings", {"state": "overdue"}).json()
    assert [r["id"] for r in overdue["results"]] == [w["their_warning"].pk]
    assert overdue["results"][0]["overdue"] is True
    spend = client_of(w["head"]).get(f"{API}/warnings", {"source": "spend"}).json()
    assert [r["id"] for r in spend["results"]] == [w["their_warning"].pk]
    found = client_of(w["head"]).get(f"{API}/warnings", {"q": "KA20000002"}).json()
    assert [r["id"] for r in found["results"]] == [w["their_warning"].pk]


@pytest.mark.parametrize("role", ["desk", "ops"])
def test_the_desk_and_operations_do_not_see_warnings(w, role):
    user = w["desk"] if role == "desk" else UserFactory(username="ops", ops=True)
    client = client_of(user)
    for url in [
        f"{API}/warnings",
        f"{API}/warnings/{w['warning'].pk}",
        f"{API}/runs",
        f"{API}/accounts/{w['mine'].pk}/risk",
        f"{API}/analysis",
    ]:
        response = client.get(url)
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied"), url
    refused = post(client, f"{API}/warnings/{w['warning'].pk}/acknowledge", {"version": 1})
    assert refused.status_code == 403
    w["warning"].refresh_from_db()
    assert (w["warning"].status, w["warning"].version) == ("open", 1)


def test_bad_queue_filters_are_422(w):
    client = client_of(w["head"])
    for params in ({"state": "gone"}, {"source": "rumour"}, {"q": "x" * 101}, {"page": 0}):
        assert client.get(f"{API}/warnings", params).status_code == 422, params


def test_warning_detail_with_evidence_case_and_actions(w):
    case = RetentionCaseFactory(account=w["mine"])
    RetentionActionFactory(case=case, text="第一次拜访")
    warning = w["warning"]
    warning.case = case
    warning.save(update_fields=["case"])
    body = client_of(w["am"]).get(f"{API}/warnings/{warning.pk}").json()
    assert body["evidence"]["share_pct"] == 60.0
    assert body["case"]["id"] == case.pk
    assert [a["text"] for a in body["case"]["actions"]] == ["第一次拜访"]
    assert body["case"]["owner"]["username"] == "am1"


def test_another_ams_warning_is_404(w):
    client = client_of(w["am"])
    pk = w["their_warning"].pk
    assert client.get(f"{API}/warnings/{pk}").status_code == 404
    for action, body in (
        ("acknowledge", {"version": 1}),
        ("dismiss", {"note": "误报", "version": 1}),
        ("case", {"plan": "p", "version": 1}),
    ):
        response = post(client, f"{API}/warnings/{pk}/{action}", body)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), action
    w["their_warning"].refresh_from_db()
    assert (w["their_warning"].status, w["their_warning"].version) == ("open", 1)
    assert not RetentionCase.objects.exists()
    assert client.get(f"{API}/warnings/999999").status_code == 404


def test_acknowledge_and_a_stale_version(w):
    client = client_of(w["am"])
    url = f"{API}/warnings/{w['warning'].pk}/acknowledge"
    response = post(client, url, {"version": 1})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("acknowledged", 2)
    stale = post(client, url, {"version": 1})
    assert (stale.status_code, stale.json()["code"]) == (409, "conflict")
    again = post(client, url, {"version": 2})
    assert (again.status_code, again.json()["field"]) == (400, "status")
    w["warning"].refresh_from_db()
    assert (w["warning"].status, w["warning"].version) == ("acknowledged", 2)


def test_the_analyst_reads_but_may_not_act(w):
    client = client_of(w["analyst"])
    assert client.get(f"{API}/warnings/{w['warning'].pk}").status_code == 200
    response = post(client, f"{API}/warnings/{w['warning'].pk}/acknowledge", {"version": 1})
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    w["warning"].refresh_from_db()
    assert w["warning"].status == "open"


def test_dismiss_needs_a_note(w):
    client = client_of(w["am"])
    url = f"{API}/warnings/{w['warning'].pk}/dismiss"
    assert post(client, url, {"note": "", "version": 1}).status_code == 422
    response = post(client, url, {"note": "客户已续约", "version": 1})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["close_note"]) == ("closed", "客户已续约")


# --- a case from open to close ----------------------------------------------------------


def test_case_from_warning_to_close(w):
    client = client_of(w["am"])
    warning = w["warning"]
    opened = post(client, f"{API}/warnings/{warning.pk}/case", {"plan": "上门拜访", "version": 1})
    assert opened.status_code == 201
    case = opened.json()
    assert (case["status"], case["plan"], case["opened_on"], case["version"]) == (
        "open",
        "上门拜访",
        "2026-12-02",
        1,
    )
    warning.refresh_from_db()
    assert (warning.case_id, warning.status) == (case["id"], "acknowledged")
    base = f"{API}/cases/{case['id']}"

    stale = post(client, f"{base}/plan", {"plan": "x", "version": 9})
    assert stale.status_code == 409
    planned = post(client, f"{base}/plan", {"plan": "上门并给出长途套餐", "version": 1})
    assert (planned.status_code, planned.json()["version"]) == (200, 2)

    action = post(client, f"{base}/actions", {"done_on": "2026-12-02", "text": "已拜访信息部"})
    assert action.status_code == 201
    assert (action.json()["text"], action.json()["author"]["username"]) == ("已拜访信息部", "am1")
    future = post(client, f"{base}/actions", {"done_on": "2026-12-03", "text": "x"})
    assert (future.status_code, future.json()["field"]) == (400, "done_on")

    no_reason = post(client, f"{base}/close", {"outcome": "lost", "version": 2})
    assert (no_reason.status_code, no_reason.json()["field"]) == (400, "reason")
    no_competitor = post(
        client,
        f"{base}/close",
        {
            "outcome": "lost",
            "reason": "competitor_ld",
            "monthly_revenue_lost": "3000",
            "version": 2,
        },
    )
    assert (no_competitor.status_code, no_competitor.json()["field"]) == (400, "competitor")
    closed = post(
        client,
        f"{base}/close",
        {
            "outcome": "lost",
            "reason": "competitor_ld",
            "competitor": "china_unicom",
            "monthly_revenue_lost": "3000.00",
            "note": "转网至联通",
            "version": 2,
        },
    )
    assert closed.status_code == 200
    body = closed.json()
    assert (body["status"], body["outcome"], body["monthly_revenue_lost"], body["closed_on"]) == (
        "closed",
        "lost",
        "3000.00",
        "2026-12-02",
    )
    assert len(body["actions"]) == 1
    warning.refresh_from_db()
    assert warning.status == "closed"


def test_another_ams_case_is_404_and_a_case_of_the_group_is_the_leads(w):
    case = RetentionCaseFactory(account=w["theirs"])
    response = post(client_of(w["am"]), f"{API}/cases/{case.pk}/plan", {"plan": "x", "version": 1})
    assert response.status_code == 404
    response = post(
        client_of(w["am"]), f"{API}/cases/{case.pk}/actions", {"done_on": "2026-12-01", "text": "x"}
    )
    assert response.status_code == 404
    assert not RetentionAction.objects.exists()
    lead = post(
        client_of(w["lead"]), f"{API}/cases/{case.pk}/plan", {"plan": "组长方案", "version": 1}
    )
    assert (lead.status_code, lead.json()["plan"]) == (200, "组长方案")
    far = RetentionCaseFactory(account=w["far"])
    assert (
        post(
            client_of(w["lead"]), f"{API}/cases/{far.pk}/plan", {"plan": "x", "version": 1}
        ).status_code
        == 404
    )


# --- field intelligence -----------------------------------------------------------------


def test_field_report_raises_a_warning(w):
    response = post(
        client_of(w["am"]),
        f"{API}/field-reports",
        {
            "account_id": w["mine"].pk,
            "text": "听说在和联通谈",
            "heard_on": "2026-12-01",
            "competitor": "china_unicom",
        },
    )
    assert response.status_code == 201
    body = response.json()
    warning = ChurnWarning.objects.get(account=w["mine"], source="field")
    assert (body["warning_id"], body["competitor"], body["reported_by"]["username"]) == (
        warning.pk,
        "china_unicom",
        "am1",
    )


def test_the_desk_may_report_but_not_see_the_warning(w):
    response = post(
        client_of(w["desk"]),
        f"{API}/field-reports",
        {"account_id": w["mine"].pk, "text": "客户咨询退租流程", "heard_on": "2026-12-02"},
    )
    assert response.status_code == 201
    assert (response.json()["warning_id"], response.json()["competitor"]) == (None, "")
    assert ChurnWarning.objects.filter(account=w["mine"], source="field").count() == 1


def test_field_report_on_an_unseen_account_or_in_the_future_is_refused(w):
    client = client_of(w["am"])
    unseen = post(
        client,
        f"{API}/field-reports",
        {"account_id": w["theirs"].pk, "text": "x", "heard_on": "2026-12-01"},
    )
    assert (unseen.status_code, unseen.json()["field"]) == (422, "account_id")
    future = post(
        client,
        f"{API}/field-reports",
        {"account_id": w["mine"].pk, "text": "x", "heard_on": "2026-12-03"},
    )
    assert (future.status_code, future.json()["field"]) == (400, "heard_on")
    assert not FieldReport.objects.exists()


# --- runs and risk ----------------------------------------------------------------------


def test_runs(w):
    run = Run.objects.create(
        kind=RunKind.CALL_SIGNALS, status="done", rows_in=10, report={"warnings": 2}
    )
    client = client_of(w["am"])  # everybody who sees warnings sees the runs, like the page
    listed = client.get(f"{API}/runs").json()
    assert [(r["id"], r["kind"], r["rows_in"]) for r in listed] == [(run.pk, "call_signals", 10)]
    assert "report" not in listed[0]
    assert client.get(f"{API}/runs/{run.pk}").json()["report"] == {"warnings": 2}
    assert client.get(f"{API}/runs/{run.pk + 1}").status_code == 404


def test_account_risk(w):
    RiskScore.objects.create(
        account=w["mine"],
        score=Decimal("0.8125"),
        reasons=[{"feature": "competitor_share", "value": 0.31, "effect": 0.12}],
    )
    body = client_of(w["am"]).get(f"{API}/accounts/{w['mine'].pk}/risk").json()
    assert (body["score"], body["reasons"][0]["feature"]) == ("0.8125", "competitor_share")
    assert [x["id"] for x in body["warnings"]] == [w["warning"].pk]
    assert body["warnings"][0]["assignee"]["username"] == "am1"
    none = client_of(w["am"]).get(f"{API}/accounts/{w['mine'].pk}/risk")
    assert none.status_code == 200
    assert client_of(w["am"]).get(f"{API}/accounts/{w['theirs'].pk}/risk").status_code == 404
    blank = client_of(w["lead"]).get(f"{API}/accounts/{w['theirs'].pk}/risk").json()
    assert (blank["score"], blank["reasons"], len(blank["warnings"])) == (None, [], 1)


# --- analysis ---------------------------------------------------------------------------


def test_analysis(w):
    RetentionCaseFactory(
        account=w["mine"],
        status="closed",
        outcome="lost",
        reason="price",
        monthly_revenue_lost=Decimal("500.00"),
        opened_on=dt.date(2026, 10, 1),
        closed_on=dt.date(2026, 10, 20),
    )
    response = client_of(w["head"]).get(f"{API}/analysis", {"period": "2026-Q4"})
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {
        "kind": "quarter",
        "key": "2026-Q4",
        "label": "2026年第4季度",
        "start": "2026-10-01",
        "end": "2026-12-31",
        "base_month": "2026-09-01",
    }
    # three key accounts averaging 5,000 (no September bill); one lost 500
    assert {k: body["rate"][k] for k in ("base_accounts", "lost_accounts", "count_rate")} == {
        "base_accounts": 3,
        "lost_accounts": 1,
        "count_rate": "33.33",
    }
    assert (body["rate"]["revenue_source"], body["rate"]["revenue_rate"]) == ("avg_spend", "3.33")
    assert body["by_reason"][0] == {
        "reason": "price",
        "label": "价格",
        "cases": 1,
        "accounts": 1,
        "lost_revenue": "500.00",
        "share": "100.00",
        "revenue_rate": "3.33",
        "reference_share": None,
    }
    assert len(body["trend"]) == 8
    assert body["trend"][-1] == body["rate"]
    assert body["hit_rate"]["warned_accounts"] == 0
    assert body["workload_total"] == {
        "source": "",
        "label": "合计",
        "open": 2,
        "overdue": 1,
        "acknowledged": 0,
    }
    lead = client_of(w["lead"]).get(f"{API}/analysis", {"period": "2026-Q4"}).json()
    assert lead["rate"]["base_accounts"] == 2


def test_analysis_refusals_and_bad_periods(w):
    for who in ("am", "desk"):
        response = client_of(w[who]).get(f"{API}/analysis")
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    client = client_of(w["analyst"])
    assert client.get(f"{API}/analysis").json()["period"]["key"] == "2026-Q4"
    for period in ("2027", "2026-13", "Q3", "x" * 11):
        response = client.get(f"{API}/analysis", {"period": period})
        assert (response.status_code, response.json()["code"]) == (422, "invalid"), period


# --- bounded queries --------------------------------------------------------------------


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_lists_run_a_fixed_number_of_queries(w):
    client = client_of(w["lead"])
    head = client_of(w["head"])
    small = (_count(client, f"{API}/warnings"), _count(head, f"{API}/runs"))
    for i in range(12):
        account = AccountFactory(owner=UserFactory(group=group("finance")))
        case = RetentionCaseFactory(account=account)
        ChurnWarningFactory(account=account, case=case, severity=1 + i % 3)
        Run.objects.create(kind=RunKind.SPEND_SIGNALS, status="done", started_by=w["head"])
    assert (_count(client, f"{API}/warnings"), _count(head, f"{API}/runs")) == small
    assert client.get(f"{API}/warnings").json()["count"] == 14
    risk = _count(client, f"{API}/accounts/{w['mine'].pk}/risk")
    ChurnWarningFactory(account=w["mine"], source="spend")
    ChurnWarningFactory(account=w["mine"], source="field")
    assert _count(client, f"{API}/accounts/{w['mine'].pk}/risk") == risk
