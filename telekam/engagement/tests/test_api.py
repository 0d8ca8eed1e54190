"""The visits API as the AM's phone uses it, and who is refused (403 for roles that do not
use visits, 404 for ids the user does not see, 4xx on bad input)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from telekam.accounts.tests.factories import AccountFactory, ContactFactory, band
from telekam.core import clock
from telekam.engagement import services
from telekam.engagement.models import ContactLog, PlannedContact
from telekam.org.tests.factories import UserFactory, group

pytestmark = pytest.mark.django_db

API = "/api/v1/visits"
NOW = dt.datetime(2026, 10, 20, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(user, url, body):
    return client(user).post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def w():
    """am1 (finance) owns a crystal account, am2 (finance) a gold one, am3 (government) a
    crystal one; October's plan (crystal: call 16 Oct, visits 23 Oct and 9 Dec)."""
    am1 = UserFactory(username="am1", group=group("finance"))
    am2 = UserFactory(username="am2", group=group("finance"))
    am3 = UserFactory(username="am3", group=group("government"))
    a1 = AccountFactory(owner=am1, grade=band("crystal"))
    a2 = AccountFactory(owner=am2, grade=band("gold"))
    a3 = AccountFactory(owner=am3, grade=band("crystal"))
    services.plan_generate(month=dt.date(2026, 10, 1))
    return {"am1": am1, "am2": am2, "am3": am3, "a1": a1, "a2": a2, "a3": a3}


def plan_ids(user, **params):
    response = client(user).get(f"{API}/plans", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_plans_by_role(w):
    mine = plan_ids(w["am1"])
    assert mine["count"] == 3
    assert [(p["kind"], p["due_on"], p["overdue"]) for p in mine["results"]] == [
        ("call", "2026-10-16", True),
        ("visit", "2026-10-23", False),
        ("visit", "2026-12-09", False),
    ]
    assert {p["account"]["id"] for p in mine["results"]} == {w["a1"].pk}
    lead = UserFactory(lead=True, group=group("finance"))
    assert plan_ids(lead)["count"] == 3 + 6  # crystal + gold (2 calls, 4 visits)
    assert plan_ids(UserFactory(head=True))["count"] == 12
    assert plan_ids(UserFactory(analyst=True))["count"] == 12


def test_plans_filters_and_pagination(w):
    head = UserFactory(head=True)
    october = plan_ids(head, **{"from": "2026-10-01", "to": "2026-10-31"})
    # calls: a1 16, a3 16, a2 8 and 23 Oct; visits due in October: a1 23, a3 23, a2 12 Oct
    assert october["count"] == 7
    done = plan_ids(head, status="done")
    assert done["count"] == 0
    page = plan_ids(head, page=2, page_size=5)
    assert (page["count"], page["page"], len(page["results"])) == (12, 2, 5)
    bad = client(head).get(f"{API}/plans", {"from": "2026-11-01", "to": "2026-10-01"})
    assert bad.status_code == 422
    assert client(head).get(f"{API}/plans", {"status": "lost"}).status_code == 422


def test_plans_list_takes_a_fixed_number_of_queries(w):
    head = UserFactory(head=True)
    c = client(head)
    c.get(f"{API}/plans")
    with CaptureQueriesContext(connection) as few:
        c.get(f"{API}/plans", {"page_size": 2})
    with CaptureQueriesContext(connection) as many:
        c.get(f"{API}/plans", {"page_size": 12})
    assert len(many) == len(few)


def test_move_by_the_owner_and_refusals(w):
    call = PlannedContact.objects.get(account=w["a1"], kind="call")
    url = f"{API}/plans/{call.pk}/move"
    ok = post(w["am1"], url, {"due_on": "2026-10-22", "version": 1})
    assert ok.status_code == 200, ok.content
    assert (ok.json()["due_on"], ok.json()["version"]) == ("2026-10-22", 2)
    outside = post(w["am1"], url, {"due_on": "2026-11-02", "version": 2})
    assert (outside.status_code, outside.json()["field"]) == (400, "due_on")
    assert post(w["am1"], url, {"due_on": "2026-10-23", "version": 1}).status_code == 409
    assert post(w["am2"], url, {"due_on": "2026-10-23", "version": 2}).status_code == 404
    assert post(w["am3"], url, {"due_on": "2026-10-23", "version": 2}).status_code == 404
    analyst = post(UserFactory(analyst=True), url, {"due_on": "2026-10-23", "version": 2})
    assert (analyst.status_code, analyst.json()["code"]) == (403, "permission_denied")
    lead = post(
        UserFactory(lead=True, group=group("finance")), url, {"due_on": "2026-10-23", "version": 2}
    )
    assert lead.status_code == 200
    assert (
        post(
            w["am1"], f"{API}/plans/999999/move", {"due_on": "2026-10-23", "version": 3}
        ).status_code
        == 404
    )
    call.refresh_from_db()
    assert (call.due_on, call.version) == (dt.date(2026, 10, 23), 3)


def _log_body(w, **over):
    contact = ContactFactory(account=w["a1"])
    return {
        "account_id": w["a1"].pk,
        "kind": "visit",
        "happened_on": "2026-10-19",
        "topics": "季度拜访",
        "contact_ids": [contact.pk],
        "needs": "分支组网",
        "next_steps": "出方案",
        "follow_up_on": "2026-10-30",
        **over,
    }


def test_log_from_the_phone_fulfils_the_plan(w):
    response = post(w["am1"], f"{API}/logs", _log_body(w))
    assert response.status_code == 201, response.content
    body = response.json()
    planned = PlannedContact.objects.get(account=w["a1"], kind="visit", due_on="2026-10-23")
    assert body["planned_id"] == planned.pk
    assert (body["kind"], body["happened_on"], body["author"]["username"]) == (
        "visit",
        "2026-10-19",
        "am1",
    )
    assert len(body["contacts"]) == 1
    planned.refresh_from_db()
    assert planned.status == "done"
    listed = client(w["am1"]).get(f"{API}/logs", {"account_id": w["a1"].pk}).json()
    assert [(r["id"], r["planned_id"]) for r in listed["results"]] == [(body["id"], planned.pk)]


def test_log_naming_its_planned_item(w):
    december = PlannedContact.objects.get(account=w["a1"], kind="visit", due_on="2026-12-09")
    response = post(w["am1"], f"{API}/logs", _log_body(w, planned_id=december.pk))
    assert (response.status_code, response.json()["planned_id"]) == (201, december.pk)
    other = PlannedContact.objects.get(account=w["a3"], kind="call")  # not visible to am1
    refused = post(w["am1"], f"{API}/logs", _log_body(w, kind="call", planned_id=other.pk))
    assert (refused.status_code, refused.json()["field"]) == (422, "planned_id")


def test_log_refusals(w):
    def status(user, **over):
        response = post(user, f"{API}/logs", _log_body(w, **over))
        return response.status_code, response.json().get("field")

    assert status(w["am1"], happened_on="2026-10-21") == (400, "happened_on")
    foreign = ContactFactory(account=w["a2"])
    assert status(w["am1"], contact_ids=[foreign.pk]) == (400, "contacts")
    assert status(w["am1"], contact_ids=[999999]) == (422, "contact_ids")
    assert status(w["am1"], kind="meeting")[0] == 422
    assert status(w["am1"], topics="")[0] == 422
    assert status(w["am1"], account_id=w["a3"].pk) == (422, "account_id")  # not seen
    assert status(w["am2"])[0] == 422  # a1 is not am2's: not seen
    assert status(UserFactory(analyst=True))[0] == 403  # sees, may not log
    for role in ("desk", "ops"):
        assert status(UserFactory(**{role: True}))[0] == 403
    assert not ContactLog.objects.exists()


def test_logs_list_by_role_and_unseen_account_is_404(w):
    services.contact_log_create(
        actor=w["am1"], account=w["a1"], kind="call", happened_on=dt.date(2026, 10, 16), topics="t"
    )
    services.contact_log_create(
        actor=w["am3"], account=w["a3"], kind="call", happened_on=dt.date(2026, 10, 16), topics="t"
    )
    assert client(w["am1"]).get(f"{API}/logs").json()["count"] == 1
    assert client(UserFactory(head=True)).get(f"{API}/logs").json()["count"] == 2
    lead = UserFactory(lead=True, group=group("government"))
    assert client(lead).get(f"{API}/logs").json()["count"] == 1
    assert client(w["am1"]).get(f"{API}/logs", {"account_id": w["a3"].pk}).status_code == 404
    assert client(w["am1"]).get(f"{API}/logs", {"account_id": 0}).status_code == 422


def test_log_to_opportunity(w):
    entry = services.contact_log_create(
        actor=w["am1"],
        account=w["a1"],
        kind="visit",
        happened_on=dt.date(2026, 10, 19),
        topics="t",
        needs="分支组网",
    )
    url = f"{API}/logs/{entry.pk}/opportunity"
    assert post(w["am2"], url, {"name": "x"}).status_code == 404
    assert (
        post(UserFactory(lead=True, group=group("government")), url, {"name": "x"}).status_code
        == 404
    )
    assert post(UserFactory(analyst=True), url, {"name": "x"}).status_code == 403
    assert post(UserFactory(desk=True), url, {"name": "x"}).status_code == 403
    assert post(w["am1"], url, {}).status_code == 422
    response = post(w["am1"], url, {"name": "分支组网"})
    assert response.status_code == 201, response.content
    assert (response.json()["name"], response.json()["stage"]) == ("分支组网", "need")
    entry.refresh_from_db()
    assert entry.opportunity_id == response.json()["id"]
    assert post(w["am1"], url, {"name": "again"}).status_code == 400


def test_compliance_endpoint(w):
    services.contact_log_create(
        actor=w["am1"], account=w["a1"], kind="call", happened_on=dt.date(2026, 10, 16), topics="t"
    )
    head = UserFactory(head=True)
    rows = (
        client(head)
        .get(f"{API}/compliance", {"by": "owner", "start": "2026-10-01", "end": "2026-10-31"})
        .json()
    )
    # owed by 20 Oct: am1 the call of 16 Oct (done); am2 calls 8 Oct, visit 12 Oct;
    # am3 the call of 16 Oct
    got = [(r["key"], r["owed"], r["done"], r["pct"]) for r in rows]
    assert sorted(got[:2]) == sorted([(w["am2"].pk, 2, 0, "0.0"), (w["am3"].pk, 1, 0, "0.0")])
    assert got[2] == (w["am1"].pk, 1, 1, "100.0")  # worst first
    mine = client(w["am1"]).get(f"{API}/compliance").json()  # this month by default
    assert [(r["key"], r["visits_owed"], r["calls_owed"], r["calls_done"]) for r in mine] == [
        (w["am1"].pk, 0, 1, 1)
    ]
    grade = client(head).get(f"{API}/compliance", {"by": "grade"}).json()
    assert {r["label"] for r in grade} == {str(band("crystal")), str(band("gold"))}
    for params in ({"by": "city"}, {"start": "2026-10-31", "end": "2026-10-01"}, {"start": "x"}):
        assert client(head).get(f"{API}/compliance", params).status_code == 422


@pytest.mark.parametrize("role", ["desk", "ops", "presales"])
def test_roles_that_do_not_use_visits_are_refused_everywhere(w, role):
    user = UserFactory(**{role: True})
    c = client(user)
    call = PlannedContact.objects.get(account=w["a1"], kind="call")
    entry = services.contact_log_create(
        actor=w["am1"], account=w["a1"], kind="visit", happened_on=dt.date(2026, 10, 19),
        topics="t", needs="n",
    )  # fmt: skip
    for response in (
        c.get(f"{API}/plans"),
        c.get(f"{API}/logs"),
        c.get(f"{API}/compliance"),
        post(user, f"{API}/plans/{call.pk}/move", {"due_on": "2026-10-22", "version": 1}),
        post(user, f"{API}/logs", _log_body(w)),
        post(user, f"{API}/logs/{entry.pk}/opportunity", {"name": "x"}),
    ):
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_unauthenticated_is_401():
    assert Client().get(f"{API}/plans").status_code == 401
