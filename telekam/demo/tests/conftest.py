"""The demo writes call records to the lake: the demo tests of each xdist worker get a lake
of their own, never the project's var/lake (and the setting is restored after them)."""

from __future__ import annotations

import pytest
from django.test import override_settings


@pytest.fixture(scope="package", autouse=True)
def _demo_lake(tmp_path_factory):
    with override_settings(TELEKAM_LAKE_DIR=tmp_path_factory.mktemp("lake")):
        yield
