"""Provisioning SLA: deadlines on the working-day calendar and compensation at its edges."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from telekam.core.errors import ApplicationError
from telekam.org.services import api_token_create
from telekam.org.tests.factories import UserFactory
from telekam.service.models import ProvisioningPolicy
from telekam.service.selectors import compensation_for, sla_check

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.mark.parametrize(
    ("product", "sla_class", "days", "factor", "rate"),
    [
        ("digital_circuit", "special", 5, "1.50", "0.05"),
        ("digital_circuit", "urgent", 10, "1.30", "0.05"),
        ("digital_circuit", "normal", 20, "1.00", "0.02"),
        ("ddn", "special", 8, "1.50", "0.05"),
        ("frame_relay", "urgent", 13, "1.30", "0.05"),
        ("atm", "normal", 20, "1.00", "0.02"),
    ],
)
def test_policy_table_of_the_sources(product, sla_class, days, factor, rate):
    policy = ProvisioningPolicy.objects.get(product__code=product, sla_class=sla_class)
    assert (policy.working_days, policy.price_factor, policy.compensation_rate) == (
        days,
        Decimal(factor),
        Decimal(rate),
    )


def test_on_time_owes_nothing():
    # Accepted Fri 13 Feb 2026, special digital circuit: due Fri 27 Feb (Spring Festival).
    answer = sla_check(
        product="digital_circuit", sla_class="special", accepted=D(2026, 2, 13),
        activated=D(2026, 2, 27), one_time_fee=Decimal("3000.00"),
    )  # fmt: skip
    assert (answer.deadline, answer.working_days_late, answer.compensation, answer.capped) == (
        D(2026, 2, 27), 0, Decimal("0.00"), False,
    )  # fmt: skip


def test_one_working_day_late_on_a_make_up_saturday():
    # Activated Sat 28 Feb 2026, a make-up working day: one working day late.
    answer = sla_check(
        product="digital_circuit", sla_class="special", accepted=D(2026, 2, 13),
        activated=D(2026, 2, 28), one_time_fee=Decimal("3000.00"),
    )  # fmt: skip
    assert (answer.working_days_late, answer.compensation) == (1, Decimal("150.00"))


def test_a_plain_sunday_after_the_deadline_is_not_late():
    # Normal DDN accepted Mon 5 Jan 2026: 20 working days -> due Mon 2 Feb 2026.
    answer = sla_check(
        product="ddn", sla_class="normal", accepted=D(2026, 1, 5),
        activated=D(2026, 2, 1), one_time_fee=Decimal("2500.00"),
    )  # fmt: skip
    assert answer.deadline == D(2026, 2, 2)
    assert (answer.working_days_late, answer.compensation) == (0, Decimal("0.00"))


def test_compensation_is_capped_at_the_one_time_fee():
    # Normal: 2% a day; 50 working days late would be 100% -> exactly the fee, capped.
    assert compensation_for(rate=Decimal("0.02"), days_late=49, fee=Decimal("1000")) == (
        Decimal("980.00"),
        False,
    )
    assert compensation_for(rate=Decimal("0.02"), days_late=50, fee=Decimal("1000")) == (
        Decimal("1000.00"),
        True,
    )
    assert compensation_for(rate=Decimal("0.05"), days_late=400, fee=Decimal("1000")) == (
        Decimal("1000.00"),
        True,
    )
    answer = sla_check(
        product="digital_circuit", sla_class="urgent", accepted=D(2025, 9, 1),
        activated=D(2026, 3, 2), one_time_fee=Decimal("2600.00"),
    )  # fmt: skip
    assert (answer.compensation, answer.capped) == (Decimal("2600.00"), True)


def test_year_the_calendar_does_not_know_is_provisional():
    answer = sla_check(product="digital_circuit", sla_class="normal", accepted=D(2026, 12, 10))
    assert answer.provisional is True
    assert answer.deadline == D(2027, 1, 7)  # plain weekends in 2027 until its notice is in


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"product": "no_such", "sla_class": "normal"}, "product"),
        ({"product": "ddn", "sla_class": "rush"}, "sla_class"),
        ({"product": "ddn", "sla_class": "normal", "activated": D(2025, 1, 1)}, "activated"),
        ({"product": "ddn", "sla_class": "normal", "one_time_fee": Decimal("-1")}, "one_time_fee"),
        ({"product": "ddn", "sla_class": "normal", "activated": D(2099, 1, 1)}, "activated"),
    ],
)
def test_wrong_input_is_a_clear_error(kwargs, field):
    with pytest.raises(ApplicationError) as info:
        sla_check(accepted=D(2026, 3, 2), **kwargs)
    assert info.value.field == field


def test_command_prints_json():
    out = io.StringIO()
    call_command(
        "sla", "check", "--product", "digital_circuit", "--class", "special",
        "--accepted", "2026-02-13", "--activated", "2026-03-05", "--one-time-fee", "3000", stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    assert data["deadline"] == "2026-02-27"
    assert data["working_days_late"] == 5  # Sat 28 Feb (make-up), 2, 3, 4, 5 Mar
    assert data["compensation"] == "750.00"
    assert data["provisional"] is False


def test_command_refuses_bad_dates():
    with pytest.raises(CommandError):
        call_command(
            "sla", "check", "--product", "ddn", "--class", "normal", "--accepted", "2026-13-01"
        )


def test_api_answers_the_same_and_needs_a_login():
    _token, key = api_token_create(user=UserFactory(desk=True), name="t")
    client = Client()
    params = {"product": "digital_circuit", "class": "special", "accepted": "2026-02-13",
              "activated": "2026-03-05", "one_time_fee": "3000"}  # fmt: skip
    assert client.get("/api/v1/sla/check", params).status_code == 401
    response = client.get("/api/v1/sla/check", params, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    body = response.json()
    assert (body["deadline"], body["working_days_late"], body["compensation"]) == (
        "2026-02-27",
        5,
        "750.00",
    )
    for bad in ({**params, "class": "x"}, {**params, "accepted": "soon"}, {**params, "one_time_fee": "-5"},
                {**params, "product": "nope"}, {"product": "ddn"}):  # fmt: skip
        response = client.get("/api/v1/sla/check", bad, HTTP_AUTHORIZATION=f"Bearer {key}")
        assert 400 <= response.status_code < 500, bad
