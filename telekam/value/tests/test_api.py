"""The value API on the hand-computed case: figures, scope, refusals, bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from telekam.accounts.models import Segment
from telekam.core import clock
from telekam.org.tests.factories import UserFactory
from telekam.retention.models import CaseOutcome, CaseStatus
from telekam.retention.tests.factories import RetentionCaseFactory
from telekam.value.models import SegmentFigure
from telekam.value.tests.helpers import OCT, D

pytestmark = pytest.mark.django_db

API = "/api/v1/value"
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_accounts_value(case):
    SegmentFigure.objects.create(
        month=OCT, segment=Segment.PUBLIC, customers=2_000_000, revenue=D("90000000")
    )
    client = client_of(case["am"])

    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"{API}/accounts/{case['a'].pk}?month=2026-10").json()

    assert len(queries) <= 14  # session, user, and the selector's fixed few
    assert body["month"] == "2026-10-01"
    assert (body["revenue"], body["credits"], body["cost"], body["profit"]) == (
        "9001.00",
        "100.00",
        "5000.29",
        "3900.71",
    )
    assert body["margin_pct"] == "43.3"
    assert {c["resource"]: c["cost"] for c in body["costs"]} == {
        "data": "3000.00",
        "voice": "1500.29",
        "bandwidth": "500.00",
    }
    assert [(p["code"], p["amount"]) for p in body["products"]] == [
        ("digital_circuit", "6000.00"),
        ("voice_usage", "2000.00"),
        ("mobile_package", "1001.00"),
    ]
    assert [(e["segment"], e["customers"]) for e in body["equivalents"]] == [
        ("commercial", "9.0"),
        ("public", "200.0"),
    ]
    assert body["equivalents"][1]["arpu"]["source"] == "statistics"


def test_default_month_and_no_bills(case):
    body = client_of(case["am"]).get(f"{API}/accounts/{case['a'].pk}").json()
    assert body["month"] == "2026-10-01"
    empty = client_of(case["am"]).get(f"{API}/accounts/{case['a'].pk}?month=2026-07").json()
    assert (empty["revenue"], empty["profit"], empty["costs"]) == ("0.00", "0.00", [])
    assert empty["pools_missing"] == ["data", "voice", "bandwidth"]


@pytest.mark.parametrize("month", ["2026-13", "26-10", "2026-12", "x", "1999-01"])
def test_a_bad_month_is_a_422_naming_it(case, month):
    response = client_of(case["am"]).get(f"{API}/accounts/{case['a'].pk}?month={month}")
    assert response.status_code == 422
    assert response.json()["field"] == "month"


def test_refused_sides(case):
    url = f"{API}/accounts/{case['a'].pk}"
    assert client_of(UserFactory()).get(url).status_code == 404  # another AM's account
    assert client_of(UserFactory(desk=True)).get(url).status_code == 403
    assert client_of(UserFactory(ops=True)).get(f"{API}/arpu").status_code == 403
    assert client_of(UserFactory(desk=True)).get(f"{API}/lost-equivalence").status_code == 403
    assert Client().get(url).status_code == 401


def test_arpu_by_segment(case):
    body = client_of(case["am"]).get(f"{API}/arpu?month=2026-10").json()
    assert body["month"] == "2026-10-01"
    assert [(s["segment"], s["value"], s["customers"]) for s in body["segments"]] == [
        ("commercial", "1000.00", 2),
        ("key", "5600.33", 3),
    ]


def test_lost_equivalence_of_a_quarter(case):
    for account, amount, outcome in (
        (case["a"], "5000.00", CaseOutcome.LOST),
        (case["b"], "1000.00", CaseOutcome.PARTLY_LOST),
    ):
        RetentionCaseFactory(
            account=account,
            status=CaseStatus.CLOSED,
            outcome=outcome,
            reason="price",
            monthly_revenue_lost=D(amount),
            closed_on=dt.date(2026, 11, 3),
        )
    head = client_of(UserFactory(head=True))

    body = head.get(f"{API}/lost-equivalence?period=2026-Q4").json()

    assert (body["period"], body["accounts"], body["revenue_lost"]) == ("2026-Q4", 2, "6000.00")
    assert body["month"] == "2026-10-01"  # the latest billed month of the quarter
    assert [e["customers"] for e in body["equivalents"]] == ["6.0", None]  # no public figure
    mine = client_of(case["am"]).get(f"{API}/lost-equivalence?period=2026-11").json()
    assert (mine["accounts"], mine["account_ids"]) == (1, [case["a"].pk])
    bad = head.get(f"{API}/lost-equivalence?period=2027")
    assert (bad.status_code, bad.json()["field"]) == (422, "period")


MARKS = {"brand": 5, "satisfaction": 4, "referrals": 3, "strategic": 2, "social": 1, "guarantee": 0}


def put(client: Client, url: str, body: dict[str, Any]) -> Any:
    import json

    return client.put(url, json.dumps(body), content_type="application/json")


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    import json

    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_intangible_sheet_through_the_api(case):
    from telekam.org.tests.factories import group

    am = client_of(case["am"])
    url = f"{API}/accounts/{case['a'].pk}/intangible"
    empty = am.get(url).json()
    assert (empty["id"], empty["version"], empty["can_fill"]) == (None, 0, True)
    assert [line["code"] for line in empty["lines"]] == list(MARKS)

    body = put(am, url, {"marks": MARKS, "notes": "标杆", "version": 0}).json()
    assert (body["score"], body["status"], body["version"]) == ("62.0", "draft", 1)
    again = put(am, url, {"marks": MARKS, "version": 0})
    assert again.status_code == 409  # had not seen the saved sheet
    body = post(am, f"{API}/intangible/{body['id']}/submit", {"version": 1}).json()
    assert body["status"] == "submitted"

    lead = client_of(UserFactory(lead=True, group=group("finance")))
    refused = post(am, f"{API}/intangible/{body['id']}/review", {"approve": True, "version": 2})
    assert refused.status_code == 403
    body = post(
        lead, f"{API}/intangible/{body['id']}/review", {"approve": True, "version": 2}
    ).json()
    assert body["status"] == "approved"


@pytest.mark.parametrize(
    "marks",
    [{**MARKS, "brand": 6}, {**MARKS, "brand": "5"}, {**MARKS, "brand": True}, {"brand": 1}],
)
def test_bad_marks_are_a_4xx_never_a_500(case, marks):
    response = put(
        client_of(case["am"]), f"{API}/accounts/{case['a'].pk}/intangible", {"marks": marks}
    )
    assert response.status_code == 422


def test_the_sheet_outside_ones_accounts_is_a_404(case):
    url = f"{API}/accounts/{case['a'].pk}/intangible"
    assert client_of(UserFactory()).get(url).status_code == 404
    assert client_of(UserFactory(desk=True)).get(url).status_code == 403
    assert (
        post(client_of(case["am"]), f"{API}/intangible/999999/submit", {"version": 1}).status_code
        == 404
    )
