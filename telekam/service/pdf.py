"""The printable documents of the service desk (ReportLab): the compensation form (赔付单),
the delivery package handed to a key account after activation (domain §5) and the monthly
SLA report of one account.

Chinese text uses ReportLab's built-in CID font STSong-Light, so no font file ships with
the product: viewers supply the glyphs. Every function returns the PDF as bytes and runs
no query beyond the relations its docstring asks the caller to load.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from telekam.accounts.models import Account, ServiceInUse, SlaLevel
from telekam.core import clock
from telekam.service.models import CompensationForm, DeliveryTask, ProvisioningOrder

FONT = "STSong-Light"
BRAND = "TeleKAM"
DASH = "—"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 26 * mm
MARGIN_BOTTOM = 20 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

INK = colors.HexColor("#1f2937")
MUTED = colors.HexColor("#6b7280")
ACCENT = colors.HexColor("#1d4ed8")
RULE = colors.HexColor("#9ca3af")
HEAD_FILL = colors.HexColor("#e5e7eb")
LABEL_FILL = colors.HexColor("#f3f4f6")
MISS_FILL = colors.HexColor("#fee2e2")


# --- the SLA report's shape (built by the SLA report selector; read by duck typing) -------


class CircuitRowLike(Protocol):
    @property
    def service(self) -> ServiceInUse: ...
    @property
    def sla_level(self) -> str: ...
    @property
    def sla_level_label(self) -> str: ...
    @property
    def minutes_in_month(self) -> int: ...
    @property
    def outage_minutes(self) -> int: ...
    @property
    def excluded_minutes(self) -> int: ...
    @property
    def availability_pct(self) -> Decimal: ...
    @property
    def target_pct(self) -> Decimal: ...
    @property
    def met(self) -> bool: ...
    @property
    def credit(self) -> Decimal: ...


class OrderRowLike(Protocol):
    @property
    def order(self) -> ProvisioningOrder: ...
    @property
    def on_time(self) -> bool | None: ...
    @property
    def working_days_late(self) -> int | None: ...
    @property
    def compensation(self) -> Decimal | None: ...


class SlaReportLike(Protocol):
    @property
    def account(self) -> Account: ...
    @property
    def month(self) -> dt.date: ...
    @property
    def circuits(self) -> Sequence[CircuitRowLike]: ...
    @property
    def orders(self) -> Sequence[OrderRowLike]: ...
    @property
    def faults_count(self) -> int: ...
    @property
    def orders_due(self) -> int: ...
    @property
    def orders_on_time(self) -> int: ...
    @property
    def compensation_total(self) -> Decimal: ...
    @property
    def credit_total(self) -> Decimal: ...


# --- formatting ---------------------------------------------------------------------------


def money(value: Decimal | None) -> str:
    """¥12,345.00: two places, thousands separators; None -> a dash."""
    if value is None:
        return DASH
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"


def _plain_number(value: Decimal) -> str:
    """A decimal without trailing zeros and never in exponent form: 100.000 -> 100."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _share(rate: Decimal) -> str:
    """A share as a percentage: 0.0500 -> 5%, 0.0125 -> 1.25%."""
    return f"{_plain_number((rate * 100).quantize(Decimal('0.01')))}%"


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else DASH


def _datetime(value: dt.datetime | None) -> str:
    if value is None:
        return DASH
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d %H:%M")


def _text(value: object) -> str:
    text = str(value).strip() if value is not None else ""
    return text or DASH


def _person(user: Any) -> str:
    if user is None:
        return DASH
    return user.get_full_name() or user.get_username()


def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


def _month_label(month: dt.date) -> str:
    return _("%(year)d年%(month)02d月") % {"year": month.year, "month": month.month}


def _minutes(minutes: int) -> str:
    if minutes >= 60 and minutes % 60 == 0:
        return ngettext("%(n)d 小时", "%(n)d 小时", minutes // 60) % {"n": minutes // 60}
    return ngettext("%(n)d 分钟", "%(n)d 分钟", minutes) % {"n": minutes}


# --- styles and building blocks ----------------------------------------------------------


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    """Registers the CID font on first use (not at import) and builds the styles."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = ParagraphStyle(
        "tk-body", fontName=FONT, fontSize=10, leading=15, textColor=INK, wordWrap="CJK"
    )

    def derive(name: str, **changes: Any) -> ParagraphStyle:
        return ParagraphStyle(f"tk-{name}", parent=base, **changes)

    return {
        "body": base,
        "title": derive("title", fontSize=17, leading=24, alignment=TA_CENTER, spaceAfter=4),
        "subtitle": derive("subtitle", fontSize=10, alignment=TA_CENTER, textColor=MUTED),
        "h2": derive("h2", fontSize=11.5, leading=16, textColor=ACCENT, spaceBefore=10),
        "cell": derive("cell", fontSize=8.5, leading=11.5),
        "cell_right": derive("cell_right", fontSize=8.5, leading=11.5, alignment=TA_RIGHT),
        "label": derive("label", fontSize=8.5, leading=11.5, textColor=MUTED),
        "note": derive("note", fontSize=8.5, leading=12.5, textColor=MUTED, spaceBefore=2),
        "right": derive("right", alignment=TA_RIGHT),
        "hotline": derive(
            "hotline", fontSize=24, leading=32, alignment=TA_CENTER, textColor=ACCENT
        ),
    }


def _para(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text: markup characters in it are escaped, never interpreted."""
    return Paragraph(html.escape(text, quote=False), _styles()[style])


def _heading(text: str) -> Paragraph:
    return _para(text, "h2")


def _fields(pairs: Sequence[tuple[str, str]], *, columns: int = 2) -> Table:
    """Label/value pairs in a grid, `columns` pairs a row."""
    label_w = 30 * mm
    value_w = FRAME_WIDTH / columns - label_w
    rows: list[list[Paragraph | str]] = []
    for start in range(0, len(pairs), columns):
        row: list[Paragraph | str] = []
        chunk = list(pairs[start : start + columns])
        chunk += [("", "")] * (columns - len(chunk))
        for label, value in chunk:
            row += [_para(label, "label"), _para(value, "cell")]
        rows.append(row)
    table = Table(rows, colWidths=[label_w, value_w] * columns)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [("BACKGROUND", (2 * c, 0), (2 * c, -1), LABEL_FILL) for c in range(columns)]
    table.setStyle(TableStyle(style))
    return table


def _grid(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    right: Iterable[int] = (),
    marked: Iterable[int] = (),
) -> Table:
    """A data table with a header row repeated on every page; `right` are the numeric
    columns, `marked` the (0-based) data rows to shade as missed targets."""
    right_cols = set(right)
    body = [[_para(h, "label") for h in header]]
    for row in rows:
        body.append(
            [_para(v, "cell_right" if i in right_cols else "cell") for i, v in enumerate(row)]
        )
    table = Table(body, colWidths=list(widths), repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    style += [("BACKGROUND", (0, r + 1), (-1, r + 1), MISS_FILL) for r in marked]
    table.setStyle(TableStyle(style))
    return table


def _signature_block(parties: Sequence[str]) -> Table:
    """One column per party: its name, then a line to sign on and a line for the date."""
    gap = 10 * mm
    width = (FRAME_WIDTH - gap * (len(parties) - 1)) / len(parties)
    columns = [c for i in range(len(parties)) for c in ((width,) if i == 0 else (gap, width))]
    sign, date = _("签字（盖章）："), _("日期：")

    def spread(cells: list[Paragraph]) -> list[Paragraph | str]:
        row: list[Paragraph | str] = []
        for i, cell in enumerate(cells):
            row += [cell] if i == 0 else ["", cell]
        return row

    rows = [
        spread([_para(party) for party in parties]),
        spread([_para(sign, "label") for _party in parties]),
        spread([_para(date, "label") for _party in parties]),
    ]
    table = Table(rows, colWidths=columns, rowHeights=[20, 44, 28])
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 1), (-1, -1), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]
    for col in range(0, len(columns), 2):
        style += [
            ("LINEBELOW", (col, 1), (col, 1), 0.6, INK),
            ("LINEBELOW", (col, 2), (col, 2), 0.6, INK),
        ]
    table.setStyle(TableStyle(style))
    return table


def _render(title: str, story: list[Flowable]) -> bytes:
    """A4 with the brand and title on top of every page and the page number below."""
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=BRAND,
        creator=BRAND,
    )
    page_label = _("第 %(page)d 页")
    on_page = _page_decorator(title, page_label, styles["body"].fontName)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _fit(text: str, font: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _page_decorator(title: str, page_label: str, font: str) -> Callable[[Canvas, Any], None]:
    # the title shares the line with the brand: cut it short rather than run into it
    shown_title = _fit(title, font, 9.5, FRAME_WIDTH - 30 * mm)

    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        top = PAGE_HEIGHT - 14 * mm
        canvas.setFillColor(ACCENT)
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(MARGIN_X, top, BRAND)
        canvas.setFillColor(INK)
        canvas.setFont(font, 9.5)
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, top, shown_title)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN_X, top - 2.5 * mm, PAGE_WIDTH - MARGIN_X, top - 2.5 * mm)
        bottom = 11 * mm
        canvas.line(MARGIN_X, bottom + 4 * mm, PAGE_WIDTH - MARGIN_X, bottom + 4 * mm)
        canvas.setFillColor(MUTED)
        canvas.setFont(font, 8.5)
        canvas.drawCentredString(PAGE_WIDTH / 2, bottom, page_label % {"page": doc.page})
        canvas.restoreState()

    return draw


# --- 赔付单 ---------------------------------------------------------------------------------


def compensation_form_pdf(*, form: CompensationForm) -> bytes:
    """The compensation form for print and the customer's signature.

    Load `form` with select_related("order__product", "account", "confirmed_by",
    "signed_by", "settled_by", "credit"): nothing else is read from the database.
    """
    order = form.order
    title = _("赔付单")
    story: list[Flowable] = [
        _para(title, "title"),
        _para(_("赔付单号：%(number)s") % {"number": form.number}, "subtitle"),
        Spacer(1, 4 * mm),
        _heading(_("客户")),
        _fields([(_("客户名称"), form.account.name), (_("客户编码"), form.account.code)]),
        _heading(_("开通工单")),
        _fields(
            [
                (_("产品"), order.product.display_name),
                (_("电路/线路号"), _text(order.circuit_number)),
                (_("时限等级"), order.get_sla_class_display()),
                (_("受理日期"), _date(order.accepted_on)),
                (_("开通时限"), _date(order.deadline)),
                (_("开通日期"), _date(order.activated_on)),
            ]
        ),
        _heading(_("赔付计算")),
        _fields(
            [
                (_("一次性费用"), money(form.one_time_fee)),
                (_("每迟延一个工作日赔付比例"), _share(form.rate)),
                (_("超时工作日"), str(form.working_days_late)),
                (_("赔付金额"), money(form.amount)),
                (
                    _("已达上限"),
                    _("是（免收一次性费用）") if form.capped else _("否"),
                ),
                (_("状态"), form.get_status_display()),
            ]
        ),
        _para(
            _("赔付金额 = 一次性费用 × 每工作日赔付比例 × 超时工作日，以一次性费用为上限。"),
            "note",
        ),
        _heading(_("运维认定")),
        _fields(
            [
                (_("责任环节"), _text(form.get_responsible_segment_display())),
                (_("确认人"), _person(form.confirmed_by)),
                (_("确认时间"), _datetime(form.confirmed_at)),
            ]
        ),
        _fields([(_("运维认定说明"), _text(form.finding))], columns=1),
        _heading(_("客户签字与结算")),
        _fields(
            [
                (_("客户签字人"), _text(form.customer_signatory)),
                (_("客户签字日期"), _date(form.signed_on)),
                (_("登记人"), _person(form.signed_by)),
                (_("结算人"), _person(form.settled_by)),
                (_("结算时间"), _datetime(form.settled_at)),
                (_("账务减免单号"), form.credit.reference if form.credit else DASH),
            ]
        ),
    ]
    if form.void_reason:
        story += [Spacer(1, 2 * mm), _fields([(_("作废原因"), form.void_reason)], columns=1)]
    story += [
        Spacer(1, 12 * mm),
        KeepTogether(_signature_block([_("客户签字"), _("运维部门"), _("大客户部")])),
    ]
    return _render(f"{title} {form.number}", story)


# --- 交付资料 -------------------------------------------------------------------------------


def delivery_package_pdf(
    *,
    task: DeliveryTask,
    services: list[ServiceInUse],
    hotline: str,
    commitments: Mapping[str, tuple[str, int, int]] | None = None,
) -> bytes:
    """The delivery package (domain §5): cover letter, delivery list, warranty card, user
    guide with the fault hotline, and the customer's confirmation.

    Load `task` with select_related("account", "owner") and each service with its product.
    `commitments` maps an SLA level code to (availability text such as "99.95", response
    minutes, restore minutes), usually from the FaultPolicy rows; a level without one
    reads "as agreed in the contract".
    """
    title = _("业务交付资料")
    account = task.account
    owner = task.owner
    story: list[Flowable] = []
    story += _delivery_letter(task=task, account=account, owner=owner, count=len(services))
    story.append(PageBreak())
    story += _delivery_list(account=account, services=services)
    story.append(PageBreak())
    story += _warranty_card(services=services, hotline=hotline, commitments=commitments or {})
    story.append(PageBreak())
    story += _user_guide(hotline=hotline)
    story.append(KeepTogether(_confirmation(task=task)))
    return _render(f"{title} {account.name}", story)


def _delivery_letter(
    *, task: DeliveryTask, account: Account, owner: Any, count: int
) -> list[Flowable]:
    contents = [
        _("一、交付清单：本次交付电路的编号、产品、带宽、两端地址、开通日期和 SLA 等级；"),
        _("二、服务保障卡：各 SLA 等级的月可用率、故障响应和修复时限承诺；"),
        _("三、使用指南：常见问题自查方法和故障申告电话；"),
        _("四、客户确认单：请核对无误后签字确认。"),
    ]
    intro = ngettext(
        "您申请的 %(count)d 条电路已开通完毕，现将交付资料一并呈上，包括：",
        "您申请的 %(count)d 条电路已开通完毕，现将交付资料一并呈上，包括：",
        count,
    ) % {"count": count}
    story: list[Flowable] = [
        _para(_("业务交付函"), "title"),
        Spacer(1, 6 * mm),
        _para(_("尊敬的%(account)s：") % {"account": account.name}),
        Spacer(1, 2 * mm),
        _para(_("感谢您选择我们的服务，感谢您一直以来的信任与支持。")),
        _para(intro),
        *[_para(line) for line in contents],
        Spacer(1, 2 * mm),
        _para(
            _("我们将一如既往地为贵单位提供优质的服务。如有任何疑问，请随时与您的客户经理联系。")
        ),
        Spacer(1, 4 * mm),
        _para(_("此致")),
        _para(_("敬礼！")),
        Spacer(1, 10 * mm),
        _para(_("客户经理：%(name)s") % {"name": _person(owner)}, "right"),
        _para(_("手机：%(mobile)s") % {"mobile": _text(owner.mobile)}, "right"),
        _para(_("日期：%(date)s") % {"date": _date(task.delivered_on or clock.today())}, "right"),
    ]
    return story


def _delivery_list(*, account: Account, services: Sequence[ServiceInUse]) -> list[Flowable]:
    header = [
        _("电路/线路号"),
        _("产品"),
        _("带宽"),
        _("A 端"),
        _("Z 端"),
        _("开通日期"),
        _("SLA 等级"),
    ]
    rows = [
        [
            s.number,
            s.product.display_name,
            f"{_plain_number(s.bandwidth_mbps)} Mbps" if s.bandwidth_mbps is not None else DASH,
            _text(s.a_end),
            _text(s.z_end),
            _date(s.activated_on),
            s.get_sla_level_display(),
        ]
        for s in services
    ]
    widths = [x * mm for x in (28, 24, 18, 31, 31, 20, 18)]
    widths[-1] = FRAME_WIDTH - sum(widths[:-1])
    story: list[Flowable] = [
        _para(_("交付清单"), "title"),
        _fields([(_("客户名称"), account.name), (_("客户编码"), account.code)]),
        Spacer(1, 4 * mm),
    ]
    if rows:
        story.append(_grid(header, rows, widths, right=[2]))
    else:
        story.append(_para(_("本次无交付电路。")))
    return story


def _warranty_card(
    *,
    services: Sequence[ServiceInUse],
    hotline: str,
    commitments: Mapping[str, tuple[str, int, int]],
) -> list[Flowable]:
    delivered = {s.sla_level for s in services}
    levels = [level for level in SlaLevel if level in (delivered or set(commitments))]
    per_level = {level: sum(1 for s in services if s.sla_level == level) for level in levels}
    header = [_("SLA 等级"), _("月可用率承诺"), _("故障响应时限"), _("故障修复时限"), _("电路数")]
    rows = []
    for level in levels:
        terms = commitments.get(level.value)
        if terms is None:
            agreed = _("按合同约定")
            rows.append([str(level.label), agreed, agreed, agreed, str(per_level[level])])
            continue
        availability, response, restore = terms
        shown = availability if availability.endswith("%") else f"{availability}%"
        rows.append(
            [
                str(level.label),
                f"≥ {shown}",
                _minutes(response),
                _minutes(restore),
                str(per_level[level]),
            ]
        )
    widths = [FRAME_WIDTH * share for share in (0.16, 0.22, 0.22, 0.22, 0.18)]
    notes = [
        _("1. 月可用率按自然月统计；因客户原因造成的中断时间不计入。"),
        _("2. 响应和修复时限自故障申告时起计算；等待客户配合期间停止计时。"),
        _("3. 月可用率未达承诺时，按合同约定减免相应电路的月租。"),
        _("4. 发生故障时请拨打故障申告电话 %(hotline)s，并告知电路编号。") % {"hotline": hotline},
    ]
    story: list[Flowable] = [
        _para(_("服务保障卡"), "title"),
        _para(_("我们对本次交付的电路作出以下服务质量承诺："), "body"),
        Spacer(1, 3 * mm),
    ]
    story.append(_grid(header, rows, widths, right=[4]) if rows else _para(DASH))
    story += [Spacer(1, 4 * mm), *[_para(line, "note") for line in notes]]
    return story


def _user_guide(*, hotline: str) -> list[Flowable]:
    checks = [
        _("1. 检查设备电源是否接通，客户端设备（CPE）指示灯是否正常；"),
        _("2. 检查局域网网线是否松动或损坏，必要时重新插拔或更换；"),
        _("3. 重启客户端设备（CPE），等待约 3 分钟后再试；"),
        _("4. 仍未恢复的，请拨打故障申告电话，并告知电路编号。"),
    ]
    return [
        _para(_("使用指南"), "title"),
        Spacer(1, 4 * mm),
        _para(_("故障申告电话"), "subtitle"),
        _para(hotline, "hotline"),
        _para(_("申告时请提供电路编号，以便我们快速定位故障。"), "subtitle"),
        Spacer(1, 6 * mm),
        _heading(_("业务中断时的自查步骤")),
        *[_para(line) for line in checks],
        Spacer(1, 10 * mm),
    ]


def _confirmation(*, task: DeliveryTask) -> list[Flowable]:
    blank = "\u3000" * 8
    story: list[Flowable] = [
        _heading(_("客户确认")),
        _para(_("本单位已收到以上交付资料，所列业务已开通并可正常使用。")),
        Spacer(1, 8 * mm),
    ]
    name = task.confirmed_by_name or blank
    day = _date(task.confirmed_on) if task.confirmed_on else blank
    line = Table(
        [
            [
                _para(_("客户确认人（签字）：")),
                _para(name),
                _para(_("确认日期：")),
                _para(day),
            ]
        ],
        colWidths=[40 * mm, 50 * mm, 25 * mm, FRAME_WIDTH - 115 * mm],
    )
    line.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (1, 0), (1, 0), 0.6, INK),
                ("LINEBELOW", (3, 0), (3, 0), 0.6, INK),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    story += [line, Spacer(1, 3 * mm), _para(_("注：确认后即为起租日期。"), "note")]
    if task.billing_start_on:
        story.append(
            _para(_("起租日期：%(date)s") % {"date": _date(task.billing_start_on)}, "note")
        )
    return story


# --- SLA 月报 -------------------------------------------------------------------------------


def sla_report_pdf(*, report: Any) -> bytes:
    """The monthly SLA report of one account: summary, availability of each circuit and
    the provisioning orders due in the month.

    `report` is read by duck typing against `SlaReportLike`; its services and orders must come
    with their products loaded.
    """
    data: SlaReportLike = report
    account = data.account
    month = _month_label(data.month)
    title = _("%(account)s %(month)s SLA 服务月报") % {"account": account.name, "month": month}
    story: list[Flowable] = [
        _para(_("SLA 服务月报"), "title"),
        _para(f"{account.name}\u3000{month}", "subtitle"),
        Spacer(1, 4 * mm),
        _heading(_("概况")),
        _sla_summary(data, month),
        _heading(_("电路可用率")),
        *_sla_circuits(data.circuits),
        _heading(_("开通工单")),
        *_sla_orders(data.orders),
    ]
    return _render(title, story)


def _sla_summary(data: SlaReportLike, month: str) -> Table:
    met = sum(1 for c in data.circuits if c.met)
    if data.orders_due:
        rate = (Decimal(data.orders_on_time) * 100 / data.orders_due).quantize(Decimal("0.1"))
        on_time_rate = f"{rate}%"
    else:
        on_time_rate = DASH
    return _fields(
        [
            (_("客户名称"), data.account.name),
            (_("客户编码"), data.account.code),
            (_("统计月份"), month),
            (_("故障次数"), str(data.faults_count)),
            (_("电路数"), str(len(data.circuits))),
            (_("可用率达标电路"), str(met)),
            (_("到期开通工单"), str(data.orders_due)),
            (_("按时开通"), str(data.orders_on_time)),
            (_("按时开通率"), on_time_rate),
            (_("开通超时赔付合计"), money(data.compensation_total)),
            (_("可用率减免合计"), money(data.credit_total)),
        ]
    )


def _sla_circuits(circuits: Sequence[CircuitRowLike]) -> list[Flowable]:
    if not circuits:
        return [_para(_("本月无在用电路。"))]
    header = [
        _("电路/线路号"),
        _("产品"),
        _("SLA 等级"),
        _("中断（分钟）"),
        _("客户原因（分钟）"),
        _("可用率"),
        _("承诺"),
        _("达标"),
        _("减免"),
    ]
    rows = [
        [
            c.service.number,
            c.service.product.display_name,
            c.sla_level_label,
            str(c.outage_minutes),
            str(c.excluded_minutes),
            f"{c.availability_pct:.3f}%",
            f"{_plain_number(c.target_pct)}%",
            _yes_no(c.met),
            money(c.credit),
        ]
        for c in circuits
    ]
    widths = [x * mm for x in (27, 22, 17, 16, 18, 18, 16, 11, 0)]
    widths[-1] = FRAME_WIDTH - sum(widths[:-1])
    missed = [i for i, c in enumerate(circuits) if not c.met]
    return [
        _grid(header, rows, widths, right=[3, 4, 5, 6, 8], marked=missed),
        _para(
            _("可用率 =（当月在网分钟数 - 中断分钟数 + 客户原因停钟分钟数）÷ 当月在网分钟数。"),
            "note",
        ),
    ]


def _sla_orders(orders: Sequence[OrderRowLike]) -> list[Flowable]:
    if not orders:
        return [_para(_("本月无到期开通工单。"))]
    header = [
        _("电路/线路号"),
        _("产品"),
        _("受理日期"),
        _("开通时限"),
        _("开通日期"),
        _("按时开通"),
        _("超时工作日"),
        _("赔付"),
    ]
    rows = []
    for row in orders:
        order = row.order
        on_time = _("未开通") if row.on_time is None else _yes_no(row.on_time)
        late = DASH if row.working_days_late is None else str(row.working_days_late)
        rows.append(
            [
                _text(order.circuit_number),
                order.product.display_name,
                _date(order.accepted_on),
                _date(order.deadline),
                _date(order.activated_on),
                on_time,
                late,
                money(row.compensation),
            ]
        )
    widths = [x * mm for x in (27, 22, 19, 19, 19, 17, 19, 0)]
    widths[-1] = FRAME_WIDTH - sum(widths[:-1])
    late_rows = [i for i, row in enumerate(orders) if row.on_time is False]
    return [_grid(header, rows, widths, right=[6, 7], marked=late_rows)]
