"""The deal pages: solutions and attachments, the quote formset, submitting and approving
discounts, the approvals queue, contracts and their signature, implementation projects,
the catalogue. Data is built through telekam.sales.services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from telekam.accounts.tests.factories import AccountFactory, product
from telekam.core import clock
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory, group
from telekam.sales import services
from telekam.sales.models import (
    Contract,
    Opportunity,
    Project,
    Quote,
    QuoteLine,
    QuoteStatus,
    Solution,
    SolutionAttachment,
    Stage,
)
from telekam.service.models import ProvisioningOrder, ProvisioningPolicy
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 9, 25)  # a Friday, just before National Day


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(aware(TODAY)):
        yield


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def people():
    return {
        "am": UserFactory(),
        "lead": UserFactory(lead=True),
        "head": UserFactory(head=True),
        "presales": UserFactory(presales=True),
        "other_am": UserFactory(group=group("enterprise")),
        "other_presales": UserFactory(presales=True, group=group("enterprise")),
        "analyst": UserFactory(analyst=True),
        "desk": UserFactory(desk=True),
        "ops": UserFactory(ops=True),
    }


@pytest.fixture
def account(people):
    return AccountFactory(owner=people["am"], name="北京华信证券股份有限公司")  # crystal: 8 %


def make_solution(am, account, name: str = "总部专线扩容") -> Solution:
    opp = services.opportunity_create(
        actor=am, name=name, source="customer", close_date=D(2026, 12, 31), account=account
    )
    return services.solution_create(actor=am, opportunity=opp, title="双路由专线方案")


@pytest.fixture
def solution(people, account):
    return make_solution(people["am"], account)


def make_quote(actor, solution, *discounts: str, code: str = "digital_circuit") -> Quote:
    return services.quote_create(
        actor=actor,
        solution=solution,
        valid_until=D(2026, 10, 31),
        lines=[
            {"product": product(code), "quantity": 1, "term_months": 12, "discount_pct": Decimal(d)}
            for d in discounts
        ],
    )


def reload(obj):
    return type(obj).objects.get(pk=obj.pk)


def post_action(user, quote: Quote, action: str, **extra):
    return login(user).post(
        reverse("sales:quote_action", args=[quote.pk, action]),
        {"version": reload(quote).version, **extra},
    )


# --- access ---------------------------------------------------------------------------------


def test_desk_and_operations_are_refused_every_sales_page(people, solution):
    quote = make_quote(people["am"], solution, "0")
    urls = [
        reverse("sales:catalogue"),
        reverse("sales:approvals"),
        reverse("sales:contract_list"),
        reverse("sales:quote_detail", args=[quote.pk]),
        reverse("sales:quote_pdf", args=[quote.pk]),
        reverse("sales:solution_detail", args=[solution.pk]),
        reverse("sales:quote_new", args=[solution.pk]),
    ]
    for who in ("desk", "ops"):
        client = login(people[who])
        for url in urls:
            assert client.get(url).status_code == 403, (who, url)


def test_an_anonymous_visitor_is_sent_to_log_in(solution):
    response = Client().get(reverse("sales:solution_detail", args=[solution.pk]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_another_groups_am_sees_no_deal_of_this_group(people, solution):
    quote = make_quote(people["am"], solution, "0")
    client = login(people["other_am"])
    for url in (
        reverse("sales:solution_detail", args=[solution.pk]),
        reverse("sales:quote_detail", args=[quote.pk]),
        reverse("sales:quote_pdf", args=[quote.pk]),
        reverse("sales:quote_new", args=[solution.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert post_action(people["other_am"], quote, "submit").status_code == 404
    assert reload(quote).status == QuoteStatus.DRAFT


# --- solutions ------------------------------------------------------------------------------


def test_a_solution_is_created_with_a_presales_engineer_of_the_group(people, account):
    opp = services.opportunity_create(
        actor=people["am"],
        name="视频会议",
        source="proactive",
        close_date=D(2026, 12, 1),
        account=account,
    )
    client = login(people["am"])
    url = reverse("sales:solution_new", args=[opp.pk])
    page = client.get(url)
    choices = dict(page.context["form"].fields["presales"].choices)
    assert str(people["presales"].pk) in choices
    assert str(people["other_presales"].pk) not in choices  # another group's engineer

    response = client.post(
        url,
        {"title": "高清视频会议方案", "proposal": "MCU 两台", "presales": people["presales"].pk},
    )
    solution = Solution.objects.get(opportunity=opp)
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:solution_detail", args=[solution.pk])
    assert (solution.title, solution.proposal, solution.presales) == (
        "高清视频会议方案",
        "MCU 两台",
        people["presales"],
    )


def test_a_presales_engineer_of_another_group_cannot_be_chosen(people, account):
    opp = Opportunity.objects.create(
        number="OP-X",
        name="x",
        account=account,
        owner=people["am"],
        group=account.group,
        source="customer",
        close_date=D(2026, 12, 1),
    )
    response = login(people["am"]).post(
        reverse("sales:solution_new", args=[opp.pk]),
        {"title": "方案", "presales": people["other_presales"].pk},
    )
    assert response.status_code == 200
    assert "presales" in response.context["form"].errors
    assert not Solution.objects.filter(opportunity=opp).exists()


def test_the_analyst_reads_but_may_not_write_a_solution(people, solution):
    client = login(people["analyst"])
    assert client.get(reverse("sales:solution_detail", args=[solution.pk])).status_code == 200
    url = reverse("sales:solution_new", args=[solution.opportunity_id])
    assert client.get(url).status_code == 403
    assert client.post(url, {"title": "x"}).status_code == 403
    assert Solution.objects.count() == 1


def test_attachments_upload_and_download_for_who_may_see_the_deal(people, solution):
    url = reverse("sales:attachment_add", args=[solution.pk])
    upload = SimpleUploadedFile("拓扑图.pdf", b"%PDF-1.4 topology", content_type="application/pdf")
    response = login(people["presales"]).post(url, {"file": upload})
    assert response.status_code == 302
    attachment = SolutionAttachment.objects.get(solution=solution)
    assert (attachment.name, attachment.uploaded_by) == ("拓扑图.pdf", people["presales"])

    download = reverse("sales:attachment_download", args=[attachment.pk])
    for who in ("am", "lead", "head", "presales", "analyst"):
        got = login(people[who]).get(download)
        assert got.status_code == 200, who
        assert b"".join(got.streaming_content) == b"%PDF-1.4 topology"
    assert login(people["other_am"]).get(download).status_code == 404
    assert login(people["other_presales"]).get(download).status_code == 404
    assert login(people["desk"]).get(download).status_code == 403

    # Writing: not for a reader (analyst) nor for someone who may not see the deal.
    for who, status in (("analyst", 403), ("other_am", 404), ("ops", 403)):
        again = SimpleUploadedFile("x.pdf", b"x", content_type="application/pdf")
        assert login(people[who]).post(url, {"file": again}).status_code == status, who
    assert SolutionAttachment.objects.count() == 1


def test_an_upload_without_a_file_is_a_form_error(people, solution):
    response = login(people["am"]).post(reverse("sales:attachment_add", args=[solution.pk]), {})
    assert response.status_code == 400
    assert "file" in response.context["attachment_form"].errors
    assert SolutionAttachment.objects.count() == 0


# --- the quote formset ----------------------------------------------------------------------


def formset_data(lines: list[dict[str, str]], *, extra_blank: int = 1, **head) -> dict:
    data = {
        "valid_until": "2026-10-31",
        "note": "含两年维护",
        "lines-TOTAL_FORMS": str(len(lines) + extra_blank),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "50",
        **head,
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    for i in range(len(lines), len(lines) + extra_blank):  # untouched blank rows
        data |= {f"lines-{i}-quantity": "1", f"lines-{i}-term_months": "12"}
        data[f"lines-{i}-discount_pct"] = "0"
    return data


def test_the_quote_formset_creates_the_exact_lines_and_totals(people, solution):
    circuit, vpn = product("digital_circuit"), product("ip_vpn")
    data = formset_data(
        [
            # list prices (2,800 a month, 3,000 once) left blank, 5 % off
            {"product": str(circuit.pk), "quantity": "2", "term_months": "24",
             "discount_pct": "5"},
            {"product": str(vpn.pk), "quantity": "1", "term_months": "12",
             "monthly_price": "2400.00", "one_time_price": "0", "discount_pct": "0"},
        ],
        extra_blank=2,
    )  # fmt: skip
    response = login(people["am"]).post(reverse("sales:quote_new", args=[solution.pk]), data)
    quote = Quote.objects.get(solution=solution)
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:quote_detail", args=[quote.pk])
    assert (quote.revision, quote.status, quote.valid_until, quote.note) == (
        1,
        QuoteStatus.DRAFT,
        D(2026, 10, 31),
        "含两年维护",
    )
    lines = [
        (
            line.product.code,
            line.quantity,
            line.term_months,
            line.monthly_price,
            line.one_time_price,
            line.discount_pct,
        )
        for line in quote.lines.order_by("id")
    ]
    assert lines == [
        ("digital_circuit", 2, 24, Decimal("2800.00"), Decimal("3000.00"), Decimal("5.00")),
        ("ip_vpn", 1, 12, Decimal("2400.00"), Decimal("0.00"), Decimal("0.00")),
    ]
    page = login(people["am"]).get(response["Location"])
    figures = page.context["figures"]
    # 2,800 x 2 x 0.95 = 5,320 + 2,400; 3,000 x 2 x 0.95 = 5,700;
    # 5,320 x 24 + 5,700 + 2,400 x 12 = 162,180. The largest discount is the IP-VPN line's:
    # 2,400 x 12 against its list (2,500 x 12 + 1,500 once) = 28,800 / 31,500 -> 8.57 % off
    assert (figures.monthly, figures.one_time, figures.contract_value, figures.max_discount) == (
        Decimal("7720.00"),
        Decimal("5700.00"),
        Decimal("162180.00"),
        Decimal("8.57"),
    )
    body = page.content.decode()
    for shown in ("7,720.00", "5,700.00", "162,180.00", "5,320.00", "133,380.00"):
        assert shown in body


def test_a_new_version_starts_from_the_last_and_supersedes_it(people, solution):
    first = make_quote(people["am"], solution, "3", "4")
    client = login(people["am"])
    page = client.get(reverse("sales:quote_new", args=[solution.pk]))
    assert [f.initial["discount_pct"] for f in page.context["formset"].initial_forms] == [
        Decimal("3.00"),
        Decimal("4.00"),
    ]
    circuit = product("digital_circuit")
    data = formset_data(
        [{"product": str(circuit.pk), "quantity": "1", "term_months": "12", "discount_pct": "2"}]
    )
    assert client.post(reverse("sales:quote_new", args=[solution.pk]), data).status_code == 302
    assert reload(first).status == QuoteStatus.SUPERSEDED
    second = Quote.objects.get(solution=solution, revision=2)
    assert [line.discount_pct for line in second.lines.all()] == [Decimal("2.00")]


@pytest.mark.parametrize(
    "change",
    [
        {"lines-TOTAL_FORMS": None},  # no management form
        {"lines-TOTAL_FORMS": "abc"},
        {"lines-TOTAL_FORMS": "100000"},
        {"lines-0-product": "999999"},
        {"lines-0-product": ""},  # the only line half filled
        {"lines-0-quantity": "0"},
        {"lines-0-quantity": "-3"},
        {"lines-0-term_months": "121"},
        {"lines-0-discount_pct": "100.01"},
        {"lines-0-discount_pct": "abc"},
        {"lines-0-monthly_price": "-1"},
        {"lines-0-one_time_price": "1e400"},
        {"lines-0-DELETE": "on"},  # nothing left
        {"valid_until": "2026-09-24"},  # in the past: refused by the service
        {"valid_until": "2026-13-01"},
        {"valid_until": ""},
    ],
)
def test_bad_quote_input_never_500s_and_creates_nothing(people, solution, change):
    circuit = product("digital_circuit")
    data = formset_data(
        [{"product": str(circuit.pk), "quantity": "1", "term_months": "12", "discount_pct": "5"}]
    )
    for key, value in change.items():
        if value is None:
            for k in [k for k in data if k.startswith("lines-") and k.endswith("_FORMS")]:
                del data[k]
        else:
            data[key] = value
    response = login(people["am"]).post(reverse("sales:quote_new", args=[solution.pk]), data)
    assert response.status_code == 200
    assert Quote.objects.count() == 0
    assert QuoteLine.objects.count() == 0


def test_only_blank_rows_is_no_quote(people, solution):
    data = formset_data([], extra_blank=3)
    response = login(people["am"]).post(reverse("sales:quote_new", args=[solution.pk]), data)
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert Quote.objects.count() == 0


def test_who_may_not_write_quotes_is_refused(people, solution):
    circuit = product("digital_circuit")
    data = formset_data(
        [{"product": str(circuit.pk), "quantity": "1", "term_months": "12", "discount_pct": "0"}]
    )
    url = reverse("sales:quote_new", args=[solution.pk])
    assert login(people["analyst"]).post(url, data).status_code == 403
    assert login(people["other_presales"]).post(url, data).status_code == 404
    assert login(people["presales"]).post(url, data).status_code == 302  # its group's deal
    assert Quote.objects.count() == 1


# --- submitting and approving ---------------------------------------------------------------


def test_within_the_am_limit_the_quote_is_approved_at_once(people, solution):
    quote = make_quote(people["am"], solution, "8")
    response = post_action(people["am"], quote, "submit")
    assert response.status_code == 302
    quote = reload(quote)
    assert (quote.status, quote.submitted_by, quote.decided_by, quote.approver_role) == (
        QuoteStatus.APPROVED,
        people["am"],
        people["am"],
        "",
    )


def test_beyond_the_am_limit_it_waits_for_the_group_lead(people, solution):
    quote = make_quote(people["am"], solution, "5", "15")
    response = post_action(people["am"], quote, "submit")
    assert "等待行业组长审批" in "".join(flash(response))
    quote = reload(quote)
    assert (quote.status, quote.approver_role, quote.decided_by) == (
        QuoteStatus.PENDING,
        "group_lead",
        None,
    )
    queue = login(people["lead"]).get(reverse("sales:approvals"))
    assert [q.pk for q, _f in queue.context["rows"]] == [quote.pk]
    head_queue = login(people["head"]).get(reverse("sales:approvals"))
    assert [q.pk for q, _f in head_queue.context["rows"]] == [quote.pk]
    assert list(login(people["am"]).get(reverse("sales:approvals")).context["rows"]) == []


def test_beyond_the_lead_limit_it_waits_for_the_department_head(people, solution):
    quote = make_quote(people["am"], solution, "25")
    post_action(people["am"], quote, "submit")
    assert reload(quote).approver_role == "department_head"
    assert list(login(people["lead"]).get(reverse("sales:approvals")).context["rows"]) == []
    head_rows = login(people["head"]).get(reverse("sales:approvals")).context["rows"]
    assert [q.pk for q, _f in head_rows] == [quote.pk]

    # The lead may look but not approve beyond its own limit: a message, nothing changes.
    page = login(people["lead"]).get(reverse("sales:quote_detail", args=[quote.pk]))
    assert "approve" not in page.context["actions"]
    response = post_action(people["lead"], quote, "approve")
    assert response.status_code == 302
    assert "部门经理审批" in "".join(flash(response))
    assert reload(quote).status == QuoteStatus.PENDING

    post_action(people["head"], quote, "approve")
    assert (reload(quote).status, reload(quote).decided_by) == (
        QuoteStatus.APPROVED,
        people["head"],
    )


def test_an_am_cannot_approve_its_own_discount(people, solution):
    quote = make_quote(people["am"], solution, "15")
    post_action(people["am"], quote, "submit")
    before = reload(quote)
    assert post_action(people["am"], quote, "approve").status_code == 403
    assert post_action(people["presales"], quote, "approve").status_code == 403
    after = reload(quote)
    assert (after.status, after.version, after.decided_by) == (
        QuoteStatus.PENDING,
        before.version,
        None,
    )


def test_a_lead_cannot_approve_the_quote_it_submitted(people, solution):
    quote = make_quote(people["lead"], solution, "25")
    post_action(people["lead"], quote, "submit")
    assert reload(quote).approver_role == "department_head"
    page = login(people["lead"]).get(reverse("sales:quote_detail", args=[quote.pk]))
    assert page.context["actions"] == {"own": True}
    response = post_action(people["lead"], quote, "approve")
    assert response.status_code == 302
    assert "不能审批自己提交的报价" in "".join(flash(response))
    assert reload(quote).status == QuoteStatus.PENDING
    # ... nor does it wait in its own queue
    assert list(login(people["lead"]).get(reverse("sales:approvals")).context["rows"]) == []


def test_the_lead_approves_and_rejects_with_a_reason(people, account):
    approve_me = make_quote(people["am"], make_solution(people["am"], account, "甲"), "15")
    reject_me = make_quote(people["am"], make_solution(people["am"], account, "乙"), "18")
    for quote in (approve_me, reject_me):
        post_action(people["am"], quote, "submit")

    assert post_action(people["lead"], approve_me, "approve").status_code == 302
    approved = reload(approve_me)
    assert (approved.status, approved.decided_by) == (QuoteStatus.APPROVED, people["lead"])

    response = post_action(people["lead"], reject_me, "reject")  # no reason
    assert "驳回请填写意见" in "".join(flash(response))
    assert reload(reject_me).status == QuoteStatus.PENDING
    post_action(people["lead"], reject_me, "reject", note="折扣过大，请重新测算")
    rejected = reload(reject_me)
    assert (rejected.status, rejected.decision_note) == (
        QuoteStatus.REJECTED,
        "折扣过大，请重新测算",
    )


def test_another_groups_lead_sees_and_decides_nothing(people, solution):
    quote = make_quote(people["am"], solution, "15")
    post_action(people["am"], quote, "submit")
    other_lead = UserFactory(lead=True, group=group("enterprise"))
    assert post_action(other_lead, quote, "approve").status_code == 404
    assert list(login(other_lead).get(reverse("sales:approvals")).context["rows"]) == []
    assert reload(quote).status == QuoteStatus.PENDING


def test_a_stale_page_does_not_act(people, solution):
    quote = make_quote(people["am"], solution, "15")
    stale = quote.version
    post_action(people["am"], quote, "submit")
    response = login(people["lead"]).post(
        reverse("sales:quote_action", args=[quote.pk, "approve"]), {"version": stale}
    )
    assert response.status_code == 302
    assert "已被他人修改" in "".join(flash(response))
    assert reload(quote).status == QuoteStatus.PENDING


def test_an_unknown_action_or_a_get_is_refused(people, solution):
    quote = make_quote(people["am"], solution, "0")
    client = login(people["am"])
    url = reverse("sales:quote_action", args=[quote.pk, "delete"])
    assert client.post(url, {"version": 1}).status_code == 404
    assert client.get(reverse("sales:quote_action", args=[quote.pk, "submit"])).status_code == 405


def test_accepting_moves_the_deal_to_the_contract_stage(people, solution):
    quote = make_quote(people["am"], solution, "5")
    post_action(people["am"], quote, "submit")
    assert post_action(people["presales"], quote, "accept").status_code == 403  # not an editor
    response = post_action(people["am"], quote, "accept")
    assert response.status_code == 302
    assert reload(quote).status == QuoteStatus.ACCEPTED
    assert reload(solution.opportunity).stage == Stage.CONTRACT


def test_accepting_a_draft_is_a_message_not_an_error_page(people, solution):
    quote = make_quote(people["am"], solution, "5")
    response = post_action(people["am"], quote, "accept")
    assert response.status_code == 302
    assert "只有已批准的报价可以登记客户接受" in "".join(flash(response))
    assert reload(quote).status == QuoteStatus.DRAFT


def test_a_discount_above_what_the_grade_merits_is_flagged(people, account):
    """The account is crystal: its grade merits 8 % at most (domain §1)."""
    within = make_quote(people["am"], make_solution(people["am"], account, "甲"), "8")
    beyond = make_quote(people["am"], make_solution(people["am"], account, "乙"), "3", "9")
    client = login(people["am"])
    page = client.get(reverse("sales:quote_detail", args=[within.pk]))
    assert not page.context["figures"].over_grade
    assert 'data-testid="over-grade"' not in page.content.decode()

    page = client.get(reverse("sales:quote_detail", args=[beyond.pk]))
    figures = page.context["figures"]
    assert (figures.over_grade, figures.max_discount, figures.grade_limit) == (
        True,
        Decimal("9.00"),
        Decimal("8.00"),
    )
    body = page.content.decode()
    assert 'data-testid="over-grade"' in body
    assert "最大折扣 9% 超出客户等级“水晶”可享的 8%" in body

    post_action(people["am"], beyond, "submit")  # 9 % is within the AM's 10 %
    assert reload(beyond).status == QuoteStatus.APPROVED


# --- the approvals queue --------------------------------------------------------------------


def test_the_approvals_queue_shows_the_figures(people, solution):
    quote = make_quote(people["am"], solution, "12")
    post_action(people["am"], quote, "submit")
    page = login(people["lead"]).get(reverse("sales:approvals"))
    ((row, figures),) = page.context["rows"]
    assert (row.pk, figures.max_discount, figures.contract_value, figures.over_grade) == (
        quote.pk,
        Decimal("12.00"),
        Decimal("32208.00"),  # 2,800 x 0.88 x 12 + 3,000 x 0.88
        True,
    )
    body = page.content.decode()
    assert quote.number in body
    assert str(people["am"]) in body
    assert "北京华信证券股份有限公司" in body


def test_the_approvals_queue_runs_a_bounded_number_of_queries(
    people, django_assert_max_num_queries
):
    client = login(people["head"])

    def fill(n: int) -> None:
        for i in range(n):
            account = AccountFactory(owner=people["am"])
            quote = make_quote(
                people["am"], make_solution(people["am"], account, f"商机{i}"), "12", "25"
            )
            services.quote_submit(actor=people["am"], quote=quote, expected_version=quote.version)

    fill(2)
    with django_assert_max_num_queries(20) as small:
        assert len(client.get(reverse("sales:approvals")).context["rows"]) == 2
    fill(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(reverse("sales:approvals")).context["rows"]) == 8


def test_the_solution_page_runs_a_bounded_number_of_queries(
    people, solution, django_assert_max_num_queries
):
    client = login(people["am"])
    url = reverse("sales:solution_detail", args=[solution.pk])
    make_quote(people["am"], solution, "1", "2")
    with django_assert_max_num_queries(25) as small:
        assert client.get(url).status_code == 200
    for i in range(5):
        make_quote(people["am"], solution, str(i), "2", "3")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(url).context["rows"]) == 6


# --- contracts ------------------------------------------------------------------------------


def won_contract(am, account, lines: list[tuple[str, int]], name: str = "专线扩容") -> Contract:
    solution = make_solution(am, account, name)
    quote = services.quote_create(
        actor=am,
        solution=solution,
        valid_until=D(2026, 10, 31),
        lines=[
            {"product": product(code), "quantity": qty, "term_months": 24, "discount_pct": 5}
            for code, qty in lines
        ],
    )
    quote = services.quote_submit(actor=am, quote=quote, expected_version=quote.version)
    services.quote_accept(actor=am, quote=quote, expected_version=quote.version)
    opp = reload(solution.opportunity)
    services.opportunity_move(
        actor=am, opportunity=opp, to_stage="won", expected_version=opp.version
    )
    return Contract.objects.get(opportunity=opp)


def test_signing_creates_one_order_per_circuit_with_a_policy(people, account):
    contract = won_contract(
        people["am"], account, [("digital_circuit", 3), ("cloud", 2), ("ddn", 1)]
    )
    # DDN has no promise at the contract's class: no order for it; cloud has no circuit.
    ProvisioningPolicy.objects.filter(product__code="ddn", sla_class=contract.sla_class).delete()
    lines = {line.product.code: line for line in contract.lines.all()}
    client = login(people["am"])
    response = client.post(
        reverse("sales:contract_action", args=[contract.pk, "sign"]),
        {
            "version": contract.version,
            "signed_on": "2026-09-25",
            f"activation_{lines['digital_circuit'].pk}": "2026-10-30",
        },
    )
    assert response.status_code == 302
    assert "已生成开通工单 3 张" in "".join(flash(response))
    contract = reload(contract)
    assert (contract.status, contract.signed_on) == ("signed", D(2026, 9, 25))
    orders = ProvisioningOrder.objects.filter(account=account).order_by("id")
    assert [(o.product.code, o.accepted_on, o.sla_class) for o in orders] == [
        ("digital_circuit", D(2026, 9, 25), "normal")
    ] * 3
    # 2,800 a month and 3,000 once, 5 % off, per circuit
    assert {(o.monthly_fee, o.one_time_fee) for o in orders} == {
        (Decimal("2660.00"), Decimal("2850.00"))
    }
    assert reload(lines["digital_circuit"]).activation_on == D(2026, 10, 30)

    page = client.get(reverse("sales:contract_detail", args=[contract.pk]))
    body = page.content.decode()
    assert [o.pk for o in page.context["orders"]] == [o.pk for o in orders]
    for order in orders:
        assert reverse("service:request_detail", args=[order.request_id]) in body
        assert order.request.number in body
    assert "project" in page.context["forms"]
    assert "sign" not in page.context["forms"]


def test_a_signed_date_in_the_future_is_a_form_error(people, account):
    contract = won_contract(people["am"], account, [("digital_circuit", 1)])
    response = login(people["am"]).post(
        reverse("sales:contract_action", args=[contract.pk, "sign"]),
        {"version": contract.version, "signed_on": "2026-09-26"},
    )
    assert response.status_code == 400
    assert response.context["forms"]["sign"].errors["signed_on"]
    assert reload(contract).status == "draft"
    assert ProvisioningOrder.objects.count() == 0


def test_who_may_sign_and_edit_a_contract(people, account):
    contract = won_contract(people["am"], account, [("digital_circuit", 1)])
    sign = reverse("sales:contract_action", args=[contract.pk, "sign"])
    data = {"version": contract.version, "signed_on": "2026-09-25"}
    assert login(people["presales"]).post(sign, data).status_code == 403
    assert login(people["analyst"]).post(sign, data).status_code == 403
    assert login(people["other_am"]).post(sign, data).status_code == 404
    assert login(people["desk"]).post(sign, data).status_code == 403
    assert login(people["other_am"]).get(reverse("sales:contract_detail", args=[contract.pk])).status_code == 404  # fmt: skip
    assert reload(contract).status == "draft"
    page = login(people["presales"]).get(reverse("sales:contract_detail", args=[contract.pk]))
    assert page.status_code == 200
    assert page.context["forms"] == {}


def test_the_draft_is_edited_and_its_end_follows_the_term(people, account):
    contract = won_contract(people["am"], account, [("digital_circuit", 1)])
    response = login(people["am"]).post(
        reverse("sales:contract_action", args=[contract.pk, "update"]),
        {
            "version": contract.version,
            "start_on": "2026-10-01",
            "term_months": "36",
            "billing_method": "quarterly",
            "sla_class": "special",
            "sla_level": "gold",
            "renewal_lead_days": "90",
            "specification": "双路由，100M",
        },
    )
    assert response.status_code == 302
    contract = reload(contract)
    assert (
        contract.start_on,
        contract.end_on,
        contract.term_months,
        contract.billing_method,
        contract.sla_class,
        contract.sla_level,
        contract.renewal_lead_days,
        contract.specification,
    ) == (D(2026, 10, 1), D(2029, 10, 1), 36, "quarterly", "special", "gold", 90, "双路由，100M")


def test_bad_contract_input_is_a_form_error(people, account):
    contract = won_contract(people["am"], account, [("digital_circuit", 1)])
    client = login(people["am"])
    url = reverse("sales:contract_action", args=[contract.pk, "update"])
    for data in (
        {"version": contract.version, "start_on": "x", "term_months": "12"},
        {"version": "", "start_on": "2026-10-01", "term_months": "999"},
        {},
    ):
        assert client.post(url, data).status_code == 400
    assert reload(contract).version == contract.version
    assert client.post(reverse("sales:contract_action", args=[contract.pk, "x"])).status_code == 404


def test_the_contract_list_and_its_expiring_filter(people, account, django_assert_max_num_queries):
    ending = won_contract(people["am"], account, [("ip_vpn", 1)], name="甲")
    services.contract_update(
        actor=people["am"],
        contract=ending,
        data={"start_on": D(2025, 11, 1), "term_months": 12},
        expected_version=ending.version,
    )  # ends 2026-11-01: 37 days away, within the 60-day lead time
    ending = reload(ending)
    services.contract_sign(
        actor=people["am"], contract=ending, signed_on=TODAY, expected_version=ending.version
    )
    later = won_contract(people["am"], account, [("ip_vpn", 1)], name="乙")  # ends 2028
    services.contract_sign(
        actor=people["am"], contract=later, signed_on=TODAY, expected_version=later.version
    )
    draft = won_contract(people["am"], account, [("ip_vpn", 2)], name="丙")
    client = login(people["am"])
    url = reverse("sales:contract_list")
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert {c.pk for c in page.context["page"]} == {ending.pk, later.pk, draft.pk}
    assert [c.pk for c in client.get(url, {"status": "expiring"}).context["page"]] == [ending.pk]
    assert [c.pk for c in client.get(url, {"status": "draft"}).context["page"]] == [draft.pk]
    assert [c.monthly for c in client.get(url, {"status": "draft"}).context["page"]] == [
        Decimal("4750.00")  # 2 x 2,500 x 0.95
    ]
    assert list(login(people["other_am"]).get(url).context["page"]) == []
    assert client.get(url, {"status": "nonsense", "page": "x"}).status_code == 200


def test_the_contract_list_runs_a_bounded_number_of_queries(people, django_assert_max_num_queries):
    client = login(people["head"])
    url = reverse("sales:contract_list")

    def fill(n: int) -> None:
        for i in range(n):
            won_contract(people["am"], AccountFactory(owner=people["am"]), [("ip_vpn", 1)], f"{i}")

    fill(2)
    with django_assert_max_num_queries(15) as small:
        assert len(client.get(url).context["page"]) == 2
    fill(5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(url).context["page"]) == 7


# --- projects -------------------------------------------------------------------------------


@pytest.fixture
def signed(people, account):
    contract = won_contract(people["am"], account, [("digital_circuit", 1)])
    return services.contract_sign(
        actor=people["am"], contract=contract, signed_on=TODAY, expected_version=contract.version
    )


def test_a_fixed_network_project_gets_its_tasks_due_on_working_days(people, signed):
    response = login(people["am"]).post(
        reverse("sales:contract_action", args=[signed.pk, "project"]),
        {"kind": "fixed", "name": "总部专线工程", "manager": people["presales"].pk,
         "start_on": "2026-09-25"},
    )  # fmt: skip
    project = Project.objects.get(contract=signed)
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:project_detail", args=[project.pk])
    assert (project.kind, project.name, project.manager) == (
        "fixed",
        "总部专线工程",
        people["presales"],
    )
    # 5, 10 and 3 working days one after another: National Day (Oct 1-7) is not counted,
    # Saturday Oct 10 is a make-up working day.
    assert [(t.name, t.due_on, t.owner) for t in project.tasks.all()] == [
        ("线路设计", D(2026, 10, 9), people["presales"]),
        ("现场施工", D(2026, 10, 22), people["presales"]),
        ("网络测试", D(2026, 10, 27), people["presales"]),
    ]
    page = login(people["am"]).get(reverse("sales:contract_detail", args=[signed.pk]))
    assert [p.pk for p, _progress in page.context["projects"]] == [project.pk]


def test_a_project_needs_a_manager_from_the_deal_staff(people, signed):
    response = login(people["am"]).post(
        reverse("sales:contract_action", args=[signed.pk, "project"]),
        {"kind": "fixed", "name": "x", "manager": people["other_am"].pk},
    )
    assert response.status_code == 400
    assert response.context["forms"]["project"].errors["manager"]
    response = login(people["am"]).post(
        reverse("sales:contract_action", args=[signed.pk, "project"]),
        {"kind": "satellite", "name": "x", "manager": people["am"].pk},
    )
    assert response.status_code == 400
    assert Project.objects.count() == 0


def test_a_project_is_only_for_a_signed_contract(people, account):
    contract = won_contract(people["am"], account, [("digital_circuit", 1)])
    response = login(people["am"]).post(
        reverse("sales:contract_action", args=[contract.pk, "project"]),
        {"kind": "fixed", "name": "x", "manager": people["am"].pk},
    )
    assert response.status_code == 400
    assert "合同签订后才能建立实施项目" in response.content.decode()
    assert Project.objects.count() == 0


@pytest.fixture
def project(people, signed):
    return services.project_create(
        actor=people["am"],
        contract=signed,
        kind="fixed",
        name="总部专线工程",
        manager=people["presales"],
        start_on=TODAY,
    )


def test_tasks_are_updated_and_overdue_ones_show_red(people, project):
    design = project.tasks.get(name="线路设计")
    response = login(people["presales"]).post(
        reverse("sales:task_update", args=[design.pk]),
        {
            f"task-{design.pk}-version": design.version,
            f"task-{design.pk}-status": "doing",
            f"task-{design.pk}-progress": "40",
            f"task-{design.pk}-owner": people["am"].pk,
            f"task-{design.pk}-due_on": "2026-10-12",
        },
    )
    assert response.status_code == 302
    design = reload(design)
    assert (design.status, design.progress, design.owner, design.due_on) == (
        "doing",
        40,
        people["am"],
        D(2026, 10, 12),
    )
    with clock.frozen(aware(D(2026, 10, 13))):
        page = login(people["am"]).get(reverse("sales:project_detail", args=[project.pk]))
    overdue = {t.name: late for t, _form, late in page.context["rows"]}
    assert overdue == {"线路设计": True, "现场施工": False, "网络测试": False}
    assert page.context["progress"] == 13  # (40 + 0 + 0) / 3
    assert page.content.decode().count('data-testid="overdue"') == 1


def test_a_done_task_is_complete_and_counts_fully(people, project):
    tasks = list(project.tasks.all())
    for task in tasks[:2]:
        services.task_update(
            actor=people["am"], task=task, expected_version=task.version, status="done", progress=0
        )
    page = login(people["am"]).get(reverse("sales:project_detail", args=[project.pk]))
    assert page.context["progress"] == 67


def test_who_may_update_a_task(people, project):
    task = project.tasks.first()
    url = reverse("sales:task_update", args=[task.pk])
    data = {f"task-{task.pk}-version": task.version, f"task-{task.pk}-status": "done",
            f"task-{task.pk}-progress": "100"}  # fmt: skip
    assert login(people["analyst"]).post(url, data).status_code == 403
    assert login(people["other_am"]).post(url, data).status_code == 404
    assert login(people["ops"]).post(url, data).status_code == 403
    assert (
        login(people["am"]).post(reverse("sales:task_update", args=[99999]), data).status_code
        == 404
    )
    assert reload(task).status == "todo"
    bad = login(people["am"]).post(url, {**data, f"task-{task.pk}-progress": "101"})
    assert bad.status_code == 400
    assert reload(task).status == "todo"


def test_the_plan_is_uploaded_by_the_manager_and_read_by_who_sees_the_deal(people, project):
    url = reverse("sales:project_plan", args=[project.pk])
    assert login(people["am"]).get(url).status_code == 404  # nothing uploaded yet
    plan = SimpleUploadedFile("工程实施方案.docx", b"PLAN v1", content_type="application/msword")
    response = login(people["presales"]).post(url, {"plan": plan, "version": project.version})
    assert response.status_code == 302
    project = reload(project)
    assert project.plan_uploaded_at is not None
    for who in ("am", "lead", "head", "presales", "analyst"):
        got = login(people[who]).get(url)
        assert got.status_code == 200, who
        assert b"".join(got.streaming_content) == b"PLAN v1"
    assert login(people["other_am"]).get(url).status_code == 404
    assert login(people["desk"]).get(url).status_code == 403

    other = SimpleUploadedFile("x.docx", b"X", content_type="application/msword")
    assert login(people["analyst"]).post(url, {"plan": other, "version": project.version}).status_code == 403  # fmt: skip
    assert login(people["other_am"]).post(url, {"plan": other, "version": project.version}).status_code == 404  # fmt: skip
    stale = login(people["am"]).post(url, {"plan": other, "version": project.version - 1})
    assert stale.status_code == 400
    assert b"".join(login(people["am"]).get(url).streaming_content) == b"PLAN v1"


def test_the_project_page_runs_a_bounded_number_of_queries(
    people, project, django_assert_max_num_queries
):
    with django_assert_max_num_queries(25):
        page = login(people["am"]).get(reverse("sales:project_detail", args=[project.pk]))
    assert page.status_code == 200
    assert len(page.context["rows"]) == 3


# --- the catalogue --------------------------------------------------------------------------


def test_the_catalogue_lists_active_products_with_their_classes_in_two_queries(
    people, django_assert_num_queries
):
    from telekam.catalog.models import Product

    Product.objects.filter(code="atm").update(is_active=False)
    client = login(people["am"])
    client.get(reverse("sales:catalogue"))  # warm the session
    # session, user, products, policies, unread count, open-warnings badge
    with django_assert_num_queries(6):
        page = client.get(reverse("sales:catalogue"))
    rows = {p.code: [(x.sla_class, x.working_days, x.price_factor) for x in pol]
            for p, pol in page.context["rows"]}  # fmt: skip
    assert "atm" not in rows
    assert rows["ddn"] == [
        ("special", 8, Decimal("1.50")),
        ("urgent", 13, Decimal("1.30")),
        ("normal", 20, Decimal("1.00")),
    ]
    body = page.content.decode()
    assert "2,800.00" in body  # the digital circuit's list monthly fee
