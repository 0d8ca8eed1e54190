"""Direct value, cost allocation, average revenue per customer and the equivalence,
against a case computed by hand (the figures in the comments)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from telekam.accounts.models import Segment
from telekam.accounts.tests.factories import AccountFactory, ServiceFactory
from telekam.core.errors import NotFound, PermissionDenied
from telekam.org.tests.factories import UserFactory
from telekam.retention.models import CaseOutcome, CaseStatus
from telekam.retention.tests.factories import RetentionCaseFactory
from telekam.value import selectors
from telekam.value.models import CostPool, Resource, SegmentFigure
from telekam.value.tests.helpers import OCT, D, bill

pytestmark = pytest.mark.django_db


def costs(value) -> dict[str, Decimal]:
    return {c.resource: c.cost for c in value.costs}


def test_costs_are_allocated_by_each_key_accounts_use(case):
    values = selectors.direct_values(month=OCT)

    a, b, c = (values[case[k].pk] for k in "abc")
    assert sorted(values) == sorted([case["a"].pk, case["b"].pk, case["c"].pk])
    # A: data 5000 x 6000/10000; voice 3500 x 3001/7001 = 1500.286; bandwidth 2200 x 100/440
    assert costs(a) == {"data": D("3000.00"), "voice": D("1500.29"), "bandwidth": D("500.00")}
    assert costs(b) == {"data": D("2000.00"), "voice": D("1499.79"), "bandwidth": D("1700.00")}
    assert costs(c) == {"data": D("0.00"), "voice": D("499.93"), "bandwidth": D("0.00")}
    assert a.revenue == D("9001.00")
    assert a.credits == D("100.00")
    assert a.cost == D("5000.29")
    assert a.profit == D("3900.71")  # 9001 - 100 - 5000.29
    assert a.margin_pct == D("43.3")
    assert (b.revenue, b.profit) == (D("7000.00"), D("1800.21"))
    assert (c.revenue, c.profit) == (D("800.00"), D("300.07"))
    share = {r.resource: r.share_pct for r in a.costs}
    assert share == {"data": D("60.000"), "voice": D("42.865"), "bandwidth": D("22.727")}


def test_a_month_without_pools_allocates_nothing_and_says_so(case):
    CostPool.objects.filter(resource=Resource.VOICE).delete()

    value = selectors.direct_values(month=OCT, account_ids=[case["a"].pk])[case["a"].pk]

    assert costs(value) == {"data": D("3000.00"), "bandwidth": D("500.00")}
    assert value.pools_missing == ["voice"]


def test_average_revenue_per_customer_from_bills_or_statistics(case):
    SegmentFigure.objects.create(
        month=OCT, segment=Segment.PUBLIC, customers=2_000_000, revenue=D("90000000")
    )

    arpu = selectors.segment_arpu(month=OCT)

    assert (arpu["commercial"].value, arpu["commercial"].source) == (D("1000.00"), "billing")
    assert (arpu["public"].value, arpu["public"].source) == (D("45.00"), "statistics")
    assert arpu["key"].value == D("5600.33")  # (9001 + 7000 + 800) / 3
    # Entered statistics cover the whole segment and win over the bills held here.
    SegmentFigure.objects.create(
        month=OCT, segment=Segment.COMMERCIAL, customers=500, revenue=D("400000")
    )
    assert selectors.segment_arpu(month=OCT)["commercial"].value == D("800.00")


def test_account_value_and_its_equivalence(case):
    SegmentFigure.objects.create(
        month=OCT, segment=Segment.PUBLIC, customers=2_000_000, revenue=D("90000000")
    )

    with CaptureQueriesContext(connection) as queries:
        value = selectors.account_value(user=case["am"], account_id=case["a"].pk, month=OCT)

    assert len(queries) <= 10
    assert value.direct.profit == D("3900.71")
    assert [(p.code, p.amount) for p in value.direct.products] == [
        ("digital_circuit", D("6000.00")),
        ("voice_usage", D("2000.00")),
        ("mobile_package", D("1001.00")),
    ]
    # 9001 / 1000 commercial; 9001 / 45 public
    assert [(e.segment, e.customers) for e in value.equivalents] == [
        ("commercial", D("9.0")),
        ("public", D("200.0")),
    ]


def test_default_month_is_the_latest_billed_one(case):
    value = selectors.account_value(user=case["am"], account_id=case["a"].pk)
    assert value.month == OCT


def test_the_queries_do_not_grow_with_the_accounts(case):
    with CaptureQueriesContext(connection) as few:
        selectors.direct_values(month=OCT)
    for _ in range(20):
        extra = AccountFactory()
        bill(extra, "digital_circuit", "500.00")
        ServiceFactory(account=extra, bandwidth_mbps=D("10"))
    with CaptureQueriesContext(connection) as many:
        values = selectors.direct_values(month=OCT)

    assert len(values) == 23
    assert len(many) == len(few) == 5


def test_who_may_not_see_an_accounts_value(case):
    other_am = UserFactory()
    with pytest.raises(NotFound):
        selectors.account_value(user=other_am, account_id=case["a"].pk)
    for desk in (UserFactory(desk=True), UserFactory(ops=True)):
        with pytest.raises(PermissionDenied):
            selectors.account_value(user=desk, account_id=case["a"].pk)


def lost(account, amount: str, closed: dt.date, outcome=CaseOutcome.LOST) -> None:
    RetentionCaseFactory(
        account=account,
        status=CaseStatus.CLOSED,
        outcome=outcome,
        reason="competitor_ld",
        monthly_revenue_lost=D(amount),
        closed_on=closed,
    )


def test_lost_accounts_equivalence_in_a_period(case):
    SegmentFigure.objects.create(
        month=OCT, segment=Segment.PUBLIC, customers=2_000_000, revenue=D("90000000")
    )
    lost(case["a"], "5000.00", dt.date(2026, 10, 20))
    lost(case["b"], "1000.00", dt.date(2026, 10, 3), CaseOutcome.PARTLY_LOST)
    lost(case["c"], "0.00", dt.date(2026, 10, 9), CaseOutcome.RETAINED)
    lost(case["c"], "700.00", dt.date(2026, 8, 9))  # another period
    head = UserFactory(head=True)

    result = selectors.lost_equivalence(user=head, start=OCT, end=dt.date(2026, 10, 31))

    assert (result.accounts, result.revenue_lost, result.month) == (2, D("6000.00"), OCT)
    # 6000 / 1000 commercial; 6000 / 45 public
    assert [e.customers for e in result.equivalents] == [D("6.0"), D("133.3")]
    mine = selectors.lost_equivalence(user=case["am"], start=OCT, end=dt.date(2026, 10, 31))
    assert (mine.accounts, mine.revenue_lost) == (1, D("5000.00"))
    with pytest.raises(PermissionDenied):
        selectors.lost_equivalence(user=UserFactory(desk=True), start=OCT, end=OCT)
