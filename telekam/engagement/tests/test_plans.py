"""Plan generation by grade and period, extra visits for events, and moving a planned item
(domain §6). Every date below is worked out by hand from `services.spread`: n items over a
period of `span` days fall on start + int(span x (2i+1) / 2n), a weekend day moved back to
the Friday before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from telekam.accounts.models import AccountStatus, MajorEvent
from telekam.accounts.tests.factories import AccountFactory, band, product
from telekam.core import clock
from telekam.core.errors import ApplicationError, PermissionDenied
from telekam.engagement import services
from telekam.engagement.models import PlannedContact
from telekam.org.tests.factories import UserFactory, group

pytestmark = pytest.mark.django_db

D = dt.date
NOW = dt.datetime(2026, 10, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def items(account, kind=None):
    qs = PlannedContact.objects.filter(account=account).order_by("due_on", "id")
    if kind:
        qs = qs.filter(kind=kind)
    return [(p.kind, p.period_start, p.period_end, p.due_on, p.reason) for p in qs]


def test_crystal_in_the_quarters_first_month_one_call_and_two_visits():
    # October 2026: 1 Oct is a Thursday; the quarter Oct-Dec has 92 days
    account = AccountFactory(grade=band("crystal"))
    report = services.plan_generate(month=D(2026, 10, 1))
    assert (report.created, report.existing) == (3, 0)
    assert items(account) == [
        # 1 call over 31 days: +15 -> Fri 16 Oct
        ("call", D(2026, 10, 1), D(2026, 10, 31), D(2026, 10, 16), "standard"),
        # 2 visits over 92 days: +23 = Sat 24 Oct -> Fri 23 Oct; +69 = Wed 9 Dec
        ("visit", D(2026, 10, 1), D(2026, 12, 31), D(2026, 10, 23), "standard"),
        ("visit", D(2026, 10, 1), D(2026, 12, 31), D(2026, 12, 9), "standard"),
    ]
    assert {p.owner_id for p in PlannedContact.objects.all()} == {account.owner_id}


def test_crystal_in_the_quarters_second_month_only_its_call():
    account = AccountFactory(grade=band("crystal"))
    services.plan_generate(month=D(2026, 11, 1))
    # November: 30 days, +15 -> Mon 16 Nov; no visits outside the quarter's first month
    assert items(account) == [
        ("call", D(2026, 11, 1), D(2026, 11, 30), D(2026, 11, 16), "standard")
    ]


def test_gold_two_calls_and_four_visits():
    account = AccountFactory(grade=band("gold"))
    services.plan_generate(month=D(2026, 10, 15))  # any day of the month
    assert items(account, "call") == [
        # 31 days, 2 calls: +7 = Thu 8 Oct; +23 = Sat 24 Oct -> Fri 23 Oct
        ("call", D(2026, 10, 1), D(2026, 10, 31), D(2026, 10, 8), "standard"),
        ("call", D(2026, 10, 1), D(2026, 10, 31), D(2026, 10, 23), "standard"),
    ]
    # 92 days, 4 visits: +11 Mon 12 Oct, +34 Wed 4 Nov, +57 Fri 27 Nov, +80 Sun 20 Dec -> 18
    assert [due for *_x, due, _r in items(account, "visit")] == [
        D(2026, 10, 12),
        D(2026, 11, 4),
        D(2026, 11, 27),
        D(2026, 12, 18),
    ]


def test_commercial_b_one_call_and_no_visit():
    account = AccountFactory(segment="commercial", grade=band("b", "commercial"))
    services.plan_generate(month=D(2026, 10, 1))
    assert items(account) == [
        ("call", D(2026, 10, 1), D(2026, 10, 31), D(2026, 10, 16), "standard")
    ]


def test_no_plan_for_a_grade_without_standard_nor_for_churned_or_ungraded_accounts():
    AccountFactory(segment="commercial", grade=band("c", "commercial"))
    AccountFactory(grade=band("crystal"), status=AccountStatus.CHURNED)
    AccountFactory(grade=None)
    report = services.plan_generate(month=D(2026, 10, 1))
    assert (report.created, report.existing) == (0, 0)
    assert not PlannedContact.objects.exists()


@pytest.mark.parametrize("month", [D(2026, m, 1) for m in range(1, 13)])
def test_dates_stay_inside_the_period_and_off_weekends(month):
    AccountFactory(grade=band("crown"))
    AccountFactory(grade=band("gold"))
    services.plan_generate(month=month)
    plans = list(PlannedContact.objects.all())
    assert plans
    for p in plans:
        assert p.period_start <= p.due_on <= p.period_end
        assert p.due_on.weekday() < 5, p.due_on


def test_second_run_creates_nothing_and_keeps_moved_items():
    account = AccountFactory(grade=band("crystal"))
    services.plan_generate(month=D(2026, 10, 1))
    call = PlannedContact.objects.get(kind="call")
    services.plan_move(actor=account.owner, item=call, due_on=D(2026, 10, 20), expected_version=1)
    report = services.plan_generate(month=D(2026, 10, 1))
    assert (report.created, report.existing) == (0, 3)
    assert PlannedContact.objects.count() == 3
    call.refresh_from_db()
    assert call.due_on == D(2026, 10, 20)


def test_a_major_event_in_the_month_adds_a_visit_within_14_days():
    account = AccountFactory(grade=band("crystal"))
    MajorEvent.objects.create(
        account=account, kind="relocation", occurred_on=D(2026, 11, 5), title="总部搬迁"
    )
    MajorEvent.objects.create(
        account=account, kind="tender", occurred_on=D(2026, 10, 30), title="上月"
    )
    services.plan_generate(month=D(2026, 11, 1))
    assert items(account, "visit") == [
        ("visit", D(2026, 11, 5), D(2026, 11, 19), D(2026, 11, 19), "major_event")
    ]
    assert PlannedContact.objects.get(kind="visit").note == "总部搬迁"
    assert services.plan_generate(month=D(2026, 11, 1)).created == 0


def _signed_contract(account, *, end_on):
    from telekam.sales import services as sales
    from telekam.sales.models import Contract

    head = UserFactory(head=True)
    deal = sales.opportunity_create(
        actor=head, name="组网", source="customer", close_date=D(2026, 12, 31), account=account
    )
    quote = sales.quote_create(
        actor=head,
        solution=sales.solution_create(actor=head, opportunity=deal, title="组网"),
        lines=[{"product": product(), "discount_pct": Decimal("0")}],
        valid_until=D(2026, 12, 31),
    )
    quote = sales.quote_submit(actor=head, quote=quote, expected_version=1)
    sales.quote_accept(actor=head, quote=quote, expected_version=quote.version)
    deal.refresh_from_db()
    sales.opportunity_move(
        actor=head, opportunity=deal, to_stage="won", expected_version=deal.version
    )
    contract = Contract.objects.get(opportunity=deal)
    Contract.objects.filter(pk=contract.pk).update(
        status="signed", signed_on=D(2025, 1, 5), start_on=D(2025, 1, 10), end_on=end_on
    )
    return contract


def test_a_signed_contract_whose_renewal_reminder_falls_in_the_month_adds_a_visit():
    account = AccountFactory(grade=band("crystal"))
    # ends 9 Jan 2027, reminded 60 days before: 10 Nov 2026; visit within 30 days: 10 Dec
    contract = _signed_contract(account, end_on=D(2027, 1, 9))
    services.plan_generate(month=D(2026, 10, 1))
    assert items(account, "visit")[-1][4] == "standard"  # not reminded in October
    services.plan_generate(month=D(2026, 11, 1))
    renewal = PlannedContact.objects.get(reason="renewal_due")
    assert (renewal.kind, renewal.period_start, renewal.period_end, renewal.due_on) == (
        "visit",
        D(2026, 11, 10),
        D(2026, 12, 10),
        D(2026, 12, 10),
    )
    assert renewal.note == contract.number
    assert services.plan_generate(month=D(2026, 11, 1)).created == 0


# --- moving a planned item --------------------------------------------------------------


@pytest.fixture
def call():
    am = UserFactory(username="am_owner", group=group("finance"))
    AccountFactory(owner=am, grade=band("crystal"))
    services.plan_generate(month=D(2026, 11, 1))
    return PlannedContact.objects.get(kind="call")  # 16 Nov, period November


def test_the_owner_moves_within_the_period(call):
    moved = services.plan_move(
        actor=call.owner, item=call, due_on=D(2026, 11, 30), expected_version=1
    )
    call.refresh_from_db()
    assert (moved.due_on, call.due_on, call.version) == (D(2026, 11, 30), D(2026, 11, 30), 2)


@pytest.mark.parametrize("day", [D(2026, 10, 31), D(2026, 12, 1)])
def test_moving_outside_the_period_is_refused(call, day):
    with pytest.raises(ApplicationError) as error:
        services.plan_move(actor=call.owner, item=call, due_on=day, expected_version=1)
    assert error.value.field == "due_on"
    call.refresh_from_db()
    assert (call.due_on, call.version) == (D(2026, 11, 16), 1)


def test_another_am_may_not_move_it(call):
    other = UserFactory(group=group("finance"))
    with pytest.raises(PermissionDenied):
        services.plan_move(actor=other, item=call, due_on=D(2026, 11, 20), expected_version=1)
    call.refresh_from_db()
    assert call.due_on == D(2026, 11, 16)


def test_the_lead_of_the_group_moves_it_but_not_a_lead_of_another_group(call):
    with pytest.raises(PermissionDenied):
        services.plan_move(
            actor=UserFactory(lead=True, group=group("government")),
            item=call,
            due_on=D(2026, 11, 20),
            expected_version=1,
        )
    for role in ({"analyst": True}, {"desk": True}, {"ops": True}):
        with pytest.raises(PermissionDenied):
            services.plan_move(
                actor=UserFactory(**role), item=call, due_on=D(2026, 11, 20), expected_version=1
            )
    lead = UserFactory(lead=True, group=group("finance"))
    services.plan_move(actor=lead, item=call, due_on=D(2026, 11, 20), expected_version=1)
    call.refresh_from_db()
    assert (call.due_on, call.version) == (D(2026, 11, 20), 2)


def test_a_stale_version_is_a_conflict(call):
    from telekam.core.errors import Conflict

    with pytest.raises(Conflict):
        services.plan_move(actor=call.owner, item=call, due_on=D(2026, 11, 20), expected_version=2)
