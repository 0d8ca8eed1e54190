"""The demo's year of sales at 2% scale: every row is one the sales services could have
written (stage histories and their rounds, quote revisions and discount approvals,
contracts from accepted quotes at net prices, projects from the task templates on the
working-day calendar, the orders of recent contracts), each demo login finds its work
today, the same seed gives the same rows, and the reset removes them with their counters."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter, defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Max, Q

from telekam.accounts.models import Account, Contact
from telekam.core import clock
from telekam.core.calendar import working_calendar
from telekam.core.models import AuditEntry, Sequence
from telekam.demo import generator
from telekam.demo.sales import LINK_WORKING_DAYS
from telekam.org.models import Role, User
from telekam.sales import access, selectors
from telekam.sales.models import (
    OPEN_STAGES,
    STAGE_PROBABILITY,
    Appraisal,
    Contract,
    ContractLine,
    ContractStatus,
    DiscountLimit,
    LostReason,
    Opportunity,
    Project,
    ProjectTask,
    Prospect,
    Quote,
    QuoteLine,
    QuoteStatus,
    Solution,
    Stage,
    StageChange,
    TaskStatus,
)
from telekam.sales.services import TASK_TEMPLATES
from telekam.sales.services.contracts import _months_later
from telekam.service.models import ProvisioningOrder, ServiceRequest

pytestmark = pytest.mark.django_db

SCALE = 0.02
NOW = dt.datetime(2026, 11, 24, 11, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Tuesday
TODAY = NOW.date()
NUMBER = re.compile(r"^(OP|QT|HT)(\d{8})(\d{4})$")
ROWS = (Prospect, Opportunity, StageChange, Solution, Quote, QuoteLine, Contract, ContractLine,
        Project, ProjectTask, Appraisal)  # fmt: skip
COMPETITORS = {"中国移动", "中国联通", "中国广电", "世纪互联", "光环新网", "首都在线", "鹏博士",
               "阿里云", "华为云"}  # fmt: skip
ORDER = {stage: index for index, stage in enumerate(OPEN_STAGES)}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), clock.frozen(NOW):
        result = generator.generate(scale=SCALE)
    yield result
    with django_db_blocker.unblock():
        generator.reset()


def _users(*names: str) -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=names)}


def _limit(role: str) -> Decimal:
    return DiscountLimit.objects.get(role=role).max_discount_pct


def _max_discounts() -> dict[int, Decimal]:
    return dict(
        QuoteLine.objects.values("quote").annotate(m=Max("discount_pct")).values_list("quote", "m")
    )


def test_every_stage_and_status_is_there_and_the_counts_match(demo):
    stages = Counter(Opportunity.objects.values_list("stage", flat=True))
    assert set(stages) == set(Stage.values)
    assert stages[Stage.WON] + stages[Stage.LOST] > sum(stages[s] for s in OPEN_STAGES) > 0
    assert set(Quote.objects.values_list("status", flat=True)) == set(QuoteStatus.values)
    assert set(Contract.objects.values_list("status", flat=True)) == {"draft", "signed"}
    assert set(ProjectTask.objects.values_list("status", flat=True)) == set(TaskStatus.values)
    assert len(set(Opportunity.objects.values_list("source", flat=True))) == 5
    counts = demo.counts
    assert counts["opportunities"] == Opportunity.objects.count()
    assert counts["prospects"] == Prospect.objects.count()
    assert counts["quotes"] == Quote.objects.count()
    assert counts["contracts"] == Contract.objects.count()
    assert counts["project_tasks"] == ProjectTask.objects.count()
    assert counts["service_requests"] == ServiceRequest.objects.count()
    for stage in Stage.values:
        assert counts[f"opportunities_{stage}"] == stages[stage]


def test_rows_pass_model_validation_and_the_constraints_hold(demo):
    for model in ROWS:
        assert model.objects.exists(), model.__name__
        for row in model.objects.all()[:300]:
            row.full_clean(validate_unique=False)
    assert not Opportunity.objects.filter(account__isnull=True, prospect__isnull=True).exists()
    assert not Opportunity.objects.filter(stage=Stage.LOST, lost_reason="").exists()
    assert not Contract.objects.filter(status="signed", signed_on__isnull=True).exists()


def test_numbers_are_unique_per_day_and_sequences_stand_at_the_highest(demo):
    numbers = list(Opportunity.objects.values_list("number", "created_at"))
    numbers += list(Quote.objects.values_list("number", "created_at"))
    numbers += list(Contract.objects.values_list("number", "created_at"))
    highest: dict[str, int] = defaultdict(int)
    for number, at in numbers:
        match = NUMBER.match(number)
        assert match, number
        assert match.group(2) == f"{at.astimezone(NOW.tzinfo):%Y%m%d}"
        highest[number[:10]] = max(highest[number[:10]], int(match.group(3)))
    assert len({n for n, _at in numbers}) == len(numbers)
    counters = Sequence.objects.filter(name__regex=r"^(OP|QT|HT)[0-9]{8}$")
    assert dict(counters.values_list("name", "value")) == highest


def test_a_year_ending_now(demo):
    first = Opportunity.objects.order_by("created_at").first()
    assert first is not None
    assert TODAY - dt.timedelta(days=366) <= first.created_at.astimezone(NOW.tzinfo).date()
    assert not Opportunity.objects.filter(Q(created_at__gt=NOW) | Q(updated_at__gt=NOW)).exists()
    assert not Opportunity.objects.filter(closed_on__gt=TODAY).exists()
    assert not StageChange.objects.filter(at__gt=NOW).exists()
    assert not Quote.objects.filter(Q(submitted_at__gt=NOW) | Q(decided_at__gt=NOW)).exists()
    assert not Contract.objects.filter(signed_on__gt=TODAY).exists()
    assert not ProjectTask.objects.filter(done_on__gt=TODAY).exists()
    assert not AuditEntry.objects.filter(target_type__startswith="sales.", at__gt=NOW).exists()
    assert not AuditEntry.objects.filter(target_id="None").exists()


def test_stage_histories_chain_to_the_stage_and_count_the_rounds(demo):
    history: dict[int, list[StageChange]] = defaultdict(list)
    for change in StageChange.objects.order_by("at", "id"):
        history[change.opportunity_id].append(change)
    looped = 0
    for opp in Opportunity.objects.all():
        changes = history[opp.pk]
        assert (changes[0].from_stage, changes[0].to_stage) == ("", Stage.NEED)
        for before, after in itertools.pairwise(changes):
            assert after.from_stage == before.to_stage
            assert after.at >= before.at
            backward = after.to_stage in ORDER and ORDER[after.to_stage] < ORDER[after.from_stage]
            assert after.backward == backward
        assert changes[-1].to_stage == opp.stage
        assert opp.solution_rounds == sum(c.to_stage == Stage.SOLUTION for c in changes)
        assert opp.negotiation_rounds == sum(c.to_stage == Stage.NEGOTIATION for c in changes)
        assert opp.probability == STAGE_PROBABILITY[Stage(opp.stage)]
        if opp.stage in (Stage.WON, Stage.LOST):
            assert opp.closed_on == changes[-1].at.astimezone(NOW.tzinfo).date()
        else:
            assert opp.closed_on is None
        if opp.stage == Stage.WON:
            assert changes[-1].from_stage in (Stage.CONTRACT, Stage.IMPLEMENTATION)
        looped += opp.solution_rounds > 1 or opp.negotiation_rounds > 1
    total = Opportunity.objects.count()
    assert 0.1 * total <= looped <= 0.6 * total
    assert {(c.from_stage, c.to_stage) for c in StageChange.objects.filter(backward=True)} == {
        (Stage.SOLUTION, Stage.NEED),
        (Stage.NEGOTIATION, Stage.SOLUTION),
        (Stage.CONTRACT, Stage.NEGOTIATION),
    }


def test_lost_deals_say_why_and_to_whom(demo):
    lost = list(Opportunity.objects.filter(stage=Stage.LOST))
    assert all(o.lost_reason in LostReason.values and o.lost_note for o in lost)
    assert all(o.lost_to for o in lost if o.lost_reason == LostReason.COMPETITOR_SOLUTION)
    assert {o.lost_to for o in lost} - {""} <= COMPETITORS
    assert len({o.lost_reason for o in lost}) >= 4
    assert not Opportunity.objects.exclude(stage=Stage.LOST).exclude(lost_reason="").exists()


def test_quotes_follow_the_revisions_and_the_discount_limits(demo):
    limits = {role: _limit(role) for role in (Role.ACCOUNT_MANAGER, Role.GROUP_LEAD,
                                              Role.DEPARTMENT_HEAD)}  # fmt: skip
    discounts = _max_discounts()
    by_solution: dict[int, list[Quote]] = defaultdict(list)
    for quote in Quote.objects.select_related(
        "submitted_by", "decided_by", "solution__opportunity"
    ):
        by_solution[quote.solution_id].append(quote)
        discount = discounts[quote.pk]
        if quote.submitted_by is None:
            assert quote.status in (QuoteStatus.DRAFT, QuoteStatus.SUPERSEDED)
            continue
        owner = quote.solution.opportunity.owner_id
        assert quote.submitted_by_id == owner
        if discount <= limits[Role.ACCOUNT_MANAGER]:
            assert (quote.approver_role, quote.decided_by_id) == ("", owner)
            assert quote.decided_at == quote.submitted_at
            continue
        role = next(r for r, limit in limits.items() if limit >= discount)
        assert quote.approver_role == role
        if quote.status == QuoteStatus.PENDING:
            assert quote.decided_by is None
            continue
        if quote.decided_by is not None:
            assert quote.decided_by.role == role
            assert quote.decided_by_id != quote.submitted_by_id
            if role == Role.GROUP_LEAD:
                assert quote.decided_by.group_id == quote.solution.opportunity.group_id
        if quote.status == QuoteStatus.REJECTED:
            assert quote.decision_note
    for quotes in by_solution.values():
        quotes.sort(key=lambda q: q.revision)
        assert [q.revision for q in quotes] == list(range(1, len(quotes) + 1))
        assert [q.created_at for q in quotes] == sorted(q.created_at for q in quotes)
        assert all(q.status in ("superseded", "accepted") for q in quotes[:-1])
        assert sum(q.status == QuoteStatus.ACCEPTED for q in quotes) <= 1
        assert all(q.valid_until >= q.created_at.astimezone(NOW.tzinfo).date() for q in quotes)
    assert max(len(q) for q in by_solution.values()) >= 3
    within = sum(d <= limits[Role.ACCOUNT_MANAGER] for d in discounts.values())
    assert within >= 0.75 * len(discounts)


def test_a_few_quotes_go_beyond_what_the_grade_merits(demo):
    discounts = _max_discounts()
    over = total = 0
    for quote in Quote.objects.select_related("solution__opportunity__account__grade"):
        figures = selectors.quote_figures(quote)
        assert figures.max_discount == discounts[quote.pk]
        if figures.grade_limit is not None:
            total += 1
            over += figures.over_grade
    assert 1 <= over <= 0.1 * total


def test_won_deals_have_their_accepted_quote_a_signed_contract_and_a_project(demo):
    calendar = working_calendar(start=TODAY - dt.timedelta(days=400), end=TODAY)
    for opp in Opportunity.objects.filter(stage__in=[Stage.WON, Stage.IMPLEMENTATION]):
        accepted = Quote.objects.get(solution__opportunity=opp, status=QuoteStatus.ACCEPTED)
        contract = Contract.objects.get(opportunity=opp, quote=accepted)
        assert contract.status == ContractStatus.SIGNED
        assert contract.account_id == opp.account_id is not None
        assert contract.signed_on is not None
        assert contract.start_on <= contract.signed_on <= (opp.closed_on or TODAY)
        quote_lines = sorted(accepted.lines.all(), key=lambda line: line.product_id)
        lines = sorted(contract.lines.all(), key=lambda line: line.product_id)
        assert [(c.product_id, c.quantity, c.monthly_fee, c.one_time_fee) for c in lines] == [
            (q.product_id, q.quantity, q.net_monthly, q.net_one_time) for q in quote_lines
        ]
        assert contract.term_months == max(q.term_months for q in quote_lines)
        assert contract.end_on == _months_later(contract.start_on, contract.term_months)
        project = Project.objects.get(contract=contract)
        tasks = list(project.tasks.order_by("sort_order"))
        template = TASK_TEMPLATES[project.kind]
        assert [t.name for t in tasks] == [name for name, _days in template]
        day = contract.signed_on
        for task, (_name, days) in zip(tasks, template, strict=True):
            day = calendar.add_working_days(day, days).date
            assert task.due_on == day
            assert task.owner_id == project.manager_id == opp.owner_id
        if (
            opp.stage == Stage.WON
            and opp.stage_changes.filter(
                to_stage=Stage.WON, from_stage=Stage.IMPLEMENTATION
            ).exists()
        ):
            assert all(t.status == TaskStatus.DONE for t in tasks)
    for opp in Opportunity.objects.filter(stage=Stage.CONTRACT):
        accepted = Quote.objects.get(solution__opportunity=opp, status="accepted")
        assert Contract.objects.get(quote=accepted).status == ContractStatus.DRAFT
        assert not Contract.objects.filter(opportunity=opp, status="signed").exists()
    # accepting a revised quote replaced the draft of the earlier one
    assert set(Contract.objects.values_list("quote__status", flat=True)) == {"accepted"}
    assert Contract.objects.values("opportunity").distinct().count() == Contract.objects.count()


def test_tasks_progress_in_order_and_a_few_are_overdue(demo):
    for project in Project.objects.prefetch_related("tasks"):
        tasks = sorted(project.tasks.all(), key=lambda t: t.sort_order)
        states = [t.status for t in tasks]
        assert states == sorted(states, key=["done", "doing", "todo"].index)
        for task in tasks:
            if task.status == TaskStatus.DONE:
                assert (task.progress, task.done_on is not None) == (100, True)
            elif task.status == TaskStatus.DOING:
                assert 10 <= task.progress <= 90
                assert task.done_on is None
            else:
                assert (task.progress, task.done_on) == (0, None)
    overdue = ProjectTask.objects.filter(due_on__lt=TODAY).exclude(status=TaskStatus.DONE)
    assert 1 <= overdue.count() <= 0.1 * ProjectTask.objects.count()


def test_prospects_across_the_groups_some_converted_with_their_deals(demo):
    assert set(Prospect.objects.values_list("group__code", flat=True)) == {
        "government", "finance", "enterprise", "hightech", "multinational", "expansion"
    }  # fmt: skip
    converted = list(Prospect.objects.filter(account__isnull=False).select_related("account"))
    assert len(converted) >= 2
    for prospect in converted:
        account = prospect.account
        assert account is not None
        assert (prospect.name, prospect.credit_code or None, prospect.owner_id) == (
            account.name, account.credit_code, account.owner_id
        )  # fmt: skip
        assert prospect.converted_at is not None
        assert Contact.objects.filter(
            account=account, name=prospect.contact_name, decision_role="decision_maker"
        ).exists()
        opps = list(prospect.opportunities.all())
        assert opps
        assert all(o.account_id == account.pk for o in opps)
        assert prospect.converted_at >= min(o.created_at for o in opps)
    for prospect in Prospect.objects.prefetch_related("opportunities"):
        assert all(prospect.created_at <= o.created_at for o in prospect.opportunities.all())
    waiting = Opportunity.objects.filter(prospect__isnull=False, prospect__account=None)
    assert waiting.exists()
    assert not waiting.filter(account__isnull=False).exists()
    assert not waiting.filter(stage__in=[Stage.CONTRACT, Stage.IMPLEMENTATION, Stage.WON]).exists()
    assert not Contract.objects.filter(opportunity__in=waiting).exists()


def test_recent_contracts_have_their_provisioning_orders(demo):
    calendar = working_calendar(start=TODAY - dt.timedelta(days=60), end=TODAY)
    since = TODAY
    for _i in range(LINK_WORKING_DAYS):
        since -= dt.timedelta(days=1)
        while not calendar.is_working_day(since):
            since -= dt.timedelta(days=1)
    linked = ContractLine.objects.filter(orders__isnull=False).distinct()
    assert linked.exists()
    for line in linked.select_related("contract", "product"):
        contract = line.contract
        orders = list(line.orders.select_related("request"))
        assert len(orders) == line.quantity
        assert contract.signed_on is not None
        assert contract.signed_on >= since
        for order in orders:
            assert (order.account_id, order.product_id, order.accepted_on, order.status) == (
                contract.account_id, line.product_id, contract.signed_on, "open"
            )  # fmt: skip
            assert order.request.description == f"合同 {contract.number}"
        assert sum(o.one_time_fee for o in orders) == line.one_time_fee
        assert sum(o.monthly_fee for o in orders) == line.monthly_fee
        count = ProvisioningOrder.objects.filter(request__description=f"合同 {contract.number}")
        summary = f"合同 {contract.number} 签订，生成开通工单 {count.count()} 张"
        assert AuditEntry.objects.filter(account=contract.account, summary=summary).exists()
    # older contracts have none: the desk's history has no orders of theirs
    assert not ContractLine.objects.filter(
        orders__isnull=False, contract__signed_on__lt=since
    ).exists()


def test_appraisals_of_big_deals_one_to_decline(demo):
    appraisals = list(Appraisal.objects.select_related("opportunity"))
    assert appraisals
    never_paid_back = 0
    for appraisal in appraisals:
        opp = appraisal.opportunity
        assert opp.solution_rounds >= 1
        assert appraisal.monthly_revenue == opp.expected_monthly
        net = appraisal.monthly_revenue - appraisal.monthly_opex
        recovered = appraisal.one_time_revenue + net * appraisal.term_months
        never_paid_back += recovered < appraisal.capex
    assert 1 <= never_paid_back < len(appraisals)


def test_main_events_are_on_the_account_timeline(demo):
    entries = set(
        AuditEntry.objects.filter(target_type__startswith="sales.").values_list(
            "account_id", "summary"
        )
    )
    for opp in Opportunity.objects.filter(stage__in=[Stage.WON, Stage.LOST]).exclude(account=None):
        label = Stage(opp.stage).label
        assert any(
            account == opp.account_id and summary.startswith(f"商机“{opp.name}”：")
            and summary.endswith(f"→ {label}")
            for account, summary in entries
        ), opp.name  # fmt: skip
    for contract in Contract.objects.filter(status="signed"):
        assert any(
            account == contract.account_id and summary.startswith(f"合同 {contract.number} 签订")
            for account, summary in entries
        )  # fmt: skip


def test_timeline_entries_point_at_the_rows_they_name(demo):
    targets = {
        "sales.opportunity": Opportunity,
        "sales.contract": Contract,
        "sales.project": Project,
        "accounts.contact": Contact,
    }
    entries = AuditEntry.objects.filter(target_type__in=targets, account__isnull=False)
    named: dict[str, set[str]] = defaultdict(set)
    for target_type, target_id in entries.values_list("target_type", "target_id"):
        named[target_type].add(target_id)
    assert set(named) == set(targets)
    for target_type, ids in named.items():
        rows = targets[target_type].objects.filter(pk__in=[int(i) for i in ids])
        assert rows.count() == len(ids), target_type
    drafted = entries.filter(target_type="sales.contract", summary__contains="起草")
    assert {int(i) for i in drafted.values_list("target_id", flat=True)} == set(
        Contract.objects.values_list("pk", flat=True)
    )


def test_each_demo_login_finds_work_today(demo):
    users = _users("am_finance", "lead_finance", "head", "presales", "analyst", "desk", "ops")
    am, lead, head = users["am_finance"], users["lead_finance"], users["head"]
    mine = access.opportunities_visible_to(am)
    board = {column.stage: column.cards for column in selectors.pipeline_board(user=am)}
    assert all(board[stage] for stage in OPEN_STAGES)  # a live pipeline in every open stage
    assert Quote.objects.filter(solution__opportunity__in=mine, status="draft").exists()
    assert Contract.objects.filter(opportunity__in=mine, status="draft").exists()
    assert (
        ProjectTask.objects.filter(project__contract__opportunity__in=mine)
        .exclude(status=TaskStatus.DONE)
        .exists()
    )
    overdue = ProjectTask.objects.filter(
        project__contract__opportunity__in=mine, due_on__lt=TODAY
    ).exclude(status=TaskStatus.DONE)
    assert overdue.exists()
    renewals = [
        c for c in selectors.contracts_for_renewal(user=am, today=TODAY)
        if (c.end_on - TODAY).days <= c.renewal_lead_days
    ]  # fmt: skip
    assert renewals
    assert Solution.objects.filter(opportunity__in=mine, presales=users["presales"]).exists()
    # lead_finance: discounts beyond the AMs' limit in its group, among them am_finance's
    awaiting = list(selectors.quotes_awaiting(user=lead))
    assert len(awaiting) >= 2
    assert {q.solution.opportunity.group.code for q in awaiting} == {"finance"}
    assert {q.submitted_by_id for q in awaiting} >= {am.pk}
    # head: beyond the leads' limit, in more than one group
    awaiting_head = selectors.quotes_awaiting(user=head)
    for_head = [q for q in awaiting_head if q.approver_role == Role.DEPARTMENT_HEAD]
    assert len(for_head) >= 2
    assert len({q.solution.opportunity.group_id for q in for_head}) >= 2
    assert not selectors.quotes_awaiting(user=am).exists()
    # presales: the finance group's solutions, live ones among them
    owned = Solution.objects.filter(presales=users["presales"])
    assert owned.filter(opportunity__stage__in=OPEN_STAGES).count() >= 3
    assert set(owned.values_list("opportunity__group__code", flat=True)) == {"finance"}
    # the analyst sees the year's wins and losses, and to whom
    year = selectors.win_loss(
        user=users["analyst"], start=TODAY - dt.timedelta(days=365), end=TODAY
    )
    assert year.won > 0
    assert year.lost > 0
    assert {name for name, _n, _m in year.by_competitor} >= {"中国移动", "中国联通"}
    # prices are confidential: the service desk and operations see no deal
    assert not access.opportunities_visible_to(users["desk"]).exists()
    assert not access.opportunities_visible_to(users["ops"]).exists()


def test_same_seed_gives_the_same_year_and_reset_removes_it_with_its_counters(demo):
    def snapshot() -> dict[str, list[tuple[object, ...]]]:
        return {
            "opportunities": list(Opportunity.objects.order_by("number").values_list(
                "number", "name", "account__code", "prospect__name", "owner__username", "stage",
                "expected_monthly", "close_date", "closed_on", "lost_to", "solution_rounds",
                "negotiation_rounds", "created_at")),
            "changes": list(StageChange.objects.order_by("opportunity__number", "at").values_list(
                "opportunity__number", "to_stage", "at", "backward")),
            "quotes": list(Quote.objects.order_by("number").values_list(
                "number", "revision", "status", "approver_role", "decided_by__username")),
            "lines": list(QuoteLine.objects.order_by("quote__number", "product__code").values_list(
                "quote__number", "product__code", "quantity", "discount_pct")),
            "contracts": list(Contract.objects.order_by("number").values_list(
                "number", "quote__number", "status", "signed_on", "end_on")),
            "tasks": list(ProjectTask.objects.order_by("project__contract__number", "sort_order")
                          .values_list("project__contract__number", "status", "due_on", "done_on")),
            "prospects": list(Prospect.objects.order_by("name").values_list(
                "name", "owner__username", "account__code")),
            "appraisals": list(Appraisal.objects.order_by("opportunity__number").values_list(
                "opportunity__number", "capex", "monthly_opex")),
        }  # fmt: skip

    first = snapshot()
    generator.reset()
    for model in ROWS:
        assert not model.objects.exists(), model.__name__
    assert not Sequence.objects.filter(name__regex=r"^(OP|QT|HT|SR)[0-9]{8}$").exists()
    assert not AuditEntry.objects.filter(target_type__startswith="sales.").exists()
    assert not Account.objects.exists()
    with clock.frozen(NOW):
        generator.generate(scale=SCALE)
    assert snapshot() == first
