"""The data pages: runs with their reports, uploading call records, importing cancellation
orders (all or nothing), and the rules and thresholds (only those who run the jobs edit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from telekam.accounts.tests.factories import AccountFactory, band
from telekam.core import clock
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory
from telekam.retention.models import (
    CancellationOrder,
    ChurnThreshold,
    ChurnWarning,
    CompetitorRule,
    LocalAreaCode,
    Run,
    RunKind,
    RunStatus,
    WarningSource,
)
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)
HEADER = "call_start,calling_line,called_number,dialled_prefix,trunk_carrier,duration_s,charge"


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.TELEKAM_LAKE_DIR = tmp_path / "lake"
    with clock.frozen(aware(TODAY, 10)):
        yield


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def analyst():
    return UserFactory(username="analyst_r", analyst=True)


def url(name: str, *args) -> str:
    return reverse(f"retention:{name}", args=args)


def call_file() -> bytes:
    good = "2026-11-20 09:00:00,02155501001,01060000000,,CT,300,0.90"
    rows = [
        good,
        "2026-11-20 09:01:00,0215550x001,01060000000,,CT,300,0.90",  # line 3: bad calling line
        good.replace("09:00", "09:02"),
        "2026-11-20 09:03:00,02155501001,01060000000,,CT,-5,0.90",  # line 5: bad duration
        good.replace("09:00", "09:04"),
        good.replace("09:00", "09:05"),
        "2026-13-01 09:00:00,02155501001,01060000000,,CT,300,0.90",  # line 8: bad call start
    ]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


# --- runs ----------------------------------------------------------------------------------


def test_upload_with_bad_rows_shows_the_counts(analyst, settings):
    client = login(analyst)
    upload = SimpleUploadedFile("cdr_1120.csv", call_file(), content_type="text/csv")
    response = client.post(url("runs"), {"op": "upload", "file": upload})
    run = Run.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("run", run.pk)
    assert (run.kind, run.status, run.source, run.started_by) == (
        RunKind.INGEST_CALLS,
        RunStatus.DONE,
        "cdr_1120.csv",
        analyst,
    )
    assert (run.rows_in, run.rows_ok, run.rows_bad) == (7, 4, 3)
    assert not list((settings.TELEKAM_LAKE_DIR / "inbox").iterdir())  # the copy is removed
    page = client.get(url("run", run.pk))
    body = page.content.decode()
    assert [(r["label"], r["count"]) for r in page.context["reasons"]] == [
        ("通话开始时间无效", 1),  # bad_call_start
        ("主叫号码无效", 1),  # bad_calling_line
        ("通话时长无效", 1),  # bad_duration
    ]
    assert [(s["line"], s["reason_label"]) for s in page.context["samples"]] == [
        (3, "主叫号码无效"),
        (5, "通话时长无效"),
        (8, "通话开始时间无效"),
    ]
    assert 'data-testid="rows-bad">3<' in body
    listing = client.get(url("runs")).content.decode()
    assert "cdr_1120.csv" in listing
    assert 'http-equiv="refresh"' not in listing

    again = client.post(
        url("runs"), {"op": "upload", "file": SimpleUploadedFile("copy.csv", call_file())}
    )
    second = Run.objects.latest("id")
    assert again["Location"] == url("run", second.pk)
    assert second.status == RunStatus.SKIPPED
    assert second.report == {"duplicate_of": run.pk}


def test_unreadable_file_is_a_failed_run_not_a_500(analyst):
    client = login(analyst)
    response = client.post(
        url("runs"), {"op": "upload", "file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")}
    )
    run = Run.objects.get()
    assert response["Location"] == url("run", run.pk)
    assert run.status == RunStatus.FAILED
    page = client.get(url("run", run.pk)).content.decode()
    assert "missing columns" in page


def test_upload_refuses_other_file_types(analyst):
    response = login(analyst).post(
        url("runs"), {"op": "upload", "file": SimpleUploadedFile("x.xlsx", b"PK")}
    )
    assert response.status_code == 400
    assert "只接受 CSV / PARQUET 文件。" in response.content.decode()
    assert not Run.objects.exists()


def test_signal_buttons_record_runs(analyst):
    client = login(analyst)
    response = client.post(url("runs"), {"op": "call_signals"})
    run = Run.objects.get()
    assert response["Location"] == url("run", run.pk)
    assert (run.kind, run.status, run.started_by) == (RunKind.CALL_SIGNALS, RunStatus.DONE, analyst)
    client.post(url("runs"), {"op": "spend_signals"})
    assert Run.objects.latest("id").kind == RunKind.SPEND_SIGNALS


def test_am_reads_runs_but_cannot_run_them():
    am = UserFactory(username="am_r")
    client = login(am)
    page = client.get(url("runs"))
    assert page.status_code == 200
    assert page.context["upload_form"] is None
    assert client.post(url("runs"), {"op": "call_signals"}).status_code == 403
    upload = SimpleUploadedFile("cdr.csv", call_file())
    assert client.post(url("runs"), {"op": "upload", "file": upload}).status_code == 403
    assert not Run.objects.exists()
    assert login(UserFactory(desk=True)).get(url("runs")).status_code == 403


def test_runs_page_refreshes_while_a_run_is_running(analyst):
    run = Run.objects.create(kind=RunKind.INGEST_CALLS, progress=40, rows_in=1000, source="big.csv")
    body = login(analyst).get(url("runs")).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in body
    assert "width: 40%" in body
    assert login(analyst).get(url("run", run.pk)).status_code == 200
    assert login(analyst).get(url("run", 9999)).status_code == 404


# --- cancellations -------------------------------------------------------------------------


def test_cancellations_import_with_a_bad_row_imports_nothing(analyst):
    account = AccountFactory(code="KA00000777", avg_monthly_spend=Decimal("5000.00"))
    content = (
        "退租单号,客户编码,申请日期,产品,月租,退租原因\n"
        "TZ001,KA00000777,2026-11-20,数字电路,2800,改用联通\n"
        "TZ002,KA99999999,2026-11-21,数字电路,abc,\n"
    ).encode()
    client = login(analyst)
    response = client.post(
        url("cancellations_import"), {"file": SimpleUploadedFile("tz.csv", content)}
    )
    assert response.status_code == 400
    assert response.context["row_errors"] == [
        {"line": 3, "column": "客户编码", "value": "KA99999999", "message": "没有这个客户编码。"},
        {"line": 3, "column": "月租", "value": "abc", "message": "金额格式不正确。"},
    ]
    body = response.content.decode()
    assert "文件有 2 处错误，未导入任何数据。" in body
    assert not CancellationOrder.objects.exists()
    assert not Run.objects.exists()
    assert not ChurnWarning.objects.exists()

    good = content.decode().splitlines()[:2]
    response = client.post(
        url("cancellations_import"),
        {"file": SimpleUploadedFile("tz.csv", ("\n".join(good) + "\n").encode())},
    )
    run = Run.objects.get()
    assert response["Location"] == url("run", run.pk)
    order = CancellationOrder.objects.get()
    assert (order.number, order.account, order.monthly_fee) == ("TZ001", account, Decimal("2800"))
    warning = ChurnWarning.objects.get()
    assert (warning.account, warning.source) == (account, WarningSource.CANCELLATION)


def test_cancellations_import_is_for_job_runners_only():
    client = login(UserFactory(username="am_c"))
    assert client.get(url("cancellations_import")).status_code == 403
    response = client.post(
        url("cancellations_import"), {"file": SimpleUploadedFile("tz.csv", b"x")}
    )
    assert response.status_code == 403


# --- rules ---------------------------------------------------------------------------------


def test_rules_are_read_only_for_an_am():
    client = login(UserFactory(username="am_rules"))
    page = client.get(url("rules"))
    assert page.status_code == 200
    assert page.context["can_edit"] is False
    assert "rule_form" not in page.context
    assert "17911" in page.content.decode()
    response = client.post(
        url("rules"),
        {
            "op": "rule_add",
            "new-competitor": "china_unicom",
            "new-kind": "prefix",
            "new-value": "17900",
        },
    )
    assert response.status_code == 403
    assert not CompetitorRule.objects.filter(value="17900").exists()


def test_rule_add_update_and_bad_input(analyst):
    client = login(analyst)
    data = {"op": "rule_add", "new-competitor": "china_unicom", "new-kind": "prefix"}
    response = client.post(url("rules"), {**data, "new-value": "17x1"})
    assert response.status_code == 400
    assert "拨号前缀应为 3–8 位数字。" in response.content.decode()
    response = client.post(url("rules"), {**data, "new-value": "17911"})
    assert response.status_code == 400
    assert "已有相同的规则。" in response.content.decode()
    response = client.post(
        url("rules"), {**data, "new-value": " 17900 ", "new-label": "新前缀", "new-active": "on"}
    )
    assert response.status_code == 302
    rule = CompetitorRule.objects.get(value="17900")
    assert (rule.competitor, rule.kind, rule.label, rule.active) == (
        "china_unicom",
        "prefix",
        "新前缀",
        True,
    )
    p = f"r{rule.pk}"
    response = client.post(
        url("rules"),
        {
            "op": "rule_update",
            "pk": rule.pk,
            f"{p}-competitor": "china_mobile",
            f"{p}-kind": "prefix",
            f"{p}-value": "17900",
            f"{p}-label": "",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.competitor, rule.label, rule.active) == ("china_mobile", "", False)


def test_area_codes(analyst):
    client = login(analyst)
    assert client.post(url("rules"), {"op": "area_add", "area-code": "0a1"}).status_code == 400
    assert (
        client.post(
            url("rules"), {"op": "area_add", "area-code": "021", "area-city": "上海"}
        ).status_code
        == 302
    )
    area = LocalAreaCode.objects.get()
    assert (area.code, area.city) == ("021", "上海")
    assert client.post(url("rules"), {"op": "area_add", "area-code": "021"}).status_code == 400
    assert client.post(url("rules"), {"op": "area_delete", "pk": area.pk}).status_code == 302
    assert not LocalAreaCode.objects.exists()


def test_thresholds(analyst):
    client = login(analyst)
    default = ChurnThreshold.objects.get(grade__isnull=True)
    p = f"t{default.pk}"
    figures = {
        "competitor_share_pct": "25.0",
        "share_rise_points": "10.0",
        "ld_drop_pct": "40.0",
        "spend_drop_pct": "20.0",
        "min_baseline_minutes": "300",
        "min_spend_yuan": "500.00",
        "ack_working_days": "3",
    }
    bad = {f"{p}-{k}": v for k, v in figures.items()} | {f"{p}-ld_drop_pct": "140"}
    response = client.post(url("rules"), {"op": "threshold_update", "pk": default.pk, **bad})
    assert response.status_code == 400
    default.refresh_from_db()
    assert default.ld_drop_pct == Decimal("40.0")
    good = {f"{p}-{k}": v for k, v in figures.items()}
    response = client.post(url("rules"), {"op": "threshold_update", "pk": default.pk, **good})
    assert response.status_code == 302
    default.refresh_from_db()
    assert (default.competitor_share_pct, default.ack_working_days) == (Decimal("25.0"), 3)

    diamond = band("diamond")
    add = {f"tnew-{k}": v for k, v in figures.items()} | {
        "tnew-grade": diamond.pk,
        "tnew-ack_working_days": "1",
    }
    response = client.post(url("rules"), {"op": "threshold_add", **add})
    assert response.status_code == 302
    own = ChurnThreshold.objects.get(grade=diamond)
    assert (own.ack_working_days, own.competitor_share_pct) == (1, Decimal("25.0"))
    page = client.get(url("rules"))
    assert [r["t"] for r in page.context["threshold_rows"]] == [default, own]
    assert (
        client.post(url("rules"), {"op": "threshold_delete", "pk": default.pk}).status_code == 302
    )
    assert ChurnThreshold.objects.filter(pk=default.pk).exists()
    assert client.post(url("rules"), {"op": "threshold_delete", "pk": own.pk}).status_code == 302
    assert not ChurnThreshold.objects.filter(grade=diamond).exists()
