"""Helpers the service-desk writes share (the generic ones live in telekam.core.services
and are re-exported here for the desk's modules)."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from telekam.core import clock
from telekam.core.errors import ApplicationError
from telekam.core.services import (  # noqa: F401 (re-exported)
    check_version,
    next_number,
    require,
    save_new,
    save_versioned,
)
from telekam.service.errors import ServiceErrorCode

M = TypeVar("M", bound=models.Model)


def bad_transition(message: str) -> ApplicationError:
    return ApplicationError(message, code=ServiceErrorCode.BAD_TRANSITION)


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def not_in_future(moment: dt.datetime, *, field: str) -> None:
    if moment > clock.now() + dt.timedelta(minutes=5):
        raise ApplicationError(
            _("时间不能晚于现在。"), code=ServiceErrorCode.IN_FUTURE, field=field
        )


def not_after_today(day: dt.date, *, field: str) -> None:
    if day > clock.today():
        raise ApplicationError(
            _("日期不能晚于今天。"), code=ServiceErrorCode.IN_FUTURE, field=field
        )
