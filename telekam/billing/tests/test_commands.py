from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from telekam.accounts.tests.factories import AccountFactory
from telekam.billing.models import BillingImport, BillingLine
from telekam.billing.tests.helpers import csv_bytes
from telekam.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_import_billing_command_prints_a_summary(tmp_path, capsys):
    head = UserFactory(head=True, username="head")
    AccountFactory(code="KA1")
    path = tmp_path / "九月.csv"
    path.write_bytes(csv_bytes([["KA1", "2026-09", "idc", "4500"]], encoding="gbk"))
    call_command("import_billing", str(path))
    out = capsys.readouterr().out
    assert "已导入 九月.csv：1 行，1 个客户，账期 2026-09，金额合计 4500.00 元" in out
    assert BillingImport.objects.get().imported_by == head


def test_import_billing_command_reports_each_error_and_exits_1(tmp_path, capsys):
    UserFactory(analyst=True, username="ana")
    AccountFactory(code="KA1")
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([["KA1", "2026-09", "idc", "x"], ["KA9", "2026-09", "idc", "1"]]))
    with pytest.raises(CommandError) as info:
        call_command("import_billing", str(path), "--as", "ana")
    assert info.value.returncode == 1
    err = capsys.readouterr().err
    assert "第 2 行［金额］“x”：金额不是有效的数字。" in err
    assert "第 3 行［客户编码］“KA9”：客户编码“KA9”不存在。" in err
    assert BillingLine.objects.count() == 0


def test_import_billing_command_as_a_user_without_the_right(tmp_path):
    UserFactory(username="am1")
    AccountFactory(code="KA1")
    path = tmp_path / "s.csv"
    path.write_bytes(csv_bytes([["KA1", "2026-09", "idc", "1"]]))
    with pytest.raises(CommandError):
        call_command("import_billing", str(path), "--as", "am1")
    assert BillingLine.objects.count() == 0
    assert Decimal("0") == sum(BillingLine.objects.values_list("amount", flat=True), Decimal("0"))
