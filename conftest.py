"""Shared pytest set-up. Database: DATABASE_URL (PostgreSQL in CI) or SQLite."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english_off(settings):
    """Tests see the product as its users do: Chinese first."""
    settings.LANGUAGE_CODE = "zh-hans"
