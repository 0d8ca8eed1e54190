"""Sign-in protection and API tokens."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction

from telekam.core import clock
from telekam.org.models import ApiToken, LoginFailure, User


def _window_start() -> dt.datetime:
    return clock.now() - dt.timedelta(seconds=settings.TELEKAM_LOGIN_LOCK_SECONDS)


def login_is_locked(*, username: str) -> bool:
    """Locked when the username has had too many failures within the lock window."""
    recent = LoginFailure.objects.filter(username__iexact=username, at__gte=_window_start())
    return recent.count() >= settings.TELEKAM_LOGIN_MAX_FAILURES


def login_failure_record(*, username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], ip=ip or None, at=clock.now())


def login_success_record(*, username: str) -> None:
    LoginFailure.objects.filter(username__iexact=username).delete()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token; the clear key is returned once and never stored."""
    key = "tk_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "API",
        prefix=key[:10],
        key_hash=ApiToken.hash_key(key),
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> bool:
    return bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=clock.now()
        )
    )
