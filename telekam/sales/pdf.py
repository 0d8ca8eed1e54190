"""The printable quote (报价单), built with the service desk's PDF building blocks
(telekam.service.pdf: the CID font STSong-Light, styles, tables, page decoration)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from telekam.sales.models import Quote
from telekam.sales.selectors import QuoteFigures
from telekam.service.pdf import (
    DASH,
    FRAME_WIDTH,
    _date,
    _fields,
    _grid,
    _heading,
    _para,
    _person,
    _plain_number,
    _render,
    _signature_block,
    _text,
    money,
)


def _pct(value: Any) -> str:
    return f"{_plain_number(value)}%"


def quote_pdf(*, quote: Quote, figures: QuoteFigures) -> bytes:
    """The quote for the customer: who it is for, the lines with their list and net
    prices, the totals, how long it is valid, and room for both signatures.

    Load `quote` as selectors.quote_get_visible does (solution, opportunity, account,
    prospect, owner, submitted_by, decided_by; lines with their products) and pass
    selectors.quote_figures(quote): nothing else is read from the database.
    """
    opportunity = quote.solution.opportunity
    account = opportunity.account
    title = _("报价单")
    story: list[Flowable] = [
        _para(title, "title"),
        _para(
            _("报价单号：%(number)s（第 %(revision)d 版）")
            % {"number": quote.number, "revision": quote.revision},
            "subtitle",
        ),
        Spacer(1, 4 * mm),
        _heading(_("客户")),
        _fields(
            [
                (_("客户名称"), opportunity.customer_name),
                (_("客户编码"), account.code if account is not None else DASH),
                (_("项目"), opportunity.name),
                (_("商机编号"), opportunity.number),
                (_("客户经理"), _person(opportunity.owner)),
                (_("手机"), _text(opportunity.owner.mobile)),
            ]
        ),
        _heading(_("报价明细")),
    ]
    header = [
        _("产品"),
        _("数量"),
        _("期限（月）"),
        _("月单价"),
        _("一次性单价"),
        _("折扣"),
        _("月费净额"),
        _("一次性净额"),
    ]
    rows = [
        [
            line.product.display_name,
            str(line.quantity),
            str(line.term_months),
            money(line.monthly_price),
            money(line.one_time_price),
            _pct(line.discount_pct),
            money(line.net_monthly),
            money(line.net_one_time),
        ]
        for line in quote.lines.all()
    ]
    widths = [x * mm for x in (30, 12, 14, 22, 22, 14, 24, 0)]
    widths[-1] = FRAME_WIDTH - sum(widths[:-1])
    if rows:
        story.append(_grid(header, rows, widths, right=range(1, 8)))
    else:
        story.append(_para(DASH))
    story += [
        _para(_("月单价与一次性单价为折扣前单价；净额 = 单价 × 数量 ×（1 - 折扣）。"), "note"),
        _heading(_("合计")),
        _fields(
            [
                (_("月费合计"), money(figures.monthly)),
                (_("一次性费用合计"), money(figures.one_time)),
                (_("合同期总价"), money(figures.contract_value)),
                (_("最大折扣"), _pct(figures.max_discount)),
            ]
        ),
        _heading(_("报价有效期")),
        _fields(
            [
                (_("报价日期"), _date(timezone.localdate(quote.created_at))),
                (_("有效期至"), _date(quote.valid_until)),
            ]
        ),
    ]
    if quote.note.strip():
        story.append(_fields([(_("报价说明"), quote.note.strip())], columns=1))
    story += [
        _para(_("本报价在有效期内有效，最终价格以双方签订的合同为准。"), "note"),
        Spacer(1, 12 * mm),
        KeepTogether(_signature_block([_("客户（签字盖章）"), _("我方（签字盖章）")])),
    ]
    return _render(f"{title} {quote.number}", story)
