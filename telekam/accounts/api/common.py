"""What the account-file routers share: visibility, user references, small schemas."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import field_validator

from telekam.accounts import access, selectors
from telekam.accounts.models import (
    Account,
)
from telekam.core.api import (
    InputSchema,
    actor,
)
from telekam.core.errors import NotFound, ValidationFailed
from telekam.core.validators import normalize_phone
from telekam.org.models import User

ACCOUNT_CODE_MAX = Account._meta.get_field("code").max_length or 20


def confidential(context: Any) -> bool:
    request = (context or {}).get("request")
    return request is not None and access.sees_confidential(getattr(request, "auth", None))


def visible_account(request: Any, code: str) -> Account:
    """The account by code if the user may see it; otherwise 404 (never reveal existence)."""
    if not code or len(code) > ACCOUNT_CODE_MAX or "\x00" in code:
        raise NotFound()
    return selectors.account_get_visible(user=actor(request), code=code)


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={field: [message]})


def user_by_ref(ref: int | str, *, field: str) -> User:
    """A user named by id (number) or username (text)."""
    users = User.objects.select_related("group").filter(is_active=True)
    user = (
        users.filter(pk=ref).first() if isinstance(ref, int) else users.filter(username=ref).first()
    )
    if user is None:
        raise invalid(field, _("找不到用户“%(ref)s”（或已停用）。") % {"ref": ref})
    return user


# --- output schemas -------------------------------------------------------------------


class GradeOut(Schema):
    segment: str
    code: str
    name: str
    star_level: int

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.display_name)


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.get_full_name() or obj.username)


class PhoneMixin(InputSchema):
    @field_validator("phone", "mobile", check_fields=False)
    @classmethod
    def _normalize_phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else value


def version_and_changes(payload: InputSchema) -> tuple[int, dict[str, Any]]:
    data = payload.model_dump(exclude_unset=True)
    return data.pop("version"), data
