"""The account list ("my accounts"), the account page, and the account's own forms."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from telekam.accounts import access, exports, selectors, services
from telekam.accounts.forms import (
    AccountCreateForm,
    AccountEditForm,
    AccountFilterForm,
    AssignForm,
    ParentForm,
)
from telekam.accounts.models import Account, GradeBand
from telekam.accounts.views.common import editable_account, form_page
from telekam.core.errors import ApplicationError, ValidationFailed
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.org.models import Role, User


def _owner_choices(user: Any) -> list[tuple[int, str]]:
    """(id, name) of the AMs whose accounts `user` may filter by."""
    if user.role == Role.ACCOUNT_MANAGER:
        return []
    owners = User.objects.filter(role__in=[Role.ACCOUNT_MANAGER, Role.GROUP_LEAD], is_active=True)
    if user.role in (Role.GROUP_LEAD, Role.PRESALES):
        owners = owners.filter(group_id=user.group_id)
    rows = owners.order_by("username").values_list("pk", "last_name", "first_name", "username")
    return [(pk, f"{last}{first}" or username) for pk, last, first, username in rows]


def _filters(
    request: AuthedHttpRequest, bands: list[GradeBand]
) -> tuple[AccountFilterForm, selectors.AccountFilters]:
    form = AccountFilterForm(request.GET or None, owners=_owner_choices(request.user), bands=bands)
    if not form.is_valid():
        # Ignore what does not parse (a stale link, a hand-edited URL) but keep the search.
        return form, selectors.AccountFilters(q=(request.GET.get("q") or "")[:100])
    d = form.cleaned_data
    return form, selectors.AccountFilters(
        q=d.get("q") or "",
        segment=d.get("segment") or "",
        grade=d.get("grade") or "",
        industry=d.get("industry") or "",
        owner=d.get("owner"),
        group=d["group"].pk if d.get("group") else None,
        status=d.get("status") or "",
        sort=d.get("sort") or selectors.DEFAULT_SORT,
    )


@login_required
@require_GET
def my_accounts(request: AuthedHttpRequest) -> HttpResponse:
    bands = list(GradeBand.objects.all())
    form, filters = _filters(request, bands)
    accounts = selectors.account_list_visible_to(user=request.user, filters=filters)
    if request.GET.get("export") == "xlsx":
        return exports.accounts_xlsx(accounts, confidential=access.sees_confidential(request.user))
    page = Paginator(accounts, settings.TELEKAM_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/my_accounts.html",
        {
            "section": "accounts",
            "form": form,
            "page_obj": page,
            "accounts": page.object_list,
            "default_sort": selectors.DEFAULT_SORT,
            "confidential": access.sees_confidential(request.user),
            "show_owner_filter": request.user.role != Role.ACCOUNT_MANAGER,
            "show_group_filter": request.user.role
            not in (Role.ACCOUNT_MANAGER, Role.GROUP_LEAD, Role.PRESALES),
        },
    )


@login_required
@require_GET
def account_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The account page: the header and overview; the other tabs load on demand."""
    from telekam.retention.views.warnings import account_churn_context

    file = selectors.account_file(user=request.user, pk=pk)
    churn = account_churn_context(user=request.user, account=file.account)
    return render(
        request,
        "accounts/detail.html",
        {"section": "accounts", "f": file, "account": file.account, **churn},
    )


@login_required
@require_GET
def account_tab(request: AuthedHttpRequest, pk: int, tab: str) -> HttpResponse:
    """One tab of the account page (htmx fragment), read with the same permission rule."""
    from telekam.accounts.views.grading import billing_context

    if tab == "billing":
        file = selectors.account_file(user=request.user, pk=pk)
        extra = billing_context(user=request.user, account=file.account)
    elif tab == "service":
        from telekam.service.views.desk import account_service_context

        file = selectors.account_file(user=request.user, pk=pk)
        extra = account_service_context(user=request.user, account=file.account)
    elif tab == "value":
        from telekam.value.views import account_value_context

        file = selectors.account_file(user=request.user, pk=pk)
        extra = account_value_context(
            user=request.user, account=file.account, month_text=request.GET.get("month")
        )
    elif tab in selectors.ACCOUNT_TABS:
        file = selectors.account_file(user=request.user, pk=pk, tab=tab)
        extra = {}
    else:
        raise Http404
    return render(
        request, f"accounts/tabs/{tab}.html", {"f": file, "account": file.account, **extra}
    )


@login_required
def account_create(request: AuthedHttpRequest) -> HttpResponse:
    if not access.can_create_account(request.user):
        raise DjangoPermissionDenied
    form = AccountCreateForm(request.POST or None, actor=request.user)
    created: list[Account] = []

    def action(data: dict[str, Any]) -> None:
        owner, segment = data.pop("owner"), data.pop("segment")
        created.append(
            services.account_create(actor=request.user, data=data, owner=owner, segment=segment)
        )

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("客户档案已建立。"))
        return redirect("accounts:detail", created[0].pk)
    return form_page(
        request,
        form,
        title=_("新建客户"),
        cancel_url=reverse("accounts:my_accounts"),
    )


@login_required
def account_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    account = editable_account(request, pk)
    confidential = access.sees_confidential(request.user)
    form = AccountEditForm(
        request.POST or None,
        instance=Account.objects.get(pk=pk),
        confidential=confidential,
        initial={"version": account.version},
    )

    def action(data: dict[str, Any]) -> None:
        version = data.pop("version")
        services.account_update(
            actor=request.user, account=account, expected_version=version, data=data
        )

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("客户信息已保存。"))
        return redirect("accounts:detail", pk)
    return form_page(
        request,
        form,
        account=account,
        title=_("编辑客户信息"),
        cancel_url=reverse("accounts:detail", args=[pk]),
    )


@login_required
def account_assign(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get_visible(user=request.user, pk=pk)
    if request.user.role not in (Role.GROUP_LEAD, Role.DEPARTMENT_HEAD, Role.ADMIN):
        raise DjangoPermissionDenied
    form = AssignForm(
        request.POST or None,
        actor=request.user,
        initial={"version": account.version, "owner": account.owner_id},
    )

    def action(data: dict[str, Any]) -> None:
        services.account_assign(
            actor=request.user,
            account=account,
            expected_version=data["version"],
            owner=data["owner"],
        )

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("客户经理已调整。"))
        return redirect("accounts:detail", pk)
    return form_page(
        request,
        form,
        account=account,
        title=_("调整客户经理"),
        cancel_url=reverse("accounts:detail", args=[pk]),
    )


@login_required
def account_parent(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    account = editable_account(request, pk)
    form = ParentForm(
        request.POST or None,
        initial={
            "version": account.version,
            "parent_code": account.parent.code if account.parent else "",
        },
    )

    def action(data: dict[str, Any]) -> None:
        code = (data.get("parent_code") or "").strip().upper()
        parent = None
        if code:
            try:
                parent = selectors.account_get_visible(user=request.user, code=code)
            except ApplicationError:
                message = _("找不到客户编码 %(code)s，或您无权查看。") % {"code": code}
                raise ValidationFailed(message, errors={"parent_code": [message]}) from None
        services.account_set_parent(
            actor=request.user,
            account=account,
            expected_version=data["version"],
            parent=parent,
        )

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("上级单位已更新。"))
        return redirect("accounts:detail", pk)
    return form_page(
        request,
        form,
        account=account,
        title=_("设置上级单位"),
        cancel_url=reverse("accounts:detail", args=[pk]),
    )
