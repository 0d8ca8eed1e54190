import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from telekam.accounts.models import Account, Contact, ServiceInUse
from telekam.accounts.tests.factories import (
    AccountFactory,
    ContactFactory,
    ServiceFactory,
    SiteFactory,
    TeamMemberFactory,
)
from telekam.core.models import AuditEntry
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory, group

pytestmark = pytest.mark.django_db


TABS = ["contacts", "services", "org", "events", "competitors", "billing", "timeline"]


def tab(client: Client, account, name: str) -> str:
    response = client.get(reverse("accounts:tab", args=[account.pk, name]))
    assert response.status_code == 200
    return response.content.decode()


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def am():
    return UserFactory(username="am_a")


@pytest.fixture
def stranger():
    """An AM of another industry group."""
    return UserFactory(username="am_gov", group=group("government"))


def test_my_accounts_lists_only_own_accounts(am, stranger):
    mine = AccountFactory(owner=am, name="华信证券股份有限公司")
    AccountFactory(owner=stranger, name="市政府办公厅")
    response = login(am).get(reverse("accounts:my_accounts"))
    assert response.status_code == 200
    assert list(response.context["accounts"]) == [mine]
    assert "市政府办公厅" not in response.content.decode()


@pytest.mark.parametrize("n", [3, 30])
def test_my_accounts_query_count_is_bounded(am, n, django_assert_max_num_queries):
    for _ in range(n):
        AccountFactory(owner=am)
    client = login(am)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("accounts:my_accounts"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("华信", True),
        ("KA00000001", False),
        ("BJ-DC-777777", True),
        ("13912345678", True),
        ("无此客户", False),
    ],
)
def test_search_by_name_code_circuit_and_phone(am, term, found):
    account = AccountFactory(owner=am, name="华信证券股份有限公司")
    ServiceFactory(account=account, number="BJ-DC-777777")
    ContactFactory(account=account, mobile="13912345678")
    response = login(am).get(reverse("accounts:my_accounts"), {"q": term})
    assert (account in response.context["accounts"]) is found


def test_search_by_code(am):
    account = AccountFactory(owner=am, code="KA12345678")
    response = login(am).get(reverse("accounts:my_accounts"), {"q": "ka12345678"})
    assert list(response.context["accounts"]) == [account]


def test_filters_and_sort(am):
    low = AccountFactory(owner=am, avg_monthly_spend=Decimal("4000"))
    high = AccountFactory(owner=am, avg_monthly_spend=Decimal("90000"))
    client = login(am)
    response = client.get(reverse("accounts:my_accounts"), {"sort": "spend"})
    assert list(response.context["accounts"]) == [low, high]
    response = client.get(reverse("accounts:my_accounts"), {"sort": "-spend"})
    assert list(response.context["accounts"]) == [high, low]
    response = client.get(reverse("accounts:my_accounts"), {"segment": "commercial"})
    assert list(response.context["accounts"]) == []
    # Garbage in the query string is ignored, never a 500.
    response = client.get(
        reverse("accounts:my_accounts"), {"owner": "x", "group": "999", "page": "-3"}
    )
    assert response.status_code == 200


def test_export_xlsx_contains_visible_rows_only(am, stranger):
    AccountFactory(owner=am, name="华信证券股份有限公司", code="KA00000042")
    AccountFactory(owner=stranger, name="市政府办公厅")
    response = login(am).get(reverse("accounts:my_accounts"), {"export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == "KA00000042"
    assert rows[1][1] == "华信证券股份有限公司"


def test_desk_export_has_no_discount_column():
    AccountFactory(discount_pct=Decimal("12.50"))
    desk = UserFactory(desk=True)
    response = login(desk).get(reverse("accounts:my_accounts"), {"export": "xlsx"})
    header = next(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert "综合折扣（%）" not in header


def test_account_page_shows_sections(am, django_assert_max_num_queries):
    account = AccountFactory(owner=am, strategy_notes="三年内全面上云")
    for _ in range(5):
        ContactFactory(account=account)
        ServiceFactory(account=account)
    SiteFactory(account=account)
    client = login(am)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("accounts:detail", args=[account.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "三年内全面上云" in body
    for name in TABS:
        with django_assert_max_num_queries(16):
            tab(client, account, name)
    assert tab(client, account, "services").count("BJ-DC-") == 5
    assert tab(client, account, "contacts").count("李联系") == 10  # table and contact map


def test_account_page_query_count_does_not_grow(am, django_assert_num_queries):
    small = AccountFactory(owner=am)
    big = AccountFactory(owner=am)
    ContactFactory(account=small)
    ServiceFactory(account=small)
    for _ in range(20):
        ContactFactory(account=big)
        ServiceFactory(account=big)
    client = login(am)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in ("accounts:detail", *TABS):
        args = lambda a, url=url: [a.pk] if url == "accounts:detail" else [a.pk, url]  # noqa: E731
        name = url if url == "accounts:detail" else "accounts:tab"
        with CaptureQueriesContext(connection) as small_q:
            client.get(reverse(name, args=args(small)))
        with CaptureQueriesContext(connection) as big_q:
            client.get(reverse(name, args=args(big)))
        assert len(big_q) == len(small_q), url


def test_desk_sees_account_without_confidential_data():
    account = AccountFactory(strategy_notes="三年内全面上云", discount_pct=Decimal("18.00"))
    ServiceFactory(account=account, monthly_fee=Decimal("12345.00"))
    client = login(UserFactory(desk=True))
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "三年内全面上云" not in body
    assert "BJ-DC-" in tab(client, account, "services")
    assert "12,345.00" not in tab(client, account, "services")
    assert client.get(reverse("accounts:tab", args=[account.pk, "competitors"])).status_code == 403


OTHER_GROUP_URLS = [
    ("accounts:detail", ()),
    *[("accounts:tab", (name,)) for name in TABS],
    ("accounts:edit", ()),
    ("accounts:parent", ()),
    ("accounts:assign", ()),
    ("accounts:team_add", ()),
    ("accounts:record_add", ("contact",)),
    ("accounts:record_add", ("service",)),
    ("accounts:record_add", ("site",)),
    ("accounts:record_add", ("event",)),
    ("accounts:record_add", ("competitor",)),
]


@pytest.mark.parametrize(("name", "extra"), OTHER_GROUP_URLS)
def test_am_of_other_group_gets_nothing(stranger, name, extra):
    account = AccountFactory(name="华信证券股份有限公司", strategy_notes="机密策略")
    client = login(stranger)
    for method in ("get", "post"):
        response = getattr(client, method)(reverse(name, args=[account.pk, *extra]))
        assert response.status_code in (403, 404, 405)
        assert "华信证券" not in response.content.decode()
        assert "机密策略" not in response.content.decode()
    assert Account.objects.get(pk=account.pk).version == 1


def test_other_group_cannot_edit_or_delete_records(stranger):
    contact = ContactFactory(name="张总")
    service = ServiceFactory(account=contact.account)
    client = login(stranger)
    pk = contact.account.pk
    assert (
        client.post(
            reverse("accounts:record_edit", args=[pk, "contact", contact.pk]), {"name": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("accounts:record_delete", args=[pk, "contact", contact.pk])).status_code
        == 404
    )
    assert (
        client.post(
            reverse("accounts:record_edit", args=[pk, "service", service.pk]), {"number": "x"}
        ).status_code
        == 404
    )
    assert Contact.objects.get(pk=contact.pk).name == "张总"


def test_analyst_reads_but_cannot_edit():
    account = AccountFactory()
    client = login(UserFactory(analyst=True))
    assert client.get(reverse("accounts:detail", args=[account.pk])).status_code == 200
    assert client.get(reverse("accounts:edit", args=[account.pk])).status_code == 403
    assert (
        client.post(reverse("accounts:record_add", args=[account.pk, "contact"]), {}).status_code
        == 403
    )


def test_virtual_team_member_can_edit(stranger):
    account = AccountFactory()
    TeamMemberFactory(account=account, user=stranger)
    response = login(stranger).get(reverse("accounts:record_add", args=[account.pk, "contact"]))
    assert response.status_code == 200


def test_add_contact_appears_in_timeline(am):
    account = AccountFactory(owner=am)
    client = login(am)
    response = client.post(
        reverse("accounts:record_add", args=[account.pk, "contact"]),
        {
            "name": "赵敏",
            "decision_role": "decision_maker",
            "layer": "hq",
            "mobile": "13800138000",
            "title": "信息中心主任",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get(account=account)
    assert (contact.name, contact.mobile) == ("赵敏", "13800138000")
    entry = AuditEntry.objects.get(account=account)
    assert entry.actor == am
    assert entry.summary == "新增联系人“赵敏”"
    assert "新增联系人“赵敏”" in tab(client, account, "timeline")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mobile", "12345", "不是有效的手机号码"),
        ("phone", "123", "不是有效的中国大陆电话号码"),
        ("email", "not-an-email", "有效的 Email 地址"),
        ("name", "", "这个字段是必填项"),
    ],
)
def test_contact_form_rejects_bad_input_and_writes_nothing(am, field, value, message):
    account = AccountFactory(owner=am)
    data = {"name": "赵敏", "decision_role": "decision_maker", "layer": "hq", field: value}
    response = login(am).post(reverse("accounts:record_add", args=[account.pk, "contact"]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Contact.objects.exists()
    assert not AuditEntry.objects.exists()


def test_account_edit_validates_credit_code(am):
    account = AccountFactory(owner=am)
    client = login(am)
    url = reverse("accounts:edit", args=[account.pk])
    base = {
        "name": account.name,
        "industry": "finance",
        "level": "standalone",
        "status": "active",
        "discount_pct": "0",
        "version": 1,
    }
    response = client.post(url, {**base, "credit_code": "91110000600037341X"})
    assert "校验位错误：应为 L" in response.content.decode()
    response = client.post(url, {**base, "credit_code": "9111000060003734IL"})
    assert "无效字符" in response.content.decode()
    account.refresh_from_db()
    assert (account.credit_code, account.version) == (None, 1)
    # Lower case is accepted and stored normalised.
    response = client.post(url, {**base, "credit_code": "91110000600037341l"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.credit_code == "91110000600037341L"
    assert account.version == 2


def test_concurrent_edit_is_refused_not_overwritten(am):
    account = AccountFactory(owner=am, address="旧地址")
    client = login(am)
    url = reverse("accounts:edit", args=[account.pk])
    base = {
        "name": account.name,
        "industry": "finance",
        "level": "standalone",
        "status": "active",
        "discount_pct": "0",
    }
    assert client.post(url, {**base, "address": "甲写的地址", "version": 1}).status_code == 302
    response = client.post(url, {**base, "address": "乙写的地址", "version": 1})
    assert response.status_code == 200
    assert "已被他人修改" in response.content.decode()
    account.refresh_from_db()
    assert account.address == "甲写的地址"


def test_duplicate_circuit_number_is_a_form_error(am):
    ServiceFactory(number="BJ-DC-000001")
    account = AccountFactory(owner=am)
    response = login(am).post(
        reverse("accounts:record_add", args=[account.pk, "service"]),
        {
            "product": ServiceInUse._meta.get_field("product")
            .remote_field.model.objects.get(code="ddn")
            .pk,
            "number": "bj-dc-000001",
            "activated_on": "2025-01-02",
            "monthly_fee": "100",
            "sla_level": "gold",
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert "已被在用业务占用" in response.content.decode()
    assert ServiceInUse.objects.count() == 1


def test_create_account_as_am(am):
    response = login(am).post(
        reverse("accounts:create"),
        {
            "name": "北京华夏物流有限公司",
            "segment": "key",
            "owner": am.pk,
            "industry": "transport",
            "level": "standalone",
            "status": "active",
            "discount_pct": "5",
            "phone": "010-65012345",
        },
    )
    assert response.status_code == 302
    account = Account.objects.get(name="北京华夏物流有限公司")
    assert (account.owner, account.group, account.root_id, account.phone) == (
        am,
        am.group,
        account.pk,
        "010-65012345",
    )
    assert account.code.startswith("KA")


def test_am_cannot_create_for_someone_else(am, stranger):
    response = login(am).post(
        reverse("accounts:create"),
        {
            "name": "北京华夏物流有限公司",
            "segment": "key",
            "owner": stranger.pk,
            "industry": "transport",
            "level": "standalone",
            "status": "active",
            "discount_pct": "5",
        },
    )
    assert response.status_code == 200
    assert not Account.objects.filter(name="北京华夏物流有限公司").exists()


def test_desk_timeline_hides_confidential_changes(am):
    account = AccountFactory(owner=am, discount_pct=Decimal("10.00"))
    client = login(am)
    base = {
        "name": account.name,
        "industry": "finance",
        "level": "standalone",
        "status": "active",
        "version": 1,
    }
    assert (
        client.post(
            reverse("accounts:edit", args=[account.pk]),
            {**base, "discount_pct": "27.50", "address": "新地址"},
        ).status_code
        == 302
    )
    client.post(
        reverse("accounts:record_add", args=[account.pk, "competitor"]),
        {"competitor": "china_unicom", "services": "长途 17911", "monthly_price": "8800"},
    )
    own = tab(client, account, "timeline")
    assert "27.50" in own
    assert "17911" in own
    desk = tab(login(UserFactory(desk=True)), account, "timeline")
    assert "新地址" in desk
    assert "27.50" not in desk
    assert "17911" not in desk
    assert "竞争对手信息有变更" in desk


def test_head_filters_by_account_manager(am, stranger):
    mine = AccountFactory(owner=am)
    AccountFactory(owner=stranger)
    client = login(UserFactory(head=True))
    response = client.get(reverse("accounts:my_accounts"), {"owner": am.pk})
    assert list(response.context["accounts"]) == [mine]
    assert f'<option value="{am.pk}" selected>' in response.content.decode()
