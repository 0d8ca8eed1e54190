from __future__ import annotations

import pytest

from telekam.billing.tests.helpers import NOW
from telekam.core import clock


@pytest.fixture(autouse=True)
def _frozen_clock():
    with clock.frozen(NOW):
        yield
