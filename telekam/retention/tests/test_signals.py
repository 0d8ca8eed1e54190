"""The call and spend sources end to end on the real engine (DuckDB) and the database: a
drifting account is warned, a steady one is not, re-running adds nothing, bad rows are
quarantined exactly."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from telekam.accounts.tests.factories import AccountFactory, ServiceFactory, product
from telekam.billing.models import BillingImport, BillingLine
from telekam.core import clock
from telekam.engagement.models import ExtraVisitRule, PlannedContact
from telekam.retention.models import (
    ChurnThreshold,
    ChurnWarning,
    LocalAreaCode,
    Run,
    RunStatus,
    Severity,
    WarningSource,
    WarningStatus,
)
from telekam.retention.services import (
    call_signals_run,
    calls_ingest,
    spend_signals_run,
)
from telekam.retention.services.calls import lake
from telekam.retention.signals_store import call_features
from telekam.service.tests.factories import aware

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 29)  # a Sunday; week 0 is 11-23..11-29
FIRST = AS_OF - dt.timedelta(days=34)  # five weeks of calls
HEADER = [
    "call_start",
    "calling_line",
    "called_number",
    "dialled_prefix",
    "trunk_carrier",
    "duration_s",
    "charge",
]


@pytest.fixture(autouse=True)
def _lake(settings, tmp_path):
    settings.TELEKAM_LAKE_DIR = tmp_path / "lake"
    LocalAreaCode.objects.create(code="021", city="上海")


def _calls(
    line: str, day: dt.date, *, own: int, competitor: int, local: int = 5
) -> list[list[str]]:
    rows = []
    for i in range(own):
        rows.append(
            [f"{day} 09:{i % 60:02d}:00", line, f"010{6000000 + i}", "", "CT", "300", "0.90"]
        )
    for i in range(competitor):
        rows.append(
            [f"{day} 10:{i % 60:02d}:00", line, f"010{7000000 + i}", "17911", "CT", "300", "0.60"]
        )
    for i in range(local):
        rows.append(
            [f"{day} 11:{i % 60:02d}:00", line, f"021{5000000 + i}", "", "CT", "120", "0.20"]
        )
    return rows


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def world(tmp_path):
    voice = product("fixed_voice") if _has("fixed_voice") else product()
    drifting = AccountFactory(name="漂移集团")
    steady = AccountFactory(name="稳定集团")
    ServiceFactory(account=drifting, product=voice, number="021-55501001")
    ServiceFactory(account=steady, product=voice, number="02155502002")
    files = []
    for week in range(5):
        rows: list[list[str]] = []
        for d in range(7):
            day = FIRST + dt.timedelta(days=7 * week + d)
            last = week == 4
            rows += _calls("02155501001", day, own=8 if last else 20, competitor=12 if last else 1)
            rows += _calls("02155502002", day, own=20, competitor=1)
            rows += _calls("02199999999", day, own=3, competitor=3)  # not an account's line
        files.append(_write(tmp_path / f"cdr_week{week}.csv", rows))
    return {"drifting": drifting, "steady": steady, "files": files, "voice": voice}


def _has(code: str) -> bool:
    from telekam.catalog.models import Product

    return Product.objects.filter(code=code).exists()


def _ingest_all(files: list[Path]) -> list[Run]:
    return [calls_ingest(path=f) for f in files]


def test_drifting_account_is_warned_and_steady_one_is_not(world):
    with clock.frozen(aware(AS_OF + dt.timedelta(days=1))):
        runs = _ingest_all(world["files"])
        assert [r.status for r in runs] == [RunStatus.DONE] * 5
        run = call_signals_run()
    assert run.status == RunStatus.DONE
    assert run.report["warnings_created"] == 1
    assert run.day_to == AS_OF
    warning = ChurnWarning.objects.get()
    assert warning.account == world["drifting"]
    assert warning.source == WarningSource.CALLS
    assert warning.competitor == "china_unicom"
    assert warning.status == WarningStatus.OPEN
    assert warning.assignee == world["drifting"].owner
    ev = warning.evidence
    # week 0: 8 own + 12 competitor long-distance calls of 5 minutes a day
    assert ev["ld_minutes"] == 7 * 20 * 5.0
    assert ev["competitor_minutes"] == 7 * 12 * 5.0
    assert ev["share_pct"] == 60.0
    assert ev["baseline_share_pct"] == round(100 * 1 / 21, 1)
    assert ev["own_drop_pct"] == 60.0  # 8 a day against 20
    assert ev["rules"] == ["competitor_share", "own_ld_drop"]
    assert warning.severity == Severity.HIGH
    assert [p["competitor_minutes"] for p in ev["series"][-5:]] == [35.0] * 4 + [420.0]
    assert len(ev["series"]) == 8
    features = call_features()
    assert features[world["steady"].pk]["competitor_share"] == pytest.approx(1 / 21, abs=1e-3)
    assert features[world["drifting"].pk]["competitor_share"] == pytest.approx(0.6)


def test_rerun_adds_nothing(world):
    with clock.frozen(aware(AS_OF + dt.timedelta(days=1))):
        _ingest_all(world["files"])
        call_signals_run()
        before = list(ChurnWarning.objects.values_list("pk", "version", "evidence"))
        daily = {p: p.read_bytes() for p in (lake().root / "agg").rglob("*.parquet")}
        again = call_signals_run()
        assert again.report["days"] == []  # nothing changed in the lake
        assert again.report["warnings_unchanged"] == 1
        assert again.report["warnings_created"] == 0
        # a forced re-aggregation of every day writes the same aggregates
        forced = call_signals_run(days=lake().calls_days())
    assert len(forced.report["days"]) == 35
    assert forced.report["warnings_unchanged"] == 1
    assert list(ChurnWarning.objects.values_list("pk", "version", "evidence")) == before
    assert {p: p.read_bytes() for p in (lake().root / "agg").rglob("*.parquet")} == daily


def test_a_line_registered_after_its_calls_landed_counts_once_its_days_are_rerun(world):
    """Calls are matched to accounts when they land; a line entered later is matched when
    its days are re-run (`telekam churn-signals --day ...`)."""
    late = AccountFactory(name="后登记集团")
    with clock.frozen(aware(AS_OF + dt.timedelta(days=1))):
        _ingest_all(world["files"])
        call_signals_run()
        assert late.pk not in call_features()
        ServiceFactory(account=late, number="021 9999 9999", product=world["voice"])
        assert call_signals_run().report["days"] == []  # nothing landed since
        assert late.pk not in call_features()

        run = call_signals_run(days=lake().calls_days())

    assert len(run.report["days"]) == 35
    assert call_features()[late.pk]["competitor_share"] == pytest.approx(0.5)
    assert run.report["warnings_unchanged"] == 1  # the drifting account's, as before


def test_same_file_twice_changes_nothing(world):
    first = calls_ingest(path=world["files"][0])
    files = {p: p.read_bytes() for p in (lake().root / "calls").rglob("*.parquet")}
    second = calls_ingest(path=world["files"][0])
    assert second.status == RunStatus.SKIPPED
    assert second.report == {"duplicate_of": first.pk}
    assert {p: p.read_bytes() for p in (lake().root / "calls").rglob("*.parquet")} == files
    assert first.rows_ok == 7 * (2 * 26 + 11)  # two accounts' lines and one other line


def test_file_with_bad_rows_quarantines_exactly_those(tmp_path):
    day = dt.date(2026, 11, 20)
    rows = _calls("02155501001", day, own=3, competitor=1, local=0)
    rows.insert(1, [f"{day} 09:00:00", "0215550x001", "01060000000", "", "CT", "300", "0.90"])
    rows.insert(3, [f"{day} 09:00:00", "02155501001", "01060000000", "", "CT", "-5", "0.90"])
    rows.append(["2026-13-01 09:00:00", "02155501001", "01060000000", "", "CT", "300", "0.90"])
    path = _write(tmp_path / "bad.csv", rows)
    run = calls_ingest(path=path)
    assert run.status == RunStatus.DONE
    assert (run.rows_in, run.rows_ok, run.rows_bad) == (7, 4, 3)
    assert run.report["reasons"] == {
        "bad_calling_line": 1,
        "bad_duration": 1,
        "bad_call_start": 1,
    }
    assert [(s["line"], s["reason"]) for s in run.report["samples"]] == [
        (3, "bad_calling_line"),
        (5, "bad_duration"),
        (8, "bad_call_start"),
    ]
    quarantined = pq.read_table(run.report["quarantine"]).to_pylist()
    assert [r["calling_line"] for r in quarantined] == ["0215550x001", "02155501001", "02155501001"]
    landed = pq.read_table(lake().calls_day(day)).num_rows
    assert landed == 4


def test_unreadable_file_fails_with_reason(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("a,b\n1,2\n")
    run = calls_ingest(path=path)
    assert run.status == RunStatus.FAILED
    assert "missing columns" in run.error
    assert not (lake().root / "calls").exists()


def test_thresholds_per_grade(world):
    """A grade with a looser threshold does not warn where the default would."""
    grade = world["drifting"].grade
    ChurnThreshold.objects.create(
        grade=grade, competitor_share_pct=Decimal("70"), ld_drop_pct=Decimal("80")
    )
    with clock.frozen(aware(AS_OF + dt.timedelta(days=1))):
        _ingest_all(world["files"])
        run = call_signals_run()
    assert run.report["warnings_created"] == 0
    assert not ChurnWarning.objects.exists()


def test_warning_due_in_working_days_and_plans_a_visit(world):
    ExtraVisitRule.objects.update_or_create(
        trigger="churn_warning", defaults={"visits": 1, "within_days": 10}
    )
    # Friday 2026-11-27 + 2 working days = Tuesday 2026-12-01
    with clock.frozen(aware(dt.date(2026, 11, 27))):
        _ingest_all(world["files"])
        call_signals_run(as_of=AS_OF)
    warning = ChurnWarning.objects.get()
    assert warning.raised_on == dt.date(2026, 11, 27)
    assert warning.ack_due == dt.date(2026, 12, 1)
    item = PlannedContact.objects.get(reason="churn_warning")
    assert item.account == world["drifting"]
    assert item.due_on == dt.date(2026, 12, 7)


def _bill(account, amounts: dict[dt.date, Decimal], code: str = "digital_circuit") -> None:
    imp = BillingImport.objects.create(
        file_name="t.csv", sha256="x", imported_by=account.owner, row_count=1, account_count=1,
        total_amount=Decimal("0"),
    )  # fmt: skip
    for month, amount in amounts.items():
        BillingLine.objects.create(
            account=account, month=month, product=product(code), amount=amount, billing_import=imp
        )


def test_spend_drop_is_warned_and_steady_spend_is_not():
    months = [dt.date(2026, m, 1) for m in (7, 8, 9, 10)]
    falling = AccountFactory(name="消费下滑")
    steady = AccountFactory(name="消费平稳")
    _bill(falling, dict(zip(months, [Decimal(6000)] * 3 + [Decimal(3000)], strict=True)))
    _bill(steady, dict(zip(months, [Decimal(6000)] * 3 + [Decimal(5500)], strict=True)))
    with clock.frozen(aware(dt.date(2026, 11, 10))):
        run = spend_signals_run()
        again = spend_signals_run()
    assert run.report["warnings_created"] == 1
    assert again.report["warnings_unchanged"] == 1
    warning = ChurnWarning.objects.get()
    assert warning.account == falling
    assert warning.source == WarningSource.SPEND
    assert warning.severity == Severity.HIGH  # the whole account fell 50%
    assert warning.evidence["products"] == [
        {
            "product": product().name_zh,
            "month_yuan": "3000.00",
            "baseline_yuan": "6000.00",
            "drop_pct": 50.0,
        }
    ]
    assert warning.evidence["month"] == "2026-10-01"


def test_call_features_of_a_past_week_come_from_the_daily_aggregates(world):
    with clock.frozen(aware(AS_OF + dt.timedelta(days=1))):
        _ingest_all(world["files"])
        call_signals_run()
    week_before = call_features(as_of=AS_OF - dt.timedelta(days=7))
    assert week_before[world["drifting"].pk]["competitor_share"] == pytest.approx(1 / 21, abs=1e-3)
    assert call_features()[world["drifting"].pk]["competitor_share"] == pytest.approx(0.6)
    assert call_features(as_of=FIRST - dt.timedelta(days=60)) == {}


def test_lines_are_the_telephone_numbers_of_services_in_use(world):
    from telekam.retention.services.calls import lines_table

    ServiceFactory(account=world["steady"], number="BJ-DC-1234567")  # a circuit, not a line
    ServiceFactory(account=world["steady"], number="(021) 5550-3003")
    table = lines_table()
    assert dict(
        zip(table.column("line").to_pylist(), table.column("account_id").to_pylist(), strict=True)
    ) == {
        "02155501001": world["drifting"].pk,
        "02155502002": world["steady"].pk,
        "02155503003": world["steady"].pk,
    }
