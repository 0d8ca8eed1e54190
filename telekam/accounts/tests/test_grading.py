"""Grading: the boundaries of the scheme, the yearly list, proposals and the boundary band."""

from __future__ import annotations

import datetime as dt
import os
import time
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from telekam.accounts import grading
from telekam.accounts.errors import AccountErrorCode
from telekam.accounts.models import (
    Account,
    AccountStatus,
    DecisionStatus,
    GradeBand,
    GradeChangeProposal,
    KeyAccountList,
    KeyAccountListEntry,
    ListStatus,
    Segment,
)
from telekam.accounts.tests.factories import AccountFactory, band
from telekam.billing.models import BillingLine
from telekam.billing.tests.helpers import NOW, BillingLineFactory
from telekam.core import clock
from telekam.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from telekam.core.models import AuditAction, AuditEntry
from telekam.org.tests.factories import UserFactory, group

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _frozen_clock():
    with clock.frozen(NOW):  # 2026-11-15: lists up to 2027 may be generated
        yield


@pytest.fixture
def head():
    return UserFactory(head=True, username="head")


@pytest.fixture
def analyst():
    return UserFactory(analyst=True, username="analyst")


def bill(account, amount, months, *, end=dt.date(2026, 10, 1)):
    """One line of `amount` in each of the `months` months ending at `end`."""
    for i in range(months):
        index = end.year * 12 + end.month - 1 - i
        BillingLineFactory(
            account=account, month=dt.date(index // 12, index % 12 + 1, 1), amount=D(amount)
        )


def account_state():
    return sorted(
        Account.objects.values_list(
            "code", "segment", "grade__code", "star_level", "key_list_year", "version"
        )
    )


# --- grade_for_spend ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spend", "segment", "code"),
    [
        ("-0.01", "commercial", "d"),  # a net credit grades as the lowest commercial band
        ("-5000", "commercial", "d"),
        ("0", "commercial", "d"),
        ("299.99", "commercial", "d"),
        ("300.00", "commercial", "c"),
        ("799.99", "commercial", "c"),
        ("800", "commercial", "b"),
        ("1499.99", "commercial", "b"),
        ("1500.00", "commercial", "a"),
        ("2999.99", "commercial", "a"),
        ("3000.00", "key", "crystal"),
        ("9999.99", "key", "crystal"),
        ("10000", "key", "silver"),
        ("29999.99", "key", "silver"),
        ("30000", "key", "gold"),
        ("99999.99", "key", "gold"),
        ("100000", "key", "platinum"),
        ("299999.99", "key", "platinum"),
        ("300000", "key", "diamond"),
        ("999999.99", "key", "diamond"),
        ("1000000", "key", "crown"),
        ("123456789.00", "key", "crown"),
    ],
)
def test_grade_for_spend_at_every_boundary(spend, segment, code):
    got_segment, got_band = grading.grade_for_spend(D(spend), list(GradeBand.objects.all()))
    assert (got_segment, got_band.code if got_band else None) == (segment, code)


def test_grade_for_spend_follows_a_reconfigured_scheme_without_the_database():
    """Pure function: unsaved bands, a key threshold of 5,000 and a gap above it."""
    bands = [
        GradeBand(segment="key", code="k1", min_monthly=D("5000"), max_monthly=D("8000"), rank=3),
        GradeBand(segment="key", code="k2", min_monthly=D("9000"), max_monthly=None, rank=4),
        GradeBand(
            segment="commercial", code="c1", min_monthly=D("0"), max_monthly=D("5000"), rank=1
        ),
    ]
    assert [
        (s, b.code if b else None)
        for s, b in (
            grading.grade_for_spend(D(x), bands) for x in ("4999.99", "5000", "8500", "9000")
        )
    ] == [("commercial", "c1"), ("key", "k1"), ("key", None), ("key", "k2")]
    assert grading.key_threshold(bands) == D("5000")
    assert grading.grade_for_spend(D("1"), bands[:2]) == ("commercial", None)


# --- one account --------------------------------------------------------------------------


def test_account_grade_proposal_for_the_account_page():
    am = UserFactory()
    account = AccountFactory(owner=am)  # key crystal
    bill(account, "12000.00", 5)
    BillingLineFactory(account=account, month=dt.date(2025, 10, 1), amount=D("1"))  # outside
    proposal = grading.account_grade_proposal(user=am, account=account)
    assert proposal.window_start == dt.date(2025, 11, 1)
    assert proposal.window_end == dt.date(2026, 10, 1)
    assert (proposal.avg_monthly_spend, proposal.months_billed) == (D("12000.00"), 5)
    assert (proposal.current_segment, proposal.current_grade.code) == ("key", "crystal")
    assert (proposal.proposed_segment, proposal.proposed_grade.code) == ("key", "silver")
    assert proposal.changes is True
    with pytest.raises(NotFound):
        grading.account_grade_proposal(user=UserFactory(group=group("government")), account=account)


def test_account_without_bills_keeps_its_grade():
    am = UserFactory()
    account = AccountFactory(owner=am, grade=band("gold"))
    BillingLineFactory(month=dt.date(2026, 10, 1))  # someone else's bill sets the window
    proposal = grading.account_grade_proposal(user=am, account=account)
    assert (proposal.months_billed, proposal.avg_monthly_spend) == (0, D("0.00"))
    assert (proposal.proposed_segment, proposal.proposed_grade.code, proposal.changes) == (
        "key",
        "gold",
        False,
    )


# --- the yearly list ----------------------------------------------------------------------


@pytest.fixture
def portfolio():
    """Accounts covering every kind of move; bills up to 2026-10."""
    a = {
        "up": AccountFactory(code="UP", grade=band("crystal"), star_level=1),
        "same": AccountFactory(code="SAME", grade=band("silver"), star_level=2, key_list_year=2026),
        "drop": AccountFactory(
            code="DROP", grade=band("crystal"), star_level=1, key_list_year=2026
        ),
        "join": AccountFactory(
            code="JOIN", segment=Segment.COMMERCIAL, grade=band("a", "commercial"), star_level=0
        ),
        "down": AccountFactory(
            code="DOWN", segment=Segment.COMMERCIAL, grade=band("a", "commercial"), star_level=0
        ),
        "nobill": AccountFactory(code="NOBILL", grade=band("gold"), star_level=1),
        "public": AccountFactory(code="PUB", segment=Segment.PUBLIC, grade=None, star_level=0),
        "churned": AccountFactory(code="GONE", status=AccountStatus.CHURNED),
    }
    bill(a["up"], "12000.00", 12)
    bill(a["same"], "15000.00", 6)
    BillingLineFactory(account=a["same"], month=dt.date(2025, 10, 1), amount=D("999999"))  # outside
    bill(a["drop"], "2000.00", 12)
    bill(a["join"], "3500.00", 3)
    bill(a["down"], "500.00", 12)
    bill(a["public"], "5000.00", 12)
    bill(a["churned"], "50000.00", 12)
    return a


def entries_by_code(key_list):
    return {
        e.account.code: (
            e.avg_monthly_spend,
            e.months_billed,
            e.current_segment,
            e.current_grade.code if e.current_grade else None,
            e.proposed_segment,
            e.proposed_grade.code if e.proposed_grade else None,
            e.decided_segment,
            e.decided_grade.code if e.decided_grade else None,
        )
        for e in KeyAccountListEntry.objects.filter(key_list=key_list).select_related(
            "account", "current_grade", "proposed_grade", "decided_grade"
        )
    }


EXPECTED_2027 = {
    "UP": (D("12000.00"), 12, "key", "crystal", "key", "silver", "key", "silver"),
    "SAME": (D("15000.00"), 6, "key", "silver", "key", "silver", "key", "silver"),
    "DROP": (D("2000.00"), 12, "key", "crystal", "commercial", "a", "commercial", "a"),
    "JOIN": (D("3500.00"), 3, "commercial", "a", "key", "crystal", "key", "crystal"),
    "DOWN": (D("500.00"), 12, "commercial", "a", "commercial", "c", "commercial", "c"),
    "NOBILL": (D("0.00"), 0, "key", "gold", "key", "gold", "key", "gold"),
}


def test_generate_builds_one_entry_per_active_key_or_commercial_account(analyst, portfolio):
    key_list = grading.key_list_generate(actor=analyst, year=2027)
    assert (key_list.year, key_list.status, key_list.version) == (2027, ListStatus.DRAFT, 1)
    assert (key_list.window_start, key_list.window_end) == (
        dt.date(2025, 11, 1),
        dt.date(2026, 10, 1),
    )
    assert key_list.generated_by == analyst
    assert entries_by_code(key_list) == EXPECTED_2027
    entry = AuditEntry.objects.get()
    assert (
        entry.summary
        == "生成 2027 年度大客户名单：6 个客户参评，建议大客户 4 个（统计 2025-11 至 2026-10）"
    )
    assert entry.account is None


def test_default_window_is_december_of_the_previous_year(analyst, portfolio):
    key_list = grading.key_list_generate(actor=analyst, year=2026)
    assert (key_list.window_start, key_list.window_end) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 1),
    )
    entries = entries_by_code(key_list)
    assert entries["SAME"][:2] == (D("999999.00"), 1)  # only its 2025-10 bill is in the window
    assert entries["UP"][:2] == (D("12000.00"), 2)  # 2025-11 and 2025-12
    explicit = grading.key_list_generate(actor=analyst, year=2026, through=dt.date(2026, 6, 15))
    assert (explicit.window_start, explicit.window_end) == (
        dt.date(2025, 7, 1),
        dt.date(2026, 6, 1),
    )


def test_regenerating_a_draft_replaces_its_entries(analyst, head, portfolio):
    key_list = grading.key_list_generate(actor=analyst, year=2027)
    entry = KeyAccountListEntry.objects.get(key_list=key_list, account=portfolio["down"])
    grading.key_list_entry_decide(
        actor=head, entry=entry, segment="commercial", grade=band("b", "commercial"), note="保级"
    )
    again = grading.key_list_generate(actor=analyst, year=2027)
    assert again.pk == key_list.pk
    assert KeyAccountList.objects.count() == 1
    assert KeyAccountListEntry.objects.filter(key_list=key_list).count() == 6
    assert entries_by_code(again) == EXPECTED_2027  # the override is gone with the old entries
    assert again.version == 3  # generate, decide, regenerate
    assert AuditEntry.objects.filter(target_type="accounts.keyaccountlist").count() == 3


def test_generation_is_refused_to_others_and_without_billing(portfolio):
    for user in (UserFactory(), UserFactory(lead=True), UserFactory(desk=True)):
        with pytest.raises(PermissionDenied):
            grading.key_list_generate(actor=user, year=2027)
    assert KeyAccountList.objects.count() == 0
    BillingLine.objects.all().delete()
    with pytest.raises(ApplicationError) as info:
        grading.key_list_generate(actor=UserFactory(analyst=True), year=2027)
    assert info.value.code == AccountErrorCode.NO_BILLING
    with pytest.raises(ApplicationError):
        grading.key_list_generate(actor=UserFactory(analyst=True), year=2030)
    assert KeyAccountList.objects.count() == 0


def test_generation_query_count_does_not_grow_with_accounts(analyst, django_assert_max_num_queries):
    def make(n):
        for _ in range(n):
            bill(AccountFactory(), "4000.00", 1)

    make(5)
    with CaptureQueriesContext(connection) as small:
        grading.key_list_generate(actor=analyst, year=2026)
    make(45)
    with CaptureQueriesContext(connection) as large:
        grading.key_list_generate(actor=analyst, year=2027, through=dt.date(2026, 10, 1))
    assert KeyAccountListEntry.objects.filter(key_list__year=2027).count() == 50
    assert len(small.captured_queries) == len(large.captured_queries)
    with django_assert_max_num_queries(len(small.captured_queries)):
        grading.key_list_generate(actor=analyst, year=2027)  # the regenerate path


# --- deciding and approving -----------------------------------------------------------------


def test_decide_checks_grade_against_segment_and_list_status(head, analyst, portfolio):
    key_list = grading.key_list_generate(actor=analyst, year=2027)
    entry = KeyAccountListEntry.objects.get(key_list=key_list, account=portfolio["drop"])
    for segment, grade in (("key", band("a", "commercial")), ("key", None), ("commercial", None)):
        with pytest.raises(ApplicationError) as info:
            grading.key_list_entry_decide(actor=analyst, entry=entry, segment=segment, grade=grade)
        assert info.value.code == AccountErrorCode.GRADE_SEGMENT_MISMATCH
    with pytest.raises(PermissionDenied):
        grading.key_list_entry_decide(
            actor=UserFactory(), entry=entry, segment="key", grade=band("crystal")
        )
    entry.refresh_from_db()
    assert (entry.decided_segment, entry.decided_grade.code) == ("commercial", "a")

    grading.key_list_entry_decide(
        actor=analyst, entry=entry, segment="key", grade=band("crystal"), note="战略客户，保留"
    )
    entry.refresh_from_db()
    assert (entry.decided_segment, entry.decided_grade.code, entry.note) == (
        "key",
        "crystal",
        "战略客户，保留",
    )
    # A segment without bands takes no grade.
    grading.key_list_entry_decide(actor=analyst, entry=entry, segment="public", grade=None)
    entry.refresh_from_db()
    assert (entry.decided_segment, entry.decided_grade) == ("public", None)

    key_list.refresh_from_db()
    grading.key_list_approve(actor=head, key_list=key_list, expected_version=key_list.version)
    with pytest.raises(ApplicationError) as info:
        grading.key_list_entry_decide(
            actor=analyst, entry=entry, segment="key", grade=band("crystal")
        )
    assert info.value.code == AccountErrorCode.LIST_ALREADY_APPROVED


def test_approval_applies_decisions_and_audits_only_changes(head, analyst, portfolio):
    key_list = grading.key_list_generate(actor=analyst, year=2027)
    AuditEntry.objects.all().delete()
    grading.key_list_approve(actor=head, key_list=key_list, expected_version=1)

    assert (key_list.status, key_list.approved_by, key_list.approved_at, key_list.version) == (
        ListStatus.APPROVED,
        head,
        NOW,
        2,
    )
    key_list.refresh_from_db()
    assert (key_list.status, key_list.approved_by_id, key_list.version) == (
        ListStatus.APPROVED,
        head.pk,
        2,
    )
    state = {
        code: (segment, grade, star, year)
        for code, segment, grade, star, year, _v in account_state()
    }
    assert state == {
        "UP": ("key", "silver", 2, 2027),
        "SAME": ("key", "silver", 2, 2027),
        "DROP": ("commercial", "a", 0, None),
        "JOIN": ("key", "crystal", 1, 2027),
        "DOWN": ("commercial", "c", 0, None),
        "NOBILL": ("key", "gold", 3, 2027),
        "PUB": ("public", None, 0, None),  # not on the list: untouched
        "GONE": ("key", "crystal", 1, None),
    }
    timeline = {
        e.account.code: (e.action, e.summary, e.changes)
        for e in AuditEntry.objects.filter(account__isnull=False).select_related("account")
    }
    assert timeline == {
        "UP": (
            AuditAction.APPROVE,
            "年度大客户名单（2027）：等级 水晶 → 银",
            {"grade": ["水晶", "银"], "star_level": [1, 2]},
        ),
        "DROP": (
            AuditAction.APPROVE,
            "年度大客户名单（2027）：类别 大客户（水晶） → 商业客户（A+）",
            {"segment": ["key", "commercial"], "grade": ["水晶", "A+"], "star_level": [1, 0]},
        ),
        "JOIN": (
            AuditAction.APPROVE,
            "年度大客户名单（2027）：类别 商业客户（A+） → 大客户（水晶）",
            {"segment": ["commercial", "key"], "grade": ["A+", "水晶"], "star_level": [0, 1]},
        ),
        "DOWN": (
            AuditAction.APPROVE,
            "年度大客户名单（2027）：等级 A+ → C",
            {"grade": ["A+", "C"]},
        ),
    }
    summary = AuditEntry.objects.get(account__isnull=True)
    assert summary.summary == "审批 2027 年度大客户名单：6 个客户，4 个调整类别或等级"
    # Accounts written by the approval have a new version (open edit forms must reload).
    assert Account.objects.get(code="UP").version == 2
    assert Account.objects.get(code="PUB").version == 1


def test_approved_list_is_fixed(head, analyst, portfolio):
    key_list = grading.key_list_generate(actor=analyst, year=2027)
    grading.key_list_approve(actor=head, key_list=key_list, expected_version=1)
    before = (account_state(), entries_by_code(key_list), AuditEntry.objects.count())
    with pytest.raises(ApplicationError) as info:
        grading.key_list_generate(actor=analyst, year=2027)
    assert info.value.code == AccountErrorCode.LIST_ALREADY_APPROVED
    with pytest.raises(ApplicationError) as info:
        grading.key_list_approve(actor=head, key_list=key_list, expected_version=2)
    assert info.value.code == AccountErrorCode.LIST_ALREADY_APPROVED
    assert before == (account_state(), entries_by_code(key_list), AuditEntry.objects.count())


def test_stale_version_raises_conflict_and_changes_nothing(head, analyst, portfolio):
    key_list = grading.key_list_generate(actor=analyst, year=2027)
    seen = key_list.version
    entry = KeyAccountListEntry.objects.get(key_list=key_list, account=portfolio["up"])
    grading.key_list_entry_decide(actor=analyst, entry=entry, segment="key", grade=band("gold"))
    before = (account_state(), AuditEntry.objects.count())
    with pytest.raises(Conflict):
        grading.key_list_approve(actor=head, key_list=key_list, expected_version=seen)
    assert before == (account_state(), AuditEntry.objects.count())
    key_list.refresh_from_db()
    assert (key_list.status, key_list.approved_by, key_list.version) == (
        ListStatus.DRAFT,
        None,
        seen + 1,
    )


@pytest.mark.parametrize("trait", [{"analyst": True}, {"admin": True}, {"lead": True}, {}])
def test_only_the_department_head_approves_the_list(trait, analyst, portfolio):
    key_list = grading.key_list_generate(actor=analyst, year=2027)
    before = account_state()
    with pytest.raises(PermissionDenied):
        grading.key_list_approve(actor=UserFactory(**trait), key_list=key_list, expected_version=1)
    key_list.refresh_from_db()
    assert key_list.status == ListStatus.DRAFT
    assert account_state() == before


# --- reading the list -----------------------------------------------------------------------


def test_summary_counts(analyst, head, portfolio, django_assert_num_queries):
    key_list = grading.key_list_generate(actor=analyst, year=2027)
    entry = KeyAccountListEntry.objects.get(key_list=key_list, account=portfolio["drop"])
    grading.key_list_entry_decide(actor=head, entry=entry, segment="key", grade=band("crystal"))
    with django_assert_num_queries(2):
        summary = grading.key_list_summary(key_list)
    assert summary.entries == 6
    assert summary.proposed == grading.ChangeCounts(
        promotions=1, demotions=1, joins=1, drops=1, unchanged=2
    )
    assert summary.decided == grading.ChangeCounts(
        promotions=1, demotions=1, joins=1, drops=0, unchanged=3
    )
    assert summary.proposed.changes == 4
    assert (summary.overridden, summary.no_billing) == (1, 1)
    assert (summary.key_current, summary.key_proposed, summary.key_decided) == (4, 4, 5)
    rows = {
        (r.band.code if r.band else r.segment): (r.current, r.proposed, r.decided)
        for r in summary.by_grade
    }
    assert rows == {
        "crown": (0, 0, 0),
        "diamond": (0, 0, 0),
        "platinum": (0, 0, 0),
        "gold": (1, 1, 1),
        "silver": (1, 2, 2),
        "crystal": (2, 1, 2),
        "a": (2, 1, 0),
        "b": (0, 0, 0),
        "c": (0, 1, 1),
        "d": (0, 0, 0),
    }


@pytest.mark.parametrize(
    ("change", "codes"),
    [
        ("", ["SAME", "UP", "JOIN", "DROP", "DOWN", "NOBILL"]),
        ("changes", ["UP", "JOIN", "DROP", "DOWN"]),
        ("unchanged", ["SAME", "NOBILL"]),
        ("joins", ["JOIN"]),
        ("drops", ["DROP"]),
        ("promotions", ["UP"]),
        ("demotions", ["DOWN"]),
        ("overridden", []),
        ("no_billing", ["NOBILL"]),
    ],
)
def test_entries_filters_ordered_by_spend(change, codes, analyst, portfolio):
    key_list = grading.key_list_generate(actor=analyst, year=2027)
    qs = grading.key_list_entries(
        user=analyst, key_list=key_list, filters=grading.KeyListEntryFilters(change=change)
    )
    assert [e.account.code for e in qs] == codes


def test_entries_other_filters_scope_and_one_query(analyst, portfolio, django_assert_num_queries):
    key_list = grading.key_list_generate(actor=analyst, year=2027)
    f = grading.KeyListEntryFilters
    assert [
        e.account.code
        for e in grading.key_list_entries(
            user=analyst, key_list=key_list, filters=f(grade="crystal")
        )
    ] == ["JOIN"]
    assert [
        e.account.code
        for e in grading.key_list_entries(
            user=analyst, key_list=key_list, filters=f(segment="commercial")
        )
    ] == ["DROP", "DOWN"]
    assert [
        e.account.code
        for e in grading.key_list_entries(user=analyst, key_list=key_list, filters=f(q="nobill"))
    ] == ["NOBILL"]
    other = AccountFactory(code="GOV", owner=UserFactory(group=group("government")))
    bill(other, "4000", 1)
    key_list = grading.key_list_generate(actor=analyst, year=2027)
    gov = group("government")
    assert [
        e.account.code
        for e in grading.key_list_entries(user=analyst, key_list=key_list, filters=f(group=gov.pk))
    ] == ["GOV"]
    am = portfolio["up"].owner
    assert [e.account.code for e in grading.key_list_entries(user=am, key_list=key_list)] == ["UP"]
    with django_assert_num_queries(1):
        rows = list(
            grading.key_list_entries(user=analyst, key_list=key_list, filters=f(change="changes"))
        )
        # owners, groups and grades come with the entries: no further query
        assert [(r.account.code, r.account.owner.pk, r.account.group.code) for r in rows] == [
            (code, portfolio[key].owner.pk, "finance")
            for code, key in (("UP", "up"), ("JOIN", "join"), ("DROP", "drop"), ("DOWN", "down"))
        ]
        assert [r.decided_grade.code for r in rows] == ["silver", "crystal", "a", "c"]


# --- mid-year proposals ---------------------------------------------------------------------


def test_am_proposes_for_its_account(head):
    am = UserFactory()
    account = AccountFactory(owner=am)
    proposal = grading.grade_proposal_create(
        actor=am,
        account=account,
        to_segment="key",
        to_grade=band("silver"),
        reason="新签云专线合同",
    )
    proposal.refresh_from_db()
    assert (
        proposal.from_segment,
        proposal.from_grade.code,
        proposal.to_segment,
        proposal.to_grade.code,
    ) == (
        "key",
        "crystal",
        "key",
        "silver",
    )
    assert (proposal.status, proposal.proposed_by, proposal.proposed_at) == (
        DecisionStatus.PENDING,
        am,
        NOW,
    )
    entry = AuditEntry.objects.get(account=account)
    assert entry.summary == "申请调整等级 水晶 → 银：新签云专线合同"


def test_proposal_refusals(head):
    am = UserFactory()
    account = AccountFactory(owner=am)
    cases = [
        ({"to_segment": "key", "to_grade": band("crystal")}, AccountErrorCode.PROPOSAL_NO_CHANGE),
        (
            {"to_segment": "key", "to_grade": band("b", "commercial")},
            AccountErrorCode.GRADE_SEGMENT_MISMATCH,
        ),
        ({"to_segment": "commercial", "to_grade": None}, AccountErrorCode.GRADE_SEGMENT_MISMATCH),
    ]
    for kwargs, code in cases:
        with pytest.raises(ApplicationError) as info:
            grading.grade_proposal_create(actor=am, account=account, reason="x", **kwargs)
        assert info.value.code == code
    with pytest.raises(PermissionDenied):
        grading.grade_proposal_create(
            actor=UserFactory(),
            account=account,
            to_segment="key",
            to_grade=band("gold"),
            reason="x",
        )
    assert GradeChangeProposal.objects.count() == 0

    grading.grade_proposal_create(
        actor=am, account=account, to_segment="key", to_grade=band("gold"), reason="a"
    )
    with pytest.raises(ApplicationError) as info:
        grading.grade_proposal_create(
            actor=head, account=account, to_segment="key", to_grade=band("silver"), reason="b"
        )
    assert info.value.code == grading.GradingErrorCode.PROPOSAL_PENDING_EXISTS
    assert info.value.message == "该客户已有待审批的等级调整申请，请等待审批或撤回后再提。"
    assert GradeChangeProposal.objects.count() == 1


def test_concurrent_pending_proposal_is_a_clear_error_not_an_integrity_error(monkeypatch):
    am = UserFactory()
    account = AccountFactory(owner=am)
    grading.grade_proposal_create(
        actor=am, account=account, to_segment="key", to_grade=band("gold"), reason="a"
    )
    # Simulate the race: the existence check sees nothing, the database constraint fires.
    monkeypatch.setattr(
        grading.GradeChangeProposal.objects,
        "filter",
        lambda **kw: GradeChangeProposal.objects.none(),
    )
    monkeypatch.setattr(grading, "full_clean_or_raise", lambda *a, **k: None)
    with pytest.raises(ApplicationError) as info:
        grading.grade_proposal_create(
            actor=am, account=account, to_segment="key", to_grade=band("silver"), reason="b"
        )
    assert info.value.code == grading.GradingErrorCode.PROPOSAL_PENDING_EXISTS
    monkeypatch.undo()
    assert GradeChangeProposal.objects.count() == 1


@pytest.fixture
def pending():
    am = UserFactory(username="am")
    account = AccountFactory(owner=am, code="P1")
    proposal = grading.grade_proposal_create(
        actor=am, account=account, to_segment="key", to_grade=band("gold"), reason="年度合同升级"
    )
    AuditEntry.objects.all().delete()
    return proposal


def test_an_am_cannot_approve_its_own_proposal(pending):
    before = account_state()
    for user in (pending.proposed_by, UserFactory(lead=True), UserFactory(analyst=True)):
        with pytest.raises(PermissionDenied):
            grading.grade_proposal_decide(
                actor=user, proposal=pending, approve=True, expected_version=1
            )
    pending.refresh_from_db()
    assert pending.status == DecisionStatus.PENDING
    assert account_state() == before
    assert AuditEntry.objects.count() == 0


def test_head_approves_and_the_account_changes_with_a_timeline_entry(head, pending):
    grading.grade_proposal_decide(
        actor=head, proposal=pending, approve=True, note="同意", expected_version=1
    )
    assert (pending.status, pending.decided_by, pending.decided_at, pending.version) == (
        DecisionStatus.APPROVED,
        head,
        NOW,
        2,
    )
    account = Account.objects.get(code="P1")
    assert (
        account.segment,
        account.grade.code,
        account.star_level,
        account.key_list_year,
        account.version,
    ) == (
        "key",
        "gold",
        3,
        2026,
        2,
    )
    entry = AuditEntry.objects.get(account=account)
    assert (entry.action, entry.summary, entry.changes) == (
        AuditAction.APPROVE,
        "等级调整获批：等级 水晶 → 金（同意）",
        {"grade": ["水晶", "金"], "star_level": [1, 3]},
    )
    with pytest.raises(ApplicationError) as info:
        grading.grade_proposal_decide(
            actor=head, proposal=pending, approve=False, expected_version=2
        )
    assert info.value.code == AccountErrorCode.PROPOSAL_NOT_PENDING


def test_head_rejects_and_the_account_stays(head, pending):
    before = account_state()
    grading.grade_proposal_decide(
        actor=head, proposal=pending, approve=False, note="数据不足", expected_version=1
    )
    pending.refresh_from_db()
    assert (pending.status, pending.decision_note) == (DecisionStatus.REJECTED, "数据不足")
    assert account_state() == before
    assert AuditEntry.objects.get().summary == "等级调整申请被驳回：等级 水晶 → 金（数据不足）"


def test_stale_proposal_version_raises_conflict_and_changes_nothing(head, pending):
    GradeChangeProposal.objects.filter(pk=pending.pk).update(version=2)  # edited meanwhile
    before = account_state()
    with pytest.raises(Conflict):
        grading.grade_proposal_decide(
            actor=head, proposal=pending, approve=True, expected_version=1
        )
    assert account_state() == before
    assert GradeChangeProposal.objects.get().status == DecisionStatus.PENDING
    assert AuditEntry.objects.count() == 0


def test_proposals_visible_to(head, pending):
    other = AccountFactory(owner=UserFactory(group=group("government")))
    theirs = grading.grade_proposal_create(
        actor=head, account=other, to_segment="key", to_grade=band("silver"), reason="x"
    )
    assert set(grading.grade_proposals_visible_to(user=head)) == {pending, theirs}
    assert set(grading.grade_proposals_visible_to(user=UserFactory(analyst=True))) == {
        pending,
        theirs,
    }
    assert list(grading.grade_proposals_visible_to(user=pending.proposed_by)) == [pending]
    assert list(
        grading.grade_proposals_visible_to(user=UserFactory(lead=True, group=group("government")))
    ) == [theirs]
    assert list(grading.grade_proposals_visible_to(user=head, status="approved")) == []


# --- the boundary band ------------------------------------------------------------------


@pytest.fixture
def band_accounts():
    def make(code, segment, grade, spend, discount, stars, **kw):
        return AccountFactory(
            code=code,
            segment=segment,
            grade=band(grade, segment),
            avg_monthly_spend=D(spend),
            discount_pct=D(discount),
            star_level=stars,
            **kw,
        )

    return {
        "K1": make("K1", "key", "crystal", "9000", "5", 1),
        "K2": make("K2", "key", "crystal", "6000", "8", 1),
        "K3": make(
            "K3", "key", "crystal", "6000", "2", 1
        ),  # same spend as K2: no inversion between them
        "C1": make("C1", "commercial", "a", "2900", "10", 0),
        "C2": make("C2", "commercial", "a", "2000", "2", 2),
        "C3": make("C3", "commercial", "a", "1600", "1", 0),
        # outside the band or not counted
        "S1": make("S1", "key", "silver", "12000", "0", 2),
        "B1": make("B1", "commercial", "b", "1000", "30", 0),
        "X1": make("X1", "key", "crystal", "8000", "0", 0, status=AccountStatus.CHURNED),
    }


def test_boundary_band_flags_exactly_the_inverted_accounts(
    band_accounts, django_assert_num_queries
):
    head = UserFactory(head=True)
    with django_assert_num_queries(1):
        result = grading.boundary_band(user=head)
    a = band_accounts
    got = [
        (
            r.account.code,
            r.spend_rank,
            r.discount_inverted_by.code if r.discount_inverted_by else None,
            r.star_inverted_by.code if r.star_inverted_by else None,
            r.max_discount,
            r.max_star_level,
        )
        for r in result.rows
    ]
    assert got == [
        ("K1", 1, None, None, None, None),
        ("K2", 2, "K1", None, D("5.00"), 1),
        ("K3", 2, None, None, D("5.00"), 1),
        (
            "C1",
            4,
            "K3",
            None,
            D("2.00"),
            1,
        ),  # the "chicken head": better discount than key accounts
        ("C2", 5, None, "C1", D("2.00"), 0),  # two stars while a bigger customer has none
        ("C3", 6, None, None, D("2.00"), 0),
    ]
    assert [r.account for r in result.inverted] == [a["K2"], a["C1"], a["C2"]]
    assert (result.commercial_count, result.key_count) == (3, 3)
    assert (result.inverted_count, result.discount_inversions, result.star_inversions) == (3, 2, 1)
    assert result.cross_segment_inversions == 1
    assert [r.cross_segment for r in result.rows] == [False, False, False, True, False, False]


def test_boundary_band_is_limited_to_visible_accounts_and_hidden_from_desk(band_accounts):
    am = band_accounts["C1"].owner
    result = grading.boundary_band(user=am)
    assert [(r.account.code, r.inverted) for r in result.rows] == [("C1", False)]
    for user in (UserFactory(desk=True), UserFactory(ops=True)):
        with pytest.raises(PermissionDenied):
            grading.boundary_band(user=user)


# --- command line -----------------------------------------------------------------------


def test_grade_list_command(head, portfolio, capsys):
    call_command("grade_list", "generate", "--year", "2027", "--through", "2026-10")
    out = capsys.readouterr().out
    assert "已生成 2027 年度名单草稿（统计 2025-11 至 2026-10）" in out
    assert "建议：新进 1，退出 1，升级 1，降级 1，不变 2" in out
    call_command("grade_list", "show", "--year", "2027")
    assert "参评客户 6 个；大客户 现 4 → 建议 4 → 审定 4" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command(
            "grade_list", "approve", "--year", "2027", "--as", UserFactory(analyst=True).username
        )
    call_command("grade_list", "approve", "--year", "2027", "--as", "head")
    assert "2027 年度大客户名单已审批" in capsys.readouterr().out
    assert KeyAccountList.objects.get(year=2027).status == ListStatus.APPROVED
    with pytest.raises(CommandError):
        call_command("grade_list", "show", "--year", "2025")


# --- volume -------------------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("TELEKAM_BENCH"), reason="set TELEKAM_BENCH=1 to run")
def test_generate_and_approve_for_7000_accounts(head, analyst):
    owner = UserFactory()
    crystal = band("crystal")
    Account.objects.bulk_create(
        [
            Account(
                code=f"B{i:06d}",
                name=f"客户{i}",
                segment="key",
                grade=crystal,
                star_level=1,
                industry="finance",
                group_id=owner.group_id,
                owner=owner,
            )
            for i in range(7000)
        ],
        batch_size=1000,
    )
    ids = list(Account.objects.values_list("pk", flat=True))
    product_id = band_product_id()
    BillingLine.objects.bulk_create(
        [
            BillingLine(
                account_id=pk,
                month=dt.date(2026, m, 1),
                product_id=product_id,
                amount=D(1000 + (pk * 37) % 20000),
            )
            for pk in ids
            for m in range(1, 11)
        ],
        batch_size=2000,
    )
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        key_list = grading.key_list_generate(actor=analyst, year=2027)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    grading.key_list_approve(actor=head, key_list=key_list, expected_version=key_list.version)
    approved = time.perf_counter() - started
    print(
        f"\n7,000 accounts, 70,000 lines: generate {generated:.2f} s ({len(queries.captured_queries)} queries), "
        f"approve {approved:.2f} s"
    )
    assert KeyAccountListEntry.objects.filter(key_list=key_list).count() == 7000


def band_product_id():
    from telekam.catalog.models import Product

    return Product.objects.get(code="ip_vpn").pk
