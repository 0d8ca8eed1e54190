"""Shared pytest set-up. Database: DATABASE_URL (PostgreSQL in CI) or SQLite."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english_off(settings):
    """Tests see the product as its users do: Chinese first."""
    settings.LANGUAGE_CODE = "zh-hans"


BROWSER_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium; the suite never downloads a browser. Required when CI=true."""
    import os
    import shutil

    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required for the browser tests when CI=true")
        pytest.skip("chromium is not installed (scripts/test installs it)")
    return path


@pytest.fixture
def page(live_server, chromium_path, monkeypatch):
    """A Playwright page in headless Chromium at 1366x768, pointed at the live server."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=BROWSER_ARGS)
        context = browser.new_context(
            viewport={"width": 1366, "height": 768}, locale="zh-CN", base_url=live_server.url
        )
        context.set_default_timeout(15_000)
        pg = context.new_page()
        try:
            yield pg
        finally:
            context.close()
            browser.close()


@pytest.fixture(scope="session", autouse=True)
def _close_stray_postgres_sessions(django_db_setup, django_db_blocker):
    """At the end of the run, end any session a live-server thread left open on the
    PostgreSQL test database, so the database can be dropped cleanly."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
