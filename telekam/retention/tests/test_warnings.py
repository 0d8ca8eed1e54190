"""Warnings and cases: one open warning per account and source, acknowledging, dismissing,
the case and its end; field intelligence and cancellation orders; who may do what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from telekam.accounts.tests.factories import AccountFactory
from telekam.core import clock
from telekam.core.errors import ApplicationError, Conflict, PermissionDenied
from telekam.core.models import Notification
from telekam.org.tests.factories import UserFactory
from telekam.retention import access
from telekam.retention.models import (
    CancellationOrder,
    CaseStatus,
    ChurnWarning,
    FieldReport,
    RetentionCase,
    Run,
    Severity,
    WarningSource,
    WarningStatus,
)
from telekam.retention.services import (
    CancellationImportInvalid,
    cancellations_import,
    case_action_add,
    case_close,
    case_open,
    field_report_create,
    warning_acknowledge,
    warning_dismiss,
    warning_raise,
)
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)  # a Monday


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(aware(TODAY)):
        yield


def _raise(account, severity=Severity.MEDIUM, evidence=None, source=WarningSource.CALLS):
    return warning_raise(
        account=account,
        source=source,
        severity=severity,
        evidence=evidence or {"share_pct": 30.0},
        evidence_on=TODAY,
        competitor="china_unicom",
    )


def test_one_open_warning_per_account_and_source():
    account = AccountFactory()
    first, what = _raise(account)
    assert what == "created"
    assert first.ack_due == dt.date(2026, 11, 25)  # two working days
    same, what = _raise(account)
    assert (same.pk, what, same.version) == (first.pk, "unchanged", 1)
    newer, what = _raise(account, Severity.HIGH, {"share_pct": 55.0})
    assert (newer.pk, what) == (first.pk, "updated")
    newer.refresh_from_db()
    assert newer.severity == Severity.HIGH
    assert newer.evidence == {"share_pct": 55.0}
    _other, what = _raise(account, source=WarningSource.SPEND)
    assert what == "created"
    assert ChurnWarning.objects.count() == 2
    # the AM was told once per new warning and again when it got worse
    assert Notification.objects.filter(user=account.owner).count() == 3


def test_a_closed_warning_lets_a_new_one_open():
    account = AccountFactory()
    warning, _ = _raise(account)
    warning_dismiss(
        actor=account.owner, warning=warning, note="误报：客户在做年度对账", expected_version=1
    )
    again, what = _raise(account)
    assert what == "created"
    assert again.pk != warning.pk


def test_acknowledge_and_conflict():
    account = AccountFactory()
    warning, _ = _raise(account)
    warning_acknowledge(actor=account.owner, warning=warning, expected_version=1)
    warning.refresh_from_db()
    assert warning.status == WarningStatus.ACKNOWLEDGED
    assert warning.acknowledged_at == aware(TODAY)
    stale = ChurnWarning.objects.get(pk=warning.pk)
    with pytest.raises(Conflict):
        warning_dismiss(actor=account.owner, warning=stale, note="x", expected_version=1)
    assert ChurnWarning.objects.get(pk=warning.pk).status == WarningStatus.ACKNOWLEDGED


def test_only_the_accounts_people_act():
    account = AccountFactory()
    warning, _ = _raise(account)
    stranger = UserFactory()
    lead = UserFactory(lead=True)
    desk = UserFactory(desk=True)
    for user in (stranger, desk):
        with pytest.raises(PermissionDenied):
            warning_acknowledge(actor=user, warning=warning, expected_version=1)
    assert ChurnWarning.objects.get().status == WarningStatus.OPEN
    warning_acknowledge(actor=lead, warning=warning, expected_version=1)  # same group
    assert not access.warnings_visible_to(desk).exists()
    assert not access.warnings_visible_to(stranger).exists()
    assert list(access.warnings_visible_to(account.owner)) == [warning]


def test_case_from_warning_to_lost():
    account = AccountFactory()
    warning, _ = _raise(account)
    spend, _ = _raise(account, source=WarningSource.SPEND)
    am = account.owner
    case = case_open(
        actor=am, warning=warning, plan="上门拜访，提出长途资费优惠", expected_version=1
    )
    joined = case_open(actor=am, warning=spend, plan="核对账单", expected_version=1)
    assert joined.pk == case.pk
    case.refresh_from_db()
    assert case.plan == "上门拜访，提出长途资费优惠\n\n核对账单"
    action = case_action_add(actor=am, case=case, done_on=TODAY, text="拜访信息中心主任")
    assert action.author == am
    with pytest.raises(ApplicationError) as err:
        case_close(actor=am, case=case, outcome="lost", expected_version=case.version)
    assert err.value.field == "reason"
    with pytest.raises(ApplicationError) as err:
        case_close(
            actor=am, case=case, outcome="lost", reason="competitor_ld",
            monthly_revenue_lost=Decimal("3000"), expected_version=case.version,
        )  # fmt: skip
    assert err.value.field == "competitor"
    assert RetentionCase.objects.get().status == CaseStatus.OPEN
    case_close(
        actor=am, case=case, outcome="lost", reason="competitor_ld", competitor="china_unicom",
        monthly_revenue_lost=Decimal("3000"), note="客户改用联通 IP 长途", expected_version=case.version,
    )  # fmt: skip
    case.refresh_from_db()
    assert (case.status, case.outcome, case.closed_on) == (CaseStatus.CLOSED, "lost", TODAY)
    assert set(ChurnWarning.objects.values_list("status", flat=True)) == {WarningStatus.CLOSED}
    with pytest.raises(ApplicationError):
        case_action_add(actor=am, case=case, done_on=TODAY, text="再访")


def test_retained_case_keeps_no_loss():
    account = AccountFactory()
    warning, _ = _raise(account)
    case = case_open(actor=account.owner, warning=warning, plan="续约优惠", expected_version=1)
    case_close(
        actor=account.owner, case=case, outcome="retained", reason="price",
        monthly_revenue_lost=Decimal("99"), expected_version=case.version,
    )  # fmt: skip
    case.refresh_from_db()
    assert (case.outcome, case.reason, case.monthly_revenue_lost) == ("retained", "", Decimal("0"))


def test_field_reports_raise_one_warning_that_grows():
    account = AccountFactory()
    desk = UserFactory(desk=True)
    field_report_create(
        actor=account.owner, account=account, text="听说在和联通谈专线", heard_on=TODAY,
        competitor="china_unicom",
    )  # fmt: skip
    warning = ChurnWarning.objects.get(source=WarningSource.FIELD)
    assert warning.severity == Severity.MEDIUM
    field_report_create(actor=desk, account=account, text="客户来电询问退租流程", heard_on=TODAY)
    warning.refresh_from_db()
    assert warning.severity == Severity.HIGH  # two people heard it
    assert [r["text"] for r in warning.evidence["reports"]] == [
        "听说在和联通谈专线",
        "客户来电询问退租流程",
    ]
    assert warning.competitor == "china_unicom"
    assert ChurnWarning.objects.count() == 1
    stranger = UserFactory()
    with pytest.raises(PermissionDenied):
        field_report_create(actor=stranger, account=account, text="x", heard_on=TODAY)
    assert FieldReport.objects.count() == 2


def _csv(rows: list[str]) -> bytes:
    return (
        "退租单号,客户编码,电路/线路号,产品,月租,申请日期,退租原因\n" + "\n".join(rows)
    ).encode()


def test_cancellation_import_all_or_nothing():
    account = AccountFactory(code="KA00000777", avg_monthly_spend=Decimal("10000"))
    head = UserFactory(head=True)
    bad = _csv(
        [
            "TZ001,KA00000777,02155501001,固定电话,500,2026-11-20,搬迁",
            "TZ002,KA99999999,,,100,2026-11-20,",
            "TZ003,KA00000777,,,abc,2026-11-31,",
        ]
    )
    with pytest.raises(CancellationImportInvalid) as err:
        cancellations_import(actor=head, file_name="t.csv", content=bad)
    assert [(e["line"], e["column"]) for e in err.value.details] == [
        (3, "客户编码"),
        (4, "申请日期"),
        (4, "月租"),
    ]
    assert not CancellationOrder.objects.exists()
    assert not Run.objects.exists()
    good = _csv(
        [
            "TZ001,KA00000777,02155501001,固定电话,500,2026-11-20,搬迁",
            "TZ002,KA00000777,SH-DC-1,数字电路,3000,2026-11-21,改用联通",
        ]
    )
    run = cancellations_import(actor=head, file_name="t.csv", content=good)
    assert run.report["new"] == 2
    warning = ChurnWarning.objects.get(source=WarningSource.CANCELLATION)
    assert warning.account == account
    assert warning.severity == Severity.HIGH  # 3,500 of 10,000 a month
    assert warning.evidence["total_fee"] == "3500.00"
    again = cancellations_import(actor=head, file_name="t.csv", content=good)
    assert again.report == {"new": 0, "existing": 2}
    assert CancellationOrder.objects.count() == 2
    with pytest.raises(PermissionDenied):
        cancellations_import(actor=account.owner, file_name="t.csv", content=good)
