"""JSON API of the caller itself: who am I, and my API tokens.

Tokens are managed with the browser session only: a leaked token cannot mint more tokens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema

from telekam.core.api import InputSchema, actor, id_path, session_auth
from telekam.core.errors import NotFound
from telekam.org import services
from telekam.org.models import ApiToken, User

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    group: str | None = Field(None, description="Industry group code")

    @staticmethod
    def resolve_name(obj: User) -> str:
        return obj.get_full_name() or obj.username

    @staticmethod
    def resolve_group(obj: User) -> str | None:
        return obj.group.code if obj.group_id else None  # type: ignore[union-attr]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    key: str = Field(..., description="The secret: shown this once, never stored")


class TokenIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=100)


@router.get("/me", response=MeOut)
def me(request: Any) -> User:
    """The authenticated user."""
    return actor(request)


@router.get("/me/tokens", response=list[TokenOut], auth=session_auth)
def token_list(request: Any) -> Any:
    """My API tokens, newest first (the keys themselves are never shown again)."""
    return ApiToken.objects.filter(user=actor(request)).order_by("-created_at", "-pk")


@router.post("/me/tokens", response={201: TokenCreatedOut}, auth=session_auth)
def token_create(request: Any, payload: TokenIn) -> dict[str, Any]:
    """A new token for me. Send it as `Authorization: Bearer <key>`."""
    token, key = services.api_token_create(user=actor(request), name=payload.name)
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "key": key,
    }


@router.delete("/me/tokens/{token_id}", response={204: None}, auth=session_auth)
def token_revoke(request: Any, token_id: int = id_path()) -> None:
    """Revoke one of my tokens; it stops working at once."""
    if not services.api_token_revoke(user=actor(request), token_id=token_id):
        raise NotFound()
