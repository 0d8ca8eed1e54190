"""The one clock of the product.

Everything that depends on the date (SLA, visits, churn, grading windows, audit stamps) asks
`now()` or `today()` here, never `datetime.now()`. Tests freeze it with `frozen(...)`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator

from django.utils import timezone

_source: Callable[[], dt.datetime] = timezone.now


def now() -> dt.datetime:
    return _source()


def today() -> dt.date:
    return timezone.localdate(now())


@contextlib.contextmanager
def frozen(moment: dt.datetime) -> Iterator[None]:
    """Make `now()` return `moment` (which must be aware) inside the block."""
    global _source
    if timezone.is_naive(moment):
        raise ValueError("frozen() needs an aware datetime")
    previous = _source
    _source = lambda: moment  # noqa: E731
    try:
        yield
    finally:
        _source = previous
