"""Contracts and implementation, through the services: the draft contract made from the
accepted quote at net prices, its signature turning circuit lines into provisioning orders
with deadlines on the working-day calendar, implementation projects with their template
tasks, and the appraisal of a deal. Refused writes change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from telekam.accounts.tests.factories import AccountFactory, product
from telekam.core import clock
from telekam.core.errors import ApplicationError, Conflict, PermissionDenied
from telekam.core.models import AuditEntry
from telekam.org.tests.factories import UserFactory, group
from telekam.sales import services
from telekam.sales.models import (
    Appraisal,
    Contract,
    ContractLine,
    Opportunity,
    Project,
    ProjectTask,
    Quote,
    StageChange,
)
from telekam.service.models import ProvisioningOrder, ProvisioningPolicy
from telekam.service.tests.factories import aware, reload

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 3, 2)
NOW = aware(TODAY)
VALID = D(2026, 12, 31)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


def on(day: dt.date, hour: int = 10) -> Any:
    return clock.frozen(aware(day, hour))


@pytest.fixture
def w() -> dict[str, Any]:
    finance, government = group("finance"), group("government")
    am = UserFactory(username="am_fin", group=finance)
    return {
        "am": am,
        "lead": UserFactory(username="lead_fin", lead=True, group=finance),
        "presales": UserFactory(username="pre_fin", presales=True, group=finance),
        "stranger": UserFactory(username="am_gov", group=government),
        "head": UserFactory(username="head", head=True),
        "analyst": UserFactory(username="analyst", analyst=True),
        "desk": UserFactory(username="desk", desk=True),
        "account": AccountFactory(code="KA90000001", name="华夏银行北京分行", owner=am),
    }


def state() -> tuple[Any, ...]:
    return (
        list(Opportunity.objects.order_by("pk").values()),
        list(Quote.objects.order_by("pk").values()),
        list(Contract.objects.order_by("pk").values()),
        list(ContractLine.objects.order_by("pk").values()),
        list(Project.objects.order_by("pk").values()),
        list(ProjectTask.objects.order_by("pk").values()),
        list(Appraisal.objects.order_by("pk").values()),
        StageChange.objects.count(),
        ProvisioningOrder.objects.count(),
        AuditEntry.objects.count(),
    )


def refused(exc: type[Exception], call: Any, **kw: Any) -> Any:
    before = state()
    with pytest.raises(exc) as info:
        call(**kw)
    assert state() == before
    return info.value


LINES = [
    # 2 x 2800 x 92 % = 5152.00 a month, 2 x 3000 x 92 % = 5520.00 once
    {"product": "digital_circuit", "quantity": 2, "term_months": 24, "discount_pct": "8"},
    {"product": "ip_vpn", "monthly_price": "2450.00", "one_time_price": "0", "term_months": 12},
    {"product": "idc", "term_months": 36},  # no circuit: 4500.00 a month, 2000.00 once
]


def accepted(
    w: dict[str, Any], *, lines: list[dict[str, Any]] = LINES, **extra: Any
) -> tuple[Opportunity, Quote]:
    """A deal whose quote the customer accepted: at the contract stage."""
    opportunity = services.opportunity_create(
        actor=w["am"],
        name=extra.pop("name", "总行数据专线扩容"),
        source="customer",
        close_date=D(2026, 4, 30),
        account=None if "prospect" in extra else w["account"],
        **extra,
    )
    solution = services.solution_create(actor=w["am"], opportunity=opportunity, title="方案")
    quote = services.quote_create(
        actor=w["am"],
        solution=solution,
        lines=[
            {
                **{k: Decimal(v) if k.endswith(("price", "pct")) else v for k, v in line.items()},
                "product": product(line["product"]),
            }
            for line in lines
        ],
        valid_until=VALID,
    )
    quote = services.quote_submit(actor=w["am"], quote=quote, expected_version=1)
    services.quote_accept(actor=w["am"], quote=quote, expected_version=quote.version)
    return reload(opportunity), reload(quote)


def won(w: dict[str, Any], **extra: Any) -> tuple[Opportunity, Contract]:
    opportunity, _quote = accepted(w, **extra)
    services.opportunity_move(
        actor=w["am"], opportunity=opportunity, to_stage="won", expected_version=opportunity.version
    )
    return reload(opportunity), Contract.objects.get(opportunity=opportunity)


def drafted(w: dict[str, Any], **extra: Any) -> tuple[Opportunity, Contract]:
    """A deal still at the contract stage with its draft contract."""
    opportunity, _quote = accepted(w, **extra)
    contract = services.contract_draft_for(actor=w["am"], opportunity=opportunity)
    return reload(opportunity), reload(contract)


# --- the draft contract -----------------------------------------------------------------


def test_won_drafts_the_contract_from_the_accepted_quote_at_net_prices(w):
    opportunity, quote = accepted(w)
    services.opportunity_move(
        actor=w["am"], opportunity=opportunity, to_stage="won", expected_version=opportunity.version
    )
    contract = Contract.objects.get()
    assert (
        contract.number,
        contract.opportunity_id,
        contract.quote_id,
        contract.account_id,
        contract.our_party,
        contract.customer_party,
        contract.term_months,
        contract.start_on,
        contract.end_on,
        contract.billing_method,
        contract.sla_class,
        contract.sla_level,
        contract.status,
        contract.signed_on,
        contract.version,
    ) == (
        "HT202603020001",
        opportunity.pk,
        quote.pk,
        w["account"].pk,
        "本公司",
        "华夏银行北京分行",
        36,  # the longest line
        TODAY,
        D(2029, 3, 2),
        "monthly",
        "normal",
        "bronze",
        "draft",
        None,
        1,
    )
    assert [
        (ln.product.code, ln.quantity, ln.monthly_fee, ln.one_time_fee, ln.activation_on)
        for ln in contract.lines.order_by("pk")
    ] == [
        ("digital_circuit", 2, Decimal("5152.00"), Decimal("5520.00"), None),
        ("ip_vpn", 1, Decimal("2450.00"), Decimal("0.00"), None),
        ("idc", 1, Decimal("4500.00"), Decimal("2000.00"), None),
    ]
    assert (
        AuditEntry.objects.filter(
            summary=f"合同 HT202603020001 已按报价 {quote.number} 起草"
        ).count()
        == 1
    )


def test_the_draft_contract_is_made_once(w):
    opportunity, contract = won(w)
    again = services.contract_draft_for(actor=w["am"], opportunity=opportunity)
    assert (again.pk, Contract.objects.count(), ContractLine.objects.count()) == (contract.pk, 1, 3)


@pytest.mark.parametrize(
    ("day", "term", "end"),
    [(D(2026, 1, 31), 1, D(2026, 2, 28)), (D(2026, 1, 31), 13, D(2027, 2, 28)),
     (D(2026, 12, 31), 14, D(2028, 2, 29)), (D(2026, 3, 2), 120, D(2036, 3, 2))],
)  # fmt: skip
def test_the_contract_ends_term_months_later_on_the_last_day_of_a_short_month(w, day, term, end):
    with on(day):
        _opportunity, contract = won(w, lines=[{"product": "ddn", "term_months": term}])
    assert (contract.start_on, contract.term_months, contract.end_on) == (day, term, end)


def test_won_is_refused_while_the_customer_is_a_prospect(w):
    prospect = services.prospect_create(actor=w["am"], data={"name": "甲", "industry": "it"})
    opportunity, _quote = accepted(w, prospect=prospect)
    assert (opportunity.stage, Contract.objects.count()) == ("contract", 0)
    error = refused(
        ApplicationError,
        services.opportunity_move,
        actor=w["am"],
        opportunity=opportunity,
        to_stage="won",
        expected_version=opportunity.version,
    )
    assert error.code == "prospect_not_converted"
    services.prospect_convert(actor=w["am"], prospect=prospect, expected_version=1)
    services.opportunity_move(
        actor=w["am"],
        opportunity=reload(opportunity),
        to_stage="won",
        expected_version=reload(opportunity).version,
    )
    contract = Contract.objects.get()
    assert (contract.account_id, contract.customer_party) == (reload(prospect).account_id, "甲")


# --- signing ----------------------------------------------------------------------------


def test_signing_makes_one_order_per_unit_of_each_circuit_line_and_starts_implementation(w):
    opportunity, contract = drafted(w)
    assert opportunity.stage == "contract"
    contract = services.contract_update(
        actor=w["am"], contract=contract, data={"sla_class": "urgent"}, expected_version=1
    )
    # Tue 29 Sep 2026: ten working days (30 Sep, then 1-7 Oct off, Sat 10 Oct worked)
    with on(D(2026, 9, 29), 16):
        services.contract_sign(
            actor=w["am"], contract=reload(contract), signed_on=D(2026, 9, 29), expected_version=2
        )
    contract = reload(contract)
    assert (contract.status, contract.signed_on, contract.version) == (
        "signed",
        D(2026, 9, 29),
        3,
    )
    orders = ProvisioningOrder.objects.order_by("pk")
    assert [
        (
            o.product.code,
            o.account_id,
            o.sla_class,
            o.sla_level,
            o.accepted_on,
            o.working_days,
            o.deadline,
            o.deadline_provisional,
            o.one_time_fee,
            o.monthly_fee,
            o.request.description,
        )
        for o in orders
    ] == [
        ("digital_circuit", w["account"].pk, "urgent", "bronze", D(2026, 9, 29), 10, D(2026, 10, 19),
         False, Decimal("2760.00"), Decimal("2576.00"), "合同 HT202603020001"),
        ("digital_circuit", w["account"].pk, "urgent", "bronze", D(2026, 9, 29), 10, D(2026, 10, 19),
         False, Decimal("2760.00"), Decimal("2576.00"), "合同 HT202603020001"),
        ("ip_vpn", w["account"].pk, "urgent", "bronze", D(2026, 9, 29), 10, D(2026, 10, 19),
         False, Decimal("0.00"), Decimal("2450.00"), "合同 HT202603020001"),
    ]  # fmt: skip
    lines = list(contract.lines.order_by("pk"))
    assert [sorted(o.pk for o in ln.orders.all()) for ln in lines] == [
        [orders[0].pk, orders[1].pk],
        [orders[2].pk],
        [],  # IDC colocation has no circuit
    ]
    fresh = reload(opportunity)
    assert (fresh.stage, fresh.probability) == ("implementation", 90)
    last = fresh.stage_changes.last()
    assert (last.from_stage, last.to_stage, last.note, last.actor_id) == (
        "contract",
        "implementation",
        "合同已签订",
        w["am"].pk,
    )
    assert AuditEntry.objects.filter(summary="合同 HT202603020001 签订，生成开通工单 3 张").exists()


def test_the_normal_class_deadline_runs_over_the_may_holiday(w):
    _opportunity, contract = drafted(w, lines=[{"product": "digital_circuit"}])
    with on(D(2026, 4, 30)):  # Thu; 1-5 May off, Sat 9 May worked: day 20 is Mon 1 Jun
        services.contract_sign(
            actor=w["am"], contract=contract, signed_on=D(2026, 4, 30), expected_version=1
        )
    order = ProvisioningOrder.objects.get()
    assert (order.working_days, order.deadline, order.one_time_fee) == (
        20,
        D(2026, 6, 1),
        Decimal("3000.00"),
    )


def test_a_line_without_a_policy_at_the_contract_class_gets_no_order(w):
    ProvisioningPolicy.objects.filter(product=product("ip_vpn"), sla_class="normal").delete()
    _opportunity, contract = drafted(w)
    services.contract_sign(actor=w["am"], contract=contract, signed_on=TODAY, expected_version=1)
    assert [o.product.code for o in ProvisioningOrder.objects.order_by("pk")] == [
        "digital_circuit",
        "digital_circuit",
    ]


def test_the_orders_of_a_line_add_up_to_the_line_to_the_cent(w):
    lines = [
        {
            "product": "ddn",
            "quantity": 3,
            "monthly_price": "2199.98",
            "one_time_price": "2499.99",
            "discount_pct": "10",
        }
    ]
    _opportunity, contract = drafted(w, lines=lines)
    line = contract.lines.get()
    # 3 x 2199.98 x 90 % = 5939.946 -> 5939.95; 3 x 2499.99 x 90 % = 6749.973 -> 6749.97
    assert (line.monthly_fee, line.one_time_fee) == (Decimal("5939.95"), Decimal("6749.97"))
    services.contract_sign(actor=w["am"], contract=contract, signed_on=TODAY, expected_version=1)
    orders = list(ProvisioningOrder.objects.order_by("pk"))
    assert sum(o.monthly_fee for o in orders) == Decimal("5939.95")
    assert sum(o.one_time_fee for o in orders) == Decimal("6749.97")
    # 5939.95 / 3 = 1979.983..: two units at 1979.98, the last takes the cent left
    assert [(o.monthly_fee, o.one_time_fee) for o in orders] == [
        (Decimal("1979.98"), Decimal("2249.99")),
        (Decimal("1979.98"), Decimal("2249.99")),
        (Decimal("1979.99"), Decimal("2249.99")),
    ]


def test_signing_the_contract_of_a_won_deal_leaves_it_won(w):
    opportunity, contract = won(w)
    services.contract_sign(actor=w["lead"], contract=contract, signed_on=TODAY, expected_version=1)
    assert (reload(opportunity).stage, ProvisioningOrder.objects.count()) == ("won", 3)


@pytest.mark.parametrize("who", ["presales", "analyst", "desk", "stranger"])
def test_sign_refused_to_those_who_do_not_edit_the_deal(w, who):
    _opportunity, contract = drafted(w)
    refused(
        PermissionDenied,
        services.contract_sign,
        actor=w[who],
        contract=contract,
        signed_on=TODAY,
        expected_version=1,
    )


def test_sign_refused_in_the_future_stale_or_twice(w):
    _opportunity, contract = drafted(w)
    error = refused(
        ApplicationError,
        services.contract_sign,
        actor=w["am"],
        contract=contract,
        signed_on=D(2026, 3, 3),
        expected_version=1,
    )
    assert error.field == "signed_on"
    refused(
        Conflict,
        services.contract_sign,
        actor=w["am"],
        contract=contract,
        signed_on=TODAY,
        expected_version=2,
    )
    services.contract_sign(actor=w["am"], contract=contract, signed_on=TODAY, expected_version=1)
    error = refused(
        ApplicationError,
        services.contract_sign,
        actor=w["am"],
        contract=reload(contract),
        signed_on=TODAY,
        expected_version=2,
    )
    assert error.code == "bad_transition"


def test_two_people_signing_at_once_make_the_orders_once(w):
    _opportunity, contract = drafted(w)
    seen_by_am, seen_by_lead = reload(contract), reload(contract)
    services.contract_sign(actor=w["am"], contract=seen_by_am, signed_on=TODAY, expected_version=1)
    refused(
        Conflict,
        services.contract_sign,
        actor=w["lead"],
        contract=seen_by_lead,
        signed_on=TODAY,
        expected_version=1,
    )
    assert ProvisioningOrder.objects.count() == 3


def test_contract_update_recomputes_the_end_and_stops_at_the_signature(w):
    _opportunity, contract = drafted(w)
    updated = services.contract_update(
        actor=w["am"],
        contract=contract,
        data={
            "start_on": D(2026, 4, 1),
            "term_months": 12,
            "billing_method": "quarterly",
            "sla_level": "gold",
            "specification": "双路由，100M",
        },
        expected_version=1,
    )
    fresh = reload(updated)
    assert (
        fresh.start_on,
        fresh.end_on,
        fresh.billing_method,
        fresh.sla_level,
        fresh.specification,
        fresh.version,
    ) == (D(2026, 4, 1), D(2027, 4, 1), "quarterly", "gold", "双路由，100M", 2)
    services.contract_sign(actor=w["am"], contract=fresh, signed_on=TODAY, expected_version=2)
    error = refused(
        ApplicationError,
        services.contract_update,
        actor=w["am"],
        contract=reload(contract),
        data={"term_months": 24},
        expected_version=3,
    )
    assert error.code == "bad_transition"


# --- implementation projects --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "start", "tasks"),
    [
        # from Tue 29 Sep 2026 over the National Day holiday (Sat 10 Oct worked)
        ("fixed", D(2026, 9, 29),
         [("线路设计", D(2026, 10, 12)), ("现场施工", D(2026, 10, 26)), ("网络测试", D(2026, 10, 29))]),
        # from Thu 30 Apr 2026 over the May holiday (Sat 9 May worked)
        ("mobile", D(2026, 4, 30),
         [("套餐匹配", D(2026, 5, 8)), ("选号与开户", D(2026, 5, 14)), ("终端捆绑", D(2026, 5, 21)),
          ("交付", D(2026, 5, 25))]),
    ],
)  # fmt: skip
def test_project_tasks_come_from_the_template_due_on_working_days(w, kind, start, tasks):
    _opportunity, contract = drafted(w)
    services.contract_sign(actor=w["am"], contract=contract, signed_on=TODAY, expected_version=1)
    project = services.project_create(
        actor=w["am"],
        contract=reload(contract),
        kind=kind,
        name="总行专线实施",
        manager=w["presales"],
        start_on=start,
    )
    assert [(t.name, t.due_on, t.owner_id, t.status, t.progress) for t in project.tasks.all()] == [
        (name, due, w["presales"].pk, "todo", 0) for name, due in tasks
    ]


def test_project_tasks_start_today_by_default(w):
    _opportunity, contract = drafted(w)
    services.contract_sign(actor=w["am"], contract=contract, signed_on=TODAY, expected_version=1)
    project = services.project_create(
        actor=w["am"], contract=reload(contract), kind="fixed", name="实施", manager=w["am"]
    )
    # Mon 2 Mar 2026: + 5, + 10, + 3 working days
    assert [t.due_on for t in project.tasks.all()] == [
        D(2026, 3, 9),
        D(2026, 3, 23),
        D(2026, 3, 26),
    ]


def test_project_refused_before_the_signature_for_an_unknown_kind_and_for_others(w):
    _opportunity, contract = drafted(w)
    kw = {"contract": contract, "name": "实施", "manager": w["am"]}
    error = refused(ApplicationError, services.project_create, actor=w["am"], kind="fixed", **kw)
    assert error.code == "bad_transition"
    services.contract_sign(actor=w["am"], contract=contract, signed_on=TODAY, expected_version=1)
    kw["contract"] = reload(contract)
    error = refused(ApplicationError, services.project_create, actor=w["am"], kind="cloud", **kw)
    assert error.field == "kind"
    for who in ("presales", "analyst", "stranger"):
        refused(PermissionDenied, services.project_create, actor=w[who], kind="fixed", **kw)


def test_task_update_done_doing_and_who_may(w):
    _opportunity, contract = drafted(w)
    services.contract_sign(actor=w["am"], contract=contract, signed_on=TODAY, expected_version=1)
    project = services.project_create(
        actor=w["am"], contract=reload(contract), kind="fixed", name="实施", manager=w["presales"]
    )
    first, second, _third = project.tasks.all()
    services.task_update(
        actor=w["presales"], task=first, expected_version=1, status="doing", progress=150
    )
    assert (reload(first).status, reload(first).progress, reload(first).done_on) == (
        "doing",
        99,
        None,
    )
    with on(D(2026, 3, 5)):
        services.task_update(
            actor=w["presales"], task=reload(first), expected_version=2, status="done", progress=0
        )
    assert (reload(first).status, reload(first).progress, reload(first).done_on) == (
        "done",
        100,
        D(2026, 3, 5),
    )
    refused(
        Conflict,
        services.task_update,
        actor=w["am"],
        task=reload(first),
        expected_version=2,
        status="doing",
        progress=10,
    )
    error = refused(
        ApplicationError,
        services.task_update,
        actor=w["am"],
        task=second,
        expected_version=1,
        status="paused",
        progress=10,
    )
    assert error.field == "status"
    for who in ("analyst", "stranger", "desk"):
        refused(
            PermissionDenied,
            services.task_update,
            actor=w[who],
            task=second,
            expected_version=1,
            status="doing",
            progress=10,
        )


# --- the appraisal of a deal --------------------------------------------------------------


APPRAISAL = {
    "capex": Decimal("120000.00"),
    "monthly_opex": Decimal("1000.00"),
    "monthly_revenue": Decimal("6000.00"),
    "one_time_revenue": Decimal("0.00"),
    "term_months": 36,
    "discount_rate": Decimal("0.0800"),
}


def test_appraisal_set_creates_then_replaces_with_the_version_read(w):
    opportunity, _quote = accepted(w)
    created = services.appraisal_set(actor=w["presales"], opportunity=opportunity, data=APPRAISAL)
    assert {k: getattr(reload(created), k) for k in APPRAISAL} == APPRAISAL
    assert reload(created).version == 1
    services.appraisal_set(
        actor=w["am"],
        opportunity=opportunity,
        data={**APPRAISAL, "capex": Decimal("90000.00"), "version": 1},
    )
    assert (reload(created).capex, reload(created).version) == (Decimal("90000.00"), 2)
    refused(
        Conflict,
        services.appraisal_set,
        actor=w["am"],
        opportunity=opportunity,
        data={**APPRAISAL, "version": 1},
    )
    error = refused(
        ApplicationError,
        services.appraisal_set,
        actor=w["am"],
        opportunity=opportunity,
        data={**APPRAISAL, "term_months": 121, "version": 2},
    )
    assert "term_months" in error.details


@pytest.mark.parametrize("who", ["analyst", "desk", "stranger"])
def test_appraisal_set_refused(w, who):
    opportunity, _quote = accepted(w)
    refused(
        PermissionDenied,
        services.appraisal_set,
        actor=w[who],
        opportunity=opportunity,
        data=APPRAISAL,
    )


def test_a_revised_acceptance_leaves_one_draft_contract_from_the_accepted_quote(w):
    opportunity, first = accepted(w)
    solution = services.solution_create(actor=w["am"], opportunity=opportunity, title="方案二")
    second = services.quote_create(
        actor=w["am"], solution=solution, lines=[{"product": product("ddn")}], valid_until=VALID
    )
    second = services.quote_submit(actor=w["am"], quote=second, expected_version=1)
    services.quote_accept(actor=w["am"], quote=reload(second), expected_version=second.version)
    assert (reload(first).status, reload(second).status) == ("superseded", "accepted")
    drafts = Contract.objects.filter(opportunity=opportunity, status="draft")
    assert list(drafts.values_list("quote_id", flat=True)) == [second.pk]
