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
    assert len(queries) <= 16
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
