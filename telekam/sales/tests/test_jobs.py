"""Renewal reminders: once per contract end date, within the lead time only; approvers are
told when a quote waits for them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from telekam.accounts.tests.factories import AccountFactory, product
from telekam.core import clock
from telekam.core.models import Notification
from telekam.org.tests.factories import UserFactory, group
from telekam.sales import services
from telekam.sales.jobs import renewal_reminders
from telekam.sales.models import Contract
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db
D = dt.date


def won_contract(am, account) -> Contract:
    opp = services.opportunity_create(
        actor=am, name="专线扩容", source="customer", close_date=D(2026, 1, 30), account=account
    )
    solution = services.solution_create(actor=am, opportunity=opp, title="方案")
    quote = services.quote_create(
        actor=am,
        solution=solution,
        valid_until=D(2026, 2, 28),
        lines=[{"product": product("ip_vpn"), "quantity": 1, "term_months": 12}],
    )
    quote = services.quote_submit(actor=am, quote=quote, expected_version=quote.version)
    services.quote_accept(actor=am, quote=quote, expected_version=quote.version)
    opp.refresh_from_db()
    services.opportunity_move(
        actor=am, opportunity=opp, to_stage="won", expected_version=opp.version
    )
    contract = Contract.objects.get(opportunity=opp)
    return services.contract_sign(
        actor=am, contract=contract, signed_on=D(2026, 1, 5), expected_version=contract.version
    )


def test_a_contract_within_its_lead_time_is_reminded_once():
    am = UserFactory()
    account = AccountFactory(owner=am)
    with clock.frozen(aware(D(2026, 1, 5))):
        contract = won_contract(am, account)
    assert (contract.start_on, contract.end_on, contract.renewal_lead_days) == (
        D(2026, 1, 5),
        D(2027, 1, 5),
        60,
    )
    assert renewal_reminders(today=D(2026, 11, 5)).notifications == 0  # 61 days before
    first = renewal_reminders(today=D(2026, 11, 6))  # 60 days before
    second = renewal_reminders(today=D(2026, 11, 7))
    assert (first.contracts, first.notifications) == (1, 1)
    assert (second.contracts, second.notifications) == (1, 0)
    note = Notification.objects.get(user=am)
    assert contract.number in note.body
    assert renewal_reminders(today=D(2027, 1, 6)).contracts == 0  # ended


def test_a_quote_waiting_for_approval_tells_the_groups_leads_only():
    am = UserFactory()
    lead = UserFactory(lead=True, group=am.group)
    other_lead = UserFactory(lead=True, group=group("enterprise"))
    account = AccountFactory(owner=am)
    with clock.frozen(aware(D(2026, 1, 5))):
        opp = services.opportunity_create(
            actor=am, name="云专线", source="proactive", close_date=D(2026, 3, 1), account=account
        )
        solution = services.solution_create(actor=am, opportunity=opp, title="方案")
        quote = services.quote_create(
            actor=am,
            solution=solution,
            valid_until=D(2026, 2, 28),
            lines=[{"product": product("cloud"), "discount_pct": Decimal("15")}],
        )
        services.quote_submit(actor=am, quote=quote, expected_version=quote.version)
    assert list(Notification.objects.values_list("user", "key")) == [
        (lead.pk, f"quote-approval:{quote.pk}")
    ]
    assert not Notification.objects.filter(user__in=[am, other_lead]).exists()


def test_a_unit_price_below_list_counts_as_a_discount():
    """Typing a lower price instead of a discount does not slip past the approval:
    2,000 x 12 + 1,500 once against IP-VPN's list 2,500 x 12 + 1,500 = 25,500 / 31,500 ->
    19.05 % off, beyond the AM's 10 %: the group lead decides."""
    am = UserFactory()
    account = AccountFactory(owner=am)
    with clock.frozen(aware(D(2026, 1, 5))):
        opp = services.opportunity_create(
            actor=am, name="专线", source="customer", close_date=D(2026, 3, 1), account=account
        )
        solution = services.solution_create(actor=am, opportunity=opp, title="方案")
        quote = services.quote_create(
            actor=am,
            solution=solution,
            valid_until=D(2026, 2, 28),
            lines=[{"product": product("ip_vpn"), "monthly_price": Decimal("2000.00")}],
        )
        assert services.max_discount(quote) == Decimal("19.05")
        quote = services.quote_submit(actor=am, quote=quote, expected_version=quote.version)
    assert (quote.status, quote.approver_role) == ("pending", "group_lead")
