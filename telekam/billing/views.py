from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from telekam.accounts import access
from telekam.billing import selectors, services
from telekam.billing.errors import BillingImportInvalid
from telekam.core.errors import ApplicationError
from telekam.core.http import AuthedHttpRequest

MAX_UPLOAD = 50 * 1024 * 1024


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("账单文件（CSV 或 Excel .xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("文件过大（上限 50 MB）。"))
        return upload


@login_required
def imports(request: AuthedHttpRequest) -> HttpResponse:
    if not access.can_import_billing(request.user):
        raise DjangoPermissionDenied
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    row_errors: list[dict] = []
    error_count = 0
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.billing_import(
                actor=request.user,
                file_name=upload.name,
                content=upload.read(),
            )
        except BillingImportInvalid as error:
            form.add_error(None, error.message)
            row_errors, error_count = error.details, error.error_count
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("已导入 %(file)s：%(rows)d 行，%(accounts)d 个客户，账期 %(months)s。")
                % {
                    "file": result.file_name,
                    "rows": result.row_count,
                    "accounts": result.account_count,
                    "months": "、".join(result.months),
                },
            )
            return redirect("billing:imports")
    return render(
        request,
        "billing/imports.html",
        {
            "section": "billing",
            "form": form,
            "row_errors": row_errors,
            "error_count": error_count,
            "recent": selectors.imports_recent(user=request.user),
        },
    )


@login_required
@require_GET
def template(request: AuthedHttpRequest) -> HttpResponse:
    if not access.can_import_billing(request.user):
        raise DjangoPermissionDenied
    response = HttpResponse(services.billing_template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="billing-template.csv"'
    return response
