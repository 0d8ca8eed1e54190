"""Volume: a 200,000-row statement. Slow, so it runs only with TELEKAM_BENCH=1:

    TELEKAM_BENCH=1 .venv/bin/pytest telekam/billing/tests/test_import_volume.py -s

A 2,000-row version always runs, to keep the code path exercised.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest

from telekam.accounts.models import Account, Segment
from telekam.accounts.tests.factories import band
from telekam.billing.models import BillingLine
from telekam.billing.services import billing_import
from telekam.billing.tests.helpers import csv_bytes
from telekam.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PRODUCTS = [
    "digital_circuit",
    "internet_leased_line",
    "voice_usage",
    "ip_vpn",
    "idc",
    "mobile_package",
]
MONTHS = [f"2025-{m:02d}" for m in range(12, 13)] + [f"2026-{m:02d}" for m in range(1, 12)]


def make_accounts(n: int) -> list[str]:
    owner = UserFactory()
    crystal = band("crystal")
    Account.objects.bulk_create(
        [
            Account(
                code=f"V{i:07d}",
                name=f"批量客户{i}",
                segment=Segment.KEY,
                grade=crystal,
                star_level=1,
                industry="finance",
                group_id=owner.group_id,
                owner=owner,
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    return [f"V{i:07d}" for i in range(n)]


def make_statement(codes: list[str], rows: int, *, cents: int = 0) -> bytes:
    """`rows` distinct (account, month, product) rows: accounts x 12 months x 3 products."""
    out = []
    for i in range(rows):
        code = codes[i % len(codes)]
        month = MONTHS[(i // len(codes)) % 12]
        product = PRODUCTS[((i // (len(codes) * 12)) + i) % len(PRODUCTS)]
        out.append([code, month, product, f"{1000 + i % 5000}.{cents:02d}"])
    return csv_bytes(out)


def run(accounts: int, rows: int) -> dict[str, float]:
    analyst = UserFactory(analyst=True)
    codes = make_accounts(accounts)
    content = make_statement(codes, rows)
    started = time.perf_counter()
    first = billing_import(actor=analyst, file_name="big.csv", content=content)
    first_s = time.perf_counter() - started
    assert BillingLine.objects.count() == rows
    assert first.row_count == rows
    assert first.account_count == accounts

    again = make_statement(codes, rows, cents=50)
    started = time.perf_counter()
    second = billing_import(actor=analyst, file_name="big-corrected.csv", content=again)
    second_s = time.perf_counter() - started
    assert BillingLine.objects.count() == rows
    assert second.replaced_lines == rows
    assert second.total_amount == first.total_amount + Decimal("0.50") * rows
    return {"first": first_s, "replace": second_s, "bytes": len(content)}


def test_import_2000_rows():
    run(accounts=100, rows=2000)


@pytest.mark.skipif(not os.environ.get("TELEKAM_BENCH"), reason="set TELEKAM_BENCH=1 to run")
def test_import_200k_rows():
    figures = run(accounts=7000, rows=200_000)
    print(
        f"\n200,000 rows ({figures['bytes'] / 1e6:.1f} MB, 7,000 accounts, 12 months): "
        f"first import {figures['first']:.1f} s, re-import replacing all lines {figures['replace']:.1f} s"
    )
    assert figures["first"] < 120
