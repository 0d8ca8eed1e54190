"""The SLA policy tables (provisioning deadlines and compensation, SLA quality levels),
edited by the administrator or the department head."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from telekam.core.forms import submit
from telekam.core.http import AuthedHttpRequest
from telekam.service import access, services
from telekam.service.models import FaultPolicy, ProvisioningPolicy
from telekam.service.services.policies import FAULT_FIELDS, PROVISIONING_FIELDS


def _form_class(model: type[Any], fields: tuple[str, ...]) -> type[forms.ModelForm[Any]]:
    """The editable fields plus, hidden, the values the editor saw (the conflict check)."""
    seen = {f"seen_{f}": forms.CharField(widget=forms.HiddenInput, required=False) for f in fields}
    meta = type("Meta", (), {"model": model, "fields": fields})
    return type(f"{model.__name__}Form", (forms.ModelForm,), {"Meta": meta, **seen})


FORMS: dict[str, tuple[type[Any], tuple[str, ...], Any]] = {
    "provisioning": (ProvisioningPolicy, PROVISIONING_FIELDS, services.provisioning_policy_update),
    "fault": (FaultPolicy, FAULT_FIELDS, services.fault_policy_update),
}


def _bound_or_new(model: type[Any], fields: tuple[str, ...], obj: Any, data: Any = None) -> Any:
    form = _form_class(model, fields)(
        data,
        instance=obj,
        initial={f"seen_{f}": getattr(obj, f) for f in fields},
        prefix=f"p{obj.pk}",
    )
    return form


@login_required
def policies(request: AuthedHttpRequest, bound: Any = None) -> HttpResponse:
    if not access.can_edit_policies(request.user):
        raise DjangoPermissionDenied
    rows = {}
    for kind, (model, fields, _update) in FORMS.items():
        qs = (
            model.objects.select_related("product")
            if model is ProvisioningPolicy
            else model.objects
        )
        rows[kind] = [
            bound[1]
            if bound is not None and bound[0] == kind and bound[1].instance.pk == obj.pk
            else _bound_or_new(model, fields, obj)
            for obj in qs.all()
        ]
    return render(
        request,
        "service/policies.html",
        {"section": "service", "provisioning": rows["provisioning"], "fault": rows["fault"]},
        status=400 if bound else 200,
    )


@require_POST
@login_required
def policy_edit(request: AuthedHttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in FORMS:
        raise Http404
    if not access.can_edit_policies(request.user):
        raise DjangoPermissionDenied
    model, fields, update = FORMS[kind]
    try:
        obj = model.objects.get(pk=pk)
    except model.DoesNotExist:
        raise Http404 from None
    form = _bound_or_new(model, fields, obj, request.POST)

    def run(data: dict[str, Any]) -> None:
        update(
            actor=request.user,
            pk=pk,
            data={f: data[f] for f in fields},
            seen={f: data[f"seen_{f}"] for f in fields},
        )

    if submit(form, run):
        messages.success(request, _("政策已更新：%(p)s。") % {"p": model.objects.get(pk=pk)})
        return redirect("service:policies")
    return policies(request, bound=(kind, form))
