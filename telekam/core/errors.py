"""One error type for business rules; views and the API turn it into a clear 4xx."""

from __future__ import annotations

import enum
from typing import Any


class ErrorCode(enum.StrEnum):
    """Codes shared by every app; apps add their own StrEnum next to their services."""

    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    INVALID = "invalid"
    CONFLICT = "conflict"


class ApplicationError(Exception):
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: enum.StrEnum = ErrorCode.INVALID,
        field: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.field = field
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": str(self.code), "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details is not None:
            body["details"] = self.details
        return body


class NotFound(ApplicationError):
    status = 404

    def __init__(self, message: str = "Not found") -> None:
        super().__init__(message, code=ErrorCode.NOT_FOUND)


class PermissionDenied(ApplicationError):
    status = 403

    def __init__(self, message: str = "Permission denied") -> None:
        super().__init__(message, code=ErrorCode.PERMISSION_DENIED)


class Conflict(ApplicationError):
    """Someone else changed the record since it was read (optimistic locking)."""

    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message, code=ErrorCode.CONFLICT)


class ValidationFailed(ApplicationError):
    """Field-level validation errors: details maps field -> list of messages."""

    status = 422

    def __init__(self, message: str, *, errors: dict[str, list[str]]) -> None:
        super().__init__(message, code=ErrorCode.INVALID, details=errors)
        self.errors = errors
