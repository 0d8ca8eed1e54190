"""Excel export of an account list: exactly the rows and filters the user is looking at."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from telekam.accounts.models import Account
from telekam.core import clock

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def accounts_xlsx(accounts: QuerySet[Account], *, confidential: bool) -> HttpResponse:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("客户"))
    header = [
        _("客户编码"),
        _("客户名称"),
        _("统一社会信用代码"),
        _("客户类别"),
        _("客户等级"),
        _("服务星级"),
        _("行业"),
        _("服务行业组"),
        _("客户经理"),
        _("层级"),
        _("状态"),
        _("月均消费（元）"),
        _("总机电话"),
        _("地址"),
    ]
    if confidential:
        header.append(_("综合折扣（%）"))
    bold = Font(bold=True)
    ws.append([_cell(ws, h, bold) for h in header])
    for a in accounts.iterator(chunk_size=2000):
        row: list[Any] = [
            a.code,
            a.name,
            a.credit_code or "",
            a.get_segment_display(),
            a.grade.display_name if a.grade else "",
            a.star_level,
            a.get_industry_display(),
            a.group.display_name,
            str(a.owner),
            a.get_level_display(),
            a.get_status_display(),
            Decimal(a.avg_monthly_spend),
            a.phone,
            a.address,
        ]
        if confidential:
            row.append(Decimal(a.discount_pct))
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    name = f"accounts-{clock.today():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _cell(ws: Any, value: str, font: Font) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.font = font
    return cell
