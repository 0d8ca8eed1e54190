"""billing_import: validation, replace semantics, permissions, derived spend, audit."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest

from telekam.accounts.models import Account
from telekam.accounts.tests.factories import AccountFactory
from telekam.billing.errors import BillingErrorCode, BillingImportInvalid
from telekam.billing.models import BillingImport, BillingLine
from telekam.billing.services import billing_import, billing_template_csv
from telekam.billing.tests.helpers import BillingLineFactory, csv_bytes, totals, xlsx_bytes
from telekam.core.errors import PermissionDenied
from telekam.core.models import AuditAction, AuditEntry
from telekam.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst():
    return UserFactory(analyst=True, username="analyst")


@pytest.fixture
def accounts():
    return [AccountFactory(code=f"KA{n}") for n in (1, 2, 3)]


def state():
    """Everything an import may change, to compare before/after a refused import."""
    return (
        totals(),
        BillingImport.objects.count(),
        AuditEntry.objects.count(),
        sorted(Account.objects.values_list("code", "avg_monthly_spend", "spend_through")),
    )


GOOD = [
    ["KA1", "2026-09", "digital_circuit", "2800.00"],
    ["KA1", "2026-09", "voice_usage", "350.50"],
    ["KA2", "2026-09", "ip_vpn", "5000"],
    ["KA1", "2026-10", "digital_circuit", "2800.00"],
]


def test_good_csv_imports_lines_refreshes_spend_and_audits(analyst, accounts):
    content = csv_bytes(GOOD)
    result = billing_import(actor=analyst, file_name="2026Q3.csv", content=content)

    assert totals() == {
        ("KA1", "2026-09", "digital_circuit"): Decimal("2800.00"),
        ("KA1", "2026-09", "voice_usage"): Decimal("350.50"),
        ("KA2", "2026-09", "ip_vpn"): Decimal("5000.00"),
        ("KA1", "2026-10", "digital_circuit"): Decimal("2800.00"),
    }
    assert set(BillingLine.objects.values_list("billing_import_id", flat=True)) == {result.pk}
    result.refresh_from_db()
    assert result.file_name == "2026Q3.csv"
    assert result.sha256 == hashlib.sha256(content).hexdigest()
    assert result.imported_by == analyst
    assert (result.row_count, result.account_count, result.replaced_lines) == (4, 2, 0)
    assert result.months == ["2026-09", "2026-10"]
    assert result.total_amount == Decimal("10950.50")

    # Average over billed months of the 12-month window ending at the latest billed month.
    spend = dict(Account.objects.values_list("code", "avg_monthly_spend"))
    assert spend == {"KA1": Decimal("2975.25"), "KA2": Decimal("5000.00"), "KA3": Decimal("0.00")}
    assert set(Account.objects.values_list("spend_through", flat=True)) == {dt.date(2026, 10, 1)}

    entry = AuditEntry.objects.get()
    assert entry.action == AuditAction.IMPORT
    assert entry.account is None
    assert (entry.target_type, entry.target_id) == ("billing.billingimport", str(result.pk))
    assert entry.summary == "导入账单 2026Q3.csv：4 行，2 个客户，账期 2026-09、2026-10"
    assert entry.actor == analyst


def test_same_account_month_product_rows_are_summed(analyst, accounts):
    content = csv_bytes(
        [
            ["KA1", "2026-09", "voice_usage", "100.10"],
            ["KA1", "2026-09-01", "voice_usage", "200.20"],
            ["KA1", "202609", "voice_usage", "-50.30"],
        ]
    )
    result = billing_import(actor=analyst, file_name="s.csv", content=content)
    assert totals() == {("KA1", "2026-09", "voice_usage"): Decimal("250.00")}
    assert (result.row_count, result.total_amount) == (3, Decimal("250.00"))


def test_one_bad_row_among_good_ones_commits_nothing_and_names_line_and_column(analyst, accounts):
    BillingLineFactory(account=accounts[0], month=dt.date(2026, 8, 1), amount=Decimal("999.00"))
    before = state()
    rows = [*GOOD[:2], ["KA2", "2026-09", "ip_vpn", "abc"], *GOOD[2:]]
    with pytest.raises(BillingImportInvalid) as info:
        billing_import(actor=analyst, file_name="s.csv", content=csv_bytes(rows))
    assert info.value.code == BillingErrorCode.IMPORT_INVALID
    assert info.value.status == 422
    assert info.value.details == [
        {
            "line": 4,
            "column": "金额",
            "value": "abc",
            "message": "金额不是有效的数字。",
            "code": "bad_amount",
        }
    ]
    assert info.value.message == "账单文件有 1 处错误，未导入任何数据。"
    assert state() == before


def test_every_bad_row_is_reported_in_file_order(analyst, accounts):
    before = state()
    rows = [
        ["KA1", "2026-09", "digital_circuit", "100"],  # line 2 ok
        ["KA404", "2026-09", "digital_circuit", "100"],  # 3 unknown account
        ["KA1", "2026-09", "no_such_product", "100"],  # 4 unknown product
        ["KA1", "2026-13", "digital_circuit", "100"],  # 5 bad month
        ["KA1", "2026-12", "digital_circuit", "100"],  # 6 future month
        ["KA2", "2026-09", "ip_vpn", "1.005"],  # 7 three decimals
        ["", "2026-09", "ip_vpn", "1"],  # 8 missing value
        ["KA404", "2026-09", "nope", "1"],  # 9 two errors on one line
    ]
    with pytest.raises(BillingImportInvalid) as info:
        billing_import(actor=analyst, file_name="s.csv", content=csv_bytes(rows))
    got = [(e["line"], e["column"], e["value"], e["code"]) for e in info.value.details]
    assert got == [
        (3, "客户编码", "KA404", "unknown_account"),
        (4, "产品编码", "no_such_product", "unknown_product"),
        (5, "账期", "2026-13", "bad_month"),
        (6, "账期", "2026-12", "future_month"),
        (7, "金额", "1.005", "bad_amount"),
        (8, "客户编码", "", "missing_value"),
        (9, "客户编码", "KA404", "unknown_account"),
        (9, "产品编码", "nope", "unknown_product"),
    ]
    assert info.value.details[0]["message"] == "客户编码“KA404”不存在。"
    assert (
        info.value.details[3]["message"]
        == "账期 2026-12 晚于当前月份 2026-11，不能导入未来月份的账单。"
    )
    assert info.value.error_count == 8
    assert state() == before


def test_negative_account_month_total_is_refused_but_credits_are_allowed(analyst, accounts):
    before = state()
    rows = [
        ["KA1", "2026-09", "digital_circuit", "100.00"],
        ["KA1", "2026-09", "voice_usage", "-150.00"],
        ["KA2", "2026-09", "ip_vpn", "500.00"],
        ["KA2", "2026-09", "voice_usage", "-100.00"],
    ]
    with pytest.raises(BillingImportInvalid) as info:
        billing_import(actor=analyst, file_name="s.csv", content=csv_bytes(rows))
    assert [(e["line"], e["column"], e["value"], e["code"]) for e in info.value.details] == [
        (2, "金额", "-50.00", "negative_total")
    ]
    assert "第 2、3 行" in info.value.details[0]["message"]
    assert state() == before


def test_missing_column_is_a_file_level_error(analyst, accounts):
    before = state()
    content = csv_bytes([["KA1", "2026-09", "100"]], header=["客户编码", "账期", "金额"])
    with pytest.raises(BillingImportInvalid) as info:
        billing_import(actor=analyst, file_name="s.csv", content=content)
    assert [(e["line"], e["column"], e["code"]) for e in info.value.details] == [
        (1, "产品编码", "missing_column")
    ]
    assert state() == before


def test_gbk_encoded_csv_imports(analyst, accounts):
    content = csv_bytes([["KA1", "2026年9月", "digital_circuit", "2,800.00"]], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    billing_import(actor=analyst, file_name="九月账单.csv", content=content)
    assert totals() == {("KA1", "2026-09", "digital_circuit"): Decimal("2800.00")}
    assert BillingImport.objects.get().file_name == "九月账单.csv"


def test_xlsx_imports(analyst, accounts):
    content = xlsx_bytes(
        [
            ["KA1", dt.datetime(2026, 9, 1), "digital_circuit", 2800],  # noqa: DTZ001 - naive like Excel
            ["KA2", "2026-10", "idc", 4500.5],
        ],
        header=["account_code", "Month", "PRODUCT", "amount"],
    )
    result = billing_import(actor=analyst, file_name="statement.xlsx", content=content)
    assert totals() == {
        ("KA1", "2026-09", "digital_circuit"): Decimal("2800.00"),
        ("KA2", "2026-10", "idc"): Decimal("4500.50"),
    }
    assert result.months == ["2026-09", "2026-10"]


def test_reimport_of_the_same_file_leaves_totals_unchanged(analyst, accounts):
    content = csv_bytes(GOOD)
    billing_import(actor=analyst, file_name="s.csv", content=content)
    first = totals()
    spend = sorted(Account.objects.values_list("code", "avg_monthly_spend"))
    second = billing_import(actor=analyst, file_name="s.csv", content=content)
    assert totals() == first
    assert BillingLine.objects.count() == 4
    assert second.replaced_lines == 4
    assert set(BillingLine.objects.values_list("billing_import_id", flat=True)) == {second.pk}
    assert sorted(Account.objects.values_list("code", "avg_monthly_spend")) == spend


def test_corrected_file_replaces_amounts_and_drops_missing_products(analyst, accounts):
    billing_import(actor=analyst, file_name="s.csv", content=csv_bytes(GOOD))
    other_month = BillingLineFactory(
        account=accounts[0], month=dt.date(2026, 8, 1), amount=Decimal("10.00")
    )
    corrected = [
        ["KA1", "2026-09", "digital_circuit", "3000.00"],  # corrected amount; voice_usage dropped
        ["KA2", "2026-09", "ip_vpn", "5000"],
    ]
    result = billing_import(actor=analyst, file_name="fixed.csv", content=csv_bytes(corrected))
    assert totals() == {
        ("KA1", "2026-08", "digital_circuit"): Decimal("10.00"),  # other month untouched
        ("KA1", "2026-09", "digital_circuit"): Decimal("3000.00"),
        ("KA2", "2026-09", "ip_vpn"): Decimal("5000.00"),
        ("KA1", "2026-10", "digital_circuit"): Decimal("2800.00"),  # month not in the file
    }
    assert result.replaced_lines == 3
    assert BillingLine.objects.filter(pk=other_month.pk).exists()
    # KA1: (10 + 3000 + 2800) / 3 billed months; window still ends at 2026-10.
    assert Account.objects.get(code="KA1").avg_monthly_spend == Decimal("1936.67")
    assert Account.objects.get(code="KA1").spend_through == dt.date(2026, 10, 1)


def test_window_moves_for_accounts_not_in_the_file(analyst, accounts):
    """A newer month moves everybody's 12-month window, not only the file's accounts."""
    BillingLineFactory(account=accounts[2], month=dt.date(2025, 10, 1), amount=Decimal("1200.00"))
    BillingLineFactory(account=accounts[2], month=dt.date(2025, 11, 1), amount=Decimal("600.00"))
    billing_import(
        actor=analyst, file_name="a.csv", content=csv_bytes([["KA1", "2026-09", "ip_vpn", "100"]])
    )
    ka3 = Account.objects.get(code="KA3")
    assert (ka3.avg_monthly_spend, ka3.spend_through) == (Decimal("900.00"), dt.date(2026, 9, 1))
    billing_import(
        actor=analyst, file_name="b.csv", content=csv_bytes([["KA1", "2026-10", "ip_vpn", "100"]])
    )
    ka3.refresh_from_db()  # 2025-10 has left the window
    assert (ka3.avg_monthly_spend, ka3.spend_through) == (Decimal("600.00"), dt.date(2026, 10, 1))
    billing_import(
        actor=analyst, file_name="c.csv", content=csv_bytes([["KA1", "2026-11", "ip_vpn", "100"]])
    )
    ka3.refresh_from_db()  # 2025-11 has left the window
    assert (ka3.avg_monthly_spend, ka3.spend_through) == (Decimal("0.00"), dt.date(2026, 11, 1))


def test_backfilling_an_old_month_keeps_the_window_at_the_latest_month(analyst, accounts):
    BillingLineFactory(account=accounts[1], month=dt.date(2026, 10, 1), amount=Decimal("900.00"))
    billing_import(
        actor=analyst, file_name="old.csv", content=csv_bytes([["KA2", "2026-01", "ip_vpn", "300"]])
    )
    ka2 = Account.objects.get(code="KA2")
    assert (ka2.avg_monthly_spend, ka2.spend_through) == (Decimal("600.00"), dt.date(2026, 10, 1))


@pytest.mark.parametrize(
    "trait", [{}, {"desk": True}, {"ops": True}, {"lead": True}, {"presales": True}]
)
def test_roles_without_the_right_are_refused_and_nothing_changes(trait, accounts):
    user = UserFactory(**trait)
    before = state()
    with pytest.raises(PermissionDenied):
        billing_import(actor=user, file_name="s.csv", content=csv_bytes(GOOD))
    assert state() == before


@pytest.mark.parametrize("trait", ["head", "analyst", "admin"])
def test_head_analyst_and_admin_may_import(trait, accounts):
    billing_import(actor=UserFactory(**{trait: True}), file_name="s.csv", content=csv_bytes(GOOD))
    assert BillingLine.objects.count() == 4


def test_inactive_analyst_is_refused(accounts):
    with pytest.raises(PermissionDenied):
        billing_import(
            actor=UserFactory(analyst=True, is_active=False),
            file_name="s.csv",
            content=csv_bytes(GOOD),
        )


def test_file_name_is_reduced_to_its_base_name(analyst, accounts):
    result = billing_import(
        actor=analyst, file_name="C:\\Users\\wang\\九月.csv", content=csv_bytes(GOOD)
    )
    assert result.file_name == "九月.csv"


def test_template_is_refused_unchanged_because_its_example_account_does_not_exist(
    analyst, accounts
):
    with pytest.raises(BillingImportInvalid) as info:
        billing_import(actor=analyst, file_name="template.csv", content=billing_template_csv())
    assert [e["code"] for e in info.value.details] == ["unknown_account"]


def test_error_report_is_capped_but_counts_everything(analyst, accounts):
    rows = [["KA404", "2026-09", "ip_vpn", "1"]] * 1200
    with pytest.raises(BillingImportInvalid) as info:
        billing_import(actor=analyst, file_name="s.csv", content=csv_bytes(rows))
    assert info.value.error_count == 1200
    assert len(info.value.details) == 1000
    assert info.value.message == "账单文件有 1200 处错误（仅列出前 1000 处），未导入任何数据。"


def test_query_count_does_not_grow_with_rows_of_known_accounts(
    analyst, django_assert_max_num_queries
):
    codes = [AccountFactory(code=f"Q{n}").code for n in range(40)]
    rows = [[code, f"2026-{m:02d}", "ip_vpn", "100"] for code in codes for m in range(1, 5)]
    with django_assert_max_num_queries(40):
        billing_import(actor=analyst, file_name="s.csv", content=csv_bytes(rows))
    assert BillingLine.objects.count() == 160


def test_a_row_with_a_bad_cell_and_an_unknown_code_reports_both(analyst, accounts):
    before = state()
    rows = [
        *GOOD,
        ["KA404", "2026-09", "no_such_product", "abc"],
        ["KA1", "bad-month", "ip_vpn", "1"],
    ]
    with pytest.raises(BillingImportInvalid) as info:
        billing_import(actor=analyst, file_name="s.csv", content=csv_bytes(rows))
    assert [(e["line"], e["code"]) for e in info.value.details] == [
        (6, "bad_amount"),
        (6, "unknown_account"),
        (6, "unknown_product"),
        (7, "bad_month"),
    ]
    assert state() == before
