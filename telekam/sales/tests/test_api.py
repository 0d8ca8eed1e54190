"""The JSON API of sales: the same operations as its pages, each step by the role allowed to
take it, with exact figures; and from the refused side: 403 for a role that may not act,
404 for what the user may not see (the same answer as a missing id), 409 for a stale
version, 4xx (never 500) for wrong input, and bounded queries on lists and details.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from ninja import Schema

from config.api_urls import api
from telekam.accounts.models import Account
from telekam.accounts.tests.factories import AccountFactory, product
from telekam.core import clock
from telekam.core.models import AuditEntry
from telekam.org.services import api_token_create
from telekam.org.tests.factories import UserFactory, group
from telekam.sales import api as sales_api
from telekam.sales import services
from telekam.sales.models import (
    Appraisal,
    Contract,
    ContractLine,
    Opportunity,
    Prospect,
    Quote,
    QuoteLine,
    Solution,
    StageChange,
)
from telekam.service.models import ProvisioningOrder
from telekam.service.tests.factories import aware, reload

pytestmark = pytest.mark.django_db

API = "/api/v1"
D = dt.date
TODAY = D(2026, 3, 2)  # a Monday


class ApiClient:
    """A test client that sends JSON with the user's bearer token."""

    def __init__(self, user: Any) -> None:
        _token, key = api_token_create(user=user, name="test")
        self.client = Client(headers={"Authorization": f"Bearer {key}"})

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get(API + url, params)

    def post(self, url: str, body: Any = None) -> Any:
        return self.client.post(API + url, json.dumps(body), content_type="application/json")

    def put(self, url: str, body: Any = None) -> Any:
        return self.client.put(API + url, json.dumps(body), content_type="application/json")


def at(day: dt.date, hour: int = 10) -> Any:
    return clock.frozen(aware(day, hour))


@pytest.fixture(autouse=True)
def _today() -> Any:
    with at(TODAY):
        yield


@pytest.fixture
def w() -> dict[str, Any]:
    finance, government = group("finance"), group("government")
    am = UserFactory(username="am_fin", last_name="张", first_name="三", group=finance)
    users = {
        "am": am,
        "am2": UserFactory(username="am_fin2", group=finance),
        "lead": UserFactory(username="lead_fin", lead=True, group=finance),
        "presales": UserFactory(username="pre_fin", presales=True, group=finance),
        "stranger": UserFactory(username="am_gov", group=government),
        "lead_gov": UserFactory(username="lead_gov", lead=True, group=government),
        "head": UserFactory(username="head", head=True),
        "analyst": UserFactory(username="analyst", analyst=True),
        "desk": UserFactory(username="desk", desk=True),
        "ops": UserFactory(username="ops", ops=True),
    }
    account = AccountFactory(code="KA90000001", name="华夏银行北京分行", owner=am)  # crystal
    return {**users, "account": account}


def client(w: dict[str, Any], who: str) -> ApiClient:
    return ApiClient(w[who])


def snapshot() -> tuple[Any, ...]:
    """Everything a refused sales write could have touched."""
    return (
        list(Opportunity.objects.order_by("pk").values()),
        list(Prospect.objects.order_by("pk").values()),
        list(Solution.objects.order_by("pk").values()),
        list(Quote.objects.order_by("pk").values()),
        list(QuoteLine.objects.order_by("pk").values()),
        list(Contract.objects.order_by("pk").values()),
        list(ContractLine.objects.order_by("pk").values()),
        list(Appraisal.objects.order_by("pk").values()),
        StageChange.objects.count(),
        Account.objects.count(),
        ProvisioningOrder.objects.count(),
        AuditEntry.objects.count(),
    )


# --- builders (through the services) ---------------------------------------------------


def new_deal(
    w: dict[str, Any], *, prospect: Prospect | None = None, monthly: str = "7452.00", **extra: Any
) -> Opportunity:
    return services.opportunity_create(
        actor=w["am"],
        name=extra.pop("name", "总行数据专线扩容"),
        source="customer",
        close_date=extra.pop("close_date", D(2026, 4, 30)),
        account=None if prospect else extra.pop("account", w["account"]),
        prospect=prospect,
        expected_monthly=Decimal(monthly),
        **extra,
    )


def new_quote(
    w: dict[str, Any], opportunity: Opportunity, *, discount: str = "8", actor: str = "am"
) -> Quote:
    solution = services.solution_create(actor=w[actor], opportunity=opportunity, title="双路由方案")
    return services.quote_create(
        actor=w[actor],
        solution=solution,
        lines=[
            {
                "product": product("digital_circuit"),
                "quantity": 2,
                "term_months": 24,
                "discount_pct": Decimal(discount),
            }
        ],
        valid_until=D(2026, 4, 30),
    )


def accepted_deal(w: dict[str, Any], **extra: Any) -> tuple[Opportunity, Quote]:
    """A deal at the contract stage whose quote (8 %, approved at once) was accepted."""
    opportunity = new_deal(w, **extra)
    quote = new_quote(w, opportunity)
    quote = services.quote_submit(actor=w["am"], quote=quote, expected_version=quote.version)
    services.quote_accept(actor=w["am"], quote=quote, expected_version=quote.version)
    return reload(opportunity), reload(quote)


def moved(w: dict[str, Any], opportunity: Opportunity, *stages: str) -> Opportunity:
    for stage in stages:
        opportunity = services.opportunity_move(
            actor=w["am"],
            opportunity=reload(opportunity),
            to_stage=stage,
            expected_version=reload(opportunity).version,
        )
    return reload(opportunity)


# --- the journey: need, solution <-> negotiation, contract, won, signed -----------------


def test_deal_from_need_through_rounds_to_won_and_signed(w):
    am = client(w, "am")
    response = am.post(
        "/sales/opportunities",
        {
            "name": "总行数据专线扩容",
            "source": "proactive",
            "close_date": "2026-04-30",
            "account_id": w["account"].pk,
            "products": ["digital_circuit", "ip_vpn"],
            "expected_monthly": "7452.00",
            "expected_one_time": "5520.00",
            "description": "总行至亦庄数据中心双路由",
        },
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    opp_id = created["id"]
    assert {k: created[k] for k in created if k not in ("id", "created_at", "stage_history")} == {
        "number": "OP202603020001",
        "name": "总行数据专线扩容",
        "customer": "华夏银行北京分行",
        "account": {"id": w["account"].pk, "code": "KA90000001", "name": "华夏银行北京分行"},
        "prospect": None,
        "owner": {"id": w["am"].pk, "username": "am_fin", "name": "张三"},
        "group": "finance",
        "source": "proactive",
        "stage": "need",
        "probability": 10,
        "expected_monthly": "7452.00",
        "expected_one_time": "5520.00",
        "weighted_monthly": "745.20",
        "close_date": "2026-04-30",
        "solution_rounds": 0,
        "negotiation_rounds": 0,
        "closed_on": None,
        "lost_reason": "",
        "lost_to": "",
        "version": 1,
        "description": "总行至亦庄数据中心双路由",
        "lost_note": "",
        "products": ["digital_circuit", "ip_vpn"],
        "solutions": [],
        "contracts": [],
        "appraisal": None,
    }

    response = client(w, "presales").post(
        f"/sales/opportunities/{opp_id}/solutions", {"title": "双路由方案", "proposal": "SDH"}
    )
    assert response.status_code == 201, response.json()
    solution = response.json()
    assert (solution["title"], solution["presales"]["username"], solution["quotes"]) == (
        "双路由方案",
        "pre_fin",
        [],
    )
    response = am.post(
        f"/sales/solutions/{solution['id']}/quotes",
        {
            "valid_until": "2026-04-30",
            "note": "两年期",
            "lines": [
                {"product": "digital_circuit", "quantity": 2, "term_months": 24, "discount_pct": 8},
                {"product": "ip_vpn", "monthly_price": "2450.00", "one_time_price": "0"},
            ],
        },
    )
    assert response.status_code == 201, response.json()
    quote = response.json()
    assert [{k: line[k] for k in line if k != "id"} for line in quote["lines"]] == [
        {
            "product": "digital_circuit",
            "product_name": "数字电路",
            "quantity": 2,
            "term_months": 24,
            "monthly_price": "2800.00",  # the catalogue's list fees
            "one_time_price": "3000.00",
            "discount_pct": "8.00",
            "net_monthly": "5152.00",  # 2 x 2800 x 92 %
            "net_one_time": "5520.00",
            "contract_value": "129168.00",  # 5152 x 24 + 5520
        },
        {
            "product": "ip_vpn",
            "product_name": "IP-VPN",
            "quantity": 1,
            "term_months": 12,
            "monthly_price": "2450.00",
            "one_time_price": "0.00",
            "discount_pct": "0.00",
            "net_monthly": "2450.00",
            "net_one_time": "0.00",
            "contract_value": "29400.00",
        },
    ]
    assert {
        k: quote[k]
        for k in (
            "number",
            "revision",
            "status",
            "monthly",
            "one_time",
            "contract_value",
            "max_discount",
            "grade_limit",
            "over_grade",
            "version",
        )
    } == {
        "number": "QT202603020001",
        "revision": 1,
        "status": "draft",
        "monthly": "7602.00",
        "one_time": "5520.00",
        "contract_value": "158568.00",
        "max_discount": "8.00",
        "grade_limit": "8.00",  # crystal merits 8 %
        "over_grade": False,
        "version": 1,
    }
    submitted = am.post(f"/sales/quotes/{quote['id']}/submit", {"version": 1}).json()
    assert (submitted["status"], submitted["approver_role"], submitted["version"]) == (
        "approved",  # 8 % is within the AM's own 10 %
        "",
        2,
    )
    assert submitted["decided_by"]["username"] == submitted["submitted_by"]["username"] == "am_fin"

    version = 1
    for stage in ("solution", "negotiation", "solution", "negotiation"):
        response = am.post(
            f"/sales/opportunities/{opp_id}/move",
            {"to_stage": stage, "version": version, "note": f"进入{stage}"},
        )
        assert response.status_code == 200, response.json()
        version = response.json()["version"]
    body = response.json()
    assert (body["stage"], body["solution_rounds"], body["negotiation_rounds"], version) == (
        "negotiation",
        2,
        2,
        5,
    )
    assert body["probability"] == 50

    response = am.post(f"/sales/quotes/{quote['id']}/accept", {"version": 2})
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["opportunity"]["stage"]) == (
        "accepted",
        "contract",
    )

    response = am.post(f"/sales/opportunities/{opp_id}/move", {"to_stage": "won", "version": 6})
    assert response.status_code == 200, response.json()
    won = response.json()
    assert (won["stage"], won["probability"], won["closed_on"], won["version"]) == (
        "won",
        100,
        "2026-03-02",
        7,
    )
    assert [
        (c["from_stage"], c["to_stage"], c["backward"], c["note"], c["actor"]["username"])
        for c in won["stage_history"]
    ] == [
        ("", "need", False, "新建商机", "am_fin"),
        ("need", "solution", False, "进入solution", "am_fin"),
        ("solution", "negotiation", False, "进入negotiation", "am_fin"),
        ("negotiation", "solution", True, "进入solution", "am_fin"),
        ("solution", "negotiation", False, "进入negotiation", "am_fin"),
        ("negotiation", "contract", False, "客户接受报价 QT202603020001", "am_fin"),
        ("contract", "won", False, "", "am_fin"),
    ]
    assert [q["status"] for s in won["solutions"] for q in s["quotes"]] == ["accepted"]
    [contract_ref] = won["contracts"]
    assert (contract_ref["status"], contract_ref["version"]) == ("draft", 1)

    contract = am.get(f"/sales/contracts/{contract_ref['id']}").json()
    assert {
        k: contract[k]
        for k in ("number", "status", "term_months", "start_on", "end_on", "sla_class", "account")
    } == {
        "number": "HT202603020001",
        "status": "draft",
        "term_months": 24,
        "start_on": "2026-03-02",
        "end_on": "2028-03-02",
        "sla_class": "normal",
        "account": {"id": w["account"].pk, "code": "KA90000001", "name": "华夏银行北京分行"},
    }
    assert contract["quote"] == {"id": quote["id"], "number": "QT202603020001", "revision": 1}
    assert [
        (ln["product"], ln["quantity"], ln["monthly_fee"], ln["one_time_fee"], ln["orders"])
        for ln in contract["lines"]
    ] == [("digital_circuit", 2, "5152.00", "5520.00", []), ("ip_vpn", 1, "2450.00", "0.00", [])]

    # Signed on Thu 30 Apr 2026: twenty working days on the statutory calendar (1-5 May
    # off, Sat 9 May worked) end on Mon 1 Jun.
    with at(D(2026, 4, 30)):
        response = am.post(
            f"/sales/contracts/{contract['id']}/sign", {"signed_on": "2026-04-30", "version": 1}
        )
    assert response.status_code == 200, response.json()
    signed = response.json()
    assert (signed["status"], signed["signed_on"], signed["version"]) == (
        "signed",
        "2026-04-30",
        2,
    )
    order_ids = [i for ln in signed["lines"] for i in ln["orders"]]
    orders = ProvisioningOrder.objects.filter(pk__in=order_ids).order_by("pk")
    assert [
        (o.product.code, o.sla_class, o.accepted_on, o.deadline, o.one_time_fee, o.monthly_fee)
        for o in orders
    ] == [
        ("digital_circuit", "normal", D(2026, 4, 30), D(2026, 6, 1), Decimal("2760.00"), Decimal("2576.00")),
        ("digital_circuit", "normal", D(2026, 4, 30), D(2026, 6, 1), Decimal("2760.00"), Decimal("2576.00")),
        ("ip_vpn", "normal", D(2026, 4, 30), D(2026, 6, 1), Decimal("0.00"), Decimal("2450.00")),
    ]  # fmt: skip
    assert {o.account_id for o in orders} == {w["account"].pk}


# --- moving: the refused sides ---------------------------------------------------------


def test_won_before_negotiation_or_without_an_accepted_quote_is_400_and_changes_nothing(w):
    am = client(w, "am")
    opportunity = moved(w, new_deal(w), "solution")
    before = snapshot()
    response = am.post(
        f"/sales/opportunities/{opportunity.pk}/move", {"to_stage": "won", "version": 2}
    )
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        400,
        "bad_stage",
        "to_stage",
    )
    assert snapshot() == before
    opportunity = moved(w, opportunity, "negotiation")
    before = snapshot()
    response = am.post(
        f"/sales/opportunities/{opportunity.pk}/move", {"to_stage": "won", "version": 3}
    )
    assert (response.status_code, response.json()["code"]) == (400, "no_accepted_quote")
    assert snapshot() == before


def test_lost_needs_a_reason_and_the_competitor_then_nothing_moves(w):
    am = client(w, "am")
    opportunity = new_deal(w)
    url = f"/sales/opportunities/{opportunity.pk}/move"
    before = snapshot()
    response = am.post(url, {"to_stage": "lost", "version": 1})
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        400,
        "lost_needs_reason",
        "lost_reason",
    )
    response = am.post(
        url, {"to_stage": "lost", "version": 1, "lost_reason": "competitor_solution"}
    )
    assert (response.status_code, response.json()["field"]) == (400, "lost_to")
    assert snapshot() == before
    response = am.post(
        url,
        {
            "to_stage": "lost",
            "version": 1,
            "lost_reason": "competitor_solution",
            "lost_to": "联通",
            "lost_note": "对方报价低 15%",
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (
        body["stage"],
        body["lost_reason"],
        body["lost_to"],
        body["lost_note"],
        body["closed_on"],
        body["probability"],
    ) == ("lost", "competitor_solution", "联通", "对方报价低 15%", "2026-03-02", 0)
    before = snapshot()
    for stage in ("need", "won", "negotiation"):
        response = am.post(url, {"to_stage": stage, "version": 2})
        assert (response.status_code, response.json()["code"]) == (400, "closed"), stage
    assert snapshot() == before


def test_two_people_moving_from_the_same_version_the_second_gets_409(w):
    opportunity = new_deal(w)
    url = f"/sales/opportunities/{opportunity.pk}/move"
    first = client(w, "am").post(url, {"to_stage": "solution", "version": 1})
    assert first.status_code == 200, first.json()
    before = snapshot()
    second = client(w, "lead").post(
        url, {"to_stage": "lost", "version": 1, "lost_reason": "price", "lost_note": "预算取消"}
    )
    assert (second.status_code, second.json()["code"]) == (409, "conflict")
    assert snapshot() == before
    assert (reload(opportunity).stage, reload(opportunity).lost_reason) == ("solution", "")


@pytest.mark.parametrize(
    "body",
    [
        {"to_stage": "bogus", "version": 1},
        {"to_stage": "", "version": 1},
        {"to_stage": "solution", "version": 0},
        {"to_stage": "solution", "version": 10**30},
        {"to_stage": "solution"},
        {"to_stage": "lost", "version": 1, "lost_reason": "bad luck"},
        {"to_stage": "lost", "version": 1, "lost_reason": "price", "lost_note": "x" * 301},
    ],
)
def test_bad_moves_are_422_and_change_nothing(w, body):
    opportunity = new_deal(w)
    before = snapshot()
    response = client(w, "am").post(f"/sales/opportunities/{opportunity.pk}/move", body)
    assert (response.status_code, response.json()["code"]) == (422, "invalid"), response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("close_date", "2026-02-30"),
        ("close_date", "2206-04-30"),
        ("expected_monthly", "-0.01"),
        ("expected_monthly", 10**30),
        ("expected_one_time", "1e400"),
        ("source", "rumour"),
        ("products", ["ip_vpn", "x" * 41]),
        ("products", ["ip_vpn"] * 51),
        ("name", ""),
    ],
)
def test_bad_new_opportunities_are_422_and_change_nothing(w, field, value):
    body = {
        "name": "新商机",
        "source": "customer",
        "close_date": "2026-04-30",
        "account_id": w["account"].pk,
    }
    before = snapshot()
    response = client(w, "am").post("/sales/opportunities", {**body, field: value})
    assert (response.status_code, response.json()["field"]) == (422, field), response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("presales", 403),  # sees the group's deals, does not move them
        ("analyst", 403),  # sees everything, changes nothing
        ("desk", 403),  # no sales at all
        ("ops", 403),
        ("stranger", 404),  # an AM of another group does not see it
        ("lead_gov", 404),  # nor the lead of another group
        ("am2", 404),  # nor another AM of the group
    ],
)
def test_who_may_not_move_a_deal(w, who, status):
    opportunity = new_deal(w)
    before = snapshot()
    response = client(w, who).post(
        f"/sales/opportunities/{opportunity.pk}/move", {"to_stage": "solution", "version": 1}
    )
    assert response.status_code == status, response.json()
    assert response.json()["code"] == {403: "permission_denied", 404: "not_found"}[status]
    assert snapshot() == before


@pytest.mark.parametrize("who", ["am", "lead", "head"])
def test_who_may_move_a_deal(w, who):
    opportunity = new_deal(w)
    response = client(w, who).post(
        f"/sales/opportunities/{opportunity.pk}/move", {"to_stage": "solution", "version": 1}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["stage_history"][-1]["actor"]["username"] == w[who].username


def test_desk_and_operations_get_403_on_every_sales_read(w):
    opportunity = new_deal(w)
    _opp, quote = accepted_deal(w, name="另一个")
    for who in ("desk", "ops"):
        c = client(w, who)
        for url in [
            "/sales/opportunities",
            f"/sales/opportunities/{opportunity.pk}",
            f"/sales/opportunities/{opportunity.pk}/appraisal",
            "/sales/prospects",
            f"/sales/quotes/{quote.pk}",
            "/sales/approvals",
            "/sales/pipeline/board",
            "/sales/pipeline/forecast",
            "/sales/pipeline/win-loss",
        ]:
            response = c.get(url)
            assert (response.status_code, response.json()["code"]) == (
                403,
                "permission_denied",
            ), (who, url)
        response = c.post(
            "/sales/appraise", {"cashflows": ["-100", "110"], "rate": "0.05", "period": "year"}
        )
        assert response.status_code == 403


def test_invisible_and_unknown_ids_are_the_same_404(w):
    opportunity = new_deal(w)
    _opp, quote = accepted_deal(w, name="另一个")
    stranger = client(w, "stranger")
    for url in [
        f"/sales/opportunities/{opportunity.pk}",
        "/sales/opportunities/999999",
        f"/sales/quotes/{quote.pk}",
        "/sales/quotes/999999",
        "/sales/contracts/999999",
        "/sales/prospects/999999",
        f"/sales/opportunities/{opportunity.pk}/appraisal",
    ]:
        response = stranger.get(url)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), url
    response = stranger.post(f"/sales/opportunities/{opportunity.pk}/solutions", {"title": "抢单"})
    assert response.status_code == 404
    solution = quote.solution
    response = stranger.post(
        f"/sales/solutions/{solution.pk}/quotes",
        {"valid_until": "2026-04-30", "lines": [{"product": "ddn"}]},
    )
    assert response.status_code == 404
    assert (Solution.objects.count(), Quote.objects.count()) == (1, 1)


# --- prospects --------------------------------------------------------------------------


def test_prospect_created_converted_once_and_its_deal_won_after(w):
    am = client(w, "am")
    response = am.post(
        "/sales/prospects",
        {
            "name": "北京未来能源集团",
            "credit_code": " 91350100m000100y43 ",
            "industry": "mining",
            "city": "北京",
            "address": "朝阳区光华路 5 号",
            "contact_name": "刘主任",
            "contact_title": "信息中心主任",
            "contact_phone": "13912345678",
            "employees": 1200,
            "notes": "行业展会结识",
        },
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert {
        k: created[k] for k in ("name", "credit_code", "industry", "group", "owner", "account")
    } == {
        "name": "北京未来能源集团",
        "credit_code": "91350100M000100Y43",
        "industry": "mining",
        "group": "finance",
        "owner": {"id": w["am"].pk, "username": "am_fin", "name": "张三"},
        "account": None,
    }
    prospect = Prospect.objects.get(pk=created["id"])
    assert [p["id"] for p in am.get("/sales/prospects").json()["results"]] == [prospect.pk]
    assert client(w, "stranger").get(f"/sales/prospects/{prospect.pk}").status_code == 404

    opportunity, quote = accepted_deal(w, prospect=prospect)
    assert (opportunity.stage, opportunity.account_id) == ("contract", None)
    before = snapshot()
    response = am.post(
        f"/sales/opportunities/{opportunity.pk}/move",
        {"to_stage": "won", "version": opportunity.version},
    )
    assert (response.status_code, response.json()["code"]) == (400, "prospect_not_converted")
    assert snapshot() == before

    response = am.post(f"/sales/prospects/{prospect.pk}/convert", {"version": 1})
    assert response.status_code == 200, response.json()
    converted = response.json()
    account = Account.objects.get(pk=converted["account"]["id"])
    assert (
        account.name,
        account.credit_code,
        account.industry,
        account.city,
        account.address,
        account.employees,
        account.owner_id,
        account.group.code,
        account.segment,
    ) == (
        "北京未来能源集团",
        "91350100M000100Y43",
        "mining",
        "北京",
        "朝阳区光华路 5 号",
        1200,
        w["am"].pk,
        "finance",
        "key",
    )
    assert converted["converted_at"] is not None
    assert converted["version"] == 2
    assert reload(opportunity).account_id == account.pk
    assert am.get("/sales/prospects").json()["count"] == 0
    assert [p["id"] for p in am.get("/sales/prospects", converted=True).json()["results"]] == [
        prospect.pk
    ]

    before = snapshot()
    again = am.post(f"/sales/prospects/{prospect.pk}/convert", {"version": 2})
    assert (again.status_code, again.json()["code"]) == (400, "already_converted")
    stale = am.post(f"/sales/prospects/{prospect.pk}/convert", {"version": 1})
    assert (stale.status_code, stale.json()["code"]) == (409, "conflict")
    assert snapshot() == before

    response = am.post(
        f"/sales/opportunities/{opportunity.pk}/move",
        {"to_stage": "won", "version": opportunity.version},
    )
    assert response.status_code == 200, response.json()
    contract = Contract.objects.get(opportunity=opportunity)
    assert (contract.account_id, contract.customer_party, contract.quote_id) == (
        account.pk,
        "北京未来能源集团",
        quote.pk,
    )


def test_prospect_refused_sides(w):
    before = snapshot()
    response = client(w, "presales").post("/sales/prospects", {"name": "某公司", "industry": "it"})
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    response = client(w, "am").post(
        "/sales/prospects", {"name": "某公司", "industry": "it", "credit_code": "123"}
    )
    assert (response.status_code, response.json()["code"]) == (422, "invalid")
    assert "credit_code" in response.json()["details"]
    response = client(w, "am").post(
        "/sales/prospects", {"name": "某公司", "industry": "it", "owner": "nobody"}
    )
    assert (response.status_code, response.json()["field"]) == (422, "owner")
    assert snapshot() == before


def test_opportunity_for_an_invisible_account_or_prospect_is_a_422(w):
    stranger = client(w, "stranger")
    prospect = services.prospect_create(actor=w["am"], data={"name": "甲", "industry": "it"})
    before = snapshot()
    base = {"name": "抢单", "source": "customer", "close_date": "2026-04-30"}
    response = stranger.post("/sales/opportunities", {**base, "account_id": w["account"].pk})
    assert (response.status_code, response.json()["field"]) == (422, "account_id")
    response = stranger.post("/sales/opportunities", {**base, "prospect_id": prospect.pk})
    assert (response.status_code, response.json()["field"]) == (422, "prospect_id")
    response = client(w, "am").post("/sales/opportunities", base)  # neither
    assert (response.status_code, response.json()["field"]) == (400, "account")
    response = client(w, "am").post(
        "/sales/opportunities",
        {**base, "account_id": w["account"].pk, "products": ["ip_vpn", "teleport"]},
    )
    assert (response.status_code, response.json()["field"]) == (422, "products.1")
    assert snapshot() == before


# --- quotes and discount approval -------------------------------------------------------


def test_discount_beyond_the_am_goes_to_the_lead_who_approves_it(w):
    opportunity = new_deal(w)
    quote = new_quote(w, opportunity, discount="15")
    am, lead = client(w, "am"), client(w, "lead")
    response = am.post(f"/sales/quotes/{quote.pk}/submit", {"version": 1})
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["approver_role"]) == (
        "pending",
        "group_lead",
    )
    assert response.json()["over_grade"] is True  # crystal merits 8 %
    for who, expected in [("lead", [quote.pk]), ("head", [quote.pk]), ("am", [])]:
        listed = client(w, who).get("/sales/approvals").json()
        assert [q["id"] for q in listed["results"]] == expected, who
    row = lead.get("/sales/approvals").json()["results"][0]
    assert (row["max_discount"], row["opportunity"]["id"], row["submitted_by"]["username"]) == (
        "15.00",
        opportunity.pk,
        "am_fin",
    )
    assert client(w, "lead_gov").get("/sales/approvals").json()["count"] == 0

    before = snapshot()
    own = am.post(f"/sales/quotes/{quote.pk}/approve", {"version": 2})
    assert (own.status_code, own.json()["code"]) == (403, "permission_denied")
    other_group = client(w, "lead_gov").post(f"/sales/quotes/{quote.pk}/approve", {"version": 2})
    assert other_group.status_code == 404
    presales = client(w, "presales").post(f"/sales/quotes/{quote.pk}/approve", {"version": 2})
    assert presales.status_code == 403
    assert snapshot() == before

    response = lead.post(f"/sales/quotes/{quote.pk}/approve", {"version": 2, "note": "同意"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["decided_by"]["username"], body["decision_note"]) == (
        "approved",
        "lead_fin",
        "同意",
    )
    assert lead.get("/sales/approvals").json()["count"] == 0


def test_discount_beyond_the_lead_waits_for_the_head_and_beyond_35_is_refused(w):
    opportunity = new_deal(w)
    quote = new_quote(w, opportunity, discount="30")
    am, lead, head = client(w, "am"), client(w, "lead"), client(w, "head")
    assert (
        am.post(f"/sales/quotes/{quote.pk}/submit", {"version": 1}).json()["approver_role"]
        == "department_head"
    )
    assert lead.get("/sales/approvals").json()["count"] == 0  # not the lead's turn
    before = snapshot()
    response = lead.post(f"/sales/quotes/{quote.pk}/approve", {"version": 2})
    assert (response.status_code, response.json()["code"]) == (400, "over_own_limit")
    assert snapshot() == before
    response = head.post(f"/sales/quotes/{quote.pk}/reject", {"version": 2})
    assert (response.status_code, response.json()["field"]) == (400, "note")
    response = head.post(f"/sales/quotes/{quote.pk}/reject", {"version": 2, "note": "折扣过大"})
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["decision_note"]) == (
        "rejected",
        "折扣过大",
    )

    too_much = new_quote(w, new_deal(w, name="再来"), discount="35.01")
    before = snapshot()
    response = am.post(f"/sales/quotes/{too_much.pk}/submit", {"version": 1})
    assert (response.status_code, response.json()["code"]) == (400, "over_any_limit")
    assert snapshot() == before


def test_a_new_quote_version_supersedes_the_earlier_ones(w):
    opportunity = new_deal(w)
    first = new_quote(w, opportunity)
    services.quote_submit(actor=w["am"], quote=first, expected_version=1)
    response = client(w, "am").post(
        f"/sales/solutions/{first.solution_id}/quotes",
        {"valid_until": "2026-04-30", "lines": [{"product": "digital_circuit", "discount_pct": 5}]},
    )
    assert response.status_code == 201, response.json()
    second = response.json()
    assert (second["revision"], second["status"], second["number"]) == (
        2,
        "draft",
        "QT202603020002",
    )
    assert reload(first).status == "superseded"
    detail = client(w, "am").get(f"/sales/opportunities/{opportunity.pk}").json()
    assert [(q["revision"], q["status"]) for q in detail["solutions"][0]["quotes"]] == [
        (2, "draft"),
        (1, "superseded"),
    ]


@pytest.mark.parametrize(("discount", "over"), [("8", False), ("8.01", True), ("9", True)])
def test_over_grade_flag_is_exact(w, discount, over):
    quote = new_quote(w, new_deal(w), discount=discount)
    body = client(w, "am").get(f"/sales/quotes/{quote.pk}").json()
    assert (body["max_discount"], body["grade_limit"], body["over_grade"]) == (
        str(Decimal(discount).quantize(Decimal("0.01"))),
        "8.00",
        over,
    )


def test_accepting_a_quote_not_yet_approved_is_400_and_changes_nothing(w):
    quote = new_quote(w, new_deal(w))
    before = snapshot()
    response = client(w, "am").post(f"/sales/quotes/{quote.pk}/accept", {"version": 1})
    assert (response.status_code, response.json()["code"]) == (400, "bad_transition")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"product": "teleport"}, "lines.0.product"),
        ({"product": "ddn", "discount_pct": "100.01"}, "lines.0.discount_pct"),
        ({"product": "ddn", "discount_pct": -1}, "lines.0.discount_pct"),
        ({"product": "ddn", "monthly_price": "-0.01"}, "lines.0.monthly_price"),
        ({"product": "ddn", "one_time_price": "1e400"}, "lines.0.one_time_price"),
        ({"product": "ddn", "monthly_price": "100000000.00"}, "lines.0.monthly_price"),
        ({"product": "ddn", "quantity": 0}, "lines.0.quantity"),
        ({"product": "ddn", "quantity": 10**30}, "lines.0.quantity"),
        ({"product": "ddn", "term_months": 121}, "lines.0.term_months"),
        ({"product": "ddn", "colour": "red"}, "lines.0.colour"),
        ({"product": "ddn", "discount_pct": "NaN"}, "lines.0.discount_pct"),
    ],
)
def test_bad_quote_lines_are_422_naming_the_line(w, line, field):
    quote = new_quote(w, new_deal(w))
    before = snapshot()
    response = client(w, "am").post(
        f"/sales/solutions/{quote.solution_id}/quotes",
        {"valid_until": "2026-04-30", "lines": [line]},
    )
    assert (response.status_code, response.json()["code"]) == (422, "invalid"), response.json()
    assert response.json()["field"] == field
    assert snapshot() == before


def test_bad_quotes_as_a_whole_are_4xx(w):
    quote = new_quote(w, new_deal(w))
    url = f"/sales/solutions/{quote.solution_id}/quotes"
    am = client(w, "am")
    before = snapshot()
    empty = am.post(url, {"valid_until": "2026-04-30", "lines": []})
    assert (empty.status_code, empty.json()["code"], empty.json()["field"]) == (
        400,
        "no_lines",
        "lines",
    )
    past = am.post(url, {"valid_until": "2026-03-01", "lines": [{"product": "ddn"}]})
    assert (past.status_code, past.json()["field"]) == (400, "valid_until")
    for day in ("2026-02-30", "30/04/2026", "2206-04-30", ""):
        response = am.post(url, {"valid_until": day, "lines": [{"product": "ddn"}]})
        assert response.status_code == 422, day
    many = am.post(url, {"valid_until": "2026-04-30", "lines": [{"product": "ddn"}] * 101})
    assert many.status_code == 422
    assert snapshot() == before


def test_no_quote_on_a_closed_deal(w):
    opportunity, quote = accepted_deal(w)
    services.opportunity_move(
        actor=w["am"], opportunity=opportunity, to_stage="won", expected_version=opportunity.version
    )
    before = snapshot()
    response = client(w, "am").post(
        f"/sales/solutions/{quote.solution_id}/quotes",
        {"valid_until": "2026-04-30", "lines": [{"product": "ddn"}]},
    )
    assert (response.status_code, response.json()["code"]) == (400, "bad_transition")
    assert snapshot() == before


# --- contracts --------------------------------------------------------------------------


def test_contract_sign_refused_sides(w):
    opportunity, _quote = accepted_deal(w)
    services.opportunity_move(
        actor=w["am"], opportunity=opportunity, to_stage="won", expected_version=opportunity.version
    )
    contract = Contract.objects.get()
    url = f"/sales/contracts/{contract.pk}/sign"
    before = snapshot()
    assert (
        client(w, "presales").post(url, {"signed_on": "2026-03-02", "version": 1}).status_code
        == 403
    )
    assert (
        client(w, "stranger").post(url, {"signed_on": "2026-03-02", "version": 1}).status_code
        == 404
    )
    future = client(w, "am").post(url, {"signed_on": "2026-03-03", "version": 1})
    assert (future.status_code, future.json()["field"]) == (400, "signed_on")
    stale = client(w, "am").post(url, {"signed_on": "2026-03-02", "version": 2})
    assert stale.status_code == 409
    assert snapshot() == before
    assert client(w, "am").post(url, {"signed_on": "2026-03-02", "version": 1}).status_code == 200
    before = snapshot()
    again = client(w, "am").post(url, {"signed_on": "2026-03-02", "version": 2})
    assert (again.status_code, again.json()["code"]) == (400, "bad_transition")
    assert snapshot() == before


# --- appraisal --------------------------------------------------------------------------


def test_appraise_computes_the_figures_exactly(w):
    response = client(w, "presales").post(
        "/sales/appraise", {"cashflows": [-1000, "300", 400, "500.00"], "rate": "0.08"}
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "period": "year",
        "annual_rate": "0.08",
        "rate_per_period": "0.08",
        # -1000 + 300/1.08 + 400/1.08^2 + 500/1.08^3 = 17.6299...
        "npv": "17.63",
        "irrs": ["0.088963"],
        "irrs_annual": ["0.088963"],
        "sign_changes": 1,
        "payback_periods": "2.60",  # 300 of the 500 of year 3
        "discounted_payback_periods": "2.96",
        "payback_months": "31.20",
        "roi": "0.2000",  # 200 / 1000
        "recommendation": {
            "verdict": "reconsider",
            "reasons": [
                "净现值为正",
                "年化内部收益率 8.90%，低于最低要求 12.00%",
                "回收期 31.20 个月，不超过 36 个月",
            ],
        },
    }


def test_appraise_monthly_flows_with_two_irrs(w):
    response = client(w, "analyst").post(
        "/sales/appraise",
        {"cashflows": ["-1000", "2300", "-1320"], "rate": "0.12", "period": "month"},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    # -1000 + 2300 v - 1320 v^2 = 0 at 1 + r = 1.1 and 1.2
    assert (body["irrs"], body["sign_changes"], body["rate_per_period"]) == (
        ["0.100000", "0.200000"],
        2,
        "0.0094887929345830",
    )
    assert body["recommendation"]["verdict"] == "decline"


@pytest.mark.parametrize(
    "body",
    [
        {"cashflows": ["-1"] + ["1"] * 9_999, "rate": "0.08"},  # 10,000 flows
        {"cashflows": ["-1"] * 1201, "rate": "0.08"},
        {"cashflows": ["-1"], "rate": "0.08"},
        {"cashflows": [], "rate": "0.08"},
        {"cashflows": ["100", "200"], "rate": "0.08"},  # no investment
        {"cashflows": ["-100", "1e400"], "rate": "0.08"},
        {"cashflows": ["-100", 10**30], "rate": "0.08"},
        {"cashflows": ["-100", "NaN"], "rate": "0.08"},
        {"cashflows": ["-100", "Infinity"], "rate": "0.08"},
        {"cashflows": ["-100", "0.001"], "rate": "0.08"},
        {"cashflows": ["-100", "abc"], "rate": "0.08"},
        {"cashflows": ["-100", None], "rate": "0.08"},
        {"cashflows": ["-100", "110"], "rate": "-1"},
        {"cashflows": ["-100", "110"], "rate": "11"},
        {"cashflows": ["-100", "110"], "rate": "NaN"},
        {"cashflows": ["-100", "110"], "rate": "0.08", "period": "week"},
        {"cashflows": ["-100", "110"]},
        {"cashflows": "-100,110", "rate": "0.08"},
    ],
)
def test_appraise_refuses_garbage_with_a_422(w, body):
    response = client(w, "am").post("/sales/appraise", body)
    assert (response.status_code, response.json()["code"]) == (422, "invalid"), response.json()


def test_appraise_handles_the_largest_input_quickly(w):
    flows = ["-1000000000000.00"] + ["999999999999.99", "-999999999999.99"] * 599 + ["1"]
    response = client(w, "am").post(
        "/sales/appraise", {"cashflows": flows, "rate": "10", "period": "month"}
    )
    assert response.status_code == 200, response.json()
    assert len(response.json()["irrs"]) <= response.json()["sign_changes"] == 1199


APPRAISAL = {
    "capex": "120000.00",
    "monthly_opex": "1000.00",
    "monthly_revenue": "6000.00",
    "one_time_revenue": "0.00",
    "term_months": 36,
    "discount_rate": "0.0800",
}


def test_opportunity_appraisal_created_read_and_replaced(w):
    opportunity = new_deal(w)
    url = f"/sales/opportunities/{opportunity.pk}/appraisal"
    presales, am = client(w, "presales"), client(w, "am")
    missing = am.get(url)
    assert (missing.status_code, missing.json()["message"]) == (404, "该商机还没有项目评估。")
    response = presales.put(url, APPRAISAL)
    assert response.status_code == 200, response.json()
    created = response.json()
    assert {k: created[k] for k in APPRAISAL} == APPRAISAL
    result = created["result"]
    # month 0: -120000, then 36 x 5000; payback 24 months, ROI 60000 / 120000
    assert (
        result["period"],
        result["payback_periods"],
        result["payback_months"],
        result["roi"],
        result["sign_changes"],
    ) == ("month", "24.00", "24.00", "0.5000", 1)
    assert result["rate_per_period"] == "0.0064340301100035"  # 1.08 ** (1 / 12) - 1
    assert result["recommendation"]["verdict"] == "pursue"
    assert am.get(url).json() == created
    assert am.get(f"/sales/opportunities/{opportunity.pk}").json()["appraisal"] == created

    before = snapshot()
    again = am.put(url, {**APPRAISAL, "capex": "1.00"})  # no version: it exists already
    assert (again.status_code, again.json()["code"]) == (409, "conflict")
    stale = am.put(url, {**APPRAISAL, "capex": "1.00", "version": 2})
    assert stale.status_code == 409
    assert client(w, "analyst").put(url, {**APPRAISAL, "version": 1}).status_code == 403
    assert client(w, "stranger").put(url, {**APPRAISAL, "version": 1}).status_code == 404
    assert snapshot() == before
    response = am.put(url, {**APPRAISAL, "capex": "300000.00", "version": 1})
    assert response.status_code == 200, response.json()
    replaced = response.json()
    assert (replaced["capex"], replaced["version"]) == ("300000.00", 2)
    # 36 x 5000 = 180000 never pays back 300000
    assert (replaced["result"]["payback_periods"], replaced["result"]["roi"]) == (None, "-0.4000")
    assert replaced["result"]["recommendation"]["verdict"] == "decline"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("capex", "-1"),
        ("capex", "1e20"),
        ("term_months", 0),
        ("term_months", 121),
        ("discount_rate", "1.0001"),
        ("discount_rate", "-0.01"),
    ],
)
def test_bad_appraisal_inputs_are_422(w, field, value):
    opportunity = new_deal(w)
    before = snapshot()
    response = client(w, "am").put(
        f"/sales/opportunities/{opportunity.pk}/appraisal", {**APPRAISAL, field: value}
    )
    assert (response.status_code, response.json()["field"]) == (422, field)
    assert snapshot() == before


# --- board, forecast, win/loss ---------------------------------------------------------


def _pipeline(w: dict[str, Any]) -> dict[str, Opportunity]:
    """Four open deals and three closed ones (closed in March 2026)."""
    deals = {
        "need": new_deal(w, name="需求", monthly="1000.00", close_date=D(2026, 2, 20)),
        "solution": moved(w, new_deal(w, name="方案", monthly="2000.00"), "solution"),
        "negotiation": moved(
            w,
            new_deal(w, name="谈判", monthly="3000.00", close_date=D(2026, 5, 10)),
            "solution",
            "negotiation",
        ),
        "other_group": services.opportunity_create(
            actor=w["stranger"],
            name="政务云",
            source="customer",
            close_date=D(2026, 4, 1),
            account=AccountFactory(owner=w["stranger"]),
            expected_monthly=Decimal("9000.00"),
            expected_one_time=Decimal("1000.00"),
        ),
    }
    with at(D(2026, 3, 5)):
        won, _quote = accepted_deal(w, name="赢", monthly="4000.00")
        services.opportunity_move(
            actor=w["am"], opportunity=won, to_stage="won", expected_version=won.version
        )
        for name, reason, to, monthly in [
            ("丢一", "price", "", "500.00"),
            ("丢二", "competitor_solution", "联通", "700.00"),
        ]:
            lost = new_deal(w, name=name, monthly=monthly)
            services.opportunity_move(
                actor=w["am"],
                opportunity=lost,
                to_stage="lost",
                expected_version=1,
                lost_reason=reason,
                lost_to=to,
            )
    return deals


def test_board_columns_cards_and_totals(w):
    _pipeline(w)
    columns = client(w, "am").get("/sales/pipeline/board").json()
    assert [
        (c["stage"], c["label"], [x["name"] for x in c["cards"]], c["monthly"], c["weighted"])
        for c in columns
    ] == [
        ("need", "需求确认", ["需求"], "1000.00", "100.00"),
        ("solution", "方案设计", ["方案"], "2000.00", "500.00"),
        ("negotiation", "商务谈判", ["谈判"], "3000.00", "1500.00"),
        ("contract", "合同签订", [], "0.00", "0.00"),
        ("implementation", "工程实施", [], "0.00", "0.00"),
    ]
    head = client(w, "head").get("/sales/pipeline/board", group="government").json()
    assert [[x["name"] for x in c["cards"]] for c in head] == [["政务云"], [], [], [], []]
    bad = client(w, "head").get("/sales/pipeline/board", group="nope")
    assert (bad.status_code, bad.json()["field"]) == (422, "group")


def test_board_cards_stop_at_the_limit_but_the_totals_do_not(w):
    for i in range(3):
        new_deal(w, name=f"甲{i}", monthly="1000.00")
    need = client(w, "am").get("/sales/pipeline/board", limit=1).json()[0]
    assert (need["count"], len(need["cards"]), need["monthly"], need["weighted"]) == (
        3,
        1,
        "3000.00",
        "300.00",
    )
    for limit in (0, 101, "x"):
        assert client(w, "am").get("/sales/pipeline/board", limit=limit).status_code == 422


def test_forecast_by_month_with_overdue_deals_in_this_one(w):
    _pipeline(w)
    rows = client(w, "head").get("/sales/pipeline/forecast", months=3).json()
    assert rows == [
        # the need deal is overdue (20 Feb): it counts in March
        {
            "month": "2026-03",
            "deals": 1,
            "monthly": "1000.00",
            "weighted_monthly": "100.00",
            "weighted_one_time": "0.00",
        },
        {
            "month": "2026-04",
            "deals": 2,
            "monthly": "11000.00",
            "weighted_monthly": "1400.00",  # 2000 x 25 % + 9000 x 10 %
            "weighted_one_time": "100.00",
        },
        {
            "month": "2026-05",
            "deals": 1,
            "monthly": "3000.00",
            "weighted_monthly": "1500.00",
            "weighted_one_time": "0.00",
        },
    ]
    mine = client(w, "head").get("/sales/pipeline/forecast", months=2, owner="am_fin").json()
    assert [r["deals"] for r in mine] == [1, 1]
    for months in (0, 25, "x"):
        assert client(w, "head").get("/sales/pipeline/forecast", months=months).status_code == 422


def test_win_loss_counts_reasons_and_competitors(w):
    _pipeline(w)
    am = client(w, "am")
    body = am.get("/sales/pipeline/win-loss", start="2026-03-01", end="2026-03-31").json()
    assert body == {
        "start": "2026-03-01",
        "end": "2026-03-31",
        "won": 1,
        "lost": 2,
        "won_monthly": "4000.00",
        "lost_monthly": "1200.00",
        "win_rate": "33.3",
        "by_reason": [
            {"reason": "competitor_solution", "label": "竞争对手方案更优", "deals": 1, "monthly": "700.00"},
            {"reason": "price", "label": "价格", "deals": 1, "monthly": "500.00"},
        ],
        "by_competitor": [{"competitor": "联通", "deals": 1, "monthly": "700.00"}],
    }  # fmt: skip
    with at(D(2026, 3, 31)):
        default = am.get("/sales/pipeline/win-loss").json()
    assert (default["start"], default["end"], default["won"]) == ("2026-01-01", "2026-03-31", 1)
    before = am.get("/sales/pipeline/win-loss", start="2026-03-06", end="2026-03-31").json()
    assert (before["won"], before["lost"], before["win_rate"]) == (0, 0, None)
    bad = am.get("/sales/pipeline/win-loss", start="2026-04-01", end="2026-03-01")
    assert (bad.status_code, bad.json()["field"]) == (422, "end")
    for day in ("2026-02-30", "yesterday", "1999-12-31"):
        assert am.get("/sales/pipeline/win-loss", start=day).status_code == 422, day


def test_opportunity_list_filters(w):
    deals = _pipeline(w)
    head = client(w, "head")

    def names(**params: Any) -> list[str]:
        response = head.get("/sales/opportunities", **params)
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert names() == ["需求", "政务云", "方案", "谈判"]  # open ones, soonest close first
    assert names(stage="won") == ["赢"]
    assert names(stage="lost") == ["丢一", "丢二"]
    assert len(names(stage="all")) == 7
    assert names(group="government") == ["政务云"]
    assert names(owner=str(w["am"].pk)) == ["需求", "方案", "谈判"]
    assert names(owner="am_gov") == ["政务云"]
    assert names(q="谈") == ["谈判"]
    assert names(q=deals["solution"].number) == ["方案"]
    assert [r["name"] for r in client(w, "am").get("/sales/opportunities").json()["results"]] == [
        "需求",
        "方案",
        "谈判",
    ]
    for params in ({"stage": "nope"}, {"owner": "nobody"}, {"group": "nope"}, {"page": 0}):
        response = head.get("/sales/opportunities", **params)
        assert (response.status_code, response.json()["code"]) == (422, "invalid"), params


# --- bounded queries --------------------------------------------------------------------


def _grow(w: dict[str, Any], n: int) -> None:
    for i in range(n):
        opportunity = new_deal(w, name=f"批量{i}", account=AccountFactory(owner=w["am"]))
        quote = new_quote(w, opportunity, discount="15")
        services.quote_submit(actor=w["am"], quote=quote, expected_version=1)


def _queries(c: ApiClient, url: str, **params: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = c.get(url, **params)
    assert response.status_code == 200, response.json()
    return len(queries), response.json()


def test_lists_run_the_same_number_of_queries_for_3_and_30_rows(w):
    lead = client(w, "lead")
    urls = [
        ("/sales/opportunities", {"page_size": 200}),
        ("/sales/approvals", {"page_size": 200}),
        ("/sales/pipeline/board", {}),
        ("/sales/pipeline/forecast", {}),
        ("/sales/pipeline/win-loss", {}),
        ("/sales/prospects", {}),
    ]
    _grow(w, 3)
    lead.get("/sales/opportunities")  # the token's last_used_at is touched once a minute
    small = {url: _queries(lead, url, **params)[0] for url, params in urls}
    _grow(w, 27)
    large = {url: _queries(lead, url, **params)[0] for url, params in urls}
    assert large == small
    assert max(large.values()) <= 8
    assert _queries(lead, "/sales/approvals", page_size=200)[1]["count"] == 30


def test_details_run_the_same_number_of_queries_whatever_they_hold(w):
    am = client(w, "am")
    opportunity = new_deal(w)
    new_quote(w, opportunity)
    am.get("/sales/opportunities")
    small, _body = _queries(am, f"/sales/opportunities/{opportunity.pk}")
    for _i in range(4):
        quote = new_quote(w, opportunity)
        services.quote_create(
            actor=w["am"],
            solution=quote.solution,
            lines=[{"product": product("ddn")}, {"product": product("ip_vpn")}],
            valid_until=D(2026, 4, 30),
        )
    moved(w, opportunity, "solution", "negotiation", "solution")
    services.appraisal_set(
        actor=w["am"],
        opportunity=opportunity,
        data={k: Decimal(v) if k != "term_months" else v for k, v in APPRAISAL.items()},
    )
    large, body = _queries(am, f"/sales/opportunities/{opportunity.pk}")
    assert (len(body["solutions"]), len(body["stage_history"])) == (5, 4)
    assert large <= small + 1  # + the appraisal thresholds, read once
    assert large <= 12


# --- the schema -------------------------------------------------------------------------


def _sales_schemas() -> list[type[Schema]]:
    modules = [sales_api.common, sales_api.pipeline, sales_api.deals, sales_api.appraisal]
    return [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Schema) and value.__module__ == module.__name__ and "[" not in value.__name__
    ]  # fmt: skip


def test_every_sales_schema_has_a_prefixed_name_of_its_own_in_the_openapi_document():
    """ninja merges two schemas of the same class name: a clash would silently change a
    sales answer (or another app's)."""
    components = api.get_openapi_schema(path_prefix=f"{API}/")["components"]["schemas"]
    schemas = _sales_schemas()
    assert len(schemas) >= 30
    for schema in schemas:
        assert schema.__name__.startswith("Sales"), schema
        if schema.__name__ in components:
            properties = set(components[schema.__name__].get("properties", {}))
            assert properties == set(schema.model_fields), schema


def test_the_openapi_document_lists_the_sales_endpoints_under_their_tag():
    paths = api.get_openapi_schema(path_prefix=f"{API}/")["paths"]
    sales = {(m, p) for p, ops in paths.items() for m in ops if p.startswith("/api/v1/sales/")}
    assert sales == {
        ("get", "/api/v1/sales/opportunities"),
        ("post", "/api/v1/sales/opportunities"),
        ("get", "/api/v1/sales/opportunities/{opportunity_id}"),
        ("post", "/api/v1/sales/opportunities/{opportunity_id}/move"),
        ("post", "/api/v1/sales/opportunities/{opportunity_id}/solutions"),
        ("get", "/api/v1/sales/opportunities/{opportunity_id}/appraisal"),
        ("put", "/api/v1/sales/opportunities/{opportunity_id}/appraisal"),
        ("get", "/api/v1/sales/prospects"),
        ("post", "/api/v1/sales/prospects"),
        ("get", "/api/v1/sales/prospects/{prospect_id}"),
        ("post", "/api/v1/sales/prospects/{prospect_id}/convert"),
        ("post", "/api/v1/sales/solutions/{solution_id}/quotes"),
        ("get", "/api/v1/sales/quotes/{quote_id}"),
        ("post", "/api/v1/sales/quotes/{quote_id}/submit"),
        ("post", "/api/v1/sales/quotes/{quote_id}/approve"),
        ("post", "/api/v1/sales/quotes/{quote_id}/reject"),
        ("post", "/api/v1/sales/quotes/{quote_id}/accept"),
        ("get", "/api/v1/sales/approvals"),
        ("get", "/api/v1/sales/contracts/{contract_id}"),
        ("post", "/api/v1/sales/contracts/{contract_id}/sign"),
        ("get", "/api/v1/sales/pipeline/board"),
        ("get", "/api/v1/sales/pipeline/forecast"),
        ("get", "/api/v1/sales/pipeline/win-loss"),
        ("post", "/api/v1/sales/appraise"),
    }
    assert {tuple(paths[p][m]["tags"]) for m, p in sales} == {("sales",)}
