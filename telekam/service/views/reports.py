"""The monthly SLA report of one account: page, PDF and Excel from the same selector."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font

from telekam.accounts.selectors import account_get_visible
from telekam.core import clock
from telekam.core.errors import NotFound
from telekam.core.http import AuthedHttpRequest
from telekam.service import selectors
from telekam.service.selectors import SlaReport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(value: str | None) -> dt.date:
    """The month asked for as YYYY-MM, defaulting to the last complete month."""
    if value:
        try:
            month = dt.datetime.strptime(value, "%Y-%m").date()  # noqa: DTZ007 (a date)
        except ValueError:
            raise Http404 from None
        if 2000 <= month.year <= 2100:
            return month
        raise Http404
    return (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _report(request: AuthedHttpRequest, account_pk: int) -> SlaReport:
    try:
        account = account_get_visible(user=request.user, pk=account_pk)
    except NotFound:
        raise Http404 from None
    return selectors.sla_report(
        account=account, month=_month(request.GET.get("month")), today=clock.today()
    )


@require_GET
@login_required
def sla_report(request: AuthedHttpRequest, account_pk: int) -> HttpResponse:
    report = _report(request, account_pk)
    previous = (report.month - dt.timedelta(days=1)).replace(day=1)
    following = (report.month + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "service/sla_report.html",
        {
            "section": "service",
            "report": report,
            "account": report.account,
            "previous": f"{previous:%Y-%m}",
            "following": f"{following:%Y-%m}" if following <= clock.today() else None,
            "month_param": f"{report.month:%Y-%m}",
        },
    )


def _filename(report: SlaReport, ext: str) -> str:
    return f"sla-{report.account.code}-{report.month:%Y-%m}.{ext}"


@require_GET
@login_required
def sla_report_pdf(request: AuthedHttpRequest, account_pk: int) -> HttpResponse:
    from telekam.service.pdf import sla_report_pdf as render_pdf

    report = _report(request, account_pk)
    response = HttpResponse(render_pdf(report=report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(report, "pdf")}"'
    return response


@require_GET
@login_required
def sla_report_xlsx(request: AuthedHttpRequest, account_pk: int) -> HttpResponse:
    report = _report(request, account_pk)
    response = HttpResponse(sla_report_workbook(report), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "xlsx")}"'
    return response


def sla_report_workbook(report: SlaReport) -> bytes:
    """Three sheets: summary, availability per circuit, orders due in the month."""
    book = Workbook()
    bold = Font(bold=True)
    summary = book.worksheets[0]
    summary.title = _("汇总")
    summary.append([_("客户"), report.account.name])
    summary.append([_("客户编码"), report.account.code])
    summary.append([_("月份"), f"{report.month:%Y-%m}"])
    summary.append([_("故障数"), report.faults_count])
    summary.append([_("到期工单"), report.orders_due])
    summary.append([_("按时开通"), report.orders_on_time])
    summary.append([_("开通超时赔付（元）"), report.compensation_total])
    summary.append([_("可用率赔付（元）"), report.credit_total])
    for row in summary.iter_rows(max_col=1):
        row[0].font = bold

    circuits = book.create_sheet(_("可用率"))
    circuits.append(
        [
            _("电路/线路号"),
            _("产品"),
            _("SLA 等级"),
            _("在网分钟"),
            _("中断分钟"),
            _("客户原因停钟（分钟）"),
            _("可用率（%）"),
            _("承诺（%）"),
            _("达标"),
            _("赔付（元）"),
        ]
    )
    for c in report.circuits:
        circuits.append(
            [
                c.service.number,
                c.service.product.display_name,
                c.sla_level_label,
                c.minutes_in_month,
                c.outage_minutes,
                c.excluded_minutes,
                c.availability_pct,
                c.target_pct,
                _("是") if c.met else _("否"),
                c.credit,
            ]
        )
    orders = book.create_sheet(_("开通工单"))
    orders.append(
        [
            _("产品"),
            _("电路/线路号"),
            _("时限等级"),
            _("受理日期"),
            _("开通时限"),
            _("开通日期"),
            _("按时"),
            _("超时工作日"),
            _("赔付（元）"),
        ]
    )
    for line in report.orders:
        o = line.order
        orders.append(
            [
                o.product.display_name,
                o.circuit_number,
                o.get_sla_class_display(),
                o.accepted_on,
                o.deadline,
                o.activated_on,
                "" if line.on_time is None else (_("是") if line.on_time else _("否")),
                line.working_days_late,
                line.compensation,
            ]
        )
    for sheet in (circuits, orders):
        for cell in sheet[1]:
            cell.font = bold
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = 16
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
