"""Satisfaction surveys (满意度调查): the service desk (or the head, an analyst, the
administrator) uploads the vendor's result file; everyone reads the responses of the
accounts they see."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from telekam.core.errors import ApplicationError
from telekam.core.http import AuthedHttpRequest
from telekam.service import access, services
from telekam.service.models import SurveyRating
from telekam.service.selectors.surveys import (
    survey_imports_recent,
    survey_names,
    survey_response_list,
)
from telekam.service.surveys_import import SurveyImportInvalid

MAX_UPLOAD = 20 * 1024 * 1024


class SurveyUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("调查结果文件（CSV 或 Excel .xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
        error_messages={"empty": gettext_lazy("上传的文件是空的，请选择调查结果文件。")},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("文件过大（上限 20 MB）。"))
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def surveys(request: AuthedHttpRequest) -> HttpResponse:
    """Upload a survey file (those who may import), and the responses of the accounts the
    user sees, filtered by survey and rating. `?template=1` downloads the file template."""
    if not access.can_use_desk(request.user):
        raise DjangoPermissionDenied
    can_import = access.can_import_surveys(request.user)
    if request.GET.get("template"):
        if not can_import:
            raise DjangoPermissionDenied
        response = HttpResponse(
            services.survey_template_csv(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="survey-template.csv"'
        return response

    form: SurveyUploadForm | None = SurveyUploadForm() if can_import else None
    row_errors: list[dict[str, Any]] = []
    error_count = 0
    if request.method == "POST":
        if not can_import:
            raise DjangoPermissionDenied
        form = SurveyUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.survey_import(
                    actor=request.user, file_name=upload.name, content=upload.read()
                )
            except SurveyImportInvalid as error:
                form.add_error(None, error.message)
                row_errors, error_count = error.details, error.error_count
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("已导入 %(file)s：%(n)d 条调查结果，替换已有结果 %(m)d 条。")
                    % {"file": result.file_name, "n": result.row_count, "m": result.replaced},
                )
                return redirect("service:surveys")

    survey = request.GET.get("survey", "").strip()
    rating = request.GET.get("rating", "")
    rating = rating if rating in SurveyRating.values else ""
    page = Paginator(
        survey_response_list(user=request.user, survey=survey, rating=rating),
        settings.TELEKAM_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    response = render(
        request,
        "service/surveys.html",
        {
            "section": "service",
            "can_import": can_import,
            "form": form,
            "row_errors": row_errors,
            "error_count": error_count,
            "recent": survey_imports_recent() if can_import else [],
            "page_obj": page,
            "responses": page.object_list,
            "surveys": survey_names(user=request.user),
            "ratings": SurveyRating.choices,
            "filters": {"survey": survey, "rating": rating},
        },
    )
    if request.method == "POST":
        response.status_code = 400  # the upload did not go through: shown again with why
    return response
