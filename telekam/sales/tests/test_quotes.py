"""Solutions and quotes, through the services: versions that supersede each other, the
figures and the over-grade flag, discount approval by role (AM 10 %, group lead 20 %,
department head 35 %), the customer's acceptance. Refused writes change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from telekam.accounts.tests.factories import AccountFactory, band, product
from telekam.core import clock
from telekam.core.errors import ApplicationError, Conflict, PermissionDenied
from telekam.core.models import AuditEntry
from telekam.org.tests.factories import UserFactory, group
from telekam.sales import selectors, services
from telekam.sales.models import (
    Contract,
    DiscountLimit,
    Opportunity,
    Quote,
    QuoteLine,
    Solution,
    StageChange,
)
from telekam.service.tests.factories import aware, reload

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 3, 2)
NOW = aware(TODAY)
VALID = D(2026, 4, 30)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def w() -> dict[str, Any]:
    finance, government = group("finance"), group("government")
    am = UserFactory(username="am_fin", group=finance)
    return {
        "am": am,
        "lead": UserFactory(username="lead_fin", lead=True, group=finance),
        "presales": UserFactory(username="pre_fin", presales=True, group=finance),
        "stranger": UserFactory(username="am_gov", group=government),
        "lead_gov": UserFactory(username="lead_gov", lead=True, group=government),
        "presales_gov": UserFactory(username="pre_gov", presales=True, group=government),
        "head": UserFactory(username="head", head=True),
        "analyst": UserFactory(username="analyst", analyst=True),
        "desk": UserFactory(username="desk", desk=True),
        # crystal: the grade merits a discount of up to 8 %
        "account": AccountFactory(code="KA90000001", name="华夏银行北京分行", owner=am),
    }


def state() -> tuple[Any, ...]:
    return (
        list(Opportunity.objects.order_by("pk").values()),
        list(Solution.objects.order_by("pk").values()),
        list(Quote.objects.order_by("pk").values()),
        list(QuoteLine.objects.order_by("pk").values()),
        list(Contract.objects.order_by("pk").values()),
        list(StageChange.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


def refused(exc: type[Exception], call: Any, **kw: Any) -> Any:
    before = state()
    with pytest.raises(exc) as info:
        call(**kw)
    assert state() == before
    return info.value


def deal(w: dict[str, Any], **extra: Any) -> Opportunity:
    return services.opportunity_create(
        actor=w["am"],
        name=extra.pop("name", "总行数据专线扩容"),
        source="customer",
        close_date=D(2026, 4, 30),
        account=extra.pop("account", w["account"]),
        **extra,
    )


def solution(w: dict[str, Any], opportunity: Opportunity | None = None) -> Solution:
    return services.solution_create(
        actor=w["am"], opportunity=opportunity or deal(w), title="双路由方案"
    )


def quote(
    w: dict[str, Any],
    *,
    discount: str = "0",
    who: str = "am",
    on: Solution | None = None,
    valid_until: dt.date = VALID,
) -> Quote:
    return services.quote_create(
        actor=w[who],
        solution=on or solution(w),
        lines=[
            {
                "product": product("digital_circuit"),
                "quantity": 2,
                "term_months": 24,
                "discount_pct": Decimal(discount),
            }
        ],
        valid_until=valid_until,
    )


def submitted(w: dict[str, Any], *, discount: str, who: str = "am", **kw: Any) -> Quote:
    q = quote(w, discount=discount, who=who, **kw)
    return services.quote_submit(actor=w[who], quote=q, expected_version=1)


# --- limits and the approval chain ------------------------------------------------------


def test_discount_limits_are_seeded_per_role():
    assert [
        (row.role, row.max_discount_pct) for row in DiscountLimit.objects.order_by("max_discount_pct")
    ] == [
        ("account_manager", Decimal("10.00")),
        ("group_lead", Decimal("20.00")),
        ("department_head", Decimal("35.00")),
    ]  # fmt: skip
    assert services.limit_for("presales") == Decimal("0")


@pytest.mark.parametrize(
    ("who", "discount"),
    [("am", "0"), ("am", "10"), ("lead", "20"), ("head", "35"), ("presales", "0")],
)
def test_within_the_own_limit_approved_at_once(w, who, discount):
    q = submitted(w, discount=discount, who=who)
    fresh = reload(q)
    assert (
        fresh.status,
        fresh.approver_role,
        fresh.submitted_by_id,
        fresh.decided_by_id,
        fresh.submitted_at,
        fresh.decided_at,
        fresh.version,
    ) == ("approved", "", w[who].pk, w[who].pk, NOW, NOW, 2)


@pytest.mark.parametrize(
    ("who", "discount", "approver"),
    [
        ("am", "10.01", "group_lead"),
        ("am", "20", "group_lead"),
        ("am", "20.01", "department_head"),
        ("am", "35", "department_head"),
        ("lead", "20.01", "department_head"),
        ("presales", "15", "group_lead"),
    ],
)
def test_beyond_the_own_limit_pending_for_the_lowest_role_that_covers_it(
    w, who, discount, approver
):
    q = submitted(w, discount=discount, who=who)
    fresh = reload(q)
    assert (fresh.status, fresh.approver_role, fresh.decided_by_id, fresh.decided_at) == (
        "pending",
        approver,
        None,
        None,
    )


def test_a_presales_quote_within_the_am_limit_waits_for_someone_who_can_approve_it(w):
    """Pre-sales has no limit of its own (0 %); its 5 % waits for the group lead - not for
    the AM, whom access.can_decide_quote never lets approve."""
    q = submitted(w, discount="5", who="presales")
    fresh = reload(q)
    assert fresh.approver_role == "group_lead"
    assert list(selectors.quotes_awaiting(user=w["lead"])) == [fresh]


@pytest.mark.parametrize(("who", "discount"), [("am", "35.01"), ("lead", "40"), ("head", "35.01")])
def test_beyond_35_is_refused_and_the_quote_stays_a_draft(w, who, discount):
    q = quote(w, discount=discount, who=who)
    error = refused(
        ApplicationError, services.quote_submit, actor=w[who], quote=q, expected_version=1
    )
    assert error.code == "over_any_limit"
    assert reload(q).status == "draft"


def test_the_largest_line_discount_decides(w):
    q = services.quote_create(
        actor=w["am"],
        solution=solution(w),
        lines=[
            {"product": product("ddn"), "discount_pct": Decimal("5")},
            {"product": product("ip_vpn"), "discount_pct": Decimal("12.5")},
            {"product": product("idc")},
        ],
        valid_until=D(2026, 4, 30),
    )
    assert services.max_discount(q) == Decimal("12.50")
    services.quote_submit(actor=w["am"], quote=q, expected_version=1)
    assert reload(q).approver_role == "group_lead"


# --- deciding ----------------------------------------------------------------------------


def test_the_lead_approves_within_its_limit(w):
    q = submitted(w, discount="15")
    with clock.frozen(aware(D(2026, 3, 3), 9)):
        services.quote_decide(
            actor=w["lead"], quote=reload(q), approve=True, expected_version=2, note=" 同意 "
        )
    fresh = reload(q)
    assert (
        fresh.status,
        fresh.decided_by_id,
        fresh.decided_at,
        fresh.decision_note,
        fresh.version,
    ) == ("approved", w["lead"].pk, aware(D(2026, 3, 3), 9), "同意", 3)
    assert list(selectors.quotes_awaiting(user=w["lead"])) == []


def test_the_head_approves_up_to_35(w):
    q = submitted(w, discount="35")
    services.quote_decide(actor=w["head"], quote=reload(q), approve=True, expected_version=2)
    assert (reload(q).status, reload(q).decided_by_id) == ("approved", w["head"].pk)


def test_an_am_cannot_approve_its_own_over_limit_discount(w):
    q = submitted(w, discount="15")
    refused(
        PermissionDenied,
        services.quote_decide,
        actor=w["am"],
        quote=reload(q),
        approve=True,
        expected_version=2,
    )


def test_a_lead_cannot_approve_beyond_20(w):
    q = submitted(w, discount="25")
    error = refused(
        ApplicationError,
        services.quote_decide,
        actor=w["lead"],
        quote=reload(q),
        approve=True,
        expected_version=2,
    )
    assert error.code == "over_own_limit"


def test_the_submitter_never_approves_its_own_quote(w):
    q = submitted(w, discount="25", who="lead")
    assert reload(q).approver_role == "department_head"
    error = refused(
        ApplicationError,
        services.quote_decide,
        actor=w["lead"],
        quote=reload(q),
        approve=True,
        expected_version=2,
    )
    assert error.code == "own_approval"
    error = refused(
        ApplicationError,
        services.quote_decide,
        actor=w["lead"],
        quote=reload(q),
        approve=False,
        expected_version=2,
        note="撤回",
    )
    assert error.code == "own_approval"
    services.quote_decide(actor=w["head"], quote=reload(q), approve=True, expected_version=2)
    assert reload(q).status == "approved"


@pytest.mark.parametrize("who", ["lead_gov", "presales", "analyst", "desk", "stranger"])
def test_others_may_not_decide(w, who):
    q = submitted(w, discount="15")
    refused(
        PermissionDenied,
        services.quote_decide,
        actor=w[who],
        quote=reload(q),
        approve=True,
        expected_version=2,
    )


def test_a_rejection_needs_a_note(w):
    q = submitted(w, discount="15")
    error = refused(
        ApplicationError,
        services.quote_decide,
        actor=w["lead"],
        quote=reload(q),
        approve=False,
        expected_version=2,
        note="  ",
    )
    assert error.field == "note"
    services.quote_decide(
        actor=w["lead"], quote=reload(q), approve=False, expected_version=2, note="折扣过大"
    )
    fresh = reload(q)
    assert (fresh.status, fresh.decision_note, fresh.decided_by_id) == (
        "rejected",
        "折扣过大",
        w["lead"].pk,
    )


def test_only_a_pending_quote_is_decided_and_only_a_draft_submitted(w):
    approved = submitted(w, discount="5")
    error = refused(
        ApplicationError,
        services.quote_decide,
        actor=w["head"],
        quote=reload(approved),
        approve=True,
        expected_version=2,
    )
    assert error.code == "bad_transition"
    error = refused(
        ApplicationError,
        services.quote_submit,
        actor=w["am"],
        quote=reload(approved),
        expected_version=2,
    )
    assert error.code == "bad_transition"


def test_two_approvers_at_once_the_second_gets_a_conflict(w):
    q = submitted(w, discount="15")
    seen_by_lead, seen_by_head = reload(q), reload(q)
    services.quote_decide(actor=w["lead"], quote=seen_by_lead, approve=True, expected_version=2)
    refused(
        Conflict,
        services.quote_decide,
        actor=w["head"],
        quote=seen_by_head,
        approve=False,
        expected_version=2,
        note="不同意",
    )
    fresh = reload(q)
    assert (fresh.status, fresh.decided_by_id, fresh.decision_note) == (
        "approved",
        w["lead"].pk,
        "",
    )


def test_quotes_awaiting_each_approver(w):
    for_lead = submitted(w, discount="15")
    for_head = submitted(w, discount="30")
    by_lead = submitted(w, discount="25", who="lead")
    other = services.opportunity_create(
        actor=w["stranger"],
        name="政务",
        source="customer",
        close_date=VALID,
        account=AccountFactory(owner=w["stranger"]),
    )
    gov = services.quote_create(
        actor=w["stranger"],
        solution=services.solution_create(actor=w["stranger"], opportunity=other, title="s"),
        lines=[{"product": product(), "discount_pct": Decimal("15")}],
        valid_until=VALID,
    )
    services.quote_submit(actor=w["stranger"], quote=gov, expected_version=1)
    assert [q.pk for q in selectors.quotes_awaiting(user=w["lead"])] == [for_lead.pk]
    assert [q.pk for q in selectors.quotes_awaiting(user=w["lead_gov"])] == [gov.pk]
    assert [q.pk for q in selectors.quotes_awaiting(user=w["head"])] == [
        for_lead.pk,
        for_head.pk,
        by_lead.pk,
        gov.pk,
    ]
    for who in ("am", "presales", "analyst"):
        assert list(selectors.quotes_awaiting(user=w[who])) == [], who  # fmt: skip


# --- versions ---------------------------------------------------------------------------


def test_a_new_version_supersedes_every_earlier_one_not_accepted(w):
    s = solution(w)
    draft = quote(w, on=s)
    revisions = [draft]
    for discount in ("5", "15", "15"):
        q = quote(w, on=s, discount=discount)
        services.quote_submit(actor=w["am"], quote=q, expected_version=1)
        revisions.append(q)
    services.quote_decide(
        actor=w["lead"], quote=reload(revisions[3]), approve=False, expected_version=2, note="否"
    )
    assert [reload(q).status for q in revisions] == [
        "superseded",
        "superseded",
        "superseded",
        "rejected",
    ]
    newest = quote(w, on=s)
    assert [reload(q).status for q in revisions] == ["superseded"] * 4
    assert (newest.revision, newest.status, newest.number) == (5, "draft", "QT202603020005")
    assert [q.revision for q in s.quotes.all()] == [5, 4, 3, 2, 1]


def test_an_accepted_version_is_not_superseded_by_a_new_one(w):
    s = solution(w)
    accepted = submitted(w, discount="5", on=s)
    services.quote_accept(actor=w["am"], quote=accepted, expected_version=2)
    newer = quote(w, on=s)
    assert (reload(accepted).status, newer.revision, newer.status) == ("accepted", 2, "draft")


def test_versions_of_another_solution_are_left_alone(w):
    opportunity = deal(w)
    first = submitted(w, discount="5", on=solution(w, opportunity))
    quote(w, on=solution(w, opportunity))
    assert reload(first).status == "approved"


# --- acceptance -------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["need", "solution", "negotiation"])
def test_accept_moves_the_deal_on_to_the_contract_stage(w, stage):
    opportunity = deal(w)
    if stage != "need":
        services.opportunity_move(
            actor=w["am"], opportunity=opportunity, to_stage="solution", expected_version=1
        )
    if stage == "negotiation":
        services.opportunity_move(
            actor=w["am"], opportunity=reload(opportunity), to_stage=stage, expected_version=2
        )
    q = submitted(w, discount="5", on=solution(w, reload(opportunity)))
    services.quote_accept(actor=w["am"], quote=reload(q), expected_version=2)
    fresh = reload(opportunity)
    assert (reload(q).status, reload(q).version, fresh.stage, fresh.probability) == (
        "accepted",
        3,
        "contract",
        80,
    )
    last = fresh.stage_changes.last()
    assert (last.from_stage, last.to_stage, last.note, last.actor_id) == (
        stage,
        "contract",
        "客户接受报价 QT202603020001",
        w["am"].pk,
    )


def test_accept_at_implementation_leaves_the_stage(w):
    opportunity = deal(w)
    for version, stage in enumerate(
        ["solution", "negotiation", "contract", "implementation"], start=1
    ):
        services.opportunity_move(
            actor=w["am"], opportunity=reload(opportunity), to_stage=stage, expected_version=version
        )
    q = submitted(w, discount="5", on=solution(w, reload(opportunity)))
    services.quote_accept(actor=w["am"], quote=reload(q), expected_version=2)
    assert (reload(q).status, reload(opportunity).stage) == ("accepted", "implementation")


def test_a_later_acceptance_supersedes_the_earlier_accepted_quote(w):
    opportunity = deal(w)
    first = submitted(w, discount="5", on=solution(w, opportunity))
    services.quote_accept(actor=w["am"], quote=first, expected_version=2)
    second = submitted(w, discount="3", on=solution(w, reload(opportunity)))
    services.quote_accept(actor=w["am"], quote=second, expected_version=2)
    assert (reload(first).status, reload(second).status) == ("superseded", "accepted")


@pytest.mark.parametrize("discount", ["15"])
def test_only_an_approved_quote_is_accepted(w, discount):
    pending = submitted(w, discount=discount)
    error = refused(
        ApplicationError, services.quote_accept, actor=w["am"], quote=pending, expected_version=2
    )
    assert error.code == "bad_transition"
    draft = quote(w)
    refused(ApplicationError, services.quote_accept, actor=w["am"], quote=draft, expected_version=1)


def test_an_expired_quote_is_not_accepted(w):
    q = submitted(w, discount="5", valid_until=D(2026, 3, 31))
    with clock.frozen(aware(D(2026, 4, 1))):
        error = refused(
            ApplicationError, services.quote_accept, actor=w["am"], quote=q, expected_version=2
        )
    assert error.code == "bad_transition"
    with clock.frozen(aware(D(2026, 3, 31), 23)):
        services.quote_accept(actor=w["am"], quote=q, expected_version=2)
    assert reload(q).status == "accepted"


@pytest.mark.parametrize("who", ["presales", "analyst", "stranger"])
def test_accept_refused_to_those_who_do_not_edit_the_deal(w, who):
    q = submitted(w, discount="5")
    refused(PermissionDenied, services.quote_accept, actor=w[who], quote=q, expected_version=2)


def test_no_acceptance_after_the_deal_is_won(w):
    """Accepting another approved quote of a won deal would supersede the quote its
    contract was drafted from."""
    opportunity = deal(w)
    contracted = submitted(w, discount="5", on=solution(w, opportunity))
    other = submitted(w, discount="3", on=solution(w, reload(opportunity)))
    services.quote_accept(actor=w["am"], quote=contracted, expected_version=2)
    services.opportunity_move(
        actor=w["am"],
        opportunity=reload(opportunity),
        to_stage="won",
        expected_version=reload(opportunity).version,
    )
    assert Contract.objects.get().quote_id == contracted.pk
    refused(
        ApplicationError,
        services.quote_accept,
        actor=w["am"],
        quote=reload(other),  # as a page or the API reads it: the deal is won
        expected_version=2,
    )
    assert (reload(contracted).status, reload(other).status) == ("accepted", "approved")


# --- creating quotes --------------------------------------------------------------------


def test_quote_lines_default_to_list_prices_and_keep_given_ones(w):
    q = services.quote_create(
        actor=w["presales"],
        solution=solution(w),
        lines=[
            {"product": product("digital_circuit"), "quantity": 3, "discount_pct": Decimal("7.5")},
            {
                "product": product("ip_vpn"),
                "monthly_price": Decimal("2300.00"),
                "one_time_price": Decimal("0"),
                "term_months": 36,
            },
        ],
        valid_until=D(2026, 4, 30),
        note="三年期",
    )
    lines = list(q.lines.order_by("pk"))
    assert [
        (
            ln.product.code,
            ln.quantity,
            ln.term_months,
            ln.monthly_price,
            ln.one_time_price,
            ln.discount_pct,
            ln.net_monthly,
            ln.net_one_time,
            ln.contract_value,
        )
        for ln in lines
    ] == [
        ("digital_circuit", 3, 12, Decimal("2800.00"), Decimal("3000.00"), Decimal("7.50"),
         Decimal("7770.00"), Decimal("8325.00"), Decimal("101565.00")),
        ("ip_vpn", 1, 36, Decimal("2300.00"), Decimal("0.00"), Decimal("0.00"),
         Decimal("2300.00"), Decimal("0.00"), Decimal("82800.00")),
    ]  # fmt: skip
    assert (q.number, q.revision, q.status, q.note, q.valid_until) == (
        "QT202603020001",
        1,
        "draft",
        "三年期",
        D(2026, 4, 30),
    )


def test_quote_figures_and_the_over_grade_flag_are_exact(w):
    at_limit = quote(w, discount="8")
    figures = selectors.quote_figures(reload(at_limit))
    assert figures == selectors.QuoteFigures(
        monthly=Decimal("5152.00"),  # 2 x 2800 x 92 %
        one_time=Decimal("5520.00"),
        contract_value=Decimal("129168.00"),  # 5152 x 24 + 5520
        max_discount=Decimal("8.00"),
        grade_limit=Decimal("8.00"),
        over_grade=False,
    )
    over = selectors.quote_figures(reload(quote(w, discount="9")))
    assert (over.max_discount, over.grade_limit, over.over_grade) == (
        Decimal("9.00"),
        Decimal("8.00"),
        True,
    )
    gold = AccountFactory(owner=w["am"], grade=band("gold"))  # merits 12 %
    on_gold = quote(w, discount="9", on=solution(w, deal(w, account=gold, name="金")))
    assert selectors.quote_figures(reload(on_gold)).over_grade is False


def test_a_prospect_has_no_grade_and_no_over_grade_flag(w):
    prospect = services.prospect_create(actor=w["am"], data={"name": "甲", "industry": "it"})
    opportunity = services.opportunity_create(
        actor=w["am"], name="潜客", source="customer", close_date=D(2026, 4, 30), prospect=prospect
    )
    q = quote(w, discount="30", on=solution(w, opportunity))
    figures = selectors.quote_figures(reload(q))
    assert (figures.grade_limit, figures.over_grade) == (None, False)


def test_quote_create_refusals(w):
    s = solution(w)
    error = refused(
        ApplicationError,
        services.quote_create,
        actor=w["am"],
        solution=s,
        lines=[],
        valid_until=D(2026, 4, 30),
    )
    assert (error.code, error.field) == ("no_lines", "lines")
    error = refused(
        ApplicationError,
        services.quote_create,
        actor=w["am"],
        solution=s,
        lines=[{"product": product()}],
        valid_until=D(2026, 3, 1),
    )
    assert error.field == "valid_until"
    error = refused(
        ApplicationError,
        services.quote_create,
        actor=w["am"],
        solution=s,
        lines=[{"product": product()}, {"product": product(), "discount_pct": Decimal("101")}],
        valid_until=D(2026, 4, 30),
    )
    assert "discount_pct" in error.details


@pytest.mark.parametrize("who", ["analyst", "desk", "stranger", "presales_gov", "lead_gov"])
def test_quote_and_solution_create_refused(w, who):
    s = solution(w)
    refused(
        PermissionDenied,
        services.quote_create,
        actor=w[who],
        solution=s,
        lines=[{"product": product()}],
        valid_until=D(2026, 4, 30),
    )
    refused(
        PermissionDenied,
        services.solution_create,
        actor=w[who],
        opportunity=s.opportunity,
        title="x",
    )


def test_presales_of_the_group_writes_solutions_and_is_their_engineer(w):
    s = services.solution_create(actor=w["presales"], opportunity=deal(w), title="方案")
    assert reload(s).presales_id == w["presales"].pk
    named = services.solution_create(
        actor=w["am"], opportunity=deal(w, name="b"), title="方案", presales=w["presales"]
    )
    assert reload(named).presales_id == w["presales"].pk
    error = refused(
        ApplicationError,
        services.solution_create,
        actor=w["am"],
        opportunity=deal(w, name="c"),
        title="方案",
        presales=w["lead"],
    )
    assert error.field == "presales"


@pytest.mark.parametrize("closed", ["won", "lost"])
def test_no_new_quote_once_the_deal_is_closed(w, closed):
    opportunity = deal(w)
    s = solution(w, opportunity)
    accepted = submitted(w, discount="5", on=s)
    services.quote_accept(actor=w["am"], quote=accepted, expected_version=2)
    services.opportunity_move(
        actor=w["am"],
        opportunity=reload(opportunity),
        to_stage=closed,
        expected_version=reload(opportunity).version,
        lost_reason="price",
    )
    error = refused(
        ApplicationError,
        services.quote_create,
        actor=w["am"],
        solution=reload(s),
        lines=[{"product": product()}],
        valid_until=D(2026, 4, 30),
    )
    assert error.code == "bad_transition"
