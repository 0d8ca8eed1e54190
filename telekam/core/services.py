"""Writes every app uses: the audit trail and version-checked updates."""

from __future__ import annotations

import datetime as dt
import decimal
import logging
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from telekam.core import clock
from telekam.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from telekam.core.models import AuditAction, AuditEntry, Notification, Sequence, VersionedModel

M = TypeVar("M", bound=VersionedModel)
N = TypeVar("N", bound=models.Model)

logger = logging.getLogger(__name__)


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


def sequence_next(*, name: str) -> int:
    """The next value of the counter `name` (1 for a new counter), taken inside the caller's
    transaction: the row stays locked until it commits, so concurrent callers queue up."""
    with transaction.atomic():
        updated = Sequence.objects.filter(name=name).update(value=F("value") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    Sequence.objects.create(name=name, value=1)
                return 1
            except IntegrityError:  # created by someone else meanwhile
                Sequence.objects.filter(name=name).update(value=F("value") + 1)
        return Sequence.objects.get(name=name).value


def notification_send(
    *, user: Any, key: str, title: str, body: str = "", url: str = ""
) -> Notification | None:
    """Tell `user` something once: a second call with the same `key` does nothing and
    returns None. The e-mail (through Django's mail settings, when the user has an address)
    leaves after the transaction commits."""
    if user is None or not user.is_active:
        return None
    with transaction.atomic():
        if Notification.objects.filter(user=user, key=key).exists():
            return None
        try:
            with transaction.atomic():
                note = Notification.objects.create(
                    user=user, key=key[:120], title=title[:200], body=body[:1000], url=url[:300]
                )
        except IntegrityError:
            return None
    if user.email:
        transaction.on_commit(lambda: _notification_mail(note.pk))
    return note


def _notification_mail(pk: int) -> bool:
    """E-mail notification `pk` to its user; True when this call sent it.

    The row is claimed first (`emailed` set only if still False), so the on-commit mail and
    the retry job, or two consumers running the job at once, never both send it. A mail
    server that refuses or cannot be reached releases the claim and logs a warning: the
    notification stays `emailed=False` for `notification_mail_pending` to retry.
    """
    if not Notification.objects.filter(pk=pk, emailed=False).update(emailed=True):
        return False  # sent already (or by someone else right now), or deleted
    note = Notification.objects.select_related("user").get(pk=pk)
    link = f"{settings.TELEKAM_BASE_URL.rstrip('/')}{note.url}" if note.url else ""
    try:
        send_mail(
            subject=f"[TeleKAM] {note.title}",
            message="\n\n".join(part for part in (note.body, link) if part),
            from_email=None,
            recipient_list=[note.user.email],
            fail_silently=False,
        )
    except OSError as exc:  # smtplib.SMTPException is an OSError, as are socket errors
        Notification.objects.filter(pk=pk).update(emailed=False)
        logger.warning("Notification %s: e-mail to user %s failed: %r", pk, note.user_id, exc)
        return False
    return True


# A notification whose mail has not gone out after this long is left to the in-app inbox.
NOTIFICATION_MAIL_RETRY_WINDOW = dt.timedelta(days=2)


def notification_mail_pending(*, now: dt.datetime) -> int:
    """E-mail the notifications whose mail has not gone out (the mail server failed when
    they were created), for users with an address, created within the retry window before
    `now`; returns how many were sent. Re-running sends nothing twice.

    Not one transaction on purpose: each sent mail is recorded as soon as it leaves, so a
    crash half way does not send the first ones again.
    """
    pending = (
        Notification.objects.filter(
            emailed=False,
            created_at__gt=now - NOTIFICATION_MAIL_RETRY_WINDOW,
            user__is_active=True,
        )
        .exclude(user__email="")
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    return sum(_notification_mail(pk) for pk in list(pending))


def notification_mark_read(*, user: Any, pk: int | None = None) -> int:
    """Mark `user`'s notification `pk` read, or all of them when `pk` is None; returns how
    many changed. Another user's notification is not found (NotFound), never touched."""
    notes = Notification.objects.filter(user=user)
    if pk is not None:
        notes = notes.filter(pk=pk)
        if not notes.exists():
            raise NotFound(_("通知不存在。"))
    return notes.filter(read_at__isnull=True).update(read_at=clock.now())


# --- the writes every app's services share ---------------------------------------------


def require(allowed: bool, message: str | None = None) -> None:
    """A PermissionDenied (403) unless `allowed`."""
    if not allowed:
        raise PermissionDenied(message or _("您没有执行此操作的权限。"))


def check_version(instance: Any, expected_version: int) -> None:
    """Refuse at once when the page or call acted on an old version of `instance` (the
    write itself checks again, atomically, in `save_versioned`)."""
    if instance.version != expected_version:
        raise Conflict(
            _("该记录已被他人修改（您编辑的是第 %(v)d 版）。请刷新后重新修改。")
            % {"v": expected_version}
        )


def save_new(instance: N) -> N:
    """Validate and insert `instance`; a lost race on a unique value is a 422, not a 500."""
    full_clean_or_raise(instance)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationFailed(_("数据与已有记录冲突。"), errors={"__all__": [str(exc)]}) from exc
    return instance


def save_versioned(instance: Any, *, expected_version: int, fields: list[str]) -> None:
    """Validate and write `fields` only if nobody saved `instance` since `expected_version`
    (Conflict otherwise): two people acting at once never overwrite each other."""
    full_clean_or_raise(instance)
    try:
        with transaction.atomic():
            versioned_update(instance, expected_version=expected_version, fields=fields)
    except IntegrityError as exc:
        raise ValidationFailed(_("数据与已有记录冲突。"), errors={"__all__": [str(exc)]}) from exc


def next_number(prefix: str, day: dt.date) -> str:
    """`prefix` + YYYYMMDD + a four-digit daily sequence, e.g. SR202612020007."""
    stem = f"{prefix}{day:%Y%m%d}"
    return f"{stem}{sequence_next(name=stem):04d}"
