"""The pipeline's pages: the kanban board and its drag-and-drop moves, the opportunity list,
form and page (stage path, rounds, history, appraisal), prospects and their conversion,
the weighted forecast and the win/loss analysis, each from the side that may and the side
that must be refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from telekam.accounts.models import Account
from telekam.accounts.tests.factories import AccountFactory, product
from telekam.core import clock
from telekam.core.models import AuditEntry
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory, group
from telekam.sales import appraisal as appraisal_maths
from telekam.sales import services
from telekam.sales.models import Appraisal, Contract, Opportunity, Prospect, Stage, StageChange
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 11, 2)


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def people():
    return {
        "am": UserFactory(),
        "am2": UserFactory(),  # same group (finance), another AM
        "other_am": UserFactory(group=group("enterprise")),
        "lead": UserFactory(lead=True),
        "presales": UserFactory(presales=True),
        "head": UserFactory(head=True),
        "analyst": UserFactory(analyst=True),
        "desk": UserFactory(desk=True),
        "ops": UserFactory(ops=True),
    }


@pytest.fixture
def frozen():
    with clock.frozen(aware(TODAY)):
        yield


def deal(am, *, account=None, prospect=None, **kwargs) -> Opportunity:
    if account is None and prospect is None:
        account = AccountFactory(owner=am)
    values = {
        "name": "专线扩容",
        "source": "customer",
        "close_date": D(2026, 12, 15),
        "expected_monthly": Decimal("1000.00"),
        **kwargs,
    }
    return services.opportunity_create(actor=am, account=account, prospect=prospect, **values)


def move(opp: Opportunity, actor, to_stage: str, **kwargs) -> Opportunity:
    opp.refresh_from_db()
    return services.opportunity_move(
        actor=actor, opportunity=opp, to_stage=to_stage, expected_version=opp.version, **kwargs
    )


def accept_a_quote(opp: Opportunity, am) -> None:
    """A solution and a quote the customer accepted (the deal moves on to the contract)."""
    solution = services.solution_create(actor=am, opportunity=opp, title="组网方案")
    quote = services.quote_create(
        actor=am,
        solution=solution,
        valid_until=clock.today() + dt.timedelta(days=30),
        lines=[{"product": product("digital_circuit"), "quantity": 1, "term_months": 12}],
    )
    quote = services.quote_submit(actor=am, quote=quote, expected_version=quote.version)
    services.quote_accept(actor=am, quote=quote, expected_version=quote.version)
    opp.refresh_from_db()


def board_post(client: Client, opp: Opportunity, to_stage: str, version: int | None = None):
    return client.post(
        reverse("sales:board_move", args=[opp.pk]),
        {"to_stage": to_stage, "version": opp.version if version is None else version},
        HTTP_HX_REQUEST="true",
    )


def column_numbers(response, stage: str) -> list[str]:
    column = next(c for c in response.context["columns"] if c.stage == stage)
    return [o.number for o in column.cards]


# -- access to the whole part ----------------------------------------------------------------


SALES_PAGES = [
    ("sales:board", []),
    ("sales:opportunity_list", []),
    ("sales:opportunity_new", []),
    ("sales:prospect_list", []),
    ("sales:prospect_new", []),
    ("sales:forecast", []),
    ("sales:win_loss", []),
]


@pytest.mark.parametrize("role", ["desk", "ops"])
def test_the_desk_and_operations_get_403_on_the_whole_sales_part(people, frozen, role):
    opp = deal(people["am"])
    prospect = services.prospect_create(
        actor=people["am"], data={"name": "北京某研究院", "industry": "finance"}
    )
    client = login(people[role])
    for name, args in SALES_PAGES:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    for name in ("sales:opportunity_detail", "sales:opportunity_edit", "sales:appraisal_edit"):
        assert client.get(reverse(name, args=[opp.pk])).status_code == 403, name
    assert client.get(reverse("sales:prospect_detail", args=[prospect.pk])).status_code == 403
    assert board_post(client, opp, "solution").status_code == 403
    assert (
        client.post(reverse("sales:prospect_convert", args=[prospect.pk]), {"version": 1})
    ).status_code == 403
    opp.refresh_from_db()
    assert opp.stage == Stage.NEED
    home = client.get(reverse("sales:board"))
    assert home.status_code == 403
    assert reverse("sales:board") not in client.get(reverse("service:queue")).content.decode()


def test_the_nav_shows_the_sales_part_to_who_works_on_deals(people):
    for role in ("am", "lead", "presales", "head", "analyst"):
        page = login(people[role]).get(reverse("sales:forecast"))
        assert page.status_code == 200, role
        assert f'href="{reverse("sales:board")}"' in page.content.decode(), role


@pytest.mark.parametrize("role", ["am", "lead", "presales", "head", "analyst"])
def test_every_page_opens_for_the_roles_that_work_on_deals(people, frozen, role):
    opp = deal(people["am"])
    prospect = services.prospect_create(
        actor=people["am"], data={"name": "北京某研究院", "industry": "finance"}
    )
    client = login(people[role])
    for name in (
        "sales:board",
        "sales:opportunity_list",
        "sales:prospect_list",
        "sales:forecast",
        "sales:win_loss",
    ):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("sales:opportunity_detail", args=[opp.pk])).status_code == 200
    assert client.get(reverse("sales:prospect_detail", args=[prospect.pk])).status_code == 200
    creates = role in ("am", "lead", "head")
    assert client.get(reverse("sales:opportunity_new")).status_code == (200 if creates else 403)
    assert client.get(reverse("sales:prospect_new")).status_code == (200 if creates else 403)
    edits = role in ("am", "lead", "head")
    edit_url = reverse("sales:opportunity_edit", args=[opp.pk])
    assert client.get(edit_url).status_code == (200 if edits else 403)
    works = role in ("am", "lead", "head", "presales")
    appraisal_url = reverse("sales:appraisal_edit", args=[opp.pk])
    assert client.get(appraisal_url).status_code == (200 if works else 403)


def test_an_am_of_another_group_gets_404_for_what_it_may_not_see(people, frozen):
    opp = deal(people["am"])
    prospect = services.prospect_create(
        actor=people["am"], data={"name": "北京某研究院", "industry": "finance"}
    )
    client = login(people["other_am"])
    for name in (
        "sales:opportunity_detail",
        "sales:opportunity_edit",
        "sales:appraisal_edit",
    ):
        assert client.get(reverse(name, args=[opp.pk])).status_code == 404, name
    assert board_post(client, opp, "solution").status_code == 404
    move_url = reverse("sales:opportunity_move", args=[opp.pk])
    assert client.post(move_url, {"to_stage": "solution", "version": 1}).status_code == 404
    assert client.get(reverse("sales:prospect_detail", args=[prospect.pk])).status_code == 404
    convert_url = reverse("sales:prospect_convert", args=[prospect.pk])
    assert client.post(convert_url, {"version": 1}).status_code == 404
    new_url = reverse("sales:opportunity_new")
    assert client.get(new_url + f"?account={opp.account_id}").status_code == 404
    assert client.get(new_url + f"?prospect={prospect.pk}").status_code == 404
    assert client.get(new_url + "?account=x").status_code == 404
    board = client.get(reverse("sales:board"))
    assert all(not c.cards for c in board.context["columns"])
    assert list(client.get(reverse("sales:opportunity_list")).context["page"]) == []
    assert list(client.get(reverse("sales:prospect_list")).context["page"]) == []
    opp.refresh_from_db()
    assert (opp.stage, opp.version) == (Stage.NEED, 1)


# -- the board ---------------------------------------------------------------------------------


def test_the_board_shows_a_column_per_open_stage_with_cards_and_totals(people, frozen):
    am = people["am"]
    account = AccountFactory(owner=am, name="北京银行股份有限公司")
    late = deal(am, account=account, name="逾期商机", close_date=D(2026, 10, 30))
    on_time = deal(am, account=account, name="按期商机", expected_monthly=Decimal("2500.00"))
    prospect = services.prospect_create(
        actor=am, data={"name": "北京某研究院", "industry": "finance"}
    )
    new = deal(am, prospect=prospect, name="新客户商机", expected_monthly=Decimal("800.00"))
    move(on_time, am, "negotiation")
    deal(people["other_am"], name="别组的")

    response = login(am).get(reverse("sales:board"))
    assert response.status_code == 200
    columns = response.context["columns"]
    assert [c.stage for c in columns] == [
        "need",
        "solution",
        "negotiation",
        "contract",
        "implementation",
    ]
    assert column_numbers(response, "need") == [late.number, new.number]
    assert column_numbers(response, "negotiation") == [on_time.number]
    need, negotiation = columns[0], columns[2]
    assert (need.monthly, need.weighted) == (Decimal("1800.00"), Decimal("180.00"))
    assert (negotiation.monthly, negotiation.weighted) == (Decimal("2500.00"), Decimal("1250.00"))
    html = response.content.decode()
    assert "北京银行股份有限公司" in html
    assert "北京某研究院" in html
    assert 'class="text-danger fw-semibold" title="预计签约日期" data-testid="close-date">' in html
    assert html.count('data-testid="close-date"') == 3
    assert html.count("text-danger fw-semibold") == 1  # only the overdue one
    assert html.count('draggable="true" data-move') == 3
    assert "别组的" not in html
    assert 'name="owner"' not in html  # an AM has nothing to filter by


def test_leads_and_the_head_filter_the_board_by_am_and_group(people, frozen):
    mine = deal(people["am"], name="甲")
    theirs = deal(people["am2"], name="乙")
    other = deal(people["other_am"], name="丙")
    lead = login(people["lead"])
    everything = lead.get(reverse("sales:board"))
    assert column_numbers(everything, "need") == [mine.number, theirs.number]
    assert everything.context["groups"] == []  # a lead sees its own group only
    only = lead.get(reverse("sales:board"), {"owner": people["am2"].pk})
    assert column_numbers(only, "need") == [theirs.number]

    head = login(people["head"])
    assert column_numbers(head.get(reverse("sales:board")), "need") == [
        mine.number,
        theirs.number,
        other.number,
    ]
    by_group = head.get(reverse("sales:board"), {"group": group("enterprise").pk})
    assert column_numbers(by_group, "need") == [other.number]
    ignored = head.get(reverse("sales:board"), {"group": "x", "owner": "y"})
    assert len(column_numbers(ignored, "need")) == 3
    # an AM's filters are ignored (nothing to choose)
    am_view = login(people["am"]).get(reverse("sales:board"), {"owner": people["am2"].pk})
    assert column_numbers(am_view, "need") == [mine.number]


def test_the_board_runs_the_same_number_of_queries_for_3_and_30_deals(
    people, frozen, django_assert_num_queries, django_assert_max_num_queries
):
    am, lead = people["am"], people["lead"]
    client = login(lead)
    accounts = [AccountFactory(owner=am) for _ in range(3)]
    prospect = services.prospect_create(actor=am, data={"name": "潜在", "industry": "finance"})

    def fill(n: int) -> None:
        for i in range(n):
            opp = (
                deal(am, prospect=prospect)
                if i % 3 == 0
                else deal(am, account=accounts[i % 3], close_date=D(2026, 10, 1 + i % 28))
            )
            if i % 2:
                move(opp, am, "solution")

    fill(3)
    client.get(reverse("sales:board"))  # warm the session and the caches
    with django_assert_max_num_queries(20) as small:
        assert client.get(reverse("sales:board")).status_code == 200
    fill(27)
    assert Opportunity.objects.count() == 30
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("sales:board"))
    assert sum(len(c.cards) for c in response.context["columns"]) == 30
    some = Opportunity.objects.filter(stage="need").first()
    with django_assert_max_num_queries(len(small.captured_queries) + 20) as moving:
        assert board_post(client, some, "contract").status_code == 200
    fill(3)
    another = Opportunity.objects.filter(stage="need").first()
    with django_assert_num_queries(len(moving.captured_queries)):
        assert board_post(client, another, "contract").status_code == 200


def test_dragging_a_card_forward_and_back_counts_the_rounds(people, frozen):
    am = people["am"]
    opp = deal(am)
    client = login(am)

    response = board_post(client, opp, "solution")
    assert response.status_code == 200
    assert response.templates[0].name == "sales/_board.html"
    assert column_numbers(response, "solution") == [opp.number]
    assert "已移至方案设计" in response.content.decode()
    opp.refresh_from_db()
    assert (opp.stage, opp.version, opp.probability, opp.solution_rounds) == (
        "solution",
        2,
        25,
        1,
    )
    board_post(client, opp, "negotiation")
    opp.refresh_from_db()
    back = board_post(client, opp, "solution")  # the customer wants another proposal
    assert back.status_code == 200
    assert column_numbers(back, "solution") == [opp.number]
    opp.refresh_from_db()
    assert (opp.stage, opp.solution_rounds, opp.negotiation_rounds) == ("solution", 2, 1)
    changes = list(opp.stage_changes.values_list("from_stage", "to_stage", "backward"))
    assert changes == [
        ("", "need", False),
        ("need", "solution", False),
        ("solution", "negotiation", False),
        ("negotiation", "solution", True),
    ]
    page = client.get(reverse("sales:opportunity_detail", args=[opp.pk]))
    html = page.content.decode()
    assert "方案 2 轮 / 谈判 1 轮" in html
    assert html.count('data-testid="backward"') == 1


def test_dropping_on_won_without_an_accepted_quote_is_refused_and_the_card_stays(people, frozen):
    am = people["am"]
    opp = deal(am)
    move(opp, am, "negotiation")
    opp.refresh_from_db()
    client = login(am)
    response = board_post(client, opp, "won")
    assert response.status_code == 400
    assert "赢单需要客户已接受的报价。" in response.content.decode()
    assert 'data-testid="board-error"' in response.content.decode()
    assert column_numbers(response, "negotiation") == [opp.number]
    refused_lost = board_post(client, opp, "lost")  # lost needs a reason: the page
    assert refused_lost.status_code == 400
    assert "丢单须选择原因。" in refused_lost.content.decode()
    junk = board_post(client, opp, "nowhere")
    assert junk.status_code == 400
    opp.refresh_from_db()
    assert (opp.stage, opp.version, opp.closed_on) == ("negotiation", 2, None)
    assert opp.stage_changes.count() == 2
    assert not Contract.objects.exists()


def test_a_stale_card_is_refused_with_a_conflict(people, frozen):
    am = people["am"]
    opp = deal(am)
    client = login(am)
    stale = opp.version
    move(opp, people["lead"], "solution")  # the lead moved it meanwhile
    response = board_post(client, opp, "negotiation", version=stale)
    assert response.status_code == 409
    assert "该记录已被他人修改" in response.content.decode()
    assert column_numbers(response, "solution") == [opp.number]
    opp.refresh_from_db()
    assert (opp.stage, opp.version) == ("solution", 2)


def test_presales_sees_the_board_but_cannot_move_a_deal(people, frozen):
    opp = deal(people["am"])
    client = login(people["presales"])
    board = client.get(reverse("sales:board"))
    assert column_numbers(board, "need") == [opp.number]
    assert 'draggable="true" data-move' not in board.content.decode()
    response = board_post(client, opp, "solution")
    assert response.status_code == 403
    assert "您没有执行此操作的权限。" in response.content.decode()
    move_url = reverse("sales:opportunity_move", args=[opp.pk])
    assert client.post(move_url, {"to_stage": "solution", "version": 1}).status_code == 403
    detail = client.get(reverse("sales:opportunity_detail", args=[opp.pk]))
    assert detail.status_code == 200
    assert "move_form" not in detail.context
    opp.refresh_from_db()
    assert (opp.stage, opp.version) == ("need", 1)


# -- the opportunity page and its move form ---------------------------------------------------


def test_lost_needs_a_reason_and_then_records_who_won(people, frozen):
    am = people["am"]
    opp = deal(am)
    client = login(am)
    url = reverse("sales:opportunity_move", args=[opp.pk])
    response = client.post(url, {"to_stage": "lost", "version": 1, "lost_to": "某运营商"})
    assert response.status_code == 400
    assert response.context["move_form"].errors["lost_reason"] == ["丢单须选择原因。"]
    no_rival = client.post(
        url, {"to_stage": "lost", "version": 1, "lost_reason": "competitor_solution"}
    )
    assert no_rival.status_code == 400
    assert no_rival.context["move_form"].errors["lost_to"] == ["请填写赢单的竞争对手。"]
    opp.refresh_from_db()
    assert (opp.stage, opp.version, opp.lost_reason, opp.closed_on) == ("need", 1, "", None)
    assert opp.stage_changes.count() == 1

    done = client.post(
        url,
        {
            "to_stage": "lost",
            "version": 1,
            "lost_reason": "competitor_solution",
            "lost_to": "某运营商",
            "lost_note": "对方报价低 15%",
        },
    )
    assert done.status_code == 302
    opp.refresh_from_db()
    assert (opp.stage, opp.lost_reason, opp.lost_to, opp.lost_note, opp.closed_on) == (
        "lost",
        "competitor_solution",
        "某运营商",
        "对方报价低 15%",
        TODAY,
    )
    page = client.get(reverse("sales:opportunity_detail", args=[opp.pk]))
    html = page.content.decode()
    assert "move_form" not in page.context  # closed: nothing to move
    assert "竞争对手方案更优" in html
    assert "某运营商" in html
    assert [s["stage"] for s in page.context["path"]] == [
        "need",
        "solution",
        "negotiation",
        "contract",
        "implementation",
        "lost",
    ]
    assert [s["done"] for s in page.context["path"]] == [True, False, False, False, False, False]
    # The board does not show it any more, and it cannot be dragged back.
    assert board_post(client, opp, "need").status_code == 400


def test_the_move_form_refuses_a_stale_version_and_changes_nothing(people, frozen):
    am = people["am"]
    opp = deal(am)
    move(opp, am, "solution")
    client = login(am)
    url = reverse("sales:opportunity_move", args=[opp.pk])
    response = client.post(url, {"to_stage": "negotiation", "version": 1})
    assert response.status_code == 400
    assert "该记录已被他人修改（您编辑的是第 1 版）" in response.content.decode()
    opp.refresh_from_db()
    assert (opp.stage, opp.version, opp.negotiation_rounds) == ("solution", 2, 0)
    for data in ({"to_stage": "solution", "version": 2}, {"to_stage": "x", "version": "a"}):
        assert client.post(url, data).status_code == 400
    opp.refresh_from_db()
    assert (opp.stage, opp.version) == ("solution", 2)


def test_won_with_an_accepted_quote_drafts_the_contract(people, frozen):
    am = people["am"]
    opp = deal(am)
    accept_a_quote(opp, am)
    assert opp.stage == "contract"
    client = login(am)
    page = client.get(reverse("sales:opportunity_detail", args=[opp.pk]))
    quotes = page.context["quotes"]
    assert [(q.revision, q.status, f.monthly) for _s, q, f in quotes] == [
        (1, "accepted", Decimal("2800.00"))
    ]
    html = page.content.decode()
    assert reverse("sales:quote_detail", args=[quotes[0][1].pk]) in html
    assert reverse("sales:solution_detail", args=[quotes[0][0]]) in html
    assert reverse("sales:solution_new", args=[opp.pk]) in html
    response = client.post(
        reverse("sales:opportunity_move", args=[opp.pk]),
        {"to_stage": "won", "version": opp.version},
    )
    assert response.status_code == 302
    opp.refresh_from_db()
    assert (opp.stage, opp.probability, opp.closed_on) == ("won", 100, TODAY)
    contract = Contract.objects.get(opportunity=opp)
    page = client.get(reverse("sales:opportunity_detail", args=[opp.pk]))
    assert reverse("sales:contract_detail", args=[contract.pk]) in page.content.decode()
    assert [s["done"] for s in page.context["path"]] == [True] * 5 + [False]
    assert page.context["path"][-1]["current"]


def test_the_page_shows_the_header_and_the_stage_path(people, frozen):
    am = people["am"]
    account = AccountFactory(owner=am, name="北京银行股份有限公司")
    opp = deal(
        am,
        account=account,
        expected_monthly=Decimal("12345.60"),
        expected_one_time=Decimal("5000.00"),
        products=[product("ddn")],
    )
    move(opp, am, "solution")
    page = login(people["lead"]).get(reverse("sales:opportunity_detail", args=[opp.pk]))
    html = page.content.decode()
    assert opp.number in html
    assert reverse("accounts:detail", args=[account.pk]) in html
    assert "12,345.60" in html
    assert "5,000.00" in html
    assert "25%" in html
    assert "DDN 专线" in html
    path = page.context["path"]
    assert [(s["stage"], s["done"], s["current"]) for s in path] == [
        ("need", True, False),
        ("solution", False, True),
        ("negotiation", False, False),
        ("contract", False, False),
        ("implementation", False, False),
        ("won", False, False),
    ]
    choices = [v for v, _l in page.context["move_form"].fields["to_stage"].choices]
    assert choices == ["need", "negotiation", "contract", "implementation", "won", "lost"]


# -- the appraisal card ------------------------------------------------------------------------


def test_the_appraisal_card_shows_the_figures_and_the_recommendation(people, frozen):
    am = people["am"]
    opp = deal(am)
    client = login(people["presales"])
    url = reverse("sales:appraisal_edit", args=[opp.pk])
    form = client.get(url)
    assert form.context["form"].initial["monthly_revenue"] == Decimal("1000.00")
    response = client.post(
        url,
        {
            "capex": "10000",
            "monthly_opex": "0",
            "monthly_revenue": "1000",
            "one_time_revenue": "0",
            "term_months": "24",
            "discount_rate": "0",
        },
    )
    assert response.status_code == 302
    stored = Appraisal.objects.get(opportunity=opp)
    assert (stored.discount_rate, stored.version) == (Decimal("0.0000"), 1)
    page = client.get(reverse("sales:opportunity_detail", args=[opp.pk]))
    card = page.context["appraisal"]
    # -10,000 then 24 x 1,000 undiscounted: NPV 14,000, paid back after 10 months, ROI 140 %.
    assert card["result"].npv == Decimal("14000.00")
    assert card["result"].payback_months == Decimal("10.00")
    assert card["result"].roi == Decimal("1.4000")
    assert card["recommendation"].verdict == "pursue"
    html = page.content.decode()
    assert "建议跟进" in html
    assert "14,000.00" in html
    assert "140%" in html
    assert "10.00 个月" in html
    # 1,000 a month for 24 months repays 10,000 at 8.6278 % a month: 169.96 % a year.
    assert card["result"].irrs == (Decimal("0.086278"),)
    assert card["result"].irrs_annual == (Decimal("1.699554"),)
    assert "169.96%" in html

    # Edit: the version is carried; 8 % a year is stored as 0.0800.
    again = client.post(
        url,
        {
            "version": 1,
            "capex": "0",
            "monthly_opex": "0",
            "monthly_revenue": "1000",
            "one_time_revenue": "0",
            "term_months": "12",
            "discount_rate": "8",
        },
    )
    assert again.status_code == 302
    stored.refresh_from_db()
    assert (stored.discount_rate, stored.capex, stored.version) == (Decimal("0.0800"), 0, 2)
    html = client.get(reverse("sales:opportunity_detail", args=[opp.pk])).content.decode()
    assert "没有内部收益率" in html  # nothing invested: the flows never change sign


def test_the_appraisal_card_names_several_irrs(people, frozen, monkeypatch):
    """A deal's monthly flows change sign once at most, so the maths is stubbed here to
    show how the card words several IRRs."""
    am = people["am"]
    opp = deal(am)
    services.appraisal_set(
        actor=am,
        opportunity=opp,
        data={
            "capex": Decimal("10000"),
            "monthly_opex": Decimal("0"),
            "monthly_revenue": Decimal("1000"),
            "one_time_revenue": Decimal("0"),
            "term_months": 24,
            "discount_rate": Decimal("0.08"),
        },
    )
    real = appraisal_maths.appraise

    def several(**kwargs):
        result = real(**kwargs)
        return dataclasses.replace(result, irrs_annual=(Decimal("0.100000"), Decimal("0.250000")))

    monkeypatch.setattr(appraisal_maths, "appraise", several)
    html = login(am).get(reverse("sales:opportunity_detail", args=[opp.pk])).content.decode()
    assert "存在多个内部收益率" in html
    assert "10.00%、25.00%" in html


def test_the_appraisal_form_refuses_bad_input_and_the_wrong_roles(people, frozen):
    opp = deal(people["am"])
    url = reverse("sales:appraisal_edit", args=[opp.pk])
    client = login(people["am"])
    bad = {
        "capex": "-1",
        "monthly_opex": "x",
        "monthly_revenue": "1",
        "one_time_revenue": "0",
        "term_months": "500",
        "discount_rate": "101",
    }
    response = client.post(url, bad)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {
        "capex",
        "monthly_opex",
        "term_months",
        "discount_rate",
    }
    assert not Appraisal.objects.exists()
    assert login(people["analyst"]).get(url).status_code == 403
    assert login(people["desk"]).get(url).status_code == 403
    assert login(people["other_am"]).get(url).status_code == 404


def test_a_new_appraisal_form_does_not_overwrite_one_saved_meanwhile(people, frozen):
    opp = deal(people["am"])
    data = {
        "capex": "100",
        "monthly_opex": "0",
        "monthly_revenue": "10",
        "one_time_revenue": "0",
        "term_months": "12",
        "discount_rate": "8",
    }
    assert (
        login(people["presales"])
        .post(reverse("sales:appraisal_edit", args=[opp.pk]), data)
        .status_code
        == 302
    )
    response = login(people["am"]).post(
        reverse("sales:appraisal_edit", args=[opp.pk]), {**data, "capex": "999"}
    )
    assert response.status_code == 400
    assert "该商机的项目评估已由他人填写" in response.content.decode()
    assert Appraisal.objects.get().capex == Decimal("100.00")


# -- new and edit -------------------------------------------------------------------------------


def test_a_new_opportunity_by_account_code(people, frozen):
    am = people["am"]
    account = AccountFactory(owner=am, code="KA00000777")
    foreign = AccountFactory(owner=people["other_am"], code="KA00000888")
    client = login(am)
    url = reverse("sales:opportunity_new")
    data = {
        "name": "总部 SD-WAN",
        "source": "proactive",
        "products": ["ddn", "digital_circuit"],
        "expected_monthly": "6000",
        "expected_one_time": "20000",
        "close_date": "2027-01-31",
        "description": "五个分支",
    }
    products = {p.code: p.pk for p in (product("ddn"), product("digital_circuit"))}
    data["products"] = [products["ddn"], products["digital_circuit"]]
    for code in ("KA00000888", "nope", ""):
        refused = client.post(url, {**data, "account": code})
        assert refused.status_code == 400
        assert "account" in refused.context["form"].errors
    assert foreign.opportunities.count() == 0
    bad_money = client.post(url, {**data, "account": "KA00000777", "expected_monthly": "-1"})
    assert bad_money.status_code == 400
    assert not Opportunity.objects.exists()

    response = client.post(url, {**data, "account": "KA00000777"})
    assert response.status_code == 302
    opp = Opportunity.objects.get()
    assert response["Location"] == reverse("sales:opportunity_detail", args=[opp.pk])
    assert (opp.account, opp.owner, opp.group, opp.stage, opp.probability) == (
        account,
        am,
        am.group,
        "need",
        10,
    )
    assert (opp.expected_monthly, opp.expected_one_time, opp.close_date) == (
        Decimal("6000.00"),
        Decimal("20000.00"),
        D(2027, 1, 31),
    )
    assert sorted(p.code for p in opp.products.all()) == ["ddn", "digital_circuit"]


def test_a_new_opportunity_from_the_account_or_the_prospect_page(people, frozen):
    am = people["am"]
    account = AccountFactory(owner=am)
    prospect = services.prospect_create(actor=am, data={"name": "潜在", "industry": "finance"})
    client = login(am)
    data = {
        "name": "新商机",
        "source": "customer",
        "expected_monthly": "100",
        "expected_one_time": "0",
        "close_date": "2026-12-31",
    }
    base = reverse("sales:opportunity_new")
    page = client.get(base + f"?account={account.pk}")
    assert "account" not in page.context["form"].fields
    assert client.post(base + f"?account={account.pk}", data).status_code == 302
    assert client.post(base + f"?prospect={prospect.pk}", data).status_code == 302
    assert (account.opportunities.count(), prospect.opportunities.count()) == (1, 1)
    # The lead of the group may start one on its AMs' accounts.
    assert login(people["lead"]).get(base + f"?account={account.pk}").status_code == 200
    # The presales of the group sees the account but may not start deals.
    assert login(people["presales"]).get(base + f"?account={account.pk}").status_code == 403
    # Another AM of the same group does not see the account.
    assert login(people["am2"]).get(base + f"?account={account.pk}").status_code == 404


def test_editing_an_opportunity(people, frozen):
    am = people["am"]
    opp = deal(am, products=[product("ddn")])
    client = login(am)
    url = reverse("sales:opportunity_edit", args=[opp.pk])
    form = client.get(url).context["form"]
    assert form.initial["version"] == 1
    data = {
        "version": 1,
        "name": "专线扩容（二期）",
        "products": [product("digital_circuit").pk],
        "expected_monthly": "1500.50",
        "expected_one_time": "300",
        "close_date": "2027-02-28",
        "description": "二期",
    }
    assert client.post(url, data).status_code == 302
    opp.refresh_from_db()
    assert (opp.name, opp.expected_monthly, opp.close_date, opp.version) == (
        "专线扩容（二期）",
        Decimal("1500.50"),
        D(2027, 2, 28),
        2,
    )
    assert [p.code for p in opp.products.all()] == ["digital_circuit"]
    entry = AuditEntry.objects.filter(target_id=str(opp.pk), action="update").get()
    assert entry.changes["expected_monthly"] == ["1000.00", "1500.50"]
    assert entry.changes["products"] == ["DDN 专线", "数字电路"]

    stale = client.post(url, {**data, "name": "覆盖"})  # version 1 again
    assert stale.status_code == 400
    assert "该记录已被他人修改" in stale.content.decode()
    opp.refresh_from_db()
    assert (opp.name, opp.version) == ("专线扩容（二期）", 2)
    assert login(people["presales"]).get(url).status_code == 403
    assert login(people["presales"]).post(url, {**data, "version": 2}).status_code == 403
    opp.refresh_from_db()
    assert opp.version == 2


def test_a_closed_opportunity_keeps_its_figures(people, frozen):
    am = people["am"]
    opp = deal(am)
    move(opp, am, "lost", lost_reason="price")
    opp.refresh_from_db()
    response = login(am).post(
        reverse("sales:opportunity_edit", args=[opp.pk]),
        {
            "version": opp.version,
            "name": "改",
            "expected_monthly": "1",
            "expected_one_time": "0",
            "close_date": "2026-12-01",
        },
    )
    assert response.status_code == 400
    assert "已结束的商机不能再修改。" in response.content.decode()
    opp.refresh_from_db()
    assert (opp.name, opp.expected_monthly) == ("专线扩容", Decimal("1000.00"))


def test_the_list_filters_by_stage_and_search(people, frozen):
    am = people["am"]
    a = deal(am, name="甲专线")
    b = deal(am, name="乙专线")
    move(b, am, "lost", lost_reason="price")
    client = login(am)
    url = reverse("sales:opportunity_list")

    def numbers(**params) -> list[str]:
        return [o.number for o in client.get(url, params).context["page"]]

    assert numbers() == [a.number]
    assert numbers(stage="all") == [a.number, b.number]
    assert numbers(stage="lost") == [b.number]
    assert numbers(stage="all", q="乙") == [b.number]
    assert numbers(stage="all", q=a.number) == [a.number]
    assert numbers(stage="bogus", page="x") == [a.number]


# -- prospects ----------------------------------------------------------------------------------


def test_an_am_creates_a_prospect_and_converts_it_in_one_click(people, frozen):
    am = people["am"]
    client = login(am)
    response = client.post(
        reverse("sales:prospect_new"),
        {
            "name": "北京智造科技有限公司",
            "credit_code": "",
            "industry": "finance",
            "city": "北京",
            "address": "海淀区中关村大街 1 号",
            "contact_name": "赵总",
            "contact_title": "CIO",
            "contact_phone": "13900000000",
            "employees": "350",
        },
    )
    assert response.status_code == 302
    prospect = Prospect.objects.get()
    assert (prospect.owner, prospect.group, prospect.employees) == (am, am.group, 350)
    opp = deal(am, prospect=prospect)
    listing = client.get(reverse("sales:prospect_list"))
    assert [p.pk for p in listing.context["page"]] == [prospect.pk]
    page = client.get(reverse("sales:prospect_detail", args=[prospect.pk]))
    assert [o.pk for o in page.context["opportunities"]] == [opp.pk]
    assert f"?prospect={prospect.pk}" in page.content.decode()

    converted = client.post(reverse("sales:prospect_convert", args=[prospect.pk]), {"version": 1})
    account = Account.objects.get(name="北京智造科技有限公司")
    assert converted.status_code == 302
    assert converted["Location"] == reverse("accounts:detail", args=[account.pk])
    assert (account.owner, account.city, account.address, account.group) == (
        am,
        "北京",
        "海淀区中关村大街 1 号",
        am.group,
    )
    prospect.refresh_from_db()
    opp.refresh_from_db()
    assert (prospect.account, opp.account) == (account, account)
    assert list(client.get(reverse("sales:prospect_list")).context["page"]) == []
    again = client.post(
        reverse("sales:prospect_convert", args=[prospect.pk]), {"version": prospect.version}
    )
    assert again.status_code == 400
    assert "该潜在客户已转为客户。" in again.content.decode()
    assert Account.objects.filter(name="北京智造科技有限公司").count() == 1


def test_converting_a_stale_prospect_changes_nothing(people, frozen):
    am = people["am"]
    prospect = services.prospect_create(actor=am, data={"name": "潜在", "industry": "finance"})
    Prospect.objects.filter(pk=prospect.pk).update(version=2)
    response = login(am).post(reverse("sales:prospect_convert", args=[prospect.pk]), {"version": 1})
    assert response.status_code == 400
    assert "该记录已被他人修改" in response.content.decode()
    assert not Account.objects.filter(name="潜在").exists()
    prospect.refresh_from_db()
    assert prospect.account is None
    # presales of the group sees it but may not convert it
    presales = login(people["presales"])
    assert presales.get(reverse("sales:prospect_detail", args=[prospect.pk])).status_code == 200
    assert (
        presales.post(reverse("sales:prospect_convert", args=[prospect.pk]), {"version": 2})
    ).status_code == 403
    assert (
        login(people["am2"]).get(reverse("sales:prospect_detail", args=[prospect.pk])).status_code
        == 404
    )


def test_a_lead_names_the_am_of_a_new_prospect_from_its_own_group(people, frozen):
    client = login(people["lead"])
    url = reverse("sales:prospect_new")
    owners = client.get(url).context["form"].fields["owner"].queryset
    assert people["am"] in owners
    assert people["other_am"] not in owners
    data = {"name": "潜在", "industry": "finance", "owner": people["other_am"].pk}
    assert client.post(url, data).status_code == 400
    assert not Prospect.objects.exists()
    assert client.post(url, {**data, "owner": people["am"].pk}).status_code == 302
    assert Prospect.objects.get().owner == people["am"]
    assert client.post(url, {"name": "", "industry": "nope"}).status_code == 400


# -- forecast and win/loss ------------------------------------------------------------------------


def test_the_forecast_weights_deals_by_month(people, frozen):
    am = people["am"]
    deal(am, close_date=D(2026, 10, 20), expected_monthly=Decimal("1000.00"))  # overdue: Nov
    b = deal(am, close_date=D(2026, 11, 30), expected_monthly=Decimal("2000.00"))
    move(b, am, "negotiation")  # 50 %
    deal(
        am,
        close_date=D(2027, 1, 15),
        expected_monthly=Decimal("3000.00"),
        expected_one_time=Decimal("10000.00"),
    )
    deal(am, close_date=D(2027, 5, 1), expected_monthly=Decimal("9999.00"))  # beyond April
    deal(people["other_am"], close_date=D(2026, 11, 15))  # not visible to the AM

    response = login(am).get(reverse("sales:forecast"))
    rows = [
        (b["row"].month, b["row"].deals, b["row"].monthly, b["row"].weighted_monthly)
        for b in response.context["bars"]
    ]
    assert rows == [
        (D(2026, 11, 1), 2, Decimal("3000.00"), Decimal("1100.00")),
        (D(2026, 12, 1), 0, Decimal("0.00"), Decimal("0.00")),
        (D(2027, 1, 1), 1, Decimal("3000.00"), Decimal("300.00")),
        (D(2027, 2, 1), 0, Decimal("0.00"), Decimal("0.00")),
        (D(2027, 3, 1), 0, Decimal("0.00"), Decimal("0.00")),
        (D(2027, 4, 1), 0, Decimal("0.00"), Decimal("0.00")),
    ]
    bars = response.context["bars"]
    assert (bars[0]["expected_pct"], bars[0]["weighted_pct"]) == ("100.0", "36.7")
    assert (bars[2]["expected_pct"], bars[2]["weighted_pct"]) == ("100.0", "10.0")
    assert bars[2]["row"].weighted_one_time == Decimal("1000.00")
    assert response.context["totals"] == {
        "deals": 3,
        "monthly": Decimal("6000.00"),
        "weighted_monthly": Decimal("1400.00"),
        "weighted_one_time": Decimal("1000.00"),
    }
    html = response.content.decode()
    assert 'style="width: 36.7%"' in html
    assert "1,400.00" in html
    head = login(people["head"]).get(reverse("sales:forecast"), {"group": group("enterprise").pk})
    assert [b["row"].deals for b in head.context["bars"]] == [1, 0, 0, 0, 0, 0]


def test_win_loss_counts_the_period_and_never_fails_on_bad_dates(people):
    am = people["am"]
    with clock.frozen(aware(D(2025, 11, 20))):  # closed before the default period
        old = deal(am)
        move(old, am, "lost", lost_reason="price")
    with clock.frozen(aware(D(2026, 3, 10))):
        won = deal(am, expected_monthly=Decimal("5000.00"))
        accept_a_quote(won, am)
        move(won, am, "won")
        lost1 = deal(am, expected_monthly=Decimal("2000.00"))
        move(lost1, am, "lost", lost_reason="competitor_solution", lost_to="某运营商")
    with clock.frozen(aware(D(2026, 9, 1))):
        lost2 = deal(am, expected_monthly=Decimal("700.00"))
        move(lost2, am, "lost", lost_reason="price")
        lost3 = deal(am, expected_monthly=Decimal("300.00"))
        move(lost3, am, "lost", lost_reason="competitor_solution", lost_to="某运营商")
        deal(people["other_am"])  # open, and not the AM's

    client = login(am)
    url = reverse("sales:win_loss")
    with clock.frozen(aware(TODAY)):
        response = client.get(url)
        bad = client.get(url, {"start": "2026-13-01", "end": "yesterday"})
        backwards = client.get(url, {"start": "2026-10-01", "end": "2026-01-01"})
        march = client.get(url, {"start": "2026-03-01", "end": "2026-03-31"})
    r = response.context["r"]
    assert (r.start, r.end) == (D(2025, 12, 1), TODAY)
    assert (r.won, r.lost, r.won_monthly, r.lost_monthly) == (
        1,
        3,
        Decimal("5000.00"),
        Decimal("3000.00"),
    )
    assert r.win_rate == Decimal("25.0")
    assert [(code, n, m) for code, _label, n, m in r.by_reason] == [
        ("competitor_solution", 2, Decimal("2300.00")),
        ("price", 1, Decimal("700.00")),
    ]
    assert r.by_competitor == [("某运营商", 2, Decimal("2300.00"))]
    html = response.content.decode()
    assert "25.0%" in html
    assert "竞争对手方案更优" in html
    assert "2,300.00" in html
    for page in (bad, backwards):
        assert page.status_code == 200
        assert (page.context["r"].start, page.context["r"].end) == (D(2025, 12, 1), TODAY)
    m = march.context["r"]
    assert (m.won, m.lost, m.win_rate) == (1, 1, Decimal("50.0"))
    assert StageChange.objects.filter(to_stage="won").count() == 1


def test_the_lists_and_the_forecast_run_a_bounded_number_of_queries(
    people, frozen, django_assert_num_queries, django_assert_max_num_queries
):
    am = people["am"]
    client = login(people["head"])
    account = AccountFactory(owner=am)

    def fill(n: int) -> None:
        for i in range(n):
            prospect = services.prospect_create(
                actor=am, data={"name": f"潜在{i}", "industry": "finance"}
            )
            deal(am, account=account if i % 2 else None, prospect=None if i % 2 else prospect)

    urls = [
        reverse("sales:opportunity_list"),
        reverse("sales:prospect_list"),
        reverse("sales:forecast"),
        reverse("sales:win_loss"),
    ]
    fill(3)
    counts = []
    for url in urls:
        client.get(url)
        with django_assert_max_num_queries(20) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured.captured_queries))
    fill(27)
    for url, count in zip(urls, counts, strict=True):
        with django_assert_num_queries(count):
            assert client.get(url).status_code == 200
