"""The billing JSON API: statement upload (multipart), the import history, spend series.

The import rules themselves are tested in test_import.py; here: the HTTP contract (201
with the summary, 422 with every row error, 403 for roles without the right, 401 without
credentials) and that a refused upload changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from telekam.accounts.models import Account
from telekam.accounts.tests.factories import AccountFactory
from telekam.billing.models import BillingImport
from telekam.billing.tests.helpers import BillingLineFactory, csv_bytes, totals
from telekam.core.models import AuditEntry
from telekam.org.services import api_token_create
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory, group

pytestmark = pytest.mark.django_db

URL = "/api/v1/billing/imports"


def token_client(user: Any) -> Client:
    _token, key = api_token_create(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {key}"})


def upload(client: Client, content: bytes, name: str = "2026-10.csv") -> Any:
    return client.post(URL, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def state() -> tuple[Any, ...]:
    return (
        totals(),
        BillingImport.objects.count(),
        AuditEntry.objects.count(),
        sorted(Account.objects.values_list("code", "avg_monthly_spend", "spend_through")),
    )


@pytest.fixture
def analyst():
    return UserFactory(analyst=True, username="analyst")


@pytest.fixture
def accounts():
    return [AccountFactory(code=f"KA{n}") for n in (1, 2)]


def test_upload_imports_and_answers_201_with_the_summary(analyst, accounts):
    content = csv_bytes(
        [["KA1", "2026-09", "digital_circuit", "2800.00"], ["KA2", "2026-10", "ip_vpn", "5000"]]
    )
    response = upload(token_client(analyst), content)
    assert response.status_code == 201, response.content
    body = response.json()
    batch = BillingImport.objects.get()
    assert body == {
        "id": batch.pk,
        "file_name": "2026-10.csv",
        "sha256": batch.sha256,
        "imported_by": "analyst",
        "imported_at": body["imported_at"],
        "row_count": 2,
        "account_count": 2,
        "months": ["2026-09", "2026-10"],
        "total_amount": "7800.00",
        "replaced_lines": 0,
    }
    assert totals() == {
        ("KA1", "2026-09", "digital_circuit"): Decimal("2800.00"),
        ("KA2", "2026-10", "ip_vpn"): Decimal("5000.00"),
    }
    listed = token_client(analyst).get(URL).json()
    assert [(i["id"], i["row_count"]) for i in listed] == [(batch.pk, 2)]


def test_bad_rows_answer_422_with_every_error_and_import_nothing(analyst, accounts):
    BillingLineFactory(account=accounts[0], month=dt.date(2026, 8, 1), amount=Decimal("999.00"))
    before = state()
    content = csv_bytes(
        [
            ["KA1", "2026-09", "digital_circuit", "100"],
            ["KA404", "2026-09", "digital_circuit", "100"],
            ["KA1", "2026-13", "digital_circuit", "abc"],
        ]
    )
    response = upload(token_client(analyst), content)
    assert response.status_code == 422
    assert response.json() == {
        "code": "billing_import_invalid",
        "message": "账单文件有 3 处错误，未导入任何数据。",
        "details": [
            {
                "line": 3,
                "column": "客户编码",
                "value": "KA404",
                "message": "客户编码“KA404”不存在。",
                "code": "unknown_account",
            },
            {
                "line": 4,
                "column": "账期",
                "value": "2026-13",
                "message": "账期格式不正确，应为 YYYY-MM、YYYY-MM-DD 或 YYYYMM（例如 2026-09）。",
                "code": "bad_month",
            },
            {
                "line": 4,
                "column": "金额",
                "value": "abc",
                "message": "金额不是有效的数字。",
                "code": "bad_amount",
            },
        ],
    }
    assert state() == before


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "empty.csv"),
        (b"\x00\x01\x02\xff" * 100, "garbage.csv"),
        (b"PK\x03\x04 not really a zip", "statement.xlsx"),
        (b"just,some,text\n1,2,3\n", "other.csv"),
        (csv_bytes([["KA1", "2026-09", "digital_circuit", "1"]])[:-9], "cut.csv"),
        (b"%PDF-1.4", "statement.pdf"),
    ],
)
def test_files_that_are_not_statements_are_a_4xx_and_import_nothing(
    analyst, accounts, content, name
):
    before = state()
    response = upload(token_client(analyst), content, name)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["code"]
    assert state() == before


def test_upload_without_a_file_or_as_json_is_a_422(analyst, accounts):
    client = token_client(analyst)
    before = state()
    missing = client.post(URL, {"other": "x"})
    assert (missing.status_code, list(missing.json()["details"])) == (422, ["file"])
    as_json = client.post(URL, {"file": "KA1,2026-09"}, content_type="application/json")
    assert as_json.status_code == 422
    assert state() == before


@pytest.mark.parametrize(
    "trait", [{}, {"lead": True}, {"desk": True}, {"ops": True}, {"presales": True}]
)
def test_roles_without_the_right_get_403_and_nothing_changes(accounts, trait):
    user = UserFactory(**trait)
    before = state()
    response = upload(token_client(user), csv_bytes([["KA1", "2026-09", "digital_circuit", "1"]]))
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert token_client(user).get(URL).status_code == 403
    assert state() == before


def test_upload_without_credentials_is_401(accounts):
    before = state()
    response = upload(Client(), csv_bytes([["KA1", "2026-09", "digital_circuit", "1"]]))
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")
    assert state() == before


def test_session_upload_needs_the_csrf_token(analyst, accounts):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="analyst", password=TEST_PASSWORD)
    before = state()
    refused = upload(client, csv_bytes([["KA1", "2026-09", "digital_circuit", "1"]]))
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert state() == before
    client.get("/api/v1/docs")  # sets the CSRF cookie, as the docs page does
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        URL,
        {
            "file": SimpleUploadedFile(
                "s.csv", csv_bytes([["KA1", "2026-09", "digital_circuit", "1"]])
            )
        },
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 201


def test_spend_of_an_account_the_user_may_not_see_is_404(accounts):
    stranger = UserFactory(group=group("government"))
    client = token_client(stranger)
    for url in [
        f"/api/v1/accounts/{accounts[0].code}/spend",
        f"/api/v1/accounts/{accounts[0].code}/spend/products",
    ]:
        response = client.get(url)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), url


@pytest.mark.parametrize("size", [3, 40])
def test_import_list_queries_are_bounded(analyst, size, django_assert_max_num_queries):
    for i in range(size):
        BillingImport.objects.create(
            file_name=f"{i}.csv",
            sha256="0" * 64,
            imported_by=analyst,
            row_count=1,
            account_count=1,
            months=["2026-09"],
            total_amount=Decimal("1.00"),
        )
    client = token_client(analyst)
    with django_assert_max_num_queries(3):
        body = client.get(URL, {"limit": 200}).json()
    assert len(body) == size
    assert {i["imported_by"] for i in body} == {"analyst"}
