"""The demo's year of visits and calls at 2% scale: the plan every account is owed with the
live job's keys, logs fulfilling most of it within each item's period, lower compliance for
overloaded AMs, a live week for am_finance, the same rows for the same seed, and a reset
that removes them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F

from telekam.accounts.models import Account
from telekam.core import clock
from telekam.core.models import AuditEntry
from telekam.demo import generator
from telekam.engagement import selectors
from telekam.engagement.models import ContactKind, ContactLog, PlannedContact, PlanStatus
from telekam.engagement.services import contact_log_create, plan_generate
from telekam.org.models import User

pytestmark = pytest.mark.django_db

SCALE = 0.02
NOW = dt.datetime(2026, 11, 24, 11, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Tuesday
TODAY = NOW.date()
WEEK_START = TODAY - dt.timedelta(days=TODAY.weekday())


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), clock.frozen(NOW):
        result = generator.generate(scale=SCALE)
    yield result
    with django_db_blocker.unblock():
        generator.reset()


def test_counts_match_and_are_not_zero(demo):
    counts = demo.counts
    assert counts["planned_contacts"] == PlannedContact.objects.count() > 0
    assert counts["contact_logs"] == ContactLog.objects.count() > 0
    assert counts["planned_contacts_done"] == PlannedContact.objects.filter(status="done").count()
    assert counts["contact_log_contacts"] == ContactLog.contacts.through.objects.count() > 0
    assert ContactLog.objects.exclude(needs="").exists()
    assert ContactLog.objects.exclude(next_steps="").exists()
    assert set(PlannedContact.objects.values_list("kind", flat=True)) == set(ContactKind.values)
    assert PlannedContact.objects.exclude(reason="standard").exists()  # events, renewals
    for row in PlannedContact.objects.all()[:300]:
        row.full_clean(validate_unique=False)
    for log in ContactLog.objects.all()[:300]:
        log.full_clean(validate_unique=False)


def test_every_done_plan_has_a_log_of_its_account_and_kind_within_its_period(demo):
    done = PlannedContact.objects.filter(status=PlanStatus.DONE).select_related("log")
    assert done.exists()
    for plan in done:
        log = plan.log
        assert log is not None
        assert (log.account_id, log.kind, log.author_id) == (
            plan.account_id,
            plan.kind,
            plan.owner_id,
        )
        assert plan.period_start <= log.happened_on <= min(plan.period_end, TODAY)
        assert abs((log.happened_on - plan.due_on).days) <= 7
    assert ContactLog.objects.count() == done.count()  # every log fulfils one item
    assert not ContactLog.objects.filter(created_at__gt=NOW).exists()
    assert not PlannedContact.objects.filter(updated_at__gt=NOW).exists()
    # the contacts met are the account's own
    assert not ContactLog.contacts.through.objects.exclude(
        contact__account_id=F("contactlog__account_id")
    ).exists()


def test_nothing_due_from_this_week_on_is_done_and_the_year_is_planned(demo):
    assert not PlannedContact.objects.filter(status="done", due_on__gte=WEEK_START).exists()
    assert PlannedContact.objects.filter(status="planned", due_on__gte=WEEK_START).exists()
    months = {d.replace(day=1) for d in PlannedContact.objects.filter(kind="call").values_list(
        "period_start", flat=True)}  # fmt: skip
    assert len(months) == 12
    assert max(months) == TODAY.replace(day=1)


def test_the_live_job_adds_nothing_for_this_month(demo):
    before = PlannedContact.objects.count()
    with clock.frozen(NOW):
        report = plan_generate(month=TODAY)
    assert report.created == 0
    assert report.existing > 0
    assert PlannedContact.objects.count() == before


def test_overloaded_ams_comply_less_and_calls_more_than_visits(demo):
    head = User.objects.get(username="head")
    loads = sorted(
        (am.load_pct, am.user.pk)
        for group in selectors.staffing(today=TODAY)
        for am in group.ams
        if am.accounts and am.user.username != "am_finance"
    )
    rows = {
        r.key: r
        for r in selectors.compliance(
            user=head,
            start=TODAY - dt.timedelta(days=365),
            end=TODAY,
            today=WEEK_START - dt.timedelta(days=1),
        )
    }
    pct = [float(rows[pk].pct or 0) for _load, pk in loads if pk in rows]
    quarter = max(1, len(pct) // 4)
    light, heavy = sum(pct[:quarter]) / quarter, sum(pct[-quarter:]) / quarter
    assert light > heavy + 10, (light, heavy)
    assert max(pct) >= 85
    assert min(pct) <= 75
    visits = sum(r.visits_done for r in rows.values()) / sum(r.visits_owed for r in rows.values())
    calls = sum(r.calls_done for r in rows.values()) / sum(r.calls_owed for r in rows.values())
    assert calls > visits
    assert selectors.never_visited(user=head, year=TODAY.year).exists()


def test_am_finance_has_a_live_week_with_a_few_overdue(demo):
    am = User.objects.get(username="am_finance")
    week = selectors.my_week(user=am, today=TODAY)
    assert week.due
    assert 1 <= len(week.overdue) <= 6
    # and logging one of them fulfils it
    item = week.overdue[0]
    with clock.frozen(NOW):
        log = contact_log_create(
            actor=am, account=item.account, kind=item.kind, happened_on=TODAY, topics="补登",
            planned=item,
        )  # fmt: skip
    item.refresh_from_db()
    assert item.status == PlanStatus.DONE
    assert item.log_id == log.pk
    assert log.pk > max(ContactLog.objects.exclude(pk=log.pk).values_list("pk", flat=True))


def test_timeline_entries_point_at_the_logs(demo):
    entries = AuditEntry.objects.filter(target_type="engagement.contactlog")
    assert entries.count() == demo.counts["visit_audit_entries"] > 0
    logs = ContactLog.objects.in_bulk()
    for entry in entries[:500]:
        log = logs.get(int(entry.target_id))
        if log is None:  # the one logged by the test above
            continue
        assert (entry.account_id, entry.actor_id) == (log.account_id, log.author_id)
        assert entry.at.astimezone(NOW.tzinfo).date() == log.happened_on


def test_same_seed_gives_the_same_year_and_reset_removes_it(demo):
    def snapshot() -> dict[str, list[tuple[object, ...]]]:
        return {
            "plans": list(PlannedContact.objects.order_by("account__code", "kind", "due_on", "reason", "period_end", "status",
                                    "log__happened_on")
                          .values_list("account__code", "owner__username", "kind", "due_on",
                                       "period_end", "status", "log__happened_on", "reason")),
            "logs": list(ContactLog.objects.exclude(topics="补登")
                         .order_by("account__code", "kind", "happened_on", "topics")
                         .values_list("account__code", "kind", "happened_on", "topics", "needs",
                                      "next_steps", "follow_up_on", "created_at")),
        }  # fmt: skip

    first = snapshot()
    generator.reset()
    assert not PlannedContact.objects.exists()
    assert not ContactLog.objects.exists()
    assert not ContactLog.contacts.through.objects.exists()
    assert not AuditEntry.objects.filter(target_type__startswith="engagement.").exists()
    assert not Account.objects.exists()
    with clock.frozen(NOW):
        generator.generate(scale=SCALE)
    second = snapshot()
    # the item logged by the test above is open again
    assert len(second["plans"]) == len(first["plans"])
    assert second["logs"] == first["logs"]
    assert sum(a != b for a, b in zip(first["plans"], second["plans"], strict=True)) <= 1
