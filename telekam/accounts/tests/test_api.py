"""The JSON API of the account file: accounts, contacts, services in use.

Every permission rule is tested from the refused side too: an AM of another group gets
404 (the account "does not exist" for it) and sees nothing; a user who may see but not
edit gets 403 and nothing changes; service desk and operations get null confidential
fields.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from telekam.accounts import grading, services
from telekam.accounts.models import (
    Account,
    CompetitorInfo,
    Contact,
    GradeChangeProposal,
    ServiceInUse,
)
from telekam.accounts.tests.factories import (
    AccountFactory,
    ContactFactory,
    ServiceFactory,
    SiteFactory,
    TeamMemberFactory,
    band,
    product,
)
from telekam.billing import services as billing_services
from telekam.billing.models import BillingLine
from telekam.core import clock
from telekam.core.models import AuditEntry
from telekam.org.services import api_token_create
from telekam.org.tests.factories import UserFactory, group

pytestmark = pytest.mark.django_db

API = "/api/v1"


class ApiClient:
    """A test client that sends JSON with the user's bearer token."""

    def __init__(self, user: Any) -> None:
        _token, key = api_token_create(user=user, name="test")
        self.client = Client(headers={"Authorization": f"Bearer {key}"})

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get(API + url, params)

    def post(self, url: str, body: Any = None) -> Any:
        return self.client.post(API + url, json.dumps(body), content_type="application/json")

    def patch(self, url: str, body: Any = None) -> Any:
        return self.client.patch(API + url, json.dumps(body), content_type="application/json")

    def delete(self, url: str) -> Any:
        return self.client.delete(API + url)


@pytest.fixture
def world() -> dict[str, Any]:
    finance, government = group("finance"), group("government")
    am = UserFactory(username="am_fin", last_name="张", first_name="三", group=finance)
    account = AccountFactory(
        code="KA90000001",
        name="华夏银行北京分行",
        owner=am,
        discount_pct=Decimal("12.50"),
        strategy_notes="三年内拿下总行专线",
        financial_notes="年报营收 120 亿",
        phone="010-65012345",
    )
    site = SiteFactory(account=account, name="总部机房")
    contact = ContactFactory(account=account, name="李工", site=site)
    service = ServiceFactory(account=account, number="BJ-DC-777001", site=site)
    CompetitorInfo.objects.create(
        account=account,
        competitor="china_unicom",
        services="互联网专线",
        monthly_price=Decimal("9000.00"),
    )
    return {
        "account": account,
        "site": site,
        "contact": contact,
        "service": service,
        "am": am,
        "presales": UserFactory(username="presales_fin", presales=True, group=finance),
        "lead": UserFactory(username="lead_fin", lead=True, group=finance),
        "stranger": UserFactory(username="am_gov", group=government),
        "desk": UserFactory(username="desk", desk=True),
        "ops": UserFactory(username="ops", ops=True),
        "head": UserFactory(username="head", head=True),
    }


def _snapshot() -> tuple[Any, ...]:
    """Everything a refused write could have touched."""
    return (
        list(Account.objects.order_by("pk").values()),
        list(Contact.objects.order_by("pk").values()),
        list(ServiceInUse.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


def _reads(w: dict[str, Any]) -> list[str]:
    code = w["account"].code
    return [
        f"/accounts/{code}",
        f"/accounts/{code}/tree",
        f"/accounts/{code}/timeline",
        f"/accounts/{code}/contacts",
        f"/accounts/{code}/services",
        f"/contacts/{w['contact'].pk}",
        f"/services/{w['service'].pk}",
    ]


def _writes(w: dict[str, Any]) -> list[tuple[str, str, Any]]:
    code, contact, service = w["account"].code, w["contact"], w["service"]
    return [
        ("patch", f"/accounts/{code}", {"version": 1, "name": "改掉"}),
        ("post", f"/accounts/{code}/assign", {"version": 1, "owner": "am_gov"}),
        ("post", f"/accounts/{code}/parent", {"version": 1, "parent": None}),
        ("post", f"/accounts/{code}/contacts", {"name": "新人", "decision_role": "user"}),
        (
            "post",
            f"/accounts/{code}/services",
            {
                "product": "digital_circuit",
                "number": "BJ-NEW-1",
                "activated_on": "2025-01-01",
                "monthly_fee": "100",
            },
        ),
        ("patch", f"/contacts/{contact.pk}", {"version": 1, "title": "总监"}),
        ("delete", f"/contacts/{contact.pk}", None),
        ("patch", f"/services/{service.pk}", {"version": 1, "a_end": "X"}),
    ]


def _send(client: ApiClient, method: str, url: str, body: Any) -> Any:
    return client.delete(url) if method == "delete" else getattr(client, method)(url, body)


# --- scope ------------------------------------------------------------------------------


def test_am_of_another_group_gets_404_everywhere_and_changes_nothing(world):
    client = ApiClient(world["stranger"])
    for url in _reads(world):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"code": "not_found", "message": "Not found"}, url
    before = _snapshot()
    for method, url, body in _writes(world):
        assert _send(client, method, url, body).status_code == 404, (method, url)
    assert _snapshot() == before


def test_missing_account_answers_exactly_like_an_invisible_one(world):
    client = ApiClient(world["stranger"])
    missing = client.get("/accounts/KA99999999")
    invisible = client.get(f"/accounts/{world['account'].code}")
    assert (missing.status_code, missing.json()) == (invisible.status_code, invisible.json())


def test_lists_hold_only_visible_rows(world):
    client = ApiClient(world["stranger"])
    own = AccountFactory(owner=world["stranger"], code="KA90000002")
    body = client.get("/accounts").json()
    assert (body["count"], [a["code"] for a in body["results"]]) == (1, [own.code])
    assert client.get("/services", number="BJ-DC-777001").json()["count"] == 0
    assert client.get("/accounts", q="华夏").json()["count"] == 0


def test_virtual_team_member_of_another_group_sees_and_edits(world):
    TeamMemberFactory(account=world["account"], user=world["stranger"])
    client = ApiClient(world["stranger"])
    assert client.get(f"/accounts/{world['account'].code}").status_code == 200
    response = client.patch(
        f"/accounts/{world['account'].code}", {"version": 1, "short_name": "华夏北分"}
    )
    assert (response.status_code, response.json()["short_name"]) == (200, "华夏北分")


@pytest.mark.parametrize("who", ["presales", "desk", "ops"])
def test_reader_who_may_not_edit_gets_403_and_nothing_changes(world, who):
    client = ApiClient(world[who])
    for url in _reads(world):
        assert client.get(url).status_code == 200, url
    before = _snapshot()
    for method, url, body in _writes(world):
        response = _send(client, method, url, body)
        assert response.status_code == 403, (method, url, response.content)
        assert response.json()["code"] == "permission_denied"
    assert _snapshot() == before


def test_am_cannot_create_an_account_for_another_am(world):
    client = ApiClient(world["am"])
    before = _snapshot()
    response = client.post(
        "/accounts",
        {"name": "新客户", "industry": "finance", "segment": "key", "owner": "lead_fin"},
    )
    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "message": "客户经理只能新建自己负责的客户。",
    }
    assert _snapshot() == before


# --- confidential fields ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["desk", "ops"])
def test_service_desk_and_operations_see_accounts_without_confidential_fields(world, who):
    client = ApiClient(world[who])
    code = world["account"].code
    listed = client.get("/accounts").json()["results"][0]
    detail = client.get(f"/accounts/{code}").json()
    for body in (listed, detail):
        assert body["code"] == code
        assert (body["discount_pct"], body["strategy_notes"], body["financial_notes"]) == (
            None,
            None,
            None,
        )
    assert detail["competitors"] is None
    assert detail["can_edit"] is False
    service = client.get(f"/accounts/{code}/services").json()["results"][0]
    assert (service["number"], service["monthly_fee"]) == ("BJ-DC-777001", None)
    assert (
        client.get("/services", number="BJ-DC-777001").json()["results"][0]["monthly_fee"] is None
    )


def test_confidential_fields_for_those_who_may_see_them(world):
    client = ApiClient(world["am"])
    detail = client.get(f"/accounts/{world['account'].code}").json()
    assert (detail["discount_pct"], detail["strategy_notes"], detail["financial_notes"]) == (
        "12.50",
        "三年内拿下总行专线",
        "年报营收 120 亿",
    )
    assert [
        (c["competitor"], c["services"], c["monthly_price"]) for c in detail["competitors"]
    ] == [("china_unicom", "互联网专线", "9000.00")]
    assert detail["can_edit"] is True
    assert client.get(f"/services/{world['service'].pk}").json()["monthly_fee"] == "2800.00"


def test_timeline_hides_confidential_changes_from_service_desk(world):
    account = world["account"]
    services.account_update(
        actor=world["am"],
        account=account,
        expected_version=1,
        data={"discount_pct": Decimal("15.00"), "city": "北京"},
    )
    services.competitor_create(
        actor=world["am"],
        account=account,
        data={"competitor": "china_mobile", "services": "云专线"},
    )
    mine = ApiClient(world["am"]).get(f"/accounts/{account.code}/timeline").json()
    desk = ApiClient(world["desk"]).get(f"/accounts/{account.code}/timeline").json()
    assert mine["count"] == desk["count"] == 2
    assert mine["results"][1]["changes"] == {
        "city": ["", "北京"],
        "discount_pct": ["12.50", "15.00"],
    }
    assert desk["results"][1]["changes"] == {"city": ["", "北京"]}
    assert "云专线" in mine["results"][0]["summary"]
    assert (
        desk["results"][0]["summary"],
        desk["results"][0]["target"],
        desk["results"][0]["changes"],
    ) == (
        "竞争对手信息有变更",
        "",
        {},
    )


# --- accounts ---------------------------------------------------------------------------


def test_account_detail_exact(world):
    body = ApiClient(world["am"]).get(f"/accounts/{world['account'].code}").json()
    account = world["account"]
    assert body == {
        "code": "KA90000001",
        "name": "华夏银行北京分行",
        "short_name": "",
        "credit_code": None,
        "segment": "key",
        "grade": {"segment": "key", "code": "crystal", "name": "水晶", "star_level": 1},
        "star_level": 1,
        "industry": "finance",
        "group": "finance",
        "owner": {"id": world["am"].pk, "username": "am_fin", "name": "张三"},
        "parent": None,
        "level": "standalone",
        "status": "active",
        "province": "",
        "city": "",
        "address": "",
        "phone": "010-65012345",
        "email": "",
        "website": "",
        "employees": None,
        "annual_revenue_wan": None,
        "avg_monthly_spend": "5000.00",
        "spend_through": None,
        "key_list_year": None,
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "discount_pct": "12.50",
        "strategy_notes": "三年内拿下总行专线",
        "financial_notes": "年报营收 120 亿",
        "can_edit": True,
        "sites": [
            {
                "id": world["site"].pk,
                "name": "总部机房",
                "kind": "office",
                "address": "",
                "city": "",
                "telecom_office": "",
            }
        ],
        "competitors": [
            {
                "id": account.competitors.get().pk,
                "competitor": "china_unicom",
                "other_name": "",
                "services": "互联网专线",
                "monthly_price": "9000.00",
                "contract_end": None,
                "notes": "",
            }
        ],
    }


def test_account_create_by_am(world):
    client = ApiClient(world["am"])
    response = client.post(
        "/accounts",
        {
            "name": "  北京协和医院  ",
            "industry": "healthcare",
            "segment": "key",
            "credit_code": "91350100m000100y43",
            "phone": "+86 010-65012345",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    created = Account.objects.get(code=body["code"])
    assert body["code"].startswith("KA")
    assert (created.name, created.owner, created.group.code, created.segment) == (
        "北京协和医院",
        world["am"],
        "finance",
        "key",
    )
    assert (created.credit_code, created.phone) == ("91350100M000100Y43", "010-65012345")
    assert (body["owner"]["username"], body["version"], body["grade"]) == ("am_fin", 1, None)


def test_account_create_for_an_am_by_username_and_by_id(world):
    client = ApiClient(world["lead"])
    by_name = client.post(
        "/accounts",
        {"name": "甲", "industry": "finance", "segment": "commercial", "owner": "am_fin"},
    )
    by_id = client.post(
        "/accounts",
        {"name": "乙", "industry": "finance", "segment": "key", "owner": world["am"].pk},
    )
    assert (by_name.status_code, by_id.status_code) == (201, 201)
    assert by_name.json()["code"].startswith("CA")
    assert {by_name.json()["owner"]["username"], by_id.json()["owner"]["username"]} == {"am_fin"}


def test_account_create_unknown_owner_is_a_422_on_owner(world):
    response = ApiClient(world["head"]).post(
        "/accounts", {"name": "甲", "industry": "finance", "segment": "key", "owner": "nobody"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "找不到用户“nobody”（或已停用）。",
        "details": {"owner": ["找不到用户“nobody”（或已停用）。"]},
    }


def test_account_create_invalid_credit_code_is_a_422_with_field_errors(world):
    response = ApiClient(world["am"]).post(
        "/accounts",
        {
            "name": "甲",
            "industry": "finance",
            "segment": "key",
            "credit_code": "91350100M000100Y44",
        },
    )
    assert response.status_code == 422
    assert response.json()["details"] == {"credit_code": ["统一社会信用代码校验位错误：应为 3。"]}
    assert not Account.objects.filter(name="甲").exists()


def test_account_patch_changes_fields_and_bumps_version(world):
    client = ApiClient(world["am"])
    response = client.patch(
        f"/accounts/{world['account'].code}", {"version": 1, "city": "北京", "employees": 300}
    )
    assert response.status_code == 200
    assert (response.json()["city"], response.json()["employees"], response.json()["version"]) == (
        "北京",
        300,
        2,
    )
    world["account"].refresh_from_db()
    assert (world["account"].city, world["account"].version) == ("北京", 2)


def test_account_patch_with_stale_version_is_409_and_changes_nothing(world):
    client = ApiClient(world["am"])
    code = world["account"].code
    assert client.patch(f"/accounts/{code}", {"version": 1, "city": "北京"}).status_code == 200
    before = _snapshot()
    response = client.patch(f"/accounts/{code}", {"version": 1, "city": "上海"})
    assert response.status_code == 409
    assert response.json() == {
        "code": "conflict",
        "message": "该记录已被他人修改（您编辑的是第 1 版）。请刷新后重新修改。",
    }
    assert _snapshot() == before


def test_account_patch_needs_a_version_and_refuses_unknown_fields(world):
    client = ApiClient(world["am"])
    code = world["account"].code
    before = _snapshot()
    missing = client.patch(f"/accounts/{code}", {"city": "北京"})
    assert (missing.status_code, missing.json()["details"]) == (
        422,
        {"version": ["Field required"]},
    )
    unknown = client.patch(
        f"/accounts/{code}", {"version": 1, "segment": "commercial", "grade": "gold"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["details"] == {
        "segment": ["Extra inputs are not permitted"],
        "grade": ["Extra inputs are not permitted"],
    }
    assert _snapshot() == before


def test_account_assign_and_parent(world):
    other_am = UserFactory(username="am_fin2", group=group("finance"))
    parent = AccountFactory(owner=world["am"], code="KA90000009", name="华夏银行总行")
    client = ApiClient(world["lead"])
    code = world["account"].code
    assigned = client.post(f"/accounts/{code}/assign", {"version": 1, "owner": "am_fin2"})
    assert (assigned.status_code, assigned.json()["owner"]["username"]) == (200, "am_fin2")
    placed = client.post(f"/accounts/{code}/parent", {"version": 2, "parent": "KA90000009"})
    assert (placed.status_code, placed.json()["parent"], placed.json()["version"]) == (
        200,
        "KA90000009",
        3,
    )
    tree = client.get(f"/accounts/{parent.code}/tree").json()
    assert [(n["code"], n["depth"], n["rollup_spend"]) for n in tree] == [
        ("KA90000009", 0, "10000.00"),
        ("KA90000001", 1, "5000.00"),
    ]
    assert other_am.owned_accounts.get().code == code


def test_parent_the_user_cannot_see_is_a_422_that_reveals_nothing(world):
    hidden = AccountFactory(owner=world["stranger"], code="KA90000010")
    response = ApiClient(world["am"]).post(
        f"/accounts/{world['account'].code}/parent", {"version": 1, "parent": hidden.code}
    )
    assert response.status_code == 422
    assert response.json()["details"] == {"parent": ["找不到客户编码 KA90000010，或您无权查看。"]}


def test_tree_shows_units_the_user_may_not_open_by_name_only(world):
    top = AccountFactory(owner=world["stranger"], code="KA90000020", name="华夏银行总行")
    services.account_set_parent(
        actor=world["head"], account=world["account"], expected_version=1, parent=top
    )
    tree = ApiClient(world["am"]).get(f"/accounts/{world['account'].code}/tree").json()
    assert tree == [
        {
            "code": None,
            "name": "华夏银行总行",
            "depth": 0,
            "own_spend": None,
            "rollup_spend": "10000.00",
            "visible": False,
        },
        {
            "code": "KA90000001",
            "name": "华夏银行北京分行",
            "depth": 1,
            "own_spend": "5000.00",
            "rollup_spend": "5000.00",
            "visible": True,
        },
    ]


def test_account_list_filters_sort_and_pages(world):
    AccountFactory(
        owner=world["am"], code="KA90000003", name="招商银行", avg_monthly_spend=Decimal("9000.00")
    )
    AccountFactory(
        owner=world["am"],
        code="KA90000004",
        name="北京农商行",
        industry="government",
        avg_monthly_spend=Decimal("100.00"),
    )
    client = ApiClient(world["am"])
    assert [a["code"] for a in client.get("/accounts").json()["results"]] == [
        "KA90000003",
        "KA90000001",
        "KA90000004",
    ]
    assert [a["code"] for a in client.get("/accounts", sort="-code").json()["results"]] == [
        "KA90000004",
        "KA90000003",
        "KA90000001",
    ]
    assert [
        a["code"] for a in client.get("/accounts", industry="government").json()["results"]
    ] == ["KA90000004"]
    assert [a["code"] for a in client.get("/accounts", q="777001").json()["results"]] == [
        "KA90000001"
    ]
    assert (
        client.get("/accounts", owner="am_fin", group="finance", grade="crystal").json()["count"]
        == 3
    )
    page = client.get("/accounts", page=2, page_size=2).json()
    assert (
        page["count"],
        page["page"],
        page["page_size"],
        [a["code"] for a in page["results"]],
    ) == (
        3,
        2,
        2,
        ["KA90000004"],
    )
    assert client.get("/accounts", page=9).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "x"}, "page"),
        ({"page_size": 201}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"sort": "price"}, "sort"),
        ({"segment": "gold"}, "segment"),
        ({"status": "deleted"}, "status"),
        ({"owner": "nobody"}, "owner"),
        ({"group": "nogroup"}, "group"),
        ({"q": "x" * 101}, "q"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_account_list_bad_query_is_422(world, params, field):
    response = ApiClient(world["am"]).get("/accounts", **params)
    assert response.status_code == 422
    assert field in response.json()["details"]


@pytest.mark.parametrize("size", [3, 40])
def test_list_queries_are_bounded_whatever_the_row_count(
    world, size, django_assert_max_num_queries
):
    am, head = world["am"], world["head"]
    parent = AccountFactory(owner=am, code="KA80000000")
    for i in range(size):
        a = AccountFactory(owner=am, parent=parent, code=f"KA7{i:07d}")
        ContactFactory(account=a, our_counterpart=head)
        ServiceFactory(account=a)
        services.account_update(actor=am, account=a, expected_version=1, data={"city": f"城{i}"})
    client = ApiClient(am)
    # token lookup (+ last_used_at touch at most once a minute), count, page
    for url, params in [
        ("/accounts", {"page_size": 200}),
        ("/services", {"page_size": 200}),
        ("/accounts", {"page_size": 200, "q": "测试集团", "sort": "grade"}),
    ]:
        with django_assert_max_num_queries(4):
            body = client.get(url, **params).json()
        assert body["count"] >= size
    code = Account.objects.get(code="KA70000000").code
    for url in [
        f"/accounts/{code}/contacts",
        f"/accounts/{code}/services",
        f"/accounts/{code}/timeline",
    ]:
        with django_assert_max_num_queries(5):
            assert client.get(url).status_code == 200
    with django_assert_max_num_queries(6):
        tree = client.get(f"/accounts/{parent.code}/tree").json()
    assert len(tree) == size + 1


# --- contacts ---------------------------------------------------------------------------


def test_contact_create_update_delete(world):
    client = ApiClient(world["am"])
    code = world["account"].code
    created = client.post(
        f"/accounts/{code}/contacts",
        {
            "name": "王总",
            "decision_role": "decision_maker",
            "site": world["site"].pk,
            "reports_to": None,
            "mobile": "+86 139 1234 5678",
            "our_counterpart": "am_fin",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert {
        k: body[k] for k in ("account", "name", "decision_role", "site", "mobile", "version")
    } == {
        "account": code,
        "name": "王总",
        "decision_role": "decision_maker",
        "site": world["site"].pk,
        "mobile": "13912345678",
        "version": 1,
    }
    assert body["our_counterpart"] == {"id": world["am"].pk, "username": "am_fin", "name": "张三"}
    updated = client.patch(
        f"/contacts/{body['id']}",
        {"version": 1, "reports_to": world["contact"].pk, "title": "总经理"},
    )
    assert updated.status_code == 200
    assert (updated.json()["reports_to"], updated.json()["title"], updated.json()["version"]) == (
        world["contact"].pk,
        "总经理",
        2,
    )
    assert client.delete(f"/contacts/{body['id']}").status_code == 204
    assert not Contact.objects.filter(pk=body["id"]).exists()
    assert client.get(f"/contacts/{body['id']}").status_code == 404


def test_contact_refers_only_to_rows_of_its_own_account(world):
    other = AccountFactory(owner=world["am"], code="KA90000005")
    foreign_site, foreign_contact = SiteFactory(account=other), ContactFactory(account=other)
    client = ApiClient(world["am"])
    before = _snapshot()
    response = client.post(
        f"/accounts/{world['account'].code}/contacts",
        {
            "name": "甲",
            "decision_role": "user",
            "site": foreign_site.pk,
            "reports_to": foreign_contact.pk,
        },
    )
    assert response.status_code == 422
    assert response.json()["details"] == {
        "site": ["该客户没有这个站点。"],
        "reports_to": ["该客户没有这个联系人。"],
    }
    self_report = client.patch(
        f"/contacts/{world['contact'].pk}", {"version": 1, "reports_to": world["contact"].pk}
    )
    assert (self_report.status_code, self_report.json()["details"]) == (
        422,
        {"reports_to": ["联系人不能向自己汇报。"]},
    )
    assert _snapshot() == before


def test_contact_patch_with_stale_version_is_409(world):
    client = ApiClient(world["am"])
    url = f"/contacts/{world['contact'].pk}"
    assert client.patch(url, {"version": 1, "title": "经理"}).status_code == 200
    before = _snapshot()
    response = client.patch(url, {"version": 1, "title": "总监"})
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    assert _snapshot() == before


def test_contact_invalid_mobile_is_a_field_error(world):
    response = ApiClient(world["am"]).post(
        f"/accounts/{world['account'].code}/contacts",
        {"name": "甲", "decision_role": "user", "mobile": "12345"},
    )
    assert response.status_code == 422
    assert response.json()["details"] == {
        "mobile": ["“12345”不是有效的手机号码（11位，以1开头）。"]
    }


# --- services in use --------------------------------------------------------------------


def test_service_create_find_by_number_and_update(world):
    client = ApiClient(world["am"])
    created = client.post(
        f"/accounts/{world['account'].code}/services",
        {
            "product": "digital_circuit",
            "number": "BJ-DC-888001",
            "bandwidth_mbps": "100",
            "activated_on": "2025-06-01",
            "monthly_fee": "3500.00",
            "sla_level": "gold",
            "site": world["site"].pk,
        },
    )
    assert created.status_code == 201, created.content
    found = ApiClient(world["desk"]).get("/services", number="BJ-DC-888001").json()
    assert found["count"] == 1
    row = found["results"][0]
    assert {
        k: row[k]
        for k in (
            "account",
            "product",
            "number",
            "bandwidth_mbps",
            "activated_on",
            "sla_level",
            "status",
            "monthly_fee",
        )
    } == {
        "account": "KA90000001",
        "product": "digital_circuit",
        "number": "BJ-DC-888001",
        "bandwidth_mbps": "100.000",
        "activated_on": "2025-06-01",
        "sla_level": "gold",
        "status": "active",
        "monthly_fee": None,
    }
    cancelled = client.patch(
        f"/services/{row['id']}",
        {"version": 1, "status": "cancelled", "cancelled_on": "2025-12-31"},
    )
    assert (cancelled.status_code, cancelled.json()["status"], cancelled.json()["version"]) == (
        200,
        "cancelled",
        2,
    )


def test_service_number_in_use_twice_is_a_422(world):
    before = _snapshot()
    response = ApiClient(world["am"]).post(
        f"/accounts/{world['account'].code}/services",
        {
            "product": "digital_circuit",
            "number": "BJ-DC-777001",
            "activated_on": "2025-06-01",
            "monthly_fee": "1",
        },
    )
    assert response.status_code == 422
    assert response.json()["details"] == {"__all__": ["该电路/线路号已被在用业务占用。"]}
    assert _snapshot() == before


def test_service_unknown_product_and_cancelled_without_date(world):
    client = ApiClient(world["am"])
    unknown = client.post(
        f"/accounts/{world['account'].code}/services",
        {
            "product": "teleportation",
            "number": "X-1",
            "activated_on": "2025-06-01",
            "monthly_fee": "1",
        },
    )
    assert (unknown.status_code, unknown.json()["details"]) == (
        422,
        {"product": ["产品目录中没有编码“teleportation”。"]},
    )
    no_date = client.patch(
        f"/services/{world['service'].pk}", {"version": 1, "status": "cancelled"}
    )
    assert no_date.status_code == 422
    assert no_date.json()["details"] == {"__all__": ["已拆机的业务须填写拆机日期。"]}
    world["service"].refresh_from_db()
    assert (world["service"].status, world["service"].version) == ("active", 1)


def test_service_patch_with_stale_version_is_409(world):
    client = ApiClient(world["am"])
    url = f"/services/{world['service'].pk}"
    assert client.patch(url, {"version": 1, "a_end": "朝阳门"}).status_code == 200
    before = _snapshot()
    response = client.patch(url, {"version": 1, "a_end": "建国门"})
    assert response.status_code == 409
    assert _snapshot() == before


def test_dates_are_dates(world):
    response = ApiClient(world["am"]).post(
        f"/accounts/{world['account'].code}/services",
        {
            "product": "digital_circuit",
            "number": "X-2",
            "activated_on": "2025-02-30",
            "monthly_fee": "1",
        },
    )
    assert response.status_code == 422
    assert list(response.json()["details"]) == ["activated_on"]
    assert not ServiceInUse.objects.filter(number="X-2").exists()


# --- grading ----------------------------------------------------------------------------

GRADING_NOW = dt.datetime(2026, 11, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def graded(world):
    """Billing of the last months: the account spends 12,000 a month (silver, not crystal)."""
    with clock.frozen(GRADING_NOW):
        for month in (8, 9, 10):
            BillingLine.objects.create(
                account=world["account"],
                month=dt.date(2026, month, 1),
                product=product(),
                amount=Decimal("12000.00"),
            )
        billing_services.account_spend_refresh()
        yield world


def test_grade_proposal_of_an_account(graded):
    code = graded["account"].code
    body = ApiClient(graded["am"]).get(f"/accounts/{code}/grade-proposal").json()
    assert body == {
        "account": {"code": code, "name": "华夏银行北京分行"},
        "window_start": "2025-11-01",
        "window_end": "2026-10-01",
        "avg_monthly_spend": "12000.00",
        "months_billed": 3,
        "current_segment": "key",
        "current_grade": {"segment": "key", "code": "crystal", "name": "水晶", "star_level": 1},
        "proposed_segment": "key",
        "proposed_grade": {"segment": "key", "code": "silver", "name": "银", "star_level": 2},
        "changes": True,
    }
    assert ApiClient(graded["stranger"]).get(f"/accounts/{code}/grade-proposal").status_code == 404
    assert ApiClient(graded["stranger"]).get(f"/accounts/{code}/spend").status_code == 404


def test_yearly_list_generate_review_and_approve(graded):
    analyst, head = UserFactory(analyst=True, username="analyst"), graded["head"]
    created = ApiClient(analyst).post("/grading/lists", {"year": 2027, "through": "2026-10"})
    assert created.status_code == 201, created.content
    assert {
        k: created.json()[k] for k in ("year", "status", "window_start", "window_end", "version")
    } == {
        "year": 2027,
        "status": "draft",
        "window_start": "2025-11-01",
        "window_end": "2026-10-01",
        "version": 1,
    }
    detail = ApiClient(analyst).get("/grading/lists/2027", change="promotions").json()
    assert detail["summary"]["entries"] == 1
    assert detail["summary"]["proposed"] == {
        "promotions": 1,
        "demotions": 0,
        "joins": 0,
        "drops": 0,
        "unchanged": 0,
        "changes": 1,
    }
    assert detail["entries"]["count"] == 1
    entry = detail["entries"]["results"][0]
    assert (
        entry["account"]["code"],
        entry["current_grade"],
        entry["proposed_grade"],
        entry["decided_grade"],
    ) == (
        "KA90000001",
        "crystal",
        "silver",
        "silver",
    )
    assert ApiClient(analyst).get("/grading/lists").json()[0]["year"] == 2027
    # analysts review but do not approve; AMs do neither
    assert ApiClient(analyst).post("/grading/lists/2027/approve", {"version": 1}).status_code == 403
    for url in ["/grading/lists", "/grading/lists/2027"]:
        assert ApiClient(graded["am"]).get(url).status_code == 403, url
    before = _snapshot()
    assert (
        ApiClient(graded["am"]).post("/grading/lists/2027/approve", {"version": 1}).status_code
        == 403
    )
    assert ApiClient(graded["am"]).post("/grading/lists", {"year": 2027}).status_code == 403
    stale = ApiClient(head).post("/grading/lists/2027/approve", {"version": 7})
    assert (stale.status_code, stale.json()["code"]) == (409, "conflict")
    assert _snapshot() == before
    with clock.frozen(GRADING_NOW):
        approved = ApiClient(head).post("/grading/lists/2027/approve", {"version": 1})
    assert (
        approved.status_code,
        approved.json()["status"],
        approved.json()["approved_by"]["username"],
    ) == (
        200,
        "approved",
        "head",
    )
    graded["account"].refresh_from_db()
    assert (
        graded["account"].grade.code,
        graded["account"].star_level,
        graded["account"].key_list_year,
    ) == (
        "silver",
        2,
        2027,
    )
    assert ApiClient(head).get("/grading/lists/2030").status_code == 404


def test_list_entry_decision_by_a_reviewer(graded):
    analyst = UserFactory(analyst=True, username="analyst")
    ApiClient(analyst).post("/grading/lists", {"year": 2027, "through": "2026-10"})
    code = graded["account"].code
    decided = ApiClient(analyst).post(
        f"/grading/lists/2027/entries/{code}",
        {"segment": "key", "grade": "gold", "note": "战略客户"},
    )
    assert (decided.status_code, decided.json()["decided_grade"], decided.json()["note"]) == (
        200,
        "gold",
        "战略客户",
    )
    wrong = ApiClient(analyst).post(
        f"/grading/lists/2027/entries/{code}", {"segment": "key", "grade": "a"}
    )
    assert (wrong.status_code, wrong.json()["details"]) == (
        422,
        {"grade": ["大客户没有编码为“a”的等级。"]},
    )
    assert (
        ApiClient(graded["am"])
        .post(f"/grading/lists/2027/entries/{code}", {"segment": "key"})
        .status_code
        == 403
    )


def test_mid_year_proposal_by_am_decided_by_head(graded):
    code = graded["account"].code
    am, head = ApiClient(graded["am"]), ApiClient(graded["head"])
    created = am.post(
        "/grading/proposals",
        {"account": code, "to_segment": "key", "to_grade": "silver", "reason": "月消费已过万"},
    )
    assert created.status_code == 201, created.content
    proposal = created.json()
    assert {
        k: proposal[k] for k in ("from_segment", "to_segment", "status", "reason", "version")
    } == {
        "from_segment": "key",
        "to_segment": "key",
        "status": "pending",
        "reason": "月消费已过万",
        "version": 1,
    }
    assert (proposal["from_grade"]["code"], proposal["to_grade"]["code"]) == ("crystal", "silver")
    url = f"/grading/proposals/{proposal['id']}/decide"
    before = _snapshot()
    refused = am.post(url, {"approve": True, "version": 1})
    assert (refused.status_code, refused.json()["message"]) == (
        403,
        "只有部门经理可以审批等级调整申请。",
    )
    assert (
        ApiClient(graded["stranger"]).post(url, {"approve": True, "version": 1}).status_code == 404
    )
    assert head.post(url, {"approve": True, "version": 9}).status_code == 409
    assert _snapshot() == before
    assert ApiClient(graded["stranger"]).get("/grading/proposals").json()["count"] == 0
    assert am.get("/grading/proposals", status="pending").json()["count"] == 1
    decided = head.post(url, {"approve": True, "note": "同意", "version": 1})
    assert (
        decided.status_code,
        decided.json()["status"],
        decided.json()["decided_by"]["username"],
    ) == (
        200,
        "approved",
        "head",
    )
    graded["account"].refresh_from_db()
    assert (graded["account"].grade.code, graded["account"].star_level) == ("silver", 2)


def test_proposal_refused_side(graded):
    code = graded["account"].code
    before = _snapshot()
    hidden = ApiClient(graded["stranger"]).post(
        "/grading/proposals",
        {"account": code, "to_segment": "key", "to_grade": "silver", "reason": "x"},
    )
    assert hidden.status_code == 404
    reader = ApiClient(graded["presales"]).post(
        "/grading/proposals",
        {"account": code, "to_segment": "key", "to_grade": "silver", "reason": "x"},
    )
    assert reader.status_code == 403
    unknown = ApiClient(graded["am"]).post(
        "/grading/proposals",
        {"account": code, "to_segment": "commercial", "to_grade": "gold", "reason": "x"},
    )
    assert (unknown.status_code, unknown.json()["details"]) == (
        422,
        {"to_grade": ["商业客户没有编码为“gold”的等级。"]},
    )
    same = ApiClient(graded["am"]).post(
        "/grading/proposals",
        {"account": code, "to_segment": "key", "to_grade": "crystal", "reason": "x"},
    )
    assert (same.status_code, same.json()["code"]) == (400, "proposal_no_change")
    assert _snapshot() == before


def test_boundary_band(graded):
    a_plus = AccountFactory(
        owner=graded["am"],
        code="CA90000001",
        segment="commercial",
        grade=band("a", "commercial"),
        avg_monthly_spend=Decimal("2900.00"),
        discount_pct=Decimal("20.00"),
    )
    crystal = AccountFactory(
        owner=graded["am"],
        code="KA90000030",
        avg_monthly_spend=Decimal("3100.00"),
        discount_pct=Decimal("5.00"),
    )
    body = ApiClient(graded["am"]).get("/grading/boundary-band", inverted=True).json()
    assert {
        k: body[k]
        for k in ("commercial_count", "key_count", "inverted_count", "cross_segment_inversions")
    } == {
        "commercial_count": 1,
        "key_count": 2,
        "inverted_count": 1,
        "cross_segment_inversions": 1,
    }
    assert body["rows"]["count"] == 1
    row = body["rows"]["results"][0]
    assert (row["account"]["code"], row["discount_inverted_by"], row["max_discount"]) == (
        a_plus.code,
        crystal.code,
        "5.00",
    )
    assert ApiClient(graded["desk"]).get("/grading/boundary-band").status_code == 403
    assert ApiClient(graded["stranger"]).get("/grading/boundary-band").json()["rows"]["count"] == 0


def test_account_spend_series(graded):
    client = ApiClient(graded["am"])
    code = graded["account"].code
    assert client.get(f"/accounts/{code}/spend", months=4).json() == [
        {"month": "2026-07", "amount": "0.00"},
        {"month": "2026-08", "amount": "12000.00"},
        {"month": "2026-09", "amount": "12000.00"},
        {"month": "2026-10", "amount": "12000.00"},
    ]
    assert client.get(f"/accounts/{code}/spend/products", months=12).json() == [
        {
            "product": "digital_circuit",
            "name": "数字电路",
            "total": "36000.00",
            "share_pct": "100.0",
            "months_billed": 3,
        }
    ]
    assert client.get(f"/accounts/{code}/spend", months=0).status_code == 422


@pytest.mark.parametrize("size", [3, 40])
def test_grading_list_queries_are_bounded_whatever_the_row_count(
    world, size, django_assert_max_num_queries
):
    am, head = world["am"], world["head"]
    with clock.frozen(GRADING_NOW):
        for i in range(size):
            a = AccountFactory(owner=am, code=f"KA6{i:07d}", avg_monthly_spend=Decimal(3000 + i))
            BillingLine.objects.create(
                account=a, month=dt.date(2026, 9, 1), product=product(), amount=Decimal(3000 + i)
            )
            GradeChangeProposal.objects.create(
                account=a,
                from_segment="key",
                from_grade=band("crystal"),
                to_segment="key",
                to_grade=band("silver"),
                reason="扩容",
                proposed_by=am,
            )
        billing_services.account_spend_refresh()
        grading.key_list_generate(actor=head, year=2027)
    client = ApiClient(head)
    for url, limit in [
        ("/grading/proposals", 4),
        ("/grading/lists/2027", 8),
        ("/grading/lists", 4),
        ("/grading/boundary-band", 4),
    ]:
        with django_assert_max_num_queries(limit):
            body = client.get(url, page_size=200).json()
        assert body, url
    detail = client.get("/grading/lists/2027", page_size=200).json()
    assert detail["entries"]["count"] == size + 1
    assert client.get("/grading/proposals").json()["count"] == size
    assert client.get("/grading/boundary-band", page_size=200).json()["rows"]["count"] == size + 1
