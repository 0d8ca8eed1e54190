"""The pipeline services, through the services themselves: every stage transition and who
may take it, prospects and their conversion, concurrent moves; and the board's totals.
Refused writes change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from telekam.accounts.models import Account, Contact
from telekam.accounts.tests.factories import AccountFactory, product
from telekam.core import clock
from telekam.core.errors import ApplicationError, Conflict, PermissionDenied
from telekam.core.models import AuditEntry
from telekam.org.tests.factories import UserFactory, group
from telekam.sales import selectors, services
from telekam.sales.models import (
    Contract,
    Opportunity,
    Prospect,
    Quote,
    Stage,
    StageChange,
)
from telekam.service.tests.factories import aware, reload

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 3, 2)
NOW = aware(TODAY)
OPEN = ["need", "solution", "negotiation", "contract", "implementation"]
PROBABILITY = {"need": 10, "solution": 25, "negotiation": 50, "contract": 80, "implementation": 90}


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
        "am2": UserFactory(username="am_fin2", group=finance),
        "lead": UserFactory(username="lead_fin", lead=True, group=finance),
        "presales": UserFactory(username="pre_fin", presales=True, group=finance),
        "stranger": UserFactory(username="am_gov", group=government),
        "lead_gov": UserFactory(username="lead_gov", lead=True, group=government),
        "head": UserFactory(username="head", head=True),
        "analyst": UserFactory(username="analyst", analyst=True),
        "desk": UserFactory(username="desk", desk=True),
        "ops": UserFactory(username="ops", ops=True),
        "account": AccountFactory(code="KA90000001", name="华夏银行北京分行", owner=am),
    }


def state() -> tuple[Any, ...]:
    """Everything a refused pipeline write could have touched."""
    return (
        list(Opportunity.objects.order_by("pk").values()),
        list(Prospect.objects.order_by("pk").values()),
        list(StageChange.objects.order_by("pk").values()),
        list(Quote.objects.order_by("pk").values()),
        list(Contract.objects.order_by("pk").values()),
        list(Account.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


def deal(w: dict[str, Any], **extra: Any) -> Opportunity:
    return services.opportunity_create(
        actor=w["am"],
        name=extra.pop("name", "总行数据专线扩容"),
        source="customer",
        close_date=extra.pop("close_date", D(2026, 4, 30)),
        account=None if "prospect" in extra else extra.pop("account", w["account"]),
        expected_monthly=Decimal(extra.pop("monthly", "5000.00")),
        **extra,
    )


def move(w: dict[str, Any], opportunity: Opportunity, to: str, who: str = "am", **kw: Any) -> Any:
    fresh = reload(opportunity)
    return services.opportunity_move(
        actor=w[who], opportunity=fresh, to_stage=to, expected_version=fresh.version, **kw
    )


def at_stage(w: dict[str, Any], stage: str, **extra: Any) -> Opportunity:
    """A deal moved forward, one stage at a time, up to `stage`."""
    opportunity = deal(w, **extra)
    for step in OPEN[1 : OPEN.index(stage) + 1]:
        move(w, opportunity, step)
    return reload(opportunity)


def accept_quote(w: dict[str, Any], opportunity: Opportunity) -> Quote:
    """An 8 % quote, approved at once and accepted by the customer."""
    solution = services.solution_create(actor=w["am"], opportunity=opportunity, title="方案")
    quote = services.quote_create(
        actor=w["am"],
        solution=solution,
        lines=[{"product": product(), "discount_pct": Decimal("8")}],
        valid_until=D(2026, 4, 30),
    )
    quote = services.quote_submit(actor=w["am"], quote=quote, expected_version=1)
    return services.quote_accept(actor=w["am"], quote=quote, expected_version=quote.version)


def refused(exc: type[Exception], call: Any, **kw: Any) -> Any:
    """Run `call`, expecting `exc`, and check that nothing changed."""
    before = state()
    with pytest.raises(exc) as info:
        call(**kw)
    assert state() == before
    return info.value


# --- forward, backward, rounds ----------------------------------------------------------


def test_forward_through_every_open_stage(w):
    opportunity = deal(w)
    for stage in OPEN[1:]:
        moved = move(w, opportunity, stage, note=f"到{stage}")
        assert (moved.stage, moved.probability) == (stage, PROBABILITY[stage])
    opportunity = reload(opportunity)
    assert (
        opportunity.stage,
        opportunity.solution_rounds,
        opportunity.negotiation_rounds,
        opportunity.version,
        opportunity.closed_on,
    ) == ("implementation", 1, 1, 5, None)
    assert [
        (c.from_stage, c.to_stage, c.backward, c.note, c.actor_id, c.at)
        for c in opportunity.stage_changes.all()
    ] == [
        ("", "need", False, "新建商机", w["am"].pk, NOW),
        ("need", "solution", False, "到solution", w["am"].pk, NOW),
        ("solution", "negotiation", False, "到negotiation", w["am"].pk, NOW),
        ("negotiation", "contract", False, "到contract", w["am"].pk, NOW),
        ("contract", "implementation", False, "到implementation", w["am"].pk, NOW),
    ]


@pytest.mark.parametrize(
    ("start", "to", "rounds"),
    [
        ("negotiation", "solution", (2, 1)),  # solution <-> need: another solution round
        ("contract", "negotiation", (1, 2)),  # solution <-> contract: another negotiation
        ("contract", "solution", (2, 1)),
        ("implementation", "negotiation", (1, 2)),
        ("implementation", "need", (1, 1)),
        ("solution", "need", (1, 0)),
    ],
)
def test_a_move_back_is_recorded_and_counts_a_round(w, start, to, rounds):
    opportunity = at_stage(w, start)
    moved = move(w, opportunity, to)
    assert (moved.stage, moved.probability) == (to, PROBABILITY[to])
    fresh = reload(opportunity)
    assert (fresh.solution_rounds, fresh.negotiation_rounds) == rounds
    last = fresh.stage_changes.last()
    assert (last.from_stage, last.to_stage, last.backward) == (start, to, True)


def test_rounds_count_every_entry_into_solution_and_negotiation(w):
    opportunity = deal(w)
    for stage in ("solution", "negotiation", "solution", "negotiation", "solution", "contract"):
        move(w, opportunity, stage)
    fresh = reload(opportunity)
    assert (fresh.solution_rounds, fresh.negotiation_rounds, fresh.stage) == (3, 2, "contract")
    assert [c.backward for c in fresh.stage_changes.all()] == [
        False,
        False,
        False,
        True,
        False,
        True,
        False,
    ]


@pytest.mark.parametrize("to", ["need", "bogus", ""])
def test_moving_to_the_same_or_an_unknown_stage_is_refused(w, to):
    opportunity = deal(w)
    error = refused(
        ApplicationError,
        services.opportunity_move,
        actor=w["am"],
        opportunity=opportunity,
        to_stage=to,
        expected_version=1,
    )
    assert (error.code, error.field) == ("invalid", "to_stage")


# --- won --------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["negotiation", "contract", "implementation"])
def test_won_from_negotiation_on_with_an_accepted_quote(w, stage):
    opportunity = deal(w)
    quote = accept_quote(w, opportunity)  # the deal moves on to the contract stage
    if stage != "contract":
        move(w, opportunity, stage)
    won = move(w, opportunity, "won")
    fresh = reload(opportunity)
    assert (fresh.stage, fresh.probability, fresh.closed_on) == ("won", 100, TODAY)
    assert won.stage == "won"
    assert Contract.objects.get().quote_id == quote.pk
    last = fresh.stage_changes.last()
    assert (last.from_stage, last.to_stage, last.backward) == (stage, "won", False)


@pytest.mark.parametrize("stage", ["need", "solution"])
def test_won_before_negotiation_is_refused_even_with_an_accepted_quote(w, stage):
    opportunity = deal(w)
    accept_quote(w, opportunity)
    move(w, opportunity, stage)
    error = refused(
        ApplicationError,
        services.opportunity_move,
        actor=w["am"],
        opportunity=reload(opportunity),
        to_stage="won",
        expected_version=reload(opportunity).version,
    )
    assert (error.code, error.field) == ("bad_stage", "to_stage")


@pytest.mark.parametrize("stage", ["negotiation", "contract", "implementation"])
def test_won_without_an_accepted_quote_is_refused(w, stage):
    opportunity = at_stage(w, stage)
    solution = services.solution_create(actor=w["am"], opportunity=opportunity, title="方案")
    quote = services.quote_create(
        actor=w["am"],
        solution=solution,
        lines=[{"product": product()}],
        valid_until=D(2026, 4, 30),
    )
    services.quote_submit(actor=w["am"], quote=quote, expected_version=1)  # approved only
    error = refused(
        ApplicationError,
        services.opportunity_move,
        actor=w["am"],
        opportunity=reload(opportunity),
        to_stage="won",
        expected_version=reload(opportunity).version,
    )
    assert error.code == "no_accepted_quote"


# --- lost -------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", OPEN)
def test_lost_from_any_open_stage_with_a_reason(w, stage):
    opportunity = at_stage(w, stage)
    move(
        w,
        opportunity,
        "lost",
        lost_reason="competitor_solution",
        lost_to=" 联通 ",
        lost_note="对方报价低 15%",
    )
    fresh = reload(opportunity)
    assert (
        fresh.stage,
        fresh.probability,
        fresh.lost_reason,
        fresh.lost_to,
        fresh.lost_note,
        fresh.closed_on,
    ) == ("lost", 0, "competitor_solution", "联通", "对方报价低 15%", TODAY)
    last = fresh.stage_changes.last()
    assert (last.from_stage, last.to_stage, last.note) == (stage, "lost", "对方报价低 15%")


@pytest.mark.parametrize(
    ("kw", "code", "field"),
    [
        ({}, "lost_needs_reason", "lost_reason"),
        ({"lost_reason": "bad luck"}, "lost_needs_reason", "lost_reason"),
        ({"lost_note": "说明而无原因"}, "lost_needs_reason", "lost_reason"),
        ({"lost_reason": "competitor_solution", "lost_to": "  "}, "invalid", "lost_to"),
    ],
)
def test_lost_without_a_reason_is_refused(w, kw, code, field):
    opportunity = at_stage(w, "negotiation")
    error = refused(
        ApplicationError,
        services.opportunity_move,
        actor=w["am"],
        opportunity=opportunity,
        to_stage="lost",
        expected_version=opportunity.version,
        **kw,
    )
    assert (error.code, error.field) == (code, field)


@pytest.mark.parametrize("closed", ["won", "lost"])
@pytest.mark.parametrize("to", [*OPEN, "won", "lost"])
def test_nothing_moves_after_won_or_lost(w, closed, to):
    opportunity = deal(w)
    if closed == "won":
        accept_quote(w, opportunity)
        move(w, opportunity, "won")
    else:
        move(w, opportunity, "lost", lost_reason="price")
    fresh = reload(opportunity)
    error = refused(
        ApplicationError,
        services.opportunity_move,
        actor=w["head"],
        opportunity=fresh,
        to_stage=to,
        expected_version=fresh.version,
        lost_reason="price",
    )
    assert (error.code, error.field) == ("closed", "to_stage")


# --- who may move -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["am", "lead", "head"])
def test_owner_lead_of_the_group_and_head_may_move(w, who):
    opportunity = deal(w)
    move(w, opportunity, "solution", who=who)
    fresh = reload(opportunity)
    assert (fresh.stage, fresh.stage_changes.last().actor_id) == ("solution", w[who].pk)


@pytest.mark.parametrize(
    "who", ["stranger", "lead_gov", "am2", "presales", "desk", "ops", "analyst"]
)
@pytest.mark.parametrize("to", ["solution", "lost"])
def test_others_may_not_move(w, who, to):
    opportunity = deal(w)
    refused(
        PermissionDenied,
        services.opportunity_move,
        actor=w[who],
        opportunity=opportunity,
        to_stage=to,
        expected_version=1,
        lost_reason="price",
    )


# --- concurrency ------------------------------------------------------------------------


def test_two_people_moving_the_same_deal_from_the_same_version(w):
    """Both read version 1; the AM moves first. The lead's move (from its stale copy, with
    the version it read) is a Conflict, and nothing of it is written."""
    seen_by_am = reload(deal(w))
    seen_by_lead = reload(seen_by_am)
    services.opportunity_move(
        actor=w["am"], opportunity=seen_by_am, to_stage="solution", expected_version=1
    )
    before = state()
    with pytest.raises(Conflict):
        services.opportunity_move(
            actor=w["lead"],
            opportunity=seen_by_lead,
            to_stage="lost",
            expected_version=1,
            lost_reason="price",
            lost_note="预算取消",
        )
    assert state() == before
    fresh = reload(seen_by_am)
    assert (fresh.stage, fresh.version, fresh.lost_reason, fresh.closed_on) == (
        "solution",
        2,
        "",
        None,
    )
    assert [c.actor_id for c in fresh.stage_changes.all()] == [w["am"].pk, w["am"].pk]


def test_a_stale_version_on_a_fresh_copy_is_a_conflict_too(w):
    opportunity = deal(w)
    move(w, opportunity, "solution")
    refused(
        Conflict,
        services.opportunity_move,
        actor=w["lead"],
        opportunity=reload(opportunity),
        to_stage="negotiation",
        expected_version=1,
    )
    assert reload(opportunity).negotiation_rounds == 0


# --- create -----------------------------------------------------------------------------


def test_opportunity_create_takes_owner_and_group_from_the_account(w):
    account = AccountFactory(owner=w["am2"])
    opportunity = services.opportunity_create(
        actor=w["lead"],
        name="新建",
        source="proactive",
        close_date=D(2026, 6, 30),
        account=account,
        products=[product("ip_vpn"), product("ddn")],
        expected_monthly=Decimal("3000.00"),
    )
    fresh = reload(opportunity)
    assert (
        fresh.number,
        fresh.owner_id,
        fresh.group.code,
        fresh.stage,
        fresh.probability,
        fresh.version,
        sorted(p.code for p in fresh.products.all()),
    ) == (
        "OP202603020001",
        w["am2"].pk,
        "finance",
        "need",
        10,
        1,
        ["ddn", "ip_vpn"],
    )
    assert [(c.from_stage, c.to_stage, c.actor_id) for c in fresh.stage_changes.all()] == [
        ("", "need", w["lead"].pk)
    ]


@pytest.mark.parametrize("who", ["presales", "analyst", "desk", "stranger"])
def test_opportunity_create_refused(w, who):
    refused(
        PermissionDenied,
        services.opportunity_create,
        actor=w[who],
        name="x",
        source="customer",
        close_date=D(2026, 4, 30),
        account=w["account"],
    )


# --- prospects --------------------------------------------------------------------------


PROSPECT = {
    "name": "北京未来能源集团",
    "credit_code": "91350100M000100Y43",
    "industry": "mining",
    "city": "北京",
    "address": "朝阳区光华路 5 号",
    "contact_name": "刘主任",
    "contact_title": "信息中心主任",
    "contact_phone": "13912345678",
    "employees": 1200,
    "notes": "行业展会结识",
}


def test_prospect_create_keeps_what_was_typed(w):
    prospect = services.prospect_create(actor=w["am"], data=PROSPECT)
    fresh = reload(prospect)
    assert {k: getattr(fresh, k) for k in PROSPECT} == PROSPECT
    assert (fresh.owner_id, fresh.group.code, fresh.account_id, fresh.version) == (
        w["am"].pk,
        "finance",
        None,
        1,
    )


@pytest.mark.parametrize("who", ["presales", "analyst", "desk", "ops"])
def test_prospect_create_refused_for_roles_that_do_not_sell(w, who):
    refused(PermissionDenied, services.prospect_create, actor=w[who], data=PROSPECT)


@pytest.mark.parametrize(("who", "owner"), [("am", "am2"), ("lead_gov", "am")])
def test_prospect_create_for_someone_else_is_refused(w, who, owner):
    refused(PermissionDenied, services.prospect_create, actor=w[who], data=PROSPECT, owner=w[owner])


def test_prospect_convert_makes_the_account_and_moves_the_deals_onto_it(w):
    prospect = services.prospect_create(actor=w["am"], data=PROSPECT)
    deals = [deal(w, prospect=prospect, name=f"商机{i}") for i in range(2)]
    assert [d.account_id for d in deals] == [None, None]
    with clock.frozen(aware(D(2026, 3, 3), 15)):
        account = services.prospect_convert(actor=w["lead"], prospect=prospect, expected_version=1)
    account = Account.objects.get(pk=account.pk)
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
    fresh = reload(prospect)
    assert (fresh.account_id, fresh.converted_at, fresh.version) == (
        account.pk,
        aware(D(2026, 3, 3), 15),
        2,
    )
    assert [reload(d).account_id for d in deals] == [account.pk, account.pk]
    assert [reload(d).prospect_id for d in deals] == [prospect.pk, prospect.pk]
    later = services.opportunity_create(
        actor=w["am"],
        name="后续商机",
        source="customer",
        close_date=D(2026, 5, 31),
        prospect=fresh,
    )
    assert (later.account_id, later.prospect_id) == (account.pk, prospect.pk)


def test_a_second_conversion_is_refused(w):
    prospect = services.prospect_create(actor=w["am"], data=PROSPECT)
    services.prospect_convert(actor=w["am"], prospect=prospect, expected_version=1)
    error = refused(
        ApplicationError,
        services.prospect_convert,
        actor=w["am"],
        prospect=reload(prospect),
        expected_version=2,
    )
    assert error.code == "already_converted"
    refused(
        Conflict,
        services.prospect_convert,
        actor=w["am"],
        prospect=reload(prospect),
        expected_version=1,
    )
    assert Account.objects.filter(name="北京未来能源集团").count() == 1


@pytest.mark.parametrize(
    ("credit_code", "exc"),
    [
        ("", Conflict),  # the second account is made, then the stale version undoes it all
        ("91350100M000100Y43", ApplicationError),  # the account with that code exists (422)
    ],
)
def test_two_people_converting_at_once_make_one_account(w, credit_code, exc):
    prospect = services.prospect_create(
        actor=w["am"], data={**PROSPECT, "credit_code": credit_code}
    )
    first, second = reload(prospect), reload(prospect)
    services.prospect_convert(actor=w["am"], prospect=first, expected_version=1)
    refused(exc, services.prospect_convert, actor=w["lead"], prospect=second, expected_version=1)
    assert Account.objects.filter(name="北京未来能源集团").count() == 1


@pytest.mark.parametrize("who", ["stranger", "lead_gov", "am2", "presales", "analyst"])
def test_prospect_convert_refused(w, who):
    prospect = services.prospect_create(actor=w["am"], data=PROSPECT)
    refused(
        PermissionDenied,
        services.prospect_convert,
        actor=w[who],
        prospect=prospect,
        expected_version=1,
    )


def test_prospect_convert_carries_the_contact_over(w):
    prospect = services.prospect_create(actor=w["am"], data=PROSPECT)
    account = services.prospect_convert(actor=w["am"], prospect=prospect, expected_version=1)
    contact = Contact.objects.get(account=account)
    assert (contact.name, contact.title, contact.mobile) == (
        "刘主任",
        "信息中心主任",
        "13912345678",
    )


# --- the board --------------------------------------------------------------------------


def test_board_columns_cards_and_totals(w):
    for name, close, monthly in [
        ("甲", D(2026, 4, 30), "1000.00"),
        ("乙", D(2026, 4, 1), "3000.00"),
    ]:
        deal(w, name=name, close_date=close, monthly=monthly)
    at_stage(w, "negotiation", name="丙", monthly="2000.00")
    columns = selectors.pipeline_board(user=w["am"])
    assert [(c.stage, [o.name for o in c.cards], c.monthly, c.weighted) for c in columns] == [
        ("need", ["乙", "甲"], Decimal("4000.00"), Decimal("400.00")),
        ("solution", [], Decimal("0.00"), Decimal("0.00")),
        ("negotiation", ["丙"], Decimal("2000.00"), Decimal("1000.00")),
        ("contract", [], Decimal("0.00"), Decimal("0.00")),
        ("implementation", [], Decimal("0.00"), Decimal("0.00")),
    ]
    assert [len(c.cards) for c in selectors.pipeline_board(user=w["stranger"])] == [0] * 5


def test_board_weighted_total_counts_every_deal_of_the_column(w):
    for i in range(4):
        deal(w, name=f"甲{i}", monthly="1000.00")
    need = selectors.pipeline_board(user=w["am"], limit=1)[0]
    assert (len(need.cards), need.monthly, need.weighted) == (
        1,
        Decimal("4000.00"),
        Decimal("400.00"),
    )


def test_stage_probabilities_are_the_documented_defaults():
    assert {str(k): v for k, v in services.pipeline.STAGE_PROBABILITY.items()} == {
        **PROBABILITY,
        "won": 100,
        "lost": 0,
    }
    assert [str(s) for s in services.pipeline.OPEN_STAGES] == OPEN
    assert {str(s) for s in services.pipeline.WIN_FROM} == {
        "negotiation",
        "contract",
        "implementation",
    }
    assert Stage.values == [*OPEN, "won", "lost"]
