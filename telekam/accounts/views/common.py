"""What every HTML view of the account file shares: turning service errors into form errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from telekam.accounts import access, selectors
from telekam.accounts.models import Account
from telekam.core.errors import ApplicationError, ValidationFailed
from telekam.core.http import AuthedHttpRequest


def attach_error(form: forms.BaseForm, error: ApplicationError) -> None:
    if isinstance(error, ValidationFailed):
        for field, messages in error.errors.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
        return
    form.add_error(error.field if error.field in form.fields else None, error.message)


def submit(form: forms.BaseForm, action: Callable[[dict[str, Any]], Any]) -> bool:
    """Validate `form`; on success run `action(data)` (a service call). True when written."""
    if not form.is_valid():
        return False
    data = dict(form.cleaned_data)
    try:
        action(data)
    except ApplicationError as error:
        attach_error(form, error)
        return False
    return True


def form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    title: Any,
    cancel_url: str,
    account: Account | None = None,
    delete_url: str | None = None,
    submit_label: Any = None,
) -> HttpResponse:
    """The one page every add/edit form of the account file is shown on."""
    return render(
        request,
        "form_page.html",
        {
            "section": "accounts",
            "form": form,
            "account": account,
            "title": title,
            "cancel_url": cancel_url,
            "delete_url": delete_url,
            "submit_label": submit_label,
        },
    )


def editable_account(request: AuthedHttpRequest, pk: int) -> Account:
    """The account, if the user may see it (else 404) and change it (else 403)."""
    account = selectors.account_get_visible(user=request.user, pk=pk)
    if not access.can_edit_account(request.user, account):
        raise DjangoPermissionDenied
    return account
