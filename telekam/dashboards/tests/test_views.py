"""The dashboard pages: what each role sees, the drill-down, refusals, bad input, the
targets page, and a bounded number of queries."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse

from telekam.core import clock
from telekam.dashboards.models import KpiTarget
from telekam.dashboards.tests.conftest import OCT, TODAY
from telekam.org.tests.factories import UserFactory
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db

URL = reverse("dashboards:dashboard")


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(aware(TODAY)):
        yield


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_head_sees_the_department_with_league_tables(world):
    KpiTarget.objects.create(kpi="retention_revenue", year=2026, month=10, level="department",
                             value=D("90"))  # fmt: skip
    response = login(world.head).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "全部门" in page
    assert response.context["data"].period.closing.isoformat() == "2026-10-01"
    cards = {c["card"].kpi.value: c["card"] for c in response.context["cards"]}
    assert cards["retention_revenue"].figure.value == D("61.9")
    assert (cards["retention_revenue"].target, cards["retention_revenue"].met) == (D("90"), False)
    assert 'data-testid="league-groups"' in page
    assert 'data-testid="league-owners"' in page
    assert "?kind=month&amp;month=2026-10&amp;group=" in page  # a group's row opens its dashboard
    assert "/dashboard/kpi/retention_revenue/?kind=month&amp;month=2026-10" in page


def test_the_start_page_is_the_dashboard(world):
    assert login(world.am1).get("/")["Location"] == URL
    desk = UserFactory(desk=True)
    assert login(desk).get("/")["Location"] == reverse("accounts:my_accounts")


def test_am_sees_its_own_and_no_league_of_others(world):
    response = login(world.am1).get(URL)
    assert response.status_code == 200
    data = response.context["data"]
    assert (data.level, data.scope.owner_id) == ("owner", world.am1.pk)
    assert [t.name for t in data.top] == ["甲", "乙"]
    assert response.context["owners"] == []
    assert login(world.am1).get(URL, {"owner": world.am2.pk}).status_code == 403
    assert login(world.am1).get(URL, {"group": world.a.group_id}).status_code == 403


def test_lead_sees_its_group_and_its_ams_not_another_group(world):
    response = login(world.lead).get(URL)
    data = response.context["data"]
    assert (data.level, data.scope.group_id) == ("group", world.a.group_id)
    assert {r["row"].key for r in response.context["owners"]} == {world.am1.pk, world.am2.pk}
    assert login(world.lead).get(URL, {"owner": world.am1.pk}).status_code == 200
    assert login(world.lead).get(URL, {"owner": world.am3.pk}).status_code == 403
    assert login(world.lead).get(URL, {"group": world.d.group_id}).status_code == 403


def test_desk_and_ops_are_refused(world):
    for user in (UserFactory(desk=True), UserFactory(ops=True)):
        assert login(user).get(URL).status_code == 403
        assert login(user).get(reverse("dashboards:drill", args=["avg_value"])).status_code == 403


def test_bad_query_shows_defaults_never_500(world):
    response = login(world.head).get(
        URL, {"kind": "week", "month": "2026-13", "trend": "x", "group": "abc", "sort": "1"}
    )
    assert response.status_code == 200
    assert response.context["problems"]
    assert response.context["data"].period.kind == "month"
    assert login(world.head).get(URL, {"group": 99999}).status_code == 404
    assert login(world.head).get(URL, {"owner": 99999}).status_code == 404
    assert login(world.head).get(reverse("dashboards:drill", args=["nope"])).status_code == 404


def test_year_to_date_and_trend(world):
    response = login(world.head).get(URL, {"kind": "year", "trend": "satisfaction"})
    cards = {c["card"].kpi.value: c["card"].figure.value for c in response.context["cards"]}
    assert cards["retention_count"] == D("25.0")
    trend = response.context["data"].trend
    assert len(trend) == 12
    assert [(m.month, f.value) for m, f, _t in trend if f.value is not None] == [
        (3, D("100.0")), (9, D("100.0")), (10, D("40.0"))
    ]  # fmt: skip


def test_drill_lists_the_accounts_behind_a_figure(world):
    url = reverse("dashboards:drill", args=["retention_count"])
    response = login(world.head).get(url, {"month": "2026-10"})
    assert response.status_code == 200
    rows = [item["line"].account.name for item in response.context["lines"]]
    assert rows == ["丁", "丙", "乙", "甲"]
    assert reverse("accounts:detail", args=[world.d.pk]) in response.content.decode()
    # an AM's drill holds only its accounts, whatever it asks
    response = login(world.am3).get(url, {"month": "2026-10"})
    assert [item["line"].account.name for item in response.context["lines"]] == ["丁"]
    grade = login(world.head).get(
        reverse("dashboards:drill", args=["avg_value"]), {"grade": world.a.grade_id}
    )
    assert [item["line"].account.name for item in grade.context["lines"]] == ["甲"]


def test_queries_bounded(world, django_assert_max_num_queries):
    from telekam.accounts.tests.factories import AccountFactory
    from telekam.value.tests.helpers import bill

    client = login(world.head)
    client.get(URL)
    with django_assert_max_num_queries(20) as small:
        client.get(URL)
    for _i in range(10):
        bill(AccountFactory(owner=UserFactory()), "digital_circuit", "100.00")
    with django_assert_max_num_queries(20) as big:
        client.get(URL)
    assert len(big.captured_queries) == len(small.captured_queries)


def test_targets_page_sets_and_refuses(world):
    url = reverse("dashboards:targets")
    data = {"kpi": "visit_compliance", "year": 2026, "month": 0, "level": "owner",
            "owner": world.am1.pk, "value": "95", "version": 0}  # fmt: skip
    # an AM may not set targets; a lead may for its own AMs, not another group's
    assert login(world.am1).post(url, data).status_code == 403
    assert KpiTarget.objects.count() == 0
    response = login(world.lead).post(url, {**data, "owner": world.am3.pk})
    assert response.status_code == 403
    response = login(world.lead).post(url, data)
    assert response.status_code == 302
    target = KpiTarget.objects.get()
    assert (target.level, target.owner_id, target.value) == ("owner", world.am1.pk, D("95"))
    # a second save on version 0 is a conflict on the form, not an overwrite
    response = login(world.head).post(url, {**data, "value": "80"})
    assert response.status_code == 200
    assert "已由他人设定" in response.content.decode()
    target.refresh_from_db()
    assert target.value == D("95")
    response = login(world.head).post(url, {**data, "value": "80", "version": target.version})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.value == D("80")
    # the AM's card now shows it
    cards = login(world.am1).get(URL).context["cards"]
    card = next(c["card"] for c in cards if c["card"].kpi.value == "visit_compliance")
    assert (card.target, card.met) == (D("80.00"), False)  # 1 of 2 done: 50.0
    # a group target without the group is a form error
    response = login(world.head).post(url, {**data, "level": "group", "owner": ""})
    assert response.status_code == 200
    assert "请选择行业组" in response.content.decode()


def test_the_departments_am_league_shows_both_ends(world):
    from telekam.accounts.tests.factories import AccountFactory
    from telekam.value.tests.helpers import bill

    for i in range(20):
        account = AccountFactory(owner=UserFactory(username=f"extra{i:02d}"))
        bill(account, "digital_circuit", "100.00", month=OCT.replace(month=9))
        bill(account, "digital_circuit", f"{100 - i}.00")  # extra00 keeps most
    client = login(world.head)
    response = client.get(URL, {"sort": "retention_revenue"})
    owners = response.context["owners"]
    assert response.context["owners_total"] == 23
    assert [o["rank"] for o in owners] == [*range(1, 11), *range(14, 24)]
    assert [o["gap"] for o in owners].count(True) == 1
    assert 'data-testid="owners-all"' in response.content.decode()
    response = client.get(URL, {"sort": "retention_revenue", "owners": "all"})
    assert len(response.context["owners"]) == 23
    lead = login(world.lead).get(URL)  # a group's AMs are all shown
    assert len(lead.context["owners"]) == lead.context["owners_total"]
