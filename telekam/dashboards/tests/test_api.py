"""The KPI API: figures, drill-down, league tables, trend and targets, with refusals and
wrong input (never a 500)."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from django.test import Client

from telekam.core import clock
from telekam.dashboards.api import KpiName
from telekam.dashboards.kpis import KPI_INFO
from telekam.dashboards.models import KpiTarget
from telekam.dashboards.tests.conftest import TODAY
from telekam.org.tests.factories import UserFactory
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db
API = "/api/v1/dashboard"


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(aware(TODAY)):
        yield


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_schema_knows_every_kpi():
    assert set(get_args(KpiName)) == {k.value for k in KPI_INFO}


def test_figures_of_the_department_a_group_and_an_am(world):
    body = client_of(world.head).get(f"{API}/kpis", {"month": "2026-10"}).json()
    assert body["period"]["opening"] == "2026-09-01"
    figures = {f["kpi"]: f for f in body["figures"]}
    assert figures["retention_revenue"]["value"] == "61.9"
    assert (figures["retention_count"]["num"], figures["retention_count"]["den"]) == ("2", "4")
    body = client_of(world.head).get(f"{API}/kpis", {"kind": "year", "group": world.a.group_id})
    assert body.json()["scope"]["level"] == "group"
    body = client_of(world.am1).get(f"{API}/kpis").json()
    assert body["scope"] == {"level": "owner", "title": str(world.am1), "group": None,
                             "owner": world.am1.pk}  # fmt: skip


def test_drill_league_and_trend(world):
    client = client_of(world.head)
    body = client.get(f"{API}/kpis/retention_count/accounts", {"month": "2026-10"}).json()
    assert [a["name"] for a in body["accounts"]] == ["丁", "丙", "乙", "甲"]
    assert body["figure"] == "50.0"
    league = client.get(f"{API}/league", {"by": "group", "month": "2026-10"}).json()
    assert {r["id"] for r in league["rows"]} == {world.a.group_id, world.d.group_id}
    trend = client.get(f"{API}/trend", {"kpi": "satisfaction"}).json()
    assert len(trend["points"]) == 12
    assert trend["points"][-1] == {"month": "2026-10-01", "value": "40.0", "num": "2",
                                   "den": "5", "target": None}  # fmt: skip
    # an AM has no group league
    response = client_of(world.am1).get(f"{API}/league", {"by": "group"})
    assert response.status_code == 422


def test_refusals_and_wrong_input(world):
    desk = client_of(UserFactory(desk=True))
    assert desk.get(f"{API}/kpis").status_code == 403
    am1 = client_of(world.am1)
    assert am1.get(f"{API}/kpis", {"owner": world.am2.pk}).status_code == 403
    assert am1.get(f"{API}/kpis/avg_value/accounts", {"group": world.d.group_id}).status_code == 403
    head = client_of(world.head)
    for params in ({"month": "2026-13"}, {"kind": "week"}, {"group": "x"}, {"owner": -1}):
        assert head.get(f"{API}/kpis", params).status_code == 422, params
    assert head.get(f"{API}/kpis/nope/accounts").status_code == 422
    assert head.get(f"{API}/kpis", {"group": 99999}).status_code == 404


def put(client: Client, body: dict[str, Any]) -> Any:
    return client.put(f"{API}/targets", json.dumps(body), content_type="application/json")


def test_targets_put_and_conflict(world):
    body = {"kpi": "sla_on_time", "year": 2026, "month": 10, "level": "department",
            "value": "98.5", "version": 0}  # fmt: skip
    assert put(client_of(world.am1), body).status_code == 403
    assert put(client_of(world.lead), body).status_code == 403
    response = put(client_of(world.head), body)
    assert response.status_code == 200
    saved = response.json()
    assert (saved["value"], saved["version"]) == ("98.50", 1)
    assert put(client_of(world.head), {**body, "value": "50"}).status_code == 409
    assert KpiTarget.objects.get().value == 98.5
    response = put(client_of(world.head), {**body, "value": "97", "version": 1})
    assert response.json()["version"] == 2
    assert put(client_of(world.head), {**body, "level": "group"}).status_code == 422
    assert put(client_of(world.head), {**body, "level": "owner", "owner": 99999}).status_code == 404
    figures = client_of(world.head).get(f"{API}/kpis", {"month": "2026-10"}).json()["figures"]
    sla = next(f for f in figures if f["kpi"] == "sla_on_time")
    assert (sla["target"], sla["met"]) == ("97.00", False)
    listed = client_of(world.am1).get(f"{API}/targets", {"year": 2026}).json()
    assert [t["kpi"] for t in listed] == ["sla_on_time"]
