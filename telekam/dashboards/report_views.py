"""The monthly management report as a download: built on demand in the user's own scope
(`report`), or the department's as the job runner stored it (`stored`)."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from telekam.core import clock
from telekam.core.errors import ApplicationError, NotFound, PermissionDenied
from telekam.core.http import AuthedHttpRequest
from telekam.dashboards import access, selectors
from telekam.dashboards.report import (
    PDF,
    STORED_NAME,
    XLSX,
    ManagementReport,
    report_data,
    report_pdf,
    report_workbook,
    reports_dir,
)
from telekam.value.forms import month_asked

STORED = re.compile(STORED_NAME)


def _filename(data: ManagementReport, ext: str) -> str:
    scope = data.month_view.scope
    suffix = ""
    if scope.owner_id is not None:
        suffix = f"-am-{scope.owner_id}"
    elif scope.group_id is not None:
        suffix = f"-group-{scope.group_id}"
    return f"management-{data.month:%Y-%m}{suffix}.{ext}"


@require_GET
@login_required
def report(request: AuthedHttpRequest) -> HttpResponse:
    """`?month=YYYY-MM` (default: the latest billed month) and `?format=pdf|xlsx`
    (default pdf): the report of the user's own scope."""
    if not access.sees_dashboard(request.user):
        raise DjangoPermissionDenied
    kind = request.GET.get("format") or "pdf"
    if kind not in ("pdf", "xlsx"):
        raise ApplicationError(_("报表格式只能是 pdf 或 xlsx。"))
    try:
        month = month_asked(request.GET.get("month"))
    except forms.ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages)) from None
    today = clock.today()
    try:
        data = report_data(
            user=request.user, month=month or selectors.default_month(today), today=today
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    if kind == "pdf":
        response = HttpResponse(report_pdf(data), content_type=PDF)
    else:
        response = HttpResponse(report_workbook(data), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_filename(data, kind)}"'
    return response


@require_GET
@login_required
def stored(request: AuthedHttpRequest, name: str) -> FileResponse:
    """A department report the job runner stored (var/reports), for those who see the
    department's figures."""
    if not access.sees_department(request.user):
        raise DjangoPermissionDenied
    match = STORED.fullmatch(name)
    if match is None:
        raise Http404
    path = reports_dir() / name
    if not path.is_file():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=PDF if match.group(1) == "pdf" else XLSX,
    )
