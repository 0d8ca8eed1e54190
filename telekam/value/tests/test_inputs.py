"""The cost pools and segment statistics: who keeps them, bad input, no silent overwrite."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from telekam.core.errors import Conflict, PermissionDenied, ValidationFailed
from telekam.core.models import AuditEntry
from telekam.org.tests.factories import UserFactory
from telekam.value import services
from telekam.value.models import CostPool, SegmentFigure

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pool_post(client: Client, **over) -> object:
    data = {
        "which": "pool",
        "pool-month": "2026-10",
        "pool-resource": "data",
        "pool-amount": "20000",
        "pool-key_share_pct": "25",
        "pool-note": "网络运维",
        "pool-version": "0",
    }
    data.update({f"pool-{k}": v for k, v in over.items()})
    return client.post("/value/inputs/", data)


def test_the_analyst_enters_and_corrects_a_pool():
    client = client_of(UserFactory(analyst=True))

    response = pool_post(client)

    assert response.status_code == 302
    pool = CostPool.objects.get()
    assert (pool.month, pool.resource, pool.amount, pool.key_share_pct, pool.version) == (
        OCT,
        "data",
        Decimal("20000.00"),
        Decimal("25.00"),
        1,
    )
    page = client.get(f"/value/inputs/?pool={pool.pk}").content.decode()
    assert 'name="pool-version" value="1"' in page
    assert pool_post(client, amount="21000", version="1").status_code == 302
    pool.refresh_from_db()
    assert (pool.amount, pool.version) == (Decimal("21000.00"), 2)
    assert AuditEntry.objects.filter(target_type="value.costpool").count() == 2


def test_a_second_entry_of_the_same_month_does_not_overwrite_the_first():
    head, analyst = UserFactory(head=True), UserFactory(analyst=True)
    pool_post(client_of(head))

    response = pool_post(client_of(analyst), amount="99999")  # had not seen the first

    assert response.status_code == 200
    assert "已由他人录入" in response.content.decode()
    assert CostPool.objects.get().amount == Decimal("20000.00")
    # An edit against an old version is refused the same way.
    with pytest.raises(Conflict):
        services.cost_pool_save(
            actor=analyst,
            month=OCT,
            resource="data",
            amount=Decimal("1"),
            key_share_pct=Decimal("1"),
            expected_version=7,
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [("month", "2026-13"), ("amount", "-1"), ("key_share_pct", "101"), ("resource", "x")],
)
def test_bad_input_is_a_form_error_and_saves_nothing(field, value):
    response = pool_post(client_of(UserFactory(analyst=True)), **{field: value})

    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert not CostPool.objects.exists()


def test_segment_statistics():
    client = client_of(UserFactory(admin=True))
    response = client.post(
        "/value/inputs/",
        {
            "which": "figure",
            "figure-month": "2026-10",
            "figure-segment": "public",
            "figure-customers": "2000000",
            "figure-revenue": "90000000",
            "figure-version": "0",
        },
    )
    assert response.status_code == 302
    figure = SegmentFigure.objects.get()
    assert (figure.segment, figure.customers, figure.revenue) == (
        "public",
        2_000_000,
        Decimal("90000000.00"),
    )
    assert "45.00" in client.get("/value/inputs/").content.decode()


@pytest.mark.parametrize("trait", ["desk", "ops", "lead", "presales", None])
def test_only_the_head_analysts_and_administrator_keep_the_inputs(trait):
    user = UserFactory(**({trait: True} if trait else {}))
    client = client_of(user)
    assert client.get("/value/inputs/").status_code == 403
    assert pool_post(client).status_code == 403
    assert not CostPool.objects.exists()
    with pytest.raises(PermissionDenied):
        services.segment_figure_save(
            actor=user, month=OCT, segment="public", customers=1, revenue=Decimal("1")
        )


def test_the_service_validates_too():
    with pytest.raises(ValidationFailed):
        services.cost_pool_save(
            actor=UserFactory(head=True),
            month=OCT,
            resource="data",
            amount=Decimal("1"),
            key_share_pct=Decimal("150"),
        )
    assert not CostPool.objects.exists()


def weights_post(client: Client, read: str, **weights: str) -> object:
    data = {"which": "weights", "weights-read": read}
    base = {
        "brand": "25",
        "satisfaction": "25",
        "referrals": "15",
        "strategic": "15",
        "social": "10",
        "guarantee": "10",
    }
    data.update({f"weights-w_{k}": v for k, v in (base | weights).items()})
    return client.post("/value/inputs/", data)


READ = "brand=25.00;satisfaction=25.00;referrals=15.00;strategic=15.00;social=10.00;guarantee=10.00"


def test_the_weights_of_the_intangible_sheet():
    from telekam.value.models import IntangibleCriterion

    analyst = client_of(UserFactory(analyst=True))
    page = analyst.get("/value/inputs/").content.decode()
    assert f'value="{READ}"' in page

    assert weights_post(analyst, READ, brand="40").status_code == 302
    assert IntangibleCriterion.objects.get(code="brand").weight == Decimal("40.00")
    # A second save from the page read before the first is refused, nothing changes.
    stale = weights_post(client_of(UserFactory(head=True)), READ, brand="10")
    assert stale.status_code == 200
    assert "已被他人修改" in stale.content.decode()
    assert IntangibleCriterion.objects.get(code="brand").weight == Decimal("40.00")
    zero = dict.fromkeys(
        ("brand", "satisfaction", "referrals", "strategic", "social", "guarantee"), "0"
    )
    new_read = READ.replace("brand=25.00", "brand=40.00")
    assert weights_post(analyst, new_read, **zero).status_code == 200
    assert IntangibleCriterion.objects.get(code="brand").weight == Decimal("40.00")
    assert weights_post(client_of(UserFactory(lead=True)), new_read).status_code == 403
