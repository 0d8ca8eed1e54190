"""The visit pages: my week and its iCal feed, logging, compliance and staffing, per role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from telekam.accounts.tests.factories import AccountFactory, ContactFactory, band
from telekam.core import clock
from telekam.engagement import services
from telekam.engagement.models import ContactLog, PlannedContact, PlanStatus
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory, group
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db

D = dt.date


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def people():
    return {
        "am": UserFactory(),
        "other_am": UserFactory(group=group("enterprise")),
        "lead": UserFactory(lead=True),
        "other_lead": UserFactory(lead=True, group=group("enterprise")),
        "head": UserFactory(head=True),
        "analyst": UserFactory(analyst=True),
        "desk": UserFactory(desk=True),
        "ops": UserFactory(ops=True),
    }


@pytest.fixture
def planned(people):
    """A crystal account planned for October 2026: a call on Fri 10-16, visits on Fri 10-23
    and Wed 12-09."""
    account = AccountFactory(owner=people["am"], grade=band("crystal"), name="北京华信证券")
    services.plan_generate(month=D(2026, 10, 1), accounts=[account])
    return account


def item(account, kind: str, due: dt.date) -> PlannedContact:
    return PlannedContact.objects.get(account=account, kind=kind, due_on=due)


def test_week_shows_the_calendar_and_overdue_items(people, planned):
    with clock.frozen(aware(D(2026, 10, 20))):
        response = login(people["am"]).get(reverse("engagement:week"))
    assert response.status_code == 200
    week = response.context["week"]
    assert week.start == D(2026, 10, 19)
    assert [p.due_on for p in week.overdue] == [D(2026, 10, 16)]
    assert [(d, [p.kind for p in items]) for d, items in week.days if items] == [
        (D(2026, 10, 23), ["visit"])
    ]
    html = response.content.decode()
    assert "北京华信证券" in html
    assert "登记" in html
    assert reverse("engagement:ical") in html


def test_week_param_shows_another_week_and_bad_dates_fall_back(people, planned):
    client = login(people["am"])
    with clock.frozen(aware(D(2026, 10, 20))):
        other = client.get(reverse("engagement:week"), {"week": "2026-10-14"})
        bad = client.get(reverse("engagement:week"), {"week": "2026-13-40"})
    assert other.context["week"].start == D(2026, 10, 12)
    assert [d for d, items in other.context["week"].days if items] == [D(2026, 10, 16)]
    assert bad.status_code == 200
    assert bad.context["week"].start == D(2026, 10, 19)


def test_week_shows_only_the_users_own_plans(people, planned):
    with clock.frozen(aware(D(2026, 10, 20))):
        response = login(people["other_am"]).get(reverse("engagement:week"))
    assert response.status_code == 200
    assert response.context["week"].overdue == []
    assert response.context["week"].due == []


@pytest.mark.parametrize("role", ["desk", "ops"])
def test_desk_and_ops_are_refused_every_page(people, planned, role):
    client = login(people[role])
    for name in ("week", "ical", "compliance", "compliance_accounts", "staffing"):
        assert client.get(reverse(f"engagement:{name}")).status_code == 403, name
    assert client.get(reverse("engagement:log"), {"account": planned.pk}).status_code == 403


def test_an_am_may_not_open_staffing(people):
    assert login(people["am"]).get(reverse("engagement:staffing")).status_code == 403


def test_move_within_the_period(people, planned):
    call = item(planned, "call", D(2026, 10, 16))
    with clock.frozen(aware(D(2026, 10, 12))):
        response = login(people["am"]).post(
            reverse("engagement:plan_move", args=[call.pk]),
            {"due_on": "2026-10-28", "version": call.version, "week": "2026-10-12"},
            follow=True,
        )
    call.refresh_from_db()
    assert call.due_on == D(2026, 10, 28)
    assert response.redirect_chain[-1][0].endswith("?week=2026-10-12")
    assert "已改到 2026-10-28" in response.content.decode()


def test_move_outside_the_period_is_a_message(people, planned):
    call = item(planned, "call", D(2026, 10, 16))
    with clock.frozen(aware(D(2026, 10, 12))):
        response = login(people["am"]).post(
            reverse("engagement:plan_move", args=[call.pk]),
            {"due_on": "2026-11-02", "version": call.version},
            follow=True,
        )
    call.refresh_from_db()
    assert call.due_on == D(2026, 10, 16)
    assert "只能在本周期内调整" in response.content.decode()


def test_moving_another_ams_plan_is_404(people, planned):
    call = item(planned, "call", D(2026, 10, 16))
    response = login(people["other_am"]).post(
        reverse("engagement:plan_move", args=[call.pk]),
        {"due_on": "2026-10-20", "version": call.version},
    )
    assert response.status_code == 404


def test_ical_has_the_open_item_exactly(people):
    account = AccountFactory(owner=people["am"], grade=band("crystal"), name="华信,证券;一部")
    services.plan_generate(month=D(2026, 11, 1), accounts=[account])
    call = PlannedContact.objects.get(account=account)
    with clock.frozen(aware(D(2026, 11, 2), 10)):
        response = login(people["am"]).get(reverse("engagement:ical"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response.content.decode() == (
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        "PRODID:-//TeleKAM//Visits//ZH\r\n"
        "CALSCALE:GREGORIAN\r\n"
        "BEGIN:VEVENT\r\n"
        f"UID:{call.pk}@telekam\r\n"
        "DTSTAMP:20261102T020000Z\r\n"
        "DTSTART;VALUE=DATE:20261116\r\n"
        "DTEND;VALUE=DATE:20261117\r\n"
        "SUMMARY:主动电话：华信\\,证券\\;一部\r\n"
        "END:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


def test_ical_leaves_out_done_items_and_other_ams(people, planned):
    with clock.frozen(aware(D(2026, 10, 20))):
        services.contact_log_create(
            actor=people["am"], account=planned, kind="call", happened_on=D(2026, 10, 16),
            topics="季度回访",
        )  # fmt: skip
        mine = login(people["am"]).get(reverse("engagement:ical")).content.decode()
        theirs = login(people["other_am"]).get(reverse("engagement:ical")).content.decode()
    assert mine.count("BEGIN:VEVENT") == 2  # the two visits; the call is done
    assert "主动电话" not in mine
    assert "BEGIN:VEVENT" not in theirs


def test_log_a_visit_from_the_plan(people, planned):
    visit = item(planned, "visit", D(2026, 10, 23))
    contact = ContactFactory(account=planned)
    ContactFactory()  # another account's contact: not offered
    url = reverse("engagement:log") + f"?account={planned.pk}&planned={visit.pk}"
    client = login(people["am"])
    with clock.frozen(aware(D(2026, 10, 21))):
        page = client.get(url)
        assert page.status_code == 200
        assert page.context["form"]["kind"].value() == "visit"
        assert page.context["form"]["happened_on"].value() == D(2026, 10, 21)
        assert list(page.context["form"].fields["contacts"].queryset) == [contact]
        response = client.post(
            url,
            {"kind": "visit", "happened_on": "2026-10-21", "contacts": [contact.pk],
             "topics": "专线扩容", "needs": "", "next_steps": "", "follow_up_on": ""},
        )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("engagement:week")
    visit.refresh_from_db()
    assert visit.status == PlanStatus.DONE
    assert list(visit.log.contacts.all()) == [contact]


def test_log_errors_stay_on_the_form(people, planned):
    with clock.frozen(aware(D(2026, 10, 21))):
        response = login(people["am"]).post(
            reverse("engagement:log") + f"?account={planned.pk}",
            {"kind": "visit", "happened_on": "2026-10-25", "topics": "x"},
        )
    assert response.status_code == 200
    assert "日期不能晚于今天" in response.content.decode()
    assert not ContactLog.objects.exists()


def test_logging_for_another_ams_account_or_plan_is_refused(people, planned):
    theirs = AccountFactory(owner=people["other_am"])
    services.plan_generate(month=D(2026, 10, 1), accounts=[theirs])
    their_call = PlannedContact.objects.filter(account=theirs).first()
    lead = login(people["other_lead"])
    # The enterprise lead cannot see the finance account at all, or may not log for it.
    assert lead.get(reverse("engagement:log"), {"account": planned.pk}).status_code in (403, 404)
    analyst = login(people["analyst"])
    assert analyst.get(reverse("engagement:log"), {"account": planned.pk}).status_code == 403
    am = login(people["am"])
    response = am.get(reverse("engagement:log"), {"account": planned.pk, "planned": their_call.pk})
    assert response.status_code == 404


def test_the_need_becomes_an_opportunity_in_one_click(people, planned):
    client = login(people["am"])
    with clock.frozen(aware(D(2026, 10, 21))):
        response = client.post(
            reverse("engagement:log") + f"?account={planned.pk}",
            {"kind": "visit", "happened_on": "2026-10-21", "topics": "拜访",
             "needs": "总部新增 10G 专线\n分支互联"},
        )  # fmt: skip
        entry = ContactLog.objects.get()
        assert response["Location"] == reverse("engagement:week") + f"?logged={entry.pk}"
        week = client.get(response["Location"])
        assert week.context["logged"] == entry
        assert reverse("engagement:log_to_opportunity", args=[entry.pk]) in week.content.decode()
        assert (
            login(people["other_am"])
            .post(reverse("engagement:log_to_opportunity", args=[entry.pk]))
            .status_code
            == 404
        )
        click = client.post(reverse("engagement:log_to_opportunity", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.opportunity is not None
    assert entry.opportunity.name == "总部新增 10G 专线"
    assert click["Location"] == reverse("sales:opportunity_detail", args=[entry.opportunity.pk])
    with clock.frozen(aware(D(2026, 10, 21))):
        again = client.post(reverse("engagement:log_to_opportunity", args=[entry.pk]), follow=True)
    assert "该需求已转为商机" in again.content.decode()


def _compliance_case(people, planned):
    """Oct 26: the call (10-16) and the first visit (10-23) are due; the visit was done."""
    with clock.frozen(aware(D(2026, 10, 20))):
        services.contact_log_create(
            actor=people["am"], account=planned, kind="visit", happened_on=D(2026, 10, 20),
            topics="拜访",
        )  # fmt: skip


@pytest.mark.parametrize("role", ["lead", "head", "analyst", "am"])
def test_compliance_figures(people, planned, role):
    _compliance_case(people, planned)
    with clock.frozen(aware(D(2026, 10, 26))):
        response = login(people[role]).get(reverse("engagement:compliance"))
    assert response.status_code == 200
    assert (response.context["start"], response.context["end"]) == (D(2026, 10, 1), D(2026, 12, 31))
    tables = {by: rows for by, _title, rows in response.context["tables"]}
    for by in ("owner", "group", "grade"):
        [row] = tables[by]
        assert (row.visits_done, row.visits_owed, row.calls_done, row.calls_owed) == (1, 1, 0, 1)
        assert str(row.pct) == "50.0"
    assert tables["owner"][0].label == str(people["am"])
    assert tables["grade"][0].label == str(band("crystal"))
    trend = response.context["trend"]
    assert [m for m, _r in trend][-1] == D(2026, 10, 1)
    assert len(trend) == 6
    assert (trend[-1][1].done, trend[-1][1].owed) == (1, 2)
    assert response.context["never_count"] == 0


def test_compliance_other_group_sees_nothing_and_bad_dates_fall_back(people, planned):
    _compliance_case(people, planned)
    with clock.frozen(aware(D(2026, 10, 26))):
        other = login(people["other_lead"]).get(reverse("engagement:compliance"))
        bad = login(people["head"]).get(
            reverse("engagement:compliance"), {"start": "nope", "end": "2026-02-30"}
        )
        custom = login(people["head"]).get(
            reverse("engagement:compliance"), {"start": "2026-10-01", "end": "2026-10-20"}
        )
    assert all(rows == [] for _by, _t, rows in other.context["tables"])
    assert bad.status_code == 200
    assert bad.context["start"] == D(2026, 10, 1)
    [row] = custom.context["tables"][0][2]
    assert (row.visits_owed, row.calls_done, row.calls_owed) == (0, 0, 1)


def test_never_visited_lists_accounts_without_a_visit(people, planned):
    quiet = AccountFactory(owner=people["am"], name="未拜访客户")
    with clock.frozen(aware(D(2026, 10, 26))):
        response = login(people["am"]).get(reverse("engagement:compliance"))
    assert response.context["never_count"] == 2
    assert {a.pk for a in response.context["never"]} == {planned.pk, quiet.pk}


def test_compliance_drill_down(people, planned):
    _compliance_case(people, planned)
    AccountFactory(owner=people["other_am"])  # other group, no plan
    with clock.frozen(aware(D(2026, 10, 26))):
        response = login(people["head"]).get(
            reverse("engagement:compliance_accounts"),
            {"owner": people["am"].pk, "start": "2026-10-01", "end": "2026-12-31"},
        )
        empty = login(people["head"]).get(
            reverse("engagement:compliance_accounts"), {"group": group("enterprise").pk}
        )
    assert response.status_code == 200
    assert [(a.pk, owed, done) for a, owed, done in response.context["rows"]] == [
        (planned.pk, 2, 1)
    ]
    assert response.context["label"] == str(people["am"])
    assert empty.context["rows"] == []


def test_week_and_compliance_run_a_bounded_number_of_queries(people, django_assert_max_num_queries):
    def fill(n: int) -> None:
        accounts = [AccountFactory(owner=people["am"]) for _ in range(n)]
        services.plan_generate(month=D(2026, 10, 1), accounts=accounts)

    client = login(people["am"])
    head = login(people["head"])
    fill(2)
    with clock.frozen(aware(D(2026, 10, 20))):
        with django_assert_max_num_queries(30) as small:
            client.get(reverse("engagement:week"))
        with django_assert_max_num_queries(60) as small_c:
            head.get(reverse("engagement:compliance"))
    fill(10)
    with clock.frozen(aware(D(2026, 10, 20))):
        with django_assert_max_num_queries(len(small.captured_queries)):
            client.get(reverse("engagement:week"))
        with django_assert_max_num_queries(len(small_c.captured_queries)):
            head.get(reverse("engagement:compliance"))


@pytest.mark.parametrize("role", ["head", "analyst", "lead"])
def test_staffing_page(people, planned, role):
    with clock.frozen(aware(D(2026, 10, 26))):
        response = login(people[role]).get(reverse("engagement:staffing"))
        what_if = login(people[role]).get(
            reverse("engagement:staffing"),
            {"extra_key_accounts": "1500", "grade": band("crystal").pk,
             "visits_per_quarter": "3", "calls_per_month": "2"},
        )  # fmt: skip
    assert response.status_code == 200
    assert what_if.status_code == 200
    groups = [row["g"].group.code for row in response.context["rows"]]
    assert "finance" in groups
    if role == "lead":
        assert groups == ["finance"]
    assert not response.context["what_if"]
    assert what_if.context["what_if"]
    finance = next(r for r in what_if.context["rows"] if r["g"].group.code == "finance")
    assert finance["what_if"].hours_owed > finance["g"].hours_owed


def test_staffing_rebalances_an_overloaded_am(people):
    busy, free = people["am"], UserFactory()
    for _ in range(30):
        AccountFactory(owner=busy, grade=band("crown"))  # 12 visits a quarter: 14 h a month
    with clock.frozen(aware(D(2026, 10, 26))):
        response = login(people["head"]).get(reverse("engagement:staffing"))
    finance = next(r for r in response.context["rows"] if r["g"].group.code == "finance")
    loads = {a.user.pk: a.load_pct for a in finance["g"].ams}
    assert loads[busy.pk] > 100
    assert finance["moves"]
    assert {m.to_user for m in finance["moves"]} == {free}
    assert all(m.from_user == busy for m in finance["moves"])
    assert "text-danger" in response.content.decode()
