"""The JSON API: one NinjaAPI instance, its authentication, error handlers and pagination.

Routers live next to each domain (`telekam/<app>/api.py`) and are mounted in
`config/api_urls.py`. Endpoints stay thin: parse input with a schema, call one selector or
service, render with an output schema. Every error leaves as JSON with a 4xx status and
the body `{"code", "message", "field"?, "details"?}`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Annotated, Any, Generic, TypeVar, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, NinjaAPI, Path, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf
from pydantic import ConfigDict, field_validator

from telekam.core import clock
from telekam.core.errors import ApplicationError, ErrorCode
from telekam.org.models import ApiToken, User

logger = logging.getLogger(__name__)

# Ids in paths and bodies are bounded so an absurd number is a 422, not a database error.
MAX_ID = 2**53
MAX_VERSION = 2**31 - 1
MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 200
# How stale ApiToken.last_used_at may get: at most one write a minute per token.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200
# No text field of a request body is longer (the model's own max_length applies too).
MAX_TEXT = 20_000


# --- authentication -------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <key>`: an ApiToken that is not revoked, of an active user."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header)
        if not header:
            return None
        scheme, _sep, key = header.partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, key.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = token_user(token)
        if user is None:
            # A token was presented and is wrong: say so, do not fall back to the session.
            raise AuthenticationError(401, _("API 令牌无效、已吊销或其用户已停用。"))
        request.user = user
        return user


def token_user(key: str) -> User | None:
    """The user of an active token, touching `last_used_at` at most once a minute."""
    if not key or len(key) > MAX_TOKEN_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class SessionAuth(APIKeyCookie):
    """The Django session of a signed-in user (the interactive docs use it).

    Unlike ninja's own SessionAuth, the CSRF check runs only when there is a session user,
    so a request without any credentials gets 401, not a CSRF 403.
    """

    param_name = "sessionid"

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(
                403, _("CSRF 校验失败：使用会话登录调用写接口时须带 X-CSRFToken 请求头。")
            )
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover
        return None  # __call__ does the work


token_auth = TokenAuth()
session_auth = SessionAuth()


def actor(request: HttpRequest) -> User:
    """The authenticated user of an API request (token or session)."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


# --- the API and its error handlers ---------------------------------------------------


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8, not \\u escapes: readable in curl and logs."""

    json_dumps_params: Mapping[str, Any] = MappingProxyType({"ensure_ascii": False})


api = NinjaAPI(
    title="TeleKAM API",
    version="1",
    description=(
        "大客户管理系统 JSON 接口。认证：`Authorization: Bearer <令牌>`（在“我的 API 令牌”页面"
        "创建），或已登录的浏览器会话（写操作须带 CSRF 令牌）。权限与网页端相同：看不到的客户"
        "返回 404，能看不能改返回 403。错误统一返回 `{code, message, field?, details?}`。"
    ),
    urls_namespace="api-v1",
    auth=[token_auth, session_auth],
    docs=Swagger(),
    renderer=Utf8JSONRenderer(),
)


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    details: Any = None,
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    if details is not None:
        body["details"] = details
    return api.create_response(request, body, status=status)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


def _location(loc: Sequence[Any]) -> str:
    """`("body", "payload", "owner")` -> "owner"; `("query", "page")` -> "page"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "form", "file", "header", "cookie"):
        parts = parts[1:]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details: dict[str, list[str]] = {}
    for error in exc.errors:
        details.setdefault(_location(error.get("loc", ())), []).append(str(error.get("msg", "")))
    listing = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in details.items())
    return error_response(
        request,
        422,
        str(ErrorCode.INVALID),
        _("请求数据校验未通过（%(fields)s）。") % {"fields": listing},
        field=next(iter(details), None),
        details=details,
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: str(ErrorCode.PERMISSION_DENIED),
    404: str(ErrorCode.NOT_FOUND),
    405: "method_not_allowed",
    429: "throttled",
}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = str(exc)
    if isinstance(exc, AuthenticationError) and message == "Unauthorized":
        message = _("需要认证：请使用 Bearer 令牌，或先登录。")
    elif exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = _("请求体不是有效的 JSON。")
    response = error_response(
        request, exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), message
    )
    if exc.status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="telekam"'
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, str(ErrorCode.NOT_FOUND), _("未找到。"))


@api.exception_handler(DjangoPermissionDenied)
def _permission_denied(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return error_response(
        request, 403, str(ErrorCode.PERMISSION_DENIED), str(exc) or _("您无权执行该操作。")
    )


@api.exception_handler(IntegrityError)
def _integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # Services turn constraint violations into ApplicationError; this is the safety net.
    logger.warning("IntegrityError reached the API: %s", exc)
    return error_response(
        request, 409, str(ErrorCode.CONFLICT), _("数据与已有记录冲突，请刷新后重试。")
    )


@api.exception_handler(DataError)
def _data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    logger.warning("DataError reached the API: %s", exc)
    return error_response(request, 422, str(ErrorCode.INVALID), _("数据超出允许的范围或格式。"))


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    details = (
        {f: [str(m) for m in ms] for f, ms in exc.message_dict.items()}
        if hasattr(exc, "error_dict")
        else {"__all__": [str(m) for m in exc.messages]}
    )
    return error_response(
        request, 422, str(ErrorCode.INVALID), _("数据校验未通过。"), details=details
    )


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled error in API %s %s", request.method, request.path)
    return error_response(request, 500, "server_error", _("服务器内部错误，已记录。"))


@csrf_exempt
def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Unknown paths under the API prefix answer JSON too."""
    return error_response(request, 404, str(ErrorCode.NOT_FOUND), _("没有这个接口。"))


# --- schemas shared by every router ---------------------------------------------------


def _no_control_characters(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(_("不能包含空字符（\\x00）。"))
    return value


class InputSchema(Schema):
    """A request body: unknown fields are refused, text is trimmed and may not hold NUL."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_max_length=MAX_TEXT)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _no_control_characters(value)


# An id in a body or query: `id: Id`; in a path: `item_id: int = id_path()`.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def id_path() -> Any:
    return Path(..., ge=1, le=MAX_ID)


def version_field() -> Any:
    return Field(
        ..., ge=1, le=MAX_VERSION, description="The version the client read (409 when it is stale)."
    )


class PageQuery(Schema):
    """`?page=N&page_size=M` (page_size at most 200; default TELEKAM_PAGE_SIZE)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _no_control_characters(value)


T = TypeVar("T")


class Page(Schema, Generic[T]):
    count: int
    page: int
    page_size: int
    results: list[T]


def paginate(rows: QuerySet[Any] | Sequence[Any], params: PageQuery) -> dict[str, Any]:
    """One page of `rows`: two queries for a queryset (count and slice), whatever its size."""
    size = params.page_size or settings.TELEKAM_PAGE_SIZE
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    start = (params.page - 1) * size
    results = list(rows[start : start + size]) if start < count else []
    return {"count": count, "page": params.page, "page_size": size, "results": results}
