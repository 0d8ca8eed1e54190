"""Writes every app uses: the audit trail and version-checked updates."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from telekam.core import clock
from telekam.core.errors import Conflict, ValidationFailed
from telekam.core.models import AuditAction, AuditEntry, VersionedModel

M = TypeVar("M", bound=VersionedModel)


def _plain(value: Any) -> Any:
    """A JSON-safe rendering of a field value for the audit trail."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields` on `instance`, JSON-safe, for a before/after diff."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            related_id = getattr(instance, field.attname)
            values[name] = str(getattr(instance, name)) if related_id is not None else None
        else:
            values[name] = _plain(getattr(instance, name))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def audit_entry_create(
    *,
    actor: Any,
    action: AuditAction,
    target: models.Model,
    summary: str,
    account: Any = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=(actor.get_full_name() or actor.get_username()) if actor else "",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        account=account,
        summary=summary[:500],
        changes=dict(changes or {}),
    )
    entry.save()
    return entry


def full_clean_or_raise(instance: models.Model, *, exclude: Iterable[str] | None = None) -> None:
    """`full_clean()` that raises the product's ValidationFailed (a 4xx, never a 500)."""
    try:
        instance.full_clean(exclude=list(exclude) if exclude else None)
    except ValidationError as exc:
        errors = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        raise ValidationFailed(_("数据校验未通过。"), errors=errors) from exc


def versioned_update(instance: M, *, expected_version: int, fields: Iterable[str]) -> M:
    """Write `fields` of `instance` only if nobody saved it since `expected_version`.

    The caller has set the new values on `instance` and validated them. On a stale version
    nothing is written and `Conflict` is raised.
    """
    names = list(fields)
    now = clock.now()
    attnames = [cast(models.Field, instance._meta.get_field(name)).attname for name in names]
    values = {attname: getattr(instance, attname) for attname in attnames}
    updated = (
        type(instance)
        ._default_manager.filter(pk=instance.pk, version=expected_version)
        .update(**values, updated_at=now, version=expected_version + 1)
    )
    if updated != 1:
        raise Conflict(
            _("该记录已被他人修改（您编辑的是第 %(v)d 版）。请刷新后重新修改。")
            % {"v": expected_version}
        )
    instance.version = expected_version + 1
    instance.updated_at = now
    return instance
