"""The SLA policy tables as data: who may change them, what a change affects, and two
editors never overwriting each other."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from telekam.accounts.tests.factories import AccountFactory
from telekam.core.models import AuditEntry
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory
from telekam.service.models import FaultPolicy, ProvisioningPolicy
from telekam.service.selectors import sla_check
from telekam.service.tests.factories import order

pytestmark = pytest.mark.django_db
D = dt.date


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def special_dc() -> ProvisioningPolicy:
    return ProvisioningPolicy.objects.get(product__code="digital_circuit", sla_class="special")


def post(client: Client, policy: ProvisioningPolicy, **values: str):
    prefix = f"p{policy.pk}-"
    data = {
        f"{prefix}working_days": values.get("working_days", "5"),
        f"{prefix}price_factor": values.get("price_factor", "1.50"),
        f"{prefix}compensation_rate": values.get("compensation_rate", "0.0500"),
        f"{prefix}seen_working_days": values.get("seen_working_days", "5"),
        f"{prefix}seen_price_factor": "1.50",
        f"{prefix}seen_compensation_rate": "0.0500",
    }
    return client.post(reverse("service:policy_edit", args=["provisioning", policy.pk]), data)


def test_the_head_changes_a_promise_for_orders_accepted_from_then_on():
    head, am = UserFactory(head=True), UserFactory()
    account = AccountFactory(owner=am)
    before = order(actor=am, account=account, accepted_on=D(2026, 11, 2), sla_class="special")
    assert before.deadline == D(2026, 11, 9)
    response = post(login(head), special_dc(), working_days="4", compensation_rate="0.0600")
    assert response.status_code == 302
    assert sla_check(
        product="digital_circuit", sla_class="special", accepted=D(2026, 11, 2)
    ).deadline == D(2026, 11, 6)
    after = order(actor=am, account=account, accepted_on=D(2026, 11, 2), sla_class="special")
    assert (after.deadline, after.compensation_rate) == (D(2026, 11, 6), Decimal("0.0600"))
    before.refresh_from_db()
    assert (before.deadline, before.compensation_rate) == (D(2026, 11, 9), Decimal("0.0500"))
    entry = AuditEntry.objects.get(target_type="service.provisioningpolicy")
    assert entry.changes["working_days"] == [5, 4]


@pytest.mark.parametrize("trait", [{}, {"lead": True}, {"desk": True}, {"ops": True}])
def test_nobody_else_changes_them(trait):
    client = login(UserFactory(**trait))
    assert client.get(reverse("service:policies")).status_code == 403
    assert post(client, special_dc(), working_days="1").status_code == 403
    assert special_dc().working_days == 5


def test_a_stale_page_is_refused_and_bad_values_are_form_errors():
    admin = login(UserFactory(admin=True))
    policy = special_dc()
    ProvisioningPolicy.objects.filter(pk=policy.pk).update(working_days=6)  # someone else
    stale = post(admin, policy, working_days="3")
    assert stale.status_code == 400
    assert "已被他人修改" in stale.content.decode()
    assert special_dc().working_days == 6
    for bad in (
        {"working_days": "0", "seen_working_days": "6"},
        {"compensation_rate": "2", "seen_working_days": "6"},
    ):
        assert post(admin, policy, **bad).status_code == 400
    assert special_dc().working_days == 6


def test_the_page_lists_every_policy_and_fault_levels_are_edited_the_same_way():
    admin = login(UserFactory(admin=True))
    page = admin.get(reverse("service:policies"))
    assert len(page.context["provisioning"]) == ProvisioningPolicy.objects.count()
    gold = FaultPolicy.objects.get(sla_level="gold")
    prefix = f"p{gold.pk}-"
    data = {
        f"{prefix}availability_pct": "99.990",
        f"{prefix}response_minutes": "10",
        f"{prefix}restore_minutes": "180",
        f"{prefix}credit_step_pct": "0.100",
        f"{prefix}credit_per_step": "0.1000",
        f"{prefix}credit_cap": "0.5000",
        f"{prefix}seen_availability_pct": "99.950",
        f"{prefix}seen_response_minutes": "15",
        f"{prefix}seen_restore_minutes": "240",
        f"{prefix}seen_credit_step_pct": "0.100",
        f"{prefix}seen_credit_per_step": "0.1000",
        f"{prefix}seen_credit_cap": "0.5000",
    }
    assert (
        admin.post(reverse("service:policy_edit", args=["fault", gold.pk]), data).status_code == 302
    )
    gold.refresh_from_db()
    assert (gold.availability_pct, gold.restore_minutes) == (Decimal("99.990"), 180)
    assert (
        admin.post(reverse("service:policy_edit", args=["nope", gold.pk]), data).status_code == 404
    )
