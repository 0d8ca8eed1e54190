"""Forms helpers every app shares: a service error becomes a form error, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms

from telekam.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed


def attach_error(form: forms.BaseForm, error: ApplicationError) -> None:
    if isinstance(error, ValidationFailed):
        for field, messages in error.errors.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
        return
    form.add_error(error.field if error.field in form.fields else None, error.message)


def submit(form: forms.BaseForm, action: Callable[[dict[str, Any]], Any]) -> bool:
    """Validate `form`; on success run `action(data)` (a service call). True when written.
    A business-rule error becomes a form error; a refusal stays a 403/404."""
    if not form.is_valid():
        return False
    data = dict(form.cleaned_data)
    try:
        action(data)
    except (PermissionDenied, NotFound):
        raise  # a 403/404 page, not a form error
    except ApplicationError as error:
        attach_error(form, error)
        return False
    return True
