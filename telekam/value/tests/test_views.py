"""The account page's value tab."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from telekam.accounts.models import Segment
from telekam.core import clock
from telekam.org.tests.factories import UserFactory
from telekam.value.models import SegmentFigure
from telekam.value.tests.helpers import OCT, D

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_am_sees_the_value_tab_with_its_figures(case):
    SegmentFigure.objects.create(
        month=OCT, segment=Segment.PUBLIC, customers=2_000_000, revenue=D("90000000")
    )
    client = client_of(case["am"])
    page = client.get(f"/accounts/{case['a'].pk}/").content.decode()
    assert 'data-testid="value-tab"' in page

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/accounts/{case['a'].pk}/tab/value/")

    html = response.content.decode()
    assert response.status_code == 200
    assert len(queries) <= 30  # with the composite table (potential, score, ranks): fixed
    assert "9,001.00" in html  # revenue
    assert "3,900.71" in html  # profit after 100.00 credit and 5,000.29 allocated cost
    assert "1,500.29" in html  # the voice cost
    equivalents = dict(
        re.findall(r'data-testid="equivalent-(\w+)">.*?fw-semibold">([\d.]+)<', html)
    )
    assert equivalents == {"commercial": "9.0", "public": "200.0"}


def test_the_desk_has_no_value_tab_and_is_refused_it(case):
    desk = client_of(UserFactory(desk=True))
    page = desk.get(f"/accounts/{case['a'].pk}/").content.decode()
    assert 'data-testid="value-tab"' not in page
    assert desk.get(f"/accounts/{case['a'].pk}/tab/value/").status_code == 403
    assert client_of(UserFactory()).get(f"/accounts/{case['a'].pk}/tab/value/").status_code == 404


def test_the_intangible_sheet_from_filling_to_approval(case):
    from telekam.org.tests.factories import group
    from telekam.value.models import IntangibleSheet, SheetStatus

    am = client_of(case["am"])
    account = case["a"]
    form = am.get(f"/value/accounts/{account.pk}/intangible/").content.decode()
    assert 'name="mark_brand"' in form
    marks = {
        "brand": 5,
        "satisfaction": 4,
        "referrals": 3,
        "strategic": 2,
        "social": 1,
        "guarantee": 0,
    }
    data = {f"mark_{k}": str(v) for k, v in marks.items()} | {"notes": "行业标杆", "version": "0"}
    response = am.post(f"/value/accounts/{account.pk}/intangible/", data)
    assert response.status_code == 302
    sheet = IntangibleSheet.objects.get()
    assert (sheet.score, sheet.year) == (D("62.0"), 2026)

    tab = am.get(f"/accounts/{account.pk}/tab/value/").content.decode()
    assert 'data-testid="sheet-score">62.0<' in tab
    assert 'data-testid="sheet-submit"' in tab
    assert 'data-testid="sheet-approve"' not in tab  # the AM does not review
    am.post(f"/value/intangible/{sheet.pk}/submit/", {"version": str(sheet.version)})
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.SUBMITTED

    lead = client_of(UserFactory(lead=True, group=group("finance")))
    queue = lead.get("/value/intangible/reviews/").content.decode()
    assert account.name in queue
    response = lead.post(
        f"/value/intangible/{sheet.pk}/review/",
        {"decision": "approve", "note": "", "version": str(sheet.version), "back": "reviews"},
    )
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.APPROVED
    assert "没有待审核的评分" in lead.get("/value/intangible/reviews/").content.decode()


def test_a_bad_mark_is_a_form_error(case):
    am = client_of(case["am"])
    data = {"mark_brand": "9", "notes": "", "version": "0"}
    response = am.post(f"/value/accounts/{case['a'].pk}/intangible/", data)
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()


def test_who_is_refused_the_sheet_pages(case):
    url = f"/value/accounts/{case['a'].pk}/intangible/"
    assert client_of(UserFactory()).get(url).status_code == 404  # another AM's account
    assert client_of(UserFactory(desk=True)).get(url).status_code == 403
    assert client_of(UserFactory(analyst=True)).get(url).status_code == 403  # reads, not fills
    assert client_of(case["am"]).get("/value/intangible/reviews/").status_code == 403


def test_the_overview_totals_the_users_key_accounts(case):
    from telekam.retention.models import CaseOutcome, CaseStatus
    from telekam.retention.tests.factories import RetentionCaseFactory

    RetentionCaseFactory(
        account=case["a"],
        status=CaseStatus.CLOSED,
        outcome=CaseOutcome.LOST,
        reason="price",
        monthly_revenue_lost=D("3000.00"),
        closed_on=dt.date(2026, 10, 20),
    )
    head = client_of(UserFactory(head=True))
    with CaptureQueriesContext(connection) as queries:
        page = head.get("/value/?month=2026-10").content.decode()
    assert len(queries) <= 42  # with the composite ranking (a fixed number more)
    # A 3900.71 + B 1800.21 + C 300.07
    assert 'data-testid="total-profit">6,000.99<' in page
    assert "1 户流失或部分流失，月收入损失 3,000.00 元" in page
    top = page[page.index('data-testid="top-profit"') :]
    assert top.index("甲集团") < top.index("乙集团") < top.index("丙集团")

    mine = client_of(case["am"]).get("/value/?month=2026-10").content.decode()
    assert 'data-testid="total-profit">3,900.71<' in mine  # the AM's own account only
    assert "乙集团" not in mine


def test_the_overview_refuses_the_desk_and_survives_a_bad_month(case):
    assert client_of(UserFactory(desk=True)).get("/value/").status_code == 403
    response = client_of(case["am"]).get("/value/?month=2026-13")
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()


def test_the_value_tab_shows_another_month_and_survives_a_bad_one(case):
    from telekam.value.tests.helpers import bill

    bill(case["a"], "digital_circuit", "7777.00", month=dt.date(2026, 8, 1))
    client = client_of(case["am"])

    august = client.get(f"/accounts/{case['a'].pk}/tab/value/?month=2026-08").content.decode()
    assert "2026-08 直接价值" in august
    assert 'data-testid="value-revenue">7,777.00<' in august
    assert "本月未录入成本池" in august  # no pools for August
    for bad in ("2026-13", "x", "2031-01"):
        response = client.get(f"/accounts/{case['a'].pk}/tab/value/?month={bad}")
        assert response.status_code == 200
        html = response.content.decode()
        assert "is-invalid" in html
        assert "2026-10 直接价值" in html  # the latest billed month instead


def test_the_overview_names_the_lost_accounts(case):
    from telekam.retention.models import CaseOutcome, CaseStatus
    from telekam.retention.tests.factories import RetentionCaseFactory

    RetentionCaseFactory(
        account=case["b"],
        status=CaseStatus.CLOSED,
        outcome=CaseOutcome.PARTLY_LOST,
        reason="price",
        monthly_revenue_lost=D("500.00"),
        closed_on=dt.date(2026, 11, 2),
    )
    head = client_of(UserFactory(head=True)).get("/value/?month=2026-10").content.decode()
    names = head[head.index('data-testid="lost-accounts"') :]
    assert "乙集团" in names
    assert "/retention/analysis/cases/?period=2026-Q4" in names
    am = client_of(case["am"]).get("/value/?month=2026-10").content.decode()
    assert 'data-testid="lost-accounts"' not in am  # not the AM's account
