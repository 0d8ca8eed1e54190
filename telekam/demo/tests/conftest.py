"""The demo writes call records to the lake: each test session (each xdist worker) gets a
lake of its own, never the project's var/lake."""

from __future__ import annotations

import pytest
from django.test import override_settings


@pytest.fixture(scope="session", autouse=True)
def _demo_lake(tmp_path_factory):
    with override_settings(TELEKAM_LAKE_DIR=tmp_path_factory.mktemp("lake")):
        yield
