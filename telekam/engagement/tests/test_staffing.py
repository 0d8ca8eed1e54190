"""The workload and staffing model (domain §6), every figure worked out by hand from the
default parameters: 168 h a month, 50 % for customer contact, 20 % reserve, experience
factor 0.70 (< 1 year) / 0.90 (1-3 years) / 1.00, back-office support 1.10; a visit 3 h,
a call 0.5 h."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from telekam.accounts.tests.factories import AccountFactory, band
from telekam.engagement import selectors
from telekam.engagement.models import StaffingParameters, VisitStandard
from telekam.org.tests.factories import UserFactory, group

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 10, 20)


def standard(code, segment="key"):
    return VisitStandard.objects.get(grade=band(code, segment))


@pytest.mark.parametrize(
    ("code", "segment", "hours"),
    [
        ("crystal", "key", "2.50"),  # 2/3 x 3.00 + 1 x 0.50
        ("gold", "key", "5.00"),  # 4/3 x 3.00 + 2 x 0.50
        ("platinum", "key", "7.50"),  # 6/3 x 3.00 + 3 x 0.50
        ("crown", "key", "14.00"),  # 12/3 x 3.00 + 4 x 0.50
        ("b", "commercial", "0.50"),  # 0 visits + 1 x 0.50
    ],
)
def test_monthly_hours(code, segment, hours):
    assert selectors.monthly_hours(standard(code, segment)).quantize(Decimal("0.01")) == Decimal(
        hours
    )


def test_monthly_hours_of_crystal_is_exactly_2_50():
    assert selectors.monthly_hours(standard("crystal")) == Decimal("2.5")


@pytest.mark.parametrize(
    ("hired_on", "factor", "hours"),
    [
        (D(2020, 3, 1), "1.10", "73.9"),  # 168 x 0.50 x 0.80 x 1.00 x 1.10 = 73.92
        (None, "1.10", "73.9"),  # unknown: counted as experienced
        (D(2024, 10, 1), "0.99", "66.5"),  # 0.90 x 1.10: 67.2 x 0.99 = 66.528
        (D(2026, 3, 1), "0.77", "51.7"),  # 0.70 x 1.10: 67.2 x 0.77 = 51.744
    ],
)
def test_am_capacity(hired_on, factor, hours):
    user = UserFactory(hired_on=hired_on)
    got = selectors.am_capacity(user, StaffingParameters.objects.get(), TODAY)
    assert got == (Decimal(factor), Decimal(hours))


@pytest.fixture
def finance():
    """Finance: am1 (veteran, 73.9 h) with 6 crown (84.0 h) and 1 crystal (2.5 h);
    am2 (junior, 51.7 h) with 3 crown (42.0 h). Government: am3 (veteran) 1 crystal."""
    am1 = UserFactory(username="am1", group=group("finance"), hired_on=D(2018, 1, 1))
    am2 = UserFactory(username="am2", group=group("finance"), hired_on=D(2026, 3, 1))
    am3 = UserFactory(username="am3", group=group("government"), hired_on=D(2018, 1, 1))
    crowns = [AccountFactory(owner=am1, grade=band("crown")) for _i in range(6)]
    small = AccountFactory(owner=am1, grade=band("crystal"))
    [AccountFactory(owner=am2, grade=band("crown")) for _i in range(3)]
    AccountFactory(owner=am3, grade=band("crystal"))
    AccountFactory(owner=am1, grade=band("crown"), status="churned")  # owes nothing
    UserFactory(desk=True)  # not an AM
    return {"am1": am1, "am2": am2, "am3": am3, "crowns": crowns, "small": small}


def test_staffing_per_am_and_group(finance):
    rows = {g.group.code: g for g in selectors.staffing(today=TODAY)}
    assert set(rows) == {"finance", "government"}
    fin = rows["finance"]
    assert [
        (a.user.username, a.accounts, a.hours_owed, a.hours_available, a.factor, a.load_pct)
        for a in fin.ams
    ] == [
        ("am1", 7, Decimal("86.5"), Decimal("73.9"), Decimal("1.10"), Decimal("117.1")),
        ("am2", 3, Decimal("42.0"), Decimal("51.7"), Decimal("0.77"), Decimal("81.2")),
    ]
    # 128.5 h / the average 62.8 h = 2.05 -> 3 AMs needed, 2 today
    assert (fin.hours_owed, fin.headcount, fin.needed, fin.gap) == (Decimal("128.5"), 2, 3, 1)
    gov = rows["government"]
    assert (gov.hours_owed, gov.headcount, gov.needed, gov.gap) == (Decimal("2.5"), 1, 1, 0)


def test_what_if_extra_key_accounts_spread_by_todays_mix(finance):
    # key accounts today: finance 9 crown + 1 crystal, government 1 crystal (11). 22 more:
    # finance 18 crown x 14 + 2 crystal x 2.5 = 257.0; government 2 x 2.5 = 5.0
    rows = {g.group.code: g for g in selectors.staffing(today=TODAY, extra_key_accounts=22)}
    assert (rows["finance"].hours_owed, rows["finance"].needed) == (Decimal("385.5"), 7)
    assert (rows["government"].hours_owed, rows["government"].needed) == (Decimal("7.5"), 1)
    # 385.5 / 62.8 = 6.14 -> 7


def test_what_if_a_changed_standard(finance):
    # crown at 6 visits and 2 calls: 6/3 x 3 + 2 x 0.5 = 7 h; am1 6 x 7 + 2.5 = 44.5,
    # am2 3 x 7 = 21.0; 65.5 / 62.8 = 1.04 -> 2
    crown = band("crown").pk
    (fin,) = selectors.staffing(
        today=TODAY, standard_overrides={crown: (6, 2)}, group_id=group("finance").pk
    )
    assert [a.hours_owed for a in fin.ams] == [Decimal("44.5"), Decimal("21.0")]
    assert (fin.hours_owed, fin.needed) == (Decimal("65.5"), 2)
    # the stored standard did not change
    assert (standard("crown").visits_per_quarter, standard("crown").calls_per_month) == (12, 4)


def test_rebalance_moves_the_smallest_accounts_without_overloading_the_receiver(finance):
    (fin,) = selectors.staffing(today=TODAY, group_id=group("finance").pk)
    moves = selectors.rebalance(group=fin, today=TODAY)
    # am1 86.5 / 73.9: the crystal (2.5 h) goes first -> am2 44.5 of 51.7; a crown (14 h)
    # would take am2 to 58.5 > 51.7, so it stays (am1 is still at 84.0)
    assert [(m.account, m.hours, m.from_user, m.to_user) for m in moves] == [
        (finance["small"], Decimal("2.5"), finance["am1"], finance["am2"])
    ]


def test_rebalance_stops_once_the_am_is_within_capacity():
    am1 = UserFactory(username="b1", group=group("finance"), hired_on=D(2018, 1, 1))
    am2 = UserFactory(username="b2", group=group("finance"), hired_on=D(2018, 1, 1))
    # am1: 5 crown (70.0) + 2 crystal (5.0) = 75.0 > 73.9; moving one crystal -> 72.5
    crystals = [AccountFactory(owner=am1, grade=band("crystal")) for _i in range(2)]
    [AccountFactory(owner=am1, grade=band("crown")) for _i in range(5)]
    (fin,) = selectors.staffing(today=TODAY, group_id=group("finance").pk)
    moves = selectors.rebalance(group=fin, today=TODAY)
    assert [(m.account, m.from_user, m.to_user) for m in moves] == [(crystals[0], am1, am2)]


def test_rebalance_with_nobody_overloaded_suggests_nothing():
    UserFactory(username="c1", group=group("finance"))
    AccountFactory(owner=UserFactory(username="c2", group=group("finance")), grade=band("gold"))
    (fin,) = selectors.staffing(today=TODAY, group_id=group("finance").pk)
    assert selectors.rebalance(group=fin, today=TODAY) == []
