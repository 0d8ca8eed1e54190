"""The printable quote: it renders, and the figures on it are the quote's."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from telekam.accounts.tests.factories import AccountFactory, product
from telekam.core import clock
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory
from telekam.sales import selectors, services
from telekam.sales.models import Quote
from telekam.sales.pdf import quote_pdf
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db

D = dt.date


def text_of(pdf: bytes) -> str:
    """All the text with white space removed: table cells wrap anywhere."""
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    return "".join("".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture
def quote() -> Quote:
    am = UserFactory(username="am_pdf", last_name="李", first_name="明", mobile="13912345678")
    account = AccountFactory(owner=am, name="北京华信证券股份有限公司", code="KA00000042")
    with clock.frozen(aware(D(2026, 9, 25))):
        opp = services.opportunity_create(
            actor=am,
            name="总部专线扩容",
            source="customer",
            close_date=D(2026, 12, 31),
            account=account,
        )
        solution = services.solution_create(actor=am, opportunity=opp, title="双路由专线方案")
        created = services.quote_create(
            actor=am,
            solution=solution,
            valid_until=D(2026, 10, 31),
            note="含两年免费维护",
            lines=[
                {
                    "product": product("digital_circuit"),
                    "quantity": 2,
                    "term_months": 24,
                    "discount_pct": Decimal("5"),
                },
                {
                    "product": product("ip_vpn"),
                    "quantity": 1,
                    "term_months": 12,
                    "monthly_price": Decimal("2400.00"),
                    "one_time_price": Decimal("0.00"),
                },
            ],
        )
    return selectors.quote_get_visible(user=am, pk=created.pk)


def test_the_quote_pdf_carries_the_number_lines_totals_and_validity(quote):
    pdf = quote_pdf(quote=quote, figures=selectors.quote_figures(quote))
    text = text_of(pdf)
    for expected in (
        "报价单",
        quote.number,
        "北京华信证券股份有限公司",
        "KA00000042",
        "总部专线扩容",
        "李明",
        "13912345678",
        "数字电路",
        "IP-VPN",
        "¥2,800.00",  # the list price, before the discount
        "5%",
        "¥5,320.00",  # 2 x 2,800 x 0.95
        "¥5,700.00",  # 2 x 3,000 x 0.95
        "¥7,720.00",  # monthly total
        "¥162,180.00",  # contract value
        "2026-10-31",
        "含两年免费维护",
        "签字（盖章）",
    ):
        assert expected in text, expected


def test_the_pdf_reads_nothing_more_from_the_database(quote, django_assert_num_queries):
    figures = selectors.quote_figures(quote)
    with django_assert_num_queries(0):
        quote_pdf(quote=quote, figures=figures)


def test_the_quote_pdf_page(quote):
    client = Client()
    assert client.login(username="am_pdf", password=TEST_PASSWORD)
    response = client.get(reverse("sales:quote_pdf", args=[quote.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert quote.number in text_of(response.content)
    assert quote.number in response["Content-Disposition"]
