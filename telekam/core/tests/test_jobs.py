"""Notification e-mail: sent once per key, a failed mail kept for the retry job, and the job
run by a real huey consumer (not immediate mode) against the test database."""

import datetime as dt
import logging
import smtplib
import threading

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connections
from django.test import override_settings
from huey import SqliteHuey

from telekam.core import clock
from telekam.core.models import Notification
from telekam.core.services import notification_mail_pending, notification_send
from telekam.core.tasks import notification_mail_retry
from telekam.org.tests.factories import UserFactory

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
FAILING = "telekam.core.tests.test_jobs.UnreachableBackend"
REFUSING = "telekam.core.tests.test_jobs.DisconnectingBackend"


class UnreachableBackend(BaseEmailBackend):
    """A mail server that cannot be reached (connection refused)."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")


class DisconnectingBackend(BaseEmailBackend):
    """A mail server that hangs up half way (an SMTP error, not a socket one)."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def raise_notification(user, key="sla:1", **kwargs):
    """`notification_send` with its on-commit mail run as the commit would run it."""
    return notification_send(
        user=user, key=key, title="开通即将超时", body="BJ-2026-0001 还剩 1 个工作日。",
        url="/service/requests/1/", **kwargs,
    )  # fmt: skip


@pytest.fixture
def am():
    return UserFactory(username="am1", email="am1@example.com")


def state():
    return list(Notification.objects.order_by("pk").values_list("key", "emailed"))


# -- notification_send ----------------------------------------------------------------------


@pytest.mark.django_db
def test_same_key_twice_stores_one_notification_and_sends_one_mail(
    am, django_capture_on_commit_callbacks
):
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        first = raise_notification(am)
        second = raise_notification(am)

    assert first is not None
    assert second is None
    assert state() == [("sla:1", True)]
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "[TeleKAM] 开通即将超时"
    assert sent.to == ["am1@example.com"]
    assert (
        sent.body == "BJ-2026-0001 还剩 1 个工作日。\n\nhttp://127.0.0.1:8000/service/requests/1/"
    )


@pytest.mark.django_db
def test_user_without_address_gets_the_notification_but_no_mail(django_capture_on_commit_callbacks):
    user = UserFactory(username="nomail", email="")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert raise_notification(user) is not None

    assert callbacks == []
    assert state() == [("sla:1", False)]
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("backend", [FAILING, REFUSING])
def test_failed_mail_is_logged_kept_pending_and_the_retry_sends_it(
    am, backend, caplog, django_capture_on_commit_callbacks
):
    with (
        clock.frozen(NOW),
        override_settings(EMAIL_BACKEND=backend),
        caplog.at_level(logging.WARNING, logger="telekam.core.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        note = raise_notification(am)

    # The write stood, the mail did not leave, nothing was raised to the caller.
    assert note is not None
    assert state() == [("sla:1", False)]
    assert mail.outbox == []
    assert [(r.name, r.levelname) for r in caplog.records] == [("telekam.core.services", "WARNING")]
    assert f"Notification {note.pk}: e-mail to user {am.pk} failed" in caplog.records[0].message

    assert notification_mail_pending(now=NOW + dt.timedelta(minutes=10)) == 1
    assert state() == [("sla:1", True)]
    assert [m.to for m in mail.outbox] == [["am1@example.com"]]
    # Idempotent: a second run finds nothing to send.
    assert notification_mail_pending(now=NOW + dt.timedelta(minutes=20)) == 0
    assert len(mail.outbox) == 1


# -- notification_mail_pending --------------------------------------------------------------


@pytest.mark.django_db
def test_retry_sends_only_recent_unsent_mail_to_active_users_with_an_address(am):
    def make(user, key, age, *, emailed=False):
        Notification.objects.create(
            user=user, key=key, title=key, created_at=NOW - age, emailed=emailed
        )

    no_address = UserFactory(username="nomail", email="")
    gone = UserFactory(username="gone", email="gone@example.com", is_active=False)
    make(am, "fresh", dt.timedelta(minutes=5))
    make(am, "almost-two-days", dt.timedelta(days=2) - dt.timedelta(seconds=1))
    make(am, "two-days", dt.timedelta(days=2))
    make(am, "sent", dt.timedelta(hours=1), emailed=True)
    make(no_address, "no-address", dt.timedelta(hours=1))
    make(gone, "inactive", dt.timedelta(hours=1))

    assert notification_mail_pending(now=NOW) == 2

    assert sorted(m.subject for m in mail.outbox) == [
        "[TeleKAM] almost-two-days",
        "[TeleKAM] fresh",
    ]
    assert dict(Notification.objects.values_list("key", "emailed")) == {
        "fresh": True,
        "almost-two-days": True,
        "two-days": False,
        "sent": True,
        "no-address": False,
        "inactive": False,
    }


@pytest.mark.django_db
def test_retry_while_the_server_is_still_down_changes_nothing(am, caplog):
    Notification.objects.create(user=am, key="a", title="a", created_at=NOW)
    Notification.objects.create(user=am, key="b", title="b", created_at=NOW)

    with override_settings(EMAIL_BACKEND=FAILING), caplog.at_level(logging.WARNING):
        assert notification_mail_pending(now=NOW) == 0

    assert state() == [("a", False), ("b", False)]
    assert mail.outbox == []
    assert len(caplog.records) == 2


def test_retry_job_runs_every_ten_minutes():
    at = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
    schedule = [
        notification_mail_retry.s().validate_datetime(at + dt.timedelta(minutes=m))
        for m in (0, 5, 10, 15, 50)
    ]

    assert schedule == [True, False, True, False, True]


@pytest.mark.django_db
def test_retry_job_in_immediate_mode(am):
    Notification.objects.create(user=am, key="a", title="a", created_at=NOW)

    # Tests run huey in immediate mode: calling the task runs it here (huey keeps no result
    # for periodic tasks, so the effect is what is checked).
    with clock.frozen(NOW):
        notification_mail_retry()
        notification_mail_retry()

    assert state() == [("a", True)]
    assert len(mail.outbox) == 1


# -- a real consumer ------------------------------------------------------------------------


def _queue(kind: str, tmp_path):
    """The embedded default (a SQLite file) or the production option (Redis; skipped when
    no Redis answers on 127.0.0.1:6379 -- TELEKAM_TEST_REDIS_URL points elsewhere)."""
    if kind == "sqlite":
        return SqliteHuey(name="telekam-consumer-test", filename=str(tmp_path / "jobs.sqlite3"))
    import os
    import uuid

    import redis
    from huey import RedisHuey

    url = os.environ.get("TELEKAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    return RedisHuey(name=f"telekam-test-{uuid.uuid4().hex[:8]}", url=url)


@pytest.fixture(params=["sqlite", "redis"])
def consumer_huey(request, tmp_path, monkeypatch):
    """A SqliteHuey on a file in tmp_path consumed by a real huey consumer (one worker thread,
    in this process), with the product's job registered on it. Yields the task and the names
    of the threads that ran tasks."""
    huey = _queue(request.param, tmp_path)
    # The body of the product's periodic job, registered as a plain task on this queue.
    task = huey.task(name="notification_mail_retry")(notification_mail_retry.call_local)

    threads_used: list[str] = []

    @huey.pre_execute()
    def record_thread(task):
        threads_used.append(threading.current_thread().name)

    @huey.on_shutdown()
    def close_db():  # runs in the worker thread: its database connection ends with it
        connections.close_all()

    consumer = huey.create_consumer(
        workers=1, worker_type="thread", periodic=False, initial_delay=0.05, max_delay=0.2
    )
    # start() would take over this process's SIGINT/SIGTERM/SIGHUP (pytest's Ctrl+C).
    monkeypatch.setattr(consumer, "_set_signal_handlers", lambda: None)
    consumer.start()
    try:
        yield task, threads_used
    finally:
        consumer.stop(graceful=True)
        huey.flush()
    threads = [consumer.scheduler] + [t for _, t in consumer.worker_threads]
    assert not any(t.is_alive() for t in threads)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_consumer_sends_the_failed_mail(am, consumer_huey):
    retry, threads_used = consumer_huey
    with override_settings(EMAIL_BACKEND=FAILING):
        note = raise_notification(am)  # autocommit: the on-commit mail runs (and fails) now
    assert state() == [("sla:1", False)]
    assert mail.outbox == []

    result = retry()  # enqueued in the SQLite queue file, run by the consumer's worker

    assert result.get(blocking=True, timeout=20) == 1
    assert state() == [("sla:1", True)]
    assert [(m.subject, m.to) for m in mail.outbox] == [
        ("[TeleKAM] 开通即将超时", ["am1@example.com"])
    ]
    # Run again through the queue: nothing more goes out.
    assert retry().get(blocking=True, timeout=20) == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.get().pk == note.pk
    assert threads_used == ["Worker-1", "Worker-1"]


def test_the_job_runner_keeps_the_operators_time():
    """Crontabs are read in TIME_ZONE (Asia/Shanghai), not UTC: a job "at 06:30" runs at
    06:30 in Beijing. (The tests' own huey is in memory; this is the one of the settings.)"""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from huey import MemoryHuey

    from config.settings import base
    from telekam.dashboards.tasks import management_report_task

    runner = MemoryHuey(utc=base.HUEY["utc"])
    beijing = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert abs((runner._get_timestamp() - beijing).total_seconds()) < 60
    local = dt.datetime(2026, 12, 2, 6, 30, tzinfo=ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert management_report_task.s().validate_datetime(local)
    assert not management_report_task.s().validate_datetime(local + dt.timedelta(hours=8))
