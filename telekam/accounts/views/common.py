"""What every HTML view of the account file shares: turning service errors into form errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from telekam.accounts import access, selectors
from telekam.accounts.models import Account
from telekam.core.http import AuthedHttpRequest


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
