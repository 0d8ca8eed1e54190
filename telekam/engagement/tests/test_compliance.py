"""Logging visits and calls (which planned item a log fulfils, the timeline, what is
refused) and compliance against the standards: hand-computed counts and percentages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from telekam.accounts.tests.factories import AccountFactory, ContactFactory, TeamMemberFactory, band
from telekam.core import clock
from telekam.core.errors import ApplicationError, PermissionDenied
from telekam.core.models import AuditEntry
from telekam.engagement import selectors, services
from telekam.engagement.models import ContactLog, PlannedContact
from telekam.org.tests.factories import UserFactory, group

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 10, 20)
NOW = dt.datetime(2026, 10, 20, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def log(actor, account, kind, day, **kw):
    return services.contact_log_create(
        actor=actor, account=account, kind=kind, happened_on=day, topics="沟通", **kw
    )


# --- logging ------------------------------------------------------------------------------


@pytest.fixture
def crystal():
    """October's plan of a crystal account: call 16 Oct; visits 23 Oct and 9 Dec."""
    account = AccountFactory(grade=band("crystal"), owner=UserFactory(username="am_c"))
    services.plan_generate(month=D(2026, 10, 1))
    return account


def open_items(account, kind):
    return list(
        PlannedContact.objects.filter(account=account, kind=kind, status="planned")
        .order_by("due_on")
        .values_list("due_on", flat=True)
    )


def test_a_log_fulfils_the_earliest_open_item_of_its_kind_in_the_period(crystal):
    am = crystal.owner
    first = log(am, crystal, "visit", D(2026, 10, 19))
    assert PlannedContact.objects.get(log=first).due_on == D(2026, 10, 23)
    assert open_items(crystal, "visit") == [D(2026, 12, 9)]
    assert open_items(crystal, "call") == [D(2026, 10, 16)]  # a visit is not a call
    second = log(am, crystal, "visit", D(2026, 10, 20))
    done = PlannedContact.objects.get(log=second)
    assert (done.due_on, done.status, done.version) == (D(2026, 12, 9), "done", 2)
    third = log(
        am, crystal, "visit", D(2026, 10, 20)
    )  # nothing left to fulfil: logged all the same
    assert not PlannedContact.objects.filter(log=third).exists()
    assert ContactLog.objects.filter(account=crystal).count() == 3


def test_a_log_before_the_period_fulfils_nothing(crystal):
    entry = log(crystal.owner, crystal, "call", D(2026, 9, 30))
    assert not PlannedContact.objects.filter(log=entry).exists()
    assert open_items(crystal, "call") == [D(2026, 10, 16)]


def test_a_log_names_the_item_it_fulfils(crystal):
    december = PlannedContact.objects.get(kind="visit", due_on=D(2026, 12, 9))
    entry = log(crystal.owner, crystal, "visit", D(2026, 10, 20), planned=december)
    december.refresh_from_db()
    assert (december.status, december.log_id) == ("done", entry.pk)
    assert open_items(crystal, "visit") == [D(2026, 10, 23)]
    call = PlannedContact.objects.get(kind="call")
    with pytest.raises(ApplicationError):  # a visit does not fulfil a call
        log(crystal.owner, crystal, "visit", D(2026, 10, 20), planned=call)
    assert ContactLog.objects.count() == 1


def test_a_log_goes_on_the_timeline_with_its_contacts(crystal):
    contact = ContactFactory(account=crystal)
    entry = log(
        crystal.owner,
        crystal,
        "call",
        D(2026, 10, 20),
        contacts=[contact],
        needs="增加带宽",
        follow_up_on=D(2026, 11, 2),
    )
    assert list(entry.contacts.all()) == [contact]
    audit = AuditEntry.objects.get(target_id=str(entry.pk), target_type__icontains="contactlog")
    assert (audit.account_id, audit.actor_id, audit.summary) == (
        crystal.pk,
        crystal.owner.pk,
        "主动电话：沟通",
    )


def test_future_dates_contacts_of_another_account_and_bad_follow_up_are_refused(crystal):
    other_contact = ContactFactory(account=AccountFactory(owner=crystal.owner))
    cases = [
        ({"kind": "visit", "day": D(2026, 10, 21)}, "happened_on"),
        ({"kind": "visit", "day": TODAY, "contacts": [other_contact]}, "contacts"),
        ({"kind": "visit", "day": TODAY, "follow_up_on": D(2026, 10, 19)}, "follow_up_on"),
        ({"kind": "meeting", "day": TODAY}, "kind"),
    ]
    for args, field in cases:
        with pytest.raises(ApplicationError) as error:
            log(crystal.owner, crystal, args.pop("kind"), args.pop("day"), **args)
        assert error.value.field == field
    with pytest.raises(ApplicationError):
        services.contact_log_create(
            actor=crystal.owner, account=crystal, kind="call", happened_on=TODAY, topics="  "
        )
    assert not ContactLog.objects.exists()
    assert not PlannedContact.objects.filter(status="done").exists()


def test_users_who_may_not_log_are_refused(crystal):
    refused = [
        UserFactory(group=group("finance")),  # another AM of the group
        UserFactory(lead=True, group=group("government")),
        UserFactory(analyst=True),
        UserFactory(desk=True),
        UserFactory(ops=True),
        UserFactory(presales=True, group=group("finance")),
    ]
    for user in refused:
        with pytest.raises(PermissionDenied):
            log(user, crystal, "call", TODAY)
    assert not ContactLog.objects.exists()
    # the group lead, the head and a virtual-team member may
    teammate = UserFactory(group=group("finance"))
    TeamMemberFactory(account=crystal, user=teammate)
    for user in (UserFactory(lead=True, group=group("finance")), UserFactory(head=True), teammate):
        log(user, crystal, "call", TODAY)
    assert ContactLog.objects.count() == 3


def test_a_need_becomes_an_opportunity_once(crystal):
    entry = log(crystal.owner, crystal, "visit", D(2026, 10, 19), needs="分支组网\n十个点")
    opportunity = services.contact_log_to_opportunity(actor=crystal.owner, log=entry)
    assert (opportunity.name, opportunity.account_id, opportunity.source) == (
        "分支组网",
        crystal.pk,
        "proactive",
    )
    assert opportunity.close_date == D(2027, 1, 17)  # happened_on + 90 days
    entry.refresh_from_db()
    assert entry.opportunity_id == opportunity.pk
    with pytest.raises(ApplicationError):
        services.contact_log_to_opportunity(actor=crystal.owner, log=entry)
    without_need = log(crystal.owner, crystal, "call", TODAY)
    with pytest.raises(ApplicationError):
        services.contact_log_to_opportunity(actor=crystal.owner, log=without_need)


# --- compliance -------------------------------------------------------------------------


@pytest.fixture
def case():
    """am1 (finance): A1 crystal, A2 gold; am2 (government): A3 crystal. October's plan:
    A1 call 16 Oct, visits 23 Oct, 9 Dec; A2 calls 8, 23 Oct, visits 12 Oct, 4 Nov, 27 Nov,
    18 Dec; A3 like A1. Logged: am1 a visit of A1 on 19 Oct (fulfils the 23 Oct visit) and
    a call of A2 on 8 Oct (fulfils the 8 Oct call)."""
    am1 = UserFactory(username="am1", group=group("finance"))
    am2 = UserFactory(username="am2", group=group("government"))
    a1 = AccountFactory(owner=am1, grade=band("crystal"), name="甲")
    a2 = AccountFactory(owner=am1, grade=band("gold"), name="乙")
    a3 = AccountFactory(owner=am2, grade=band("crystal"), name="丙")
    services.plan_generate(month=D(2026, 10, 1))
    log(am1, a1, "visit", D(2026, 10, 19))
    log(am1, a2, "call", D(2026, 10, 8))
    return {"am1": am1, "am2": am2, "a1": a1, "a2": a2, "a3": a3}


def figures(rows):
    return [
        (r.key, r.visits_owed, r.visits_done, r.calls_owed, r.calls_done, r.owed, r.done, r.pct)
        for r in rows
    ]


def quarter(user, by):
    return selectors.compliance(
        user=user, start=D(2026, 10, 1), end=D(2026, 12, 31), by=by, today=TODAY
    )


def test_compliance_per_am(case):
    # owed by today or done: am1 visits A1 23 Oct (done, early), A2 12 Oct; calls A1 16 Oct,
    # A2 8 Oct (done) -> 2 of 4 = 50.0 %; am2 the call of A3 16 Oct -> 0 of 1 = 0.0 %
    head = UserFactory(head=True)
    assert figures(quarter(head, "owner")) == [
        (case["am2"].pk, 0, 0, 1, 0, 1, 0, Decimal("0.0")),
        (case["am1"].pk, 2, 1, 2, 1, 4, 2, Decimal("50.0")),
    ]


def test_compliance_per_group(case):
    rows = quarter(UserFactory(analyst=True), "group")
    assert figures(rows) == [
        (group("government").pk, 0, 0, 1, 0, 1, 0, Decimal("0.0")),
        (group("finance").pk, 2, 1, 2, 1, 4, 2, Decimal("50.0")),
    ]
    assert [r.label for r in rows] == [str(group("government")), str(group("finance"))]


def test_compliance_per_grade(case):
    # crystal: visit A1 (done); calls A1, A3 -> 1 of 3 = 33.3 %; gold: visit A2, call A2
    # (done) -> 1 of 2 = 50.0 %
    assert figures(quarter(UserFactory(head=True), "grade")) == [
        (band("crystal").pk, 1, 1, 2, 0, 3, 1, Decimal("33.3")),
        (band("gold").pk, 1, 0, 1, 1, 2, 1, Decimal("50.0")),
    ]


def test_compliance_is_limited_to_what_the_user_sees(case):
    lead = UserFactory(lead=True, group=group("finance"))
    assert [r.key for r in quarter(lead, "owner")] == [case["am1"].pk]
    assert [r.key for r in quarter(case["am2"], "owner")] == [case["am2"].pk]
    assert quarter(UserFactory(desk=True), "owner") == []


def test_items_due_after_today_are_owed_only_once_done(case):
    # at the quarter's end everything of am1 is owed: calls A1 16 Oct, A2 8 (done) and
    # 23 Oct; visits A1 23 Oct (done), 9 Dec, A2 12 Oct, 4 Nov, 27 Nov, 18 Dec
    # -> 9 owed, 2 done = 22.2 %
    rows = selectors.compliance(
        user=case["am1"],
        start=D(2026, 10, 1),
        end=D(2026, 12, 31),
        by="owner",
        today=D(2026, 12, 31),
    )
    assert figures(rows) == [(case["am1"].pk, 6, 1, 3, 1, 9, 2, Decimal("22.2"))]
    # a window with nothing owed yet: no row at all
    assert (
        selectors.compliance(
            user=case["am1"], start=D(2026, 11, 1), end=D(2026, 11, 30), by="owner", today=TODAY
        )
        == []
    )


def test_never_visited(case):
    head = UserFactory(head=True)
    AccountFactory(owner=case["am1"], segment="commercial", grade=band("b", "commercial"))
    AccountFactory(owner=case["am1"], grade=band("gold"), status="churned")
    assert list(selectors.never_visited(user=head, year=2026)) == [case["a2"], case["a3"]]
    assert list(selectors.never_visited(user=case["am1"], year=2026)) == [case["a2"]]
    assert list(selectors.never_visited(user=case["am2"], year=2026)) == [case["a3"]]
    # last year's visit does not count this year
    assert len(selectors.never_visited(user=head, year=2027)) == 3
