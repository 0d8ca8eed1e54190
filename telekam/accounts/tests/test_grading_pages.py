import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from telekam.accounts.models import (
    Account,
    GradeChangeProposal,
    KeyAccountList,
    KeyAccountListEntry,
)
from telekam.accounts.tests.factories import AccountFactory, band, product
from telekam.billing.models import BillingImport, BillingLine
from telekam.billing.services import account_spend_refresh
from telekam.core import clock
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory, group

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(NOW):
        yield


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def bill(account, amount: str, months: range = range(1, 13), year: int = 2026) -> None:
    BillingLine.objects.bulk_create(
        BillingLine(
            account=account,
            month=dt.date(year, m, 1),
            product=product("voice_usage"),
            amount=Decimal(amount),
        )
        for m in months
    )


@pytest.fixture
def am():
    return UserFactory(username="am_a")


@pytest.fixture
def head():
    return UserFactory(username="boss", head=True)


def test_head_generates_decides_and_approves_the_yearly_list(am, head):
    grows = AccountFactory(owner=am, name="成长客户", grade=band("crystal"), star_level=1)
    bill(grows, "45000.00", range(1, 11))
    account_spend_refresh()
    client = login(head)
    response = client.post(
        reverse("accounts:key_list_generate"), {"year": 2027, "through": "2026-10"}
    )
    assert response.status_code == 302
    key_list = KeyAccountList.objects.get(year=2027)
    entry = KeyAccountListEntry.objects.get(key_list=key_list, account=grows)
    assert (entry.proposed_segment, entry.proposed_grade.code) == ("key", "gold")

    page = client.get(reverse("accounts:key_list"), {"year": 2027})
    assert page.status_code == 200
    assert "成长客户" in page.content.decode()

    # The head overrides the proposal: silver instead of gold.
    client.post(
        reverse("accounts:key_list_decide", args=[entry.pk]),
        {"choice": "key:silver", "note": "观察一年"},
    )
    entry.refresh_from_db()
    assert (entry.decided_grade.code, entry.note) == ("silver", "观察一年")

    key_list.refresh_from_db()
    response = client.post(
        reverse("accounts:key_list_approve", args=[2027]), {"version": key_list.version}
    )
    assert response.status_code == 302
    grows.refresh_from_db()
    assert (grows.grade.code, grows.star_level, grows.key_list_year) == ("silver", 2, 2027)
    assert "银" in client.get(reverse("accounts:detail", args=[grows.pk])).content.decode()
    assert (
        "年度大客户名单"
        in client.get(reverse("accounts:tab", args=[grows.pk, "timeline"])).content.decode()
    )


def test_stale_approval_is_refused(am, head):
    bill(AccountFactory(owner=am), "5000.00")
    account_spend_refresh()
    client = login(head)
    client.post(reverse("accounts:key_list_generate"), {"year": 2027})
    key_list = KeyAccountList.objects.get(year=2027)
    response = client.post(
        reverse("accounts:key_list_approve", args=[2027]),
        {"version": key_list.version - 1 if key_list.version > 1 else 99},
    )
    assert response.status_code == 302
    key_list.refresh_from_db()
    assert key_list.status == "draft"


@pytest.mark.parametrize("trait", [{}, {"lead": True}, {"desk": True}])
def test_yearly_list_is_refused_to_others(trait):
    user = UserFactory(**trait)
    client = login(user)
    assert client.get(reverse("accounts:key_list")).status_code == 403
    assert client.post(reverse("accounts:key_list_generate"), {"year": 2027}).status_code == 302
    assert not KeyAccountList.objects.exists()


def test_am_cannot_approve_a_list(am, head):
    bill(AccountFactory(owner=am), "5000.00")
    account_spend_refresh()
    login(head).post(reverse("accounts:key_list_generate"), {"year": 2027})
    key_list = KeyAccountList.objects.get(year=2027)
    login(am).post(reverse("accounts:key_list_approve", args=[2027]), {"version": key_list.version})
    key_list.refresh_from_db()
    assert key_list.status == "draft"


def test_am_proposes_and_only_the_head_approves(am, head):
    account = AccountFactory(owner=am, grade=band("crystal"), star_level=1)
    bill(account, "12000.00")
    account_spend_refresh()
    client = login(am)
    page = client.get(reverse("accounts:tab", args=[account.pk, "billing"])).content.decode()
    assert 'data-testid="proposed-grade"' in page
    response = client.post(
        reverse("accounts:proposal_create", args=[account.pk]),
        {"choice": "key:silver", "reason": "连续12个月消费过万"},
    )
    assert response.status_code == 302
    proposal = GradeChangeProposal.objects.get(account=account)
    # The AM cannot decide its own proposal.
    client.post(
        reverse("accounts:proposal_decide", args=[proposal.pk]),
        {"decision": "approve", "version": proposal.version},
    )
    proposal.refresh_from_db()
    assert proposal.status == "pending"
    account.refresh_from_db()
    assert account.grade.code == "crystal"
    login(head).post(
        reverse("accounts:proposal_decide", args=[proposal.pk]),
        {"decision": "approve", "version": proposal.version, "note": "同意"},
    )
    account.refresh_from_db()
    assert (account.grade.code, account.star_level) == ("silver", 2)
    timeline = (
        login(am).get(reverse("accounts:tab", args=[account.pk, "timeline"])).content.decode()
    )
    assert "等级调整获批" in timeline


def test_proposals_of_other_groups_are_hidden(am):
    other = AccountFactory(owner=UserFactory(group=group("government")), name="别组客户")
    GradeChangeProposal.objects.create(
        account=other,
        from_segment="key",
        from_grade=band("crystal"),
        to_segment="key",
        to_grade=band("silver"),
        reason="x",
        proposed_by=other.owner,
    )
    page = login(am).get(reverse("accounts:proposals"), {"status": "all"})
    assert "别组客户" not in page.content.decode()
    assert (
        login(am)
        .post(
            reverse("accounts:proposal_create", args=[other.pk]),
            {"choice": "key:gold", "reason": "x"},
        )
        .status_code
        == 404
    )


def test_boundary_band_flags_inversion(head):
    AccountFactory(
        name="水晶甲",
        grade=band("crystal"),
        avg_monthly_spend=Decimal("4000"),
        discount_pct=Decimal("10"),
    )
    AccountFactory(
        name="商业乙",
        segment="commercial",
        grade=band("a", "commercial"),
        star_level=0,
        avg_monthly_spend=Decimal("2500"),
        discount_pct=Decimal("20"),
    )
    response = login(head).get(reverse("accounts:boundary_band"))
    assert response.status_code == 200
    assert response.context["band"].inverted_count == 1
    assert response.context["band"].cross_segment_inversions == 1
    assert "折扣高于 水晶甲" in response.content.decode()
    assert [r.account.name for r in response.context["page_obj"]] == ["商业乙"]


def test_boundary_band_refused_without_confidential_rights():
    assert login(UserFactory(desk=True)).get(reverse("accounts:boundary_band")).status_code == 403
    assert login(UserFactory()).get(reverse("accounts:boundary_band")).status_code == 403


def test_billing_tab_shows_24_bars(am):
    account = AccountFactory(owner=am)
    bill(account, "8000.00", range(1, 11))
    account_spend_refresh()
    page = login(am).get(reverse("accounts:tab", args=[account.pk, "billing"])).content.decode()
    assert page.count('class="tk-bar"') == 24
    assert "2026-10：8,000.00" in page


def test_billing_import_page(head):
    analyst = UserFactory(analyst=True)
    account = AccountFactory(code="KA00000001")
    client = login(analyst)
    bad = (
        "客户编码,账期,产品编码,金额\nKA00000001,2026-10,voice_usage,100.00\n"
        "KA99999999,2026-10,voice_usage,5.00\nKA00000001,2026-09,voice_usage,abc\n"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("billing:imports"), {"file": SimpleUploadedFile("bad.csv", bad.encode())}
    )
    assert response.status_code == 200
    errors = response.context["row_errors"]
    assert {(e["line"], e["column"]) for e in errors} == {(3, "客户编码"), (4, "金额")}
    assert not BillingLine.objects.exists()
    good = "客户编码,账期,产品编码,金额\nKA00000001,2026-10,voice_usage,100.00\n"
    response = client.post(
        reverse("billing:imports"), {"file": SimpleUploadedFile("good.csv", good.encode())}
    )
    assert response.status_code == 302
    assert BillingLine.objects.get().account == account
    assert BillingImport.objects.count() == 1
    assert client.get(reverse("billing:template")).status_code == 200


@pytest.mark.parametrize("trait", [{}, {"desk": True}, {"lead": True}])
def test_billing_import_refused(trait):
    client = login(UserFactory(**trait))
    assert client.get(reverse("billing:imports")).status_code == 403
    assert client.get(reverse("billing:template")).status_code == 403
    assert Account.objects.count() == 0


@pytest.mark.parametrize("n", [2, 20])
def test_review_pages_run_a_bounded_number_of_queries(n, head, django_assert_max_num_queries):
    am = UserFactory()
    for i in range(n):
        account = AccountFactory(owner=am, grade=band("crystal"))
        bill(account, f"{3000 + 500 * i}.00")
        GradeChangeProposal.objects.create(
            account=account,
            from_segment="key",
            from_grade=band("crystal"),
            to_segment="key",
            to_grade=band("silver"),
            reason="x",
            proposed_by=am,
        )
    account_spend_refresh()
    client = login(head)
    client.post(reverse("accounts:key_list_generate"), {"year": 2027})
    for url, params in (
        ("accounts:key_list", {"year": 2027}),
        ("accounts:key_list", {"year": 2027, "change": "changes"}),
        ("accounts:proposals", {"status": "all"}),
        ("accounts:boundary_band", {"show": "all"}),
        ("billing:imports", {}),
    ):
        with django_assert_max_num_queries(14):
            assert client.get(reverse(url), params).status_code == 200
