"""A hand-computed KPI case (figures in test_kpis): five key accounts of three AMs in two
groups, one commercial account that no KPI counts, October 2026 against September (the
month) and against December 2025 (the year to date); today is 20 November 2026."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from telekam.accounts.models import Account, Segment
from telekam.accounts.tests.factories import AccountFactory, band
from telekam.engagement.models import ContactKind, ContactLog, PlannedContact, PlanStatus
from telekam.org.models import User
from telekam.org.tests.factories import UserFactory, group
from telekam.retention.models import CaseOutcome, CaseStatus, WarningStatus
from telekam.retention.tests.factories import ChurnWarningFactory, RetentionCaseFactory
from telekam.service.models import (
    Callback,
    CallbackOutcome,
    CallbackStatus,
    ProvisioningOrder,
    SurveyImport,
    SurveyRating,
    SurveyResponse,
)
from telekam.service.tests.factories import aware, order
from telekam.value.tests.helpers import bill

TODAY = dt.date(2026, 11, 20)
OCT = dt.date(2026, 10, 1)
SEP = dt.date(2026, 9, 1)
DEC = dt.date(2025, 12, 1)


@dataclasses.dataclass
class World:
    head: User
    am1: User
    am2: User
    am3: User
    lead: User
    a: Account
    b: Account
    c: Account
    d: Account
    e: Account
    f: Account


def _callback(account: Account, due: dt.date, done: dt.datetime | None, outcome: str = "") -> None:
    Callback.objects.create(
        account=account,
        opened_on=due - dt.timedelta(days=7),
        due_on=due,
        status=CallbackStatus.DONE if done else CallbackStatus.OPEN,
        done_at=done,
        outcome=outcome,
    )


def _plan(account: Account, kind: str, due: dt.date, done: bool) -> None:
    log = (
        ContactLog.objects.create(
            account=account, author=account.owner, kind=kind, happened_on=due, topics="走访"
        )
        if done
        else None
    )
    PlannedContact.objects.create(
        log=log,
        account=account,
        owner=account.owner,
        kind=kind,
        period_start=due.replace(day=1),
        period_end=due.replace(day=28) if due.day <= 28 else due,
        due_on=due,
        source_key=f"test-{account.pk}-{kind}-{due}",
        status=PlanStatus.DONE if done else PlanStatus.PLANNED,
    )


def _activated(actor: User, account: Account, on: dt.date, deadline: dt.date) -> None:
    o = order(actor=actor, account=account, accepted_on=dt.date(2026, 9, 1))
    ProvisioningOrder.objects.filter(pk=o.pk).update(
        status="activated", activated_on=on, deadline=deadline
    )


@pytest.fixture
def world(db: Any) -> World:
    finance, government = group("finance"), group("government")
    head = UserFactory(head=True)
    am1 = UserFactory(username="am1", group=finance)
    am2 = UserFactory(username="am2", group=finance)
    am3 = UserFactory(username="am3", group=government)
    lead = UserFactory(username="lead_fin", lead=True, group=finance)
    a = AccountFactory(name="甲", owner=am1, grade=band("gold"))
    b = AccountFactory(name="乙", owner=am1)
    c = AccountFactory(name="丙", owner=am2)
    d = AccountFactory(name="丁", owner=am3)
    e = AccountFactory(name="戊", owner=am3)
    f = AccountFactory(name="己商贸", owner=am1, segment=Segment.COMMERCIAL,
                       grade=band("b", "commercial"))  # fmt: skip
    # Bills: opening of the year (Dec 2025), opening of the month (Sep), closing (Oct).
    for account, dec, sep, octo in (
        (a, "8000", "10000", "12000"),
        (b, "5000", "5000", "3000"),
        (c, "4000", "4000", "4000"),
        (d, "2000", "2000", None),
        (e, None, None, "1000"),
        (f, "9999", "9999", "9999"),
    ):
        for month, amount in ((DEC, dec), (SEP, sep), (OCT, octo)):
            if amount:
                bill(account, "digital_circuit", amount, month=month)
    # C lost in October; B's case closed lost in September (in the year, not the month).
    RetentionCaseFactory(account=c, status=CaseStatus.CLOSED, outcome=CaseOutcome.LOST,
                         closed_on=dt.date(2026, 10, 15))  # fmt: skip
    RetentionCaseFactory(account=b, status=CaseStatus.CLOSED, outcome=CaseOutcome.LOST,
                         closed_on=dt.date(2026, 9, 20))  # fmt: skip
    # Callbacks (due; done at, local time; outcome).
    _callback(a, dt.date(2026, 10, 10), aware(dt.date(2026, 10, 9)), CallbackOutcome.SATISFIED)
    _callback(a, dt.date(2026, 10, 20), aware(dt.date(2026, 10, 21)), CallbackOutcome.DISSATISFIED)
    _callback(b, dt.date(2026, 10, 15), aware(dt.date(2026, 10, 15), 23, 30),
              CallbackOutcome.NEUTRAL)  # fmt: skip
    _callback(b, dt.date(2026, 10, 25), None)
    _callback(b, dt.date(2026, 10, 5), aware(dt.date(2026, 10, 3)), CallbackOutcome.UNREACHABLE)
    _callback(d, dt.date(2026, 10, 2), aware(dt.date(2026, 9, 30), 23, 30),
              CallbackOutcome.SATISFIED)  # fmt: skip
    _callback(e, dt.date(2026, 11, 25), None)
    _callback(a, dt.date(2026, 3, 10), aware(dt.date(2026, 3, 12)), CallbackOutcome.SATISFIED)
    _callback(f, dt.date(2026, 10, 10), None)  # not a key account
    # Planned visits and calls.
    _plan(a, ContactKind.VISIT, dt.date(2026, 10, 5), done=True)
    _plan(a, ContactKind.CALL, dt.date(2026, 10, 12), done=False)
    _plan(c, ContactKind.VISIT, dt.date(2026, 10, 30), done=True)
    _plan(d, ContactKind.VISIT, dt.date(2026, 11, 15), done=False)
    _plan(e, ContactKind.VISIT, dt.date(2026, 10, 31), done=False)
    # Orders activated.
    _activated(head, a, dt.date(2026, 10, 12), dt.date(2026, 10, 20))
    _activated(head, b, dt.date(2026, 10, 28), dt.date(2026, 10, 27))
    _activated(head, c, dt.date(2026, 11, 2), dt.date(2026, 11, 5))
    # Churn warnings (raised, due, acknowledged at).
    ChurnWarningFactory(account=a, raised_on=dt.date(2026, 10, 3), ack_due=dt.date(2026, 10, 8),
                        status=WarningStatus.ACKNOWLEDGED,
                        acknowledged_at=aware(dt.date(2026, 10, 8), 23))  # fmt: skip
    ChurnWarningFactory(account=b, raised_on=dt.date(2026, 10, 20), ack_due=dt.date(2026, 10, 23),
                        status=WarningStatus.ACKNOWLEDGED,
                        acknowledged_at=aware(dt.date(2026, 10, 24)))  # fmt: skip
    ChurnWarningFactory(account=c, raised_on=dt.date(2026, 10, 28), ack_due=dt.date(2026, 11, 2))
    ChurnWarningFactory(account=e, raised_on=dt.date(2026, 10, 30), ack_due=dt.date(2026, 11, 25))
    # Survey answers (the vendor's file): A satisfied and D dissatisfied in October, E
    # satisfied in September; the commercial account's does not count.
    batch = SurveyImport.objects.create(file_name="survey.csv", sha256="0" * 64,
                                        imported_by=head, row_count=4)  # fmt: skip
    for account, day, rating in (
        (a, dt.date(2026, 10, 20), SurveyRating.SATISFIED),
        (d, dt.date(2026, 10, 22), SurveyRating.DISSATISFIED),
        (e, dt.date(2026, 9, 5), SurveyRating.SATISFIED),
        (f, dt.date(2026, 10, 20), SurveyRating.SATISFIED),
    ):
        SurveyResponse.objects.create(account=account, survey="2026年度满意度调查",
                                      surveyed_on=day, rating=rating, survey_import=batch)  # fmt: skip
    return World(head, am1, am2, am3, lead, a, b, c, d, e, f)
