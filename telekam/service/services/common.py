"""Helpers the service-desk writes share."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from telekam.core import clock
from telekam.core.errors import ApplicationError, Conflict, PermissionDenied, ValidationFailed
from telekam.core.services import full_clean_or_raise, sequence_next, versioned_update
from telekam.service.errors import ServiceErrorCode

M = TypeVar("M", bound=models.Model)


def require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("您没有执行此操作的权限。"))


def bad_transition(message: str) -> ApplicationError:
    return ApplicationError(message, code=ServiceErrorCode.BAD_TRANSITION)


def save_new(instance: M) -> M:
    full_clean_or_raise(instance)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:  # lost a race with a concurrent insert
        raise ValidationFailed(_("数据与已有记录冲突。"), errors={"__all__": [str(exc)]}) from exc
    return instance


def save_versioned(instance: Any, *, expected_version: int, fields: list[str]) -> None:
    """Validate and write `fields` only if nobody saved `instance` since `expected_version`
    (Conflict otherwise): two agents acting at once never overwrite each other."""
    full_clean_or_raise(instance)
    try:
        with transaction.atomic():
            versioned_update(instance, expected_version=expected_version, fields=fields)
    except IntegrityError as exc:
        raise ValidationFailed(_("数据与已有记录冲突。"), errors={"__all__": [str(exc)]}) from exc


def check_version(instance: Any, expected_version: int) -> None:
    """Refuse at once when the page or call acted on an old version of `instance` (the
    write itself checks again, atomically, in `save_versioned`)."""
    if instance.version != expected_version:
        raise Conflict(
            _("该记录已被他人修改（您编辑的是第 %(v)d 版）。请刷新后重新修改。")
            % {"v": expected_version}
        )


def next_number(prefix: str, day: dt.date) -> str:
    """`prefix` + YYYYMMDD + a four-digit daily sequence, e.g. SR202612020007."""
    stem = f"{prefix}{day:%Y%m%d}"
    return f"{stem}{sequence_next(name=stem):04d}"


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
