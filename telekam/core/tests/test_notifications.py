"""The in-app inbox: /notifications/, marking read, and the bell in the top navigation."""

import datetime as dt
import re

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from telekam.core import clock
from telekam.core.context_processors import navigation
from telekam.core.models import Notification
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
READ_AT = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def note(user, n: int, *, read: bool = False, url: str = "") -> Notification:
    return Notification.objects.create(
        user=user,
        key=f"k{n}",
        title=f"通知{n}",
        body=f"内容{n}",
        url=url,
        created_at=T0 + dt.timedelta(hours=n),
        read_at=T0 + dt.timedelta(days=1) if read else None,
    )


def rows(html: str) -> list[tuple[str, bool]]:
    """(title, shown unread) of each row of the inbox table, top to bottom."""
    body = html.split('data-testid="notifications"', 1)[1].split("</table>", 1)[0]
    return [
        (title, 'data-unread="1"' in attrs)
        for attrs, title in re.findall(
            r"<tr([^>]*)>\s*<td[^>]*>[^<]*</td>\s*<td>(?:<a [^>]*>)?([^<]+)", body
        )
    ]


def unread_badge(html: str) -> str | None:
    found = re.search(r'data-testid="unread-count">(\d+)<', html)
    return found.group(1) if found else None


@pytest.fixture
def am():
    return UserFactory(username="am1")


@pytest.fixture
def other():
    return UserFactory(username="am2")


def test_inbox_lists_own_notifications_newest_first_unread_in_bold(am, other):
    note(am, 1, url="/accounts/7/")
    note(am, 2, read=True)
    note(am, 3, url="/accounts/9/")
    note(other, 4)
    note(other, 5)

    response = login(am).get(reverse("notifications"))

    assert response.status_code == 200
    html = response.content.decode()
    assert rows(html) == [("通知3", True), ("通知2", False), ("通知1", True)]
    assert '<a href="/accounts/9/">通知3</a>' in html
    assert '<a href="/accounts/7/">通知1</a>' in html
    # The other user's notifications are nowhere on the page, not even in the count.
    assert "通知4" not in html
    assert "通知5" not in html
    assert response.context["unread_notifications"] == 2
    assert unread_badge(html) == "2"


def test_inbox_is_paginated(am, settings):
    settings.TELEKAM_PAGE_SIZE = 2
    for n in range(1, 6):
        note(am, n)
    client = login(am)

    first = client.get(reverse("notifications"))
    last = client.get(reverse("notifications"), {"page": 3})

    assert [t for t, _ in rows(first.content.decode())] == ["通知5", "通知4"]
    assert [t for t, _ in rows(last.content.decode())] == ["通知1"]
    assert first.context["page_obj"].paginator.count == 5
    assert "共 5 条，第 1/3 页" in first.content.decode()


def test_empty_inbox_and_no_badge(am):
    response = login(am).get(reverse("notifications"))

    html = response.content.decode()
    assert "没有通知。" in html
    assert unread_badge(html) is None
    assert "全部标为已读" not in html


@pytest.mark.parametrize("count", [3, 40])
def test_inbox_runs_a_bounded_number_of_queries(am, count, django_assert_max_num_queries):
    for n in range(count):
        note(am, n, read=n % 2 == 0, url=f"/accounts/{n}/")
    client = login(am)

    # Session, user, the page's count and rows, the bell's unread count, the warnings badge.
    with django_assert_max_num_queries(6):
        response = client.get(reverse("notifications"))

    assert response.status_code == 200
    assert len(rows(response.content.decode())) == min(count, 25)


def test_mark_all_read_touches_only_own_unread(am, other):
    mine = [note(am, 1), note(am, 2, read=True), note(am, 3)]
    theirs = note(other, 4)

    with clock.frozen(READ_AT):
        response = login(am).post(reverse("notifications_read"))

    assert response.status_code == 302
    assert response["Location"] == reverse("notifications")
    read = dict(Notification.objects.values_list("pk", "read_at"))
    assert read == {
        mine[0].pk: READ_AT,
        mine[1].pk: T0 + dt.timedelta(days=1),  # read before: keeps its time
        mine[2].pk: READ_AT,
        theirs.pk: None,
    }


def test_mark_one_read(am):
    first, second = note(am, 1), note(am, 2)

    with clock.frozen(READ_AT):
        response = login(am).post(
            f"{reverse('notifications_read')}?pk={second.pk}", {"next": "/notifications/?page=1"}
        )

    assert response.status_code == 302
    assert response["Location"] == "/notifications/?page=1"
    assert dict(Notification.objects.values_list("pk", "read_at")) == {
        first.pk: None,
        second.pk: READ_AT,
    }


def test_another_users_notification_cannot_be_marked_read(am, other):
    theirs = note(other, 1)
    note(am, 2)

    response = login(am).post(f"{reverse('notifications_read')}?pk={theirs.pk}")

    assert response.status_code == 404
    assert list(Notification.objects.filter(read_at__isnull=False)) == []


@pytest.mark.parametrize("pk", ["999999", "abc", "-1"])
def test_unknown_or_malformed_pk_is_404_and_nothing_changes(am, pk):
    note(am, 1)

    response = login(am).post(f"{reverse('notifications_read')}?pk={pk}")

    assert response.status_code == 404
    assert Notification.objects.get().read_at is None


def test_read_refuses_get_and_outside_next(am):
    note(am, 1)
    client = login(am)

    assert client.get(reverse("notifications_read")).status_code == 405
    assert Notification.objects.get().read_at is None
    response = client.post(reverse("notifications_read"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("notifications")


def test_signed_out_user_is_sent_to_login(am):
    note(am, 1)
    client = Client()

    page = client.get(reverse("notifications"))
    read = client.post(reverse("notifications_read"))

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("login"))
    assert read.status_code == 302
    assert Notification.objects.get().read_at is None


def test_bell_shows_the_unread_count_on_other_pages(am, other):
    note(am, 1)
    note(am, 2)
    note(am, 3, read=True)
    note(other, 4)

    html = login(am).get(reverse("accounts:my_accounts")).content.decode()

    assert unread_badge(html) == "2"
    assert f'href="{reverse("notifications")}"' in html


def test_context_processor_counts_in_one_query_only_when_shown(am, django_assert_num_queries):
    note(am, 1)
    note(am, 2)
    note(am, 3, read=True)
    request = RequestFactory().get("/")
    request.user = am

    with django_assert_num_queries(0):
        context = navigation(request)
    with django_assert_num_queries(1):
        assert context["unread_notifications"] == 2
        assert str(context["unread_notifications"]) == "2"


def test_context_processor_gives_nothing_to_anonymous_users():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    assert navigation(request) == {}
