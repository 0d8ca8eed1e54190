"""Add, edit and delete the records an account file holds (contacts, sites, events,
competitor information, services in use, virtual team). One table drives them all."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import models
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from telekam.accounts import access, services
from telekam.accounts.forms import (
    CompetitorForm,
    ContactEditForm,
    ContactForm,
    EventForm,
    ServiceEditForm,
    ServiceForm,
    SiteForm,
    TeamMemberForm,
)
from telekam.accounts.models import (
    CompetitorInfo,
    Contact,
    MajorEvent,
    ServiceInUse,
    Site,
    VirtualTeamMember,
)
from telekam.accounts.views.common import editable_account, form_page
from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest


@dataclasses.dataclass(frozen=True)
class RecordKind:
    model: type[models.Model]
    create_form: Any  # a ModelForm class taking account=
    edit_form: Any
    create: Callable[..., Any]
    update: Callable[..., Any]
    update_arg: str
    versioned: bool
    delete: Callable[..., Any] | None
    tab: str
    add_title: Any
    edit_title: Any
    confidential: bool = False


KINDS: dict[str, RecordKind] = {
    "contact": RecordKind(
        Contact,
        ContactForm,
        ContactEditForm,
        services.contact_create,
        services.contact_update,
        "contact",
        True,
        services.contact_delete,
        "contacts",
        _("新增联系人"),
        _("编辑联系人"),
    ),
    "site": RecordKind(
        Site,
        SiteForm,
        SiteForm,
        services.site_create,
        services.site_update,
        "site",
        False,
        services.record_delete,
        "org",
        _("新增站点"),
        _("编辑站点"),
    ),
    "event": RecordKind(
        MajorEvent,
        EventForm,
        EventForm,
        services.event_create,
        services.event_update,
        "event",
        False,
        services.record_delete,
        "events",
        _("登记重大事项"),
        _("编辑重大事项"),
    ),
    "competitor": RecordKind(
        CompetitorInfo,
        CompetitorForm,
        CompetitorForm,
        services.competitor_create,
        services.competitor_update,
        "info",
        False,
        services.record_delete,
        "competitors",
        _("新增竞争对手信息"),
        _("编辑竞争对手信息"),
        confidential=True,
    ),
    "service": RecordKind(
        ServiceInUse,
        ServiceForm,
        ServiceEditForm,
        services.service_create,
        services.service_update,
        "service",
        True,
        None,
        "services",
        _("新增在用业务"),
        _("编辑在用业务"),
    ),
}


def _kind(kind: str, request: AuthedHttpRequest) -> RecordKind:
    spec = KINDS.get(kind)
    if spec is None:
        raise Http404
    if spec.confidential and not access.sees_confidential(request.user):
        raise DjangoPermissionDenied
    return spec


def _back(pk: int, tab: str) -> str:
    return reverse("accounts:detail", args=[pk]) + f"#{tab}"


@login_required
def record_add(request: AuthedHttpRequest, pk: int, kind: str) -> HttpResponse:
    spec = _kind(kind, request)
    account = editable_account(request, pk)
    form = spec.create_form(request.POST or None, account=account)

    def action(data: dict[str, Any]) -> None:
        spec.create(actor=request.user, account=account, data=data)

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("已保存。"))
        return redirect(_back(pk, spec.tab))
    return form_page(
        request, form, account=account, title=spec.add_title, cancel_url=_back(pk, spec.tab)
    )


@login_required
def record_edit(request: AuthedHttpRequest, pk: int, kind: str, item: int) -> HttpResponse:
    spec = _kind(kind, request)
    account = editable_account(request, pk)
    record = spec.model._default_manager.filter(account=account, pk=item).first()
    if record is None:
        raise Http404
    initial = {"version": getattr(record, "version", None)} if spec.versioned else {}
    form = spec.edit_form(
        request.POST or None,
        instance=spec.model._default_manager.get(pk=item),
        account=account,
        initial=initial,
    )

    def action(data: dict[str, Any]) -> None:
        kwargs: dict[str, Any] = {"actor": request.user, spec.update_arg: record, "data": data}
        if spec.versioned:
            kwargs["expected_version"] = data.pop("version")
        spec.update(**kwargs)

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("已保存。"))
        return redirect(_back(pk, spec.tab))
    delete_url = reverse("accounts:record_delete", args=[pk, kind, item]) if spec.delete else None
    return form_page(
        request,
        form,
        account=account,
        title=spec.edit_title,
        cancel_url=_back(pk, spec.tab),
        delete_url=delete_url,
    )


@login_required
@require_POST
def record_delete(request: AuthedHttpRequest, pk: int, kind: str, item: int) -> HttpResponse:
    spec = _kind(kind, request)
    if spec.delete is None:
        raise Http404
    account = editable_account(request, pk)
    record = spec.model._default_manager.filter(account=account, pk=item).first()
    if record is None:
        raise Http404
    if isinstance(record, Contact):
        services.contact_delete(actor=request.user, contact=record)
    else:
        services.record_delete(actor=request.user, instance=record)  # type: ignore[arg-type]
    messages.success(request, _("已删除。"))
    return redirect(_back(pk, spec.tab))


@login_required
def team_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    account = editable_account(request, pk)
    form = TeamMemberForm(request.POST or None)

    def action(data: dict[str, Any]) -> None:
        services.team_member_add(
            actor=request.user, account=account, user=data["user"], role=data["role"]
        )

    if request.method == "POST" and submit(form, action):
        messages.success(request, _("已加入虚拟团队。"))
        return redirect(_back(pk, "org"))
    return form_page(
        request, form, account=account, title=_("加入虚拟团队"), cancel_url=_back(pk, "org")
    )


@login_required
@require_POST
def team_remove(request: AuthedHttpRequest, pk: int, item: int) -> HttpResponse:
    account = editable_account(request, pk)
    member = (
        VirtualTeamMember.objects.filter(account=account, pk=item)
        .select_related("user", "account")
        .first()
    )
    if member is None:
        raise Http404
    services.team_member_remove(actor=request.user, member=member)
    messages.success(request, _("已移出虚拟团队。"))
    return redirect(_back(pk, "org"))
