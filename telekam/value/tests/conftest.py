"""A hand-computed value case: three key accounts and two commercial ones billed in
October 2026, their circuits, and the month's cost pools (figures in test_selectors)."""

from __future__ import annotations

import datetime as dt

import pytest

from telekam.accounts.models import Segment
from telekam.accounts.tests.factories import AccountFactory, ServiceFactory, band, product
from telekam.billing.models import BillingCredit
from telekam.org.tests.factories import UserFactory
from telekam.value.models import CostPool, Resource
from telekam.value.tests.helpers import OCT, D, bill


@pytest.fixture
def case():
    """Three key accounts and two commercial ones billed in October 2026; pools for the
    three resources."""
    am = UserFactory()
    a = AccountFactory(name="甲集团", owner=am)
    b = AccountFactory(name="乙集团")
    c = AccountFactory(name="丙集团")
    d = AccountFactory(name="丁商贸", segment=Segment.COMMERCIAL, grade=band("b", "commercial"))
    e = AccountFactory(name="戊商贸", segment=Segment.COMMERCIAL, grade=band("b", "commercial"))
    # data use: A 6000, B 4000, C -200 -> 0; total 10000
    # voice use: A 2000 + 1001 = 3001, B 3000, C 1000; total 7001
    bill(a, "digital_circuit", "6000.00")
    bill(a, "voice_usage", "2000.00")
    bill(a, "mobile_package", "1001.00")
    bill(b, "internet_leased_line", "4000.00")
    bill(b, "voice_trunk", "3000.00")
    bill(c, "digital_circuit", "-200.00")
    bill(c, "voice_usage", "1000.00")
    bill(d, "digital_circuit", "800.00")
    bill(e, "ip_vpn", "1200.00")
    bill(a, "digital_circuit", "99999.00", month=dt.date(2026, 9, 1))  # another month
    BillingCredit.objects.create(
        account=a, month=OCT, amount=D("100.00"), reason="SLA", reference="CMP-1"
    )
    # bandwidth use: A 100 (its 50 was cancelled in September), B 300 + 40; total 440
    mbps = {"product": product("digital_circuit"), "bandwidth_mbps": D("100")}
    ServiceFactory(account=a, **mbps)
    ServiceFactory(
        account=a,
        product=product("digital_circuit"),
        bandwidth_mbps=D("50"),
        status="cancelled",
        cancelled_on=dt.date(2026, 9, 20),
    )
    ServiceFactory(
        account=b,
        product=product("digital_circuit"),
        bandwidth_mbps=D("300"),
        activated_on=dt.date(2026, 10, 31),
    )
    ServiceFactory(
        account=b,
        product=product("digital_circuit"),
        bandwidth_mbps=D("40"),
        status="cancelled",
        cancelled_on=dt.date(2026, 10, 5),
    )
    ServiceFactory(
        account=b,
        product=product("digital_circuit"),
        bandwidth_mbps=D("1000"),
        activated_on=dt.date(2026, 11, 2),  # not yet in service in October
    )
    ServiceFactory(account=d, product=product("digital_circuit"), bandwidth_mbps=D("1000"))
    # key parts: data 20000 x 25 % = 5000, voice 10000 x 35 % = 3500, bandwidth 8800 x 25 % = 2200
    CostPool.objects.create(
        month=OCT, resource=Resource.DATA, amount=D("20000"), key_share_pct=D("25")
    )
    CostPool.objects.create(
        month=OCT, resource=Resource.VOICE, amount=D("10000"), key_share_pct=D("35")
    )
    CostPool.objects.create(
        month=OCT, resource=Resource.BANDWIDTH, amount=D("8800"), key_share_pct=D("25")
    )
    return {"a": a, "b": b, "c": c, "d": d, "am": am}
