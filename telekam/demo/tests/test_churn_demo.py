"""The demo's churn part at 2% scale: eight weeks of call records landed through the ingest
(one file with bad rows), the drifting accounts warned by the real rules and the steady ones
not, eighteen months of cases and warnings that keep the invariants, am_finance's queue,
the risk scores, and a reset that removes it all, lake files included."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db.models import Sum

from telekam.accounts.models import Account, AccountStatus, Segment
from telekam.billing.models import BillingLine
from telekam.billing.services import month_add
from telekam.core import clock
from telekam.core.models import AuditEntry
from telekam.demo import churn, generator
from telekam.org.models import User
from telekam.retention.models import (
    LOST_OUTCOMES,
    CancellationOrder,
    CaseOutcome,
    CaseStatus,
    ChurnReason,
    ChurnWarning,
    FieldReport,
    RetentionAction,
    RetentionCase,
    RiskScore,
    Run,
    RunKind,
    RunStatus,
    Severity,
    WarningSource,
    WarningStatus,
)

pytestmark = pytest.mark.django_db

SCALE = 0.02
NOW = dt.datetime(2026, 11, 24, 11, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Tuesday
TODAY = NOW.date()
YESTERDAY = TODAY - dt.timedelta(days=1)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), clock.frozen(NOW):
        result = generator.generate(scale=SCALE)
    yield result
    with django_db_blocker.unblock():
        generator.reset()


def _drifting() -> set[int]:
    """The drifting accounts as the generator drew them (its first draws, on the same data)."""
    _lines, drifting = churn._lines(random.Random(generator.DEFAULT_SEED ^ churn.SALT))
    return set(drifting)


def test_drifting_accounts_are_warned_by_the_calls_and_steady_ones_are_not(demo):
    drifting = _drifting()
    assert len(drifting) == churn.DRIFTERS
    warned = ChurnWarning.objects.filter(source=WarningSource.CALLS).exclude(
        status=WarningStatus.CLOSED
    )
    assert set(warned.values_list("account_id", flat=True)) == drifting
    assert demo.counts["call_warnings"] == churn.DRIFTERS
    for warning in warned:
        ev = warning.evidence
        assert warning.raised_on == TODAY
        assert warning.evidence_on == YESTERDAY
        assert warning.competitor == "china_unicom"
        assert warning.severity == Severity.HIGH
        assert ev["share_pct"] >= 40.0
        assert "competitor_share" in ev["rules"]
        assert ev["own_drop_pct"] > 20.0
        # steady for five weeks, then the drift of the last three
        series = [p["competitor_minutes"] / p["ld_minutes"] for p in ev["series"]]
        assert all(share < 0.1 for share in series[:5])
        assert series[5] < series[6] < series[7]
    signals = Run.objects.get(kind=RunKind.CALL_SIGNALS)
    assert signals.status == RunStatus.DONE
    assert signals.day_to == YESTERDAY
    assert signals.report["accounts_with_calls"] > 3 * len(drifting)  # the steady ones too
    # the risk model's call figures are there for every account with calls
    from telekam.retention.signals_store import call_features

    features = call_features()
    assert drifting <= set(features)
    assert min(features[pk]["competitor_share"] for pk in drifting) >= 0.4
    steady = [f["competitor_share"] for pk, f in features.items() if pk not in drifting]
    assert steady
    assert max(steady) < 0.2


def test_the_daily_files_are_landed_with_one_quarantine(demo):
    runs = list(Run.objects.filter(kind=RunKind.INGEST_CALLS).order_by("day_from"))
    assert len(runs) == churn.DAYS == demo.counts["call_files"]
    assert {r.status for r in runs} == {RunStatus.DONE}
    days = [r.day_from for r in runs]
    assert days == [YESTERDAY - dt.timedelta(days=i) for i in range(churn.DAYS - 1, -1, -1)]
    assert all(r.day_to == r.day_from for r in runs)
    for run in runs:  # each landed the night after its day
        assert run.started_at.astimezone(NOW.tzinfo).date() == run.day_from + dt.timedelta(days=1)
        assert run.started_at <= run.finished_at < NOW
    assert sum(r.rows_ok for r in runs) == demo.counts["call_records"] > 1000
    bad = [r for r in runs if r.rows_bad]
    assert len(bad) == 1
    assert bad[0].day_from == YESTERDAY - dt.timedelta(days=churn.BAD_FILE_AGE)
    assert bad[0].rows_bad == demo.counts["call_rows_bad"] == 7
    assert bad[0].rows_in == bad[0].rows_ok + 7
    assert bad[0].report["reasons"] == dict.fromkeys(
        ("bad_call_start", "bad_calling_line", "bad_called_number", "bad_dialled_prefix",
         "bad_duration", "bad_charge", "malformed_line"), 1,
    )  # fmt: skip
    assert Path(bad[0].report["quarantine"]).is_file()
    assert Path(bad[0].report["quarantine"]).is_relative_to(Path(settings.TELEKAM_LAKE_DIR))


def test_closed_cases_and_their_warnings_keep_the_invariants(demo):
    cases = list(
        RetentionCase.objects.filter(status=CaseStatus.CLOSED).prefetch_related("warnings")
    )
    assert 20 <= len(cases) <= churn.MAX_CASES
    assert demo.counts["history_cases"] == len(cases)
    outcomes = Counter(c.outcome for c in cases)
    assert set(outcomes) == set(CaseOutcome.values)
    reasons = Counter(c.reason for c in cases if c.outcome in LOST_OUTCOMES)
    assert reasons.most_common(2)[0][0] == ChurnReason.BUSINESS_TROUBLE
    assert reasons.most_common(2)[1][0] == ChurnReason.COMPETITOR_LD
    unwarned = 0
    for case in cases:
        case.full_clean(validate_constraints=False)
        assert case.opened_on <= case.closed_on < TODAY
        assert case.closed_on >= TODAY - dt.timedelta(days=churn.HISTORY_DAYS)
        assert case.owner_id == Account.objects.get(pk=case.account_id).owner_id
        if case.outcome in LOST_OUTCOMES:
            assert case.reason in ChurnReason.values
            assert case.monthly_revenue_lost > 0
            if case.reason in (ChurnReason.COMPETITOR_LD, ChurnReason.COMPETITOR_DATA):
                assert case.competitor
        else:
            assert (case.reason, case.monthly_revenue_lost) == ("", Decimal("0.00"))
        warnings = list(case.warnings.all())
        unwarned += not warnings
        for w in warnings:
            w.full_clean(validate_constraints=False)
            assert w.status == WarningStatus.CLOSED
            assert w.account_id == case.account_id
            assert 10 <= (case.closed_on - w.raised_on).days <= 60
            assert w.acknowledged_at <= w.closed_at
            assert w.closed_at.astimezone(NOW.tzinfo).date() == case.closed_on
            assert w.raised_on < w.ack_due
        actions = list(RetentionAction.objects.filter(case=case))
        assert actions
        assert all(case.opened_on <= a.done_on <= case.closed_on for a in actions)
    assert 0 < unwarned == demo.counts["history_lost_unwarned"]
    assert all(
        c.outcome in LOST_OUTCOMES for c in cases if not c.warnings.exists()
    )  # a case that came without a warning is a loss the system missed
    # enough losses within the risk model's horizon
    recent = [
        c
        for c in cases
        if c.outcome in LOST_OUTCOMES and c.closed_on > TODAY - dt.timedelta(days=180)
    ]
    assert len(recent) >= churn.RECENT_LOST
    # false alarms: closed without a case, with the reason
    dismissed = ChurnWarning.objects.filter(status=WarningStatus.CLOSED, case__isnull=True)
    assert dismissed.count() == demo.counts["history_false_alarms"] > 0
    assert not dismissed.filter(close_note="").exists()
    # field warnings have the reports behind them
    for w in ChurnWarning.objects.filter(source=WarningSource.FIELD):
        ids = [r["id"] for r in w.evidence["reports"]]
        assert FieldReport.objects.filter(pk__in=ids, account=w.account).count() == len(ids) > 0
    # the timeline knows the history
    assert AuditEntry.objects.filter(target_type="retention.retentioncase").count() >= 2 * len(
        cases
    )
    assert not AuditEntry.objects.filter(target_type__startswith="retention.", at__gt=NOW).exists()


def test_lost_accounts_bills_fall_before_the_loss(demo):
    ratios = []
    for case in RetentionCase.objects.filter(outcome__in=LOST_OUTCOMES):
        month = case.closed_on.replace(day=1)
        before = BillingLine.objects.filter(
            account=case.account_id, month__gte=month_add(month, -9), month__lt=month_add(month, -6)
        ).aggregate(s=Sum("amount"))["s"]
        after = BillingLine.objects.filter(
            account=case.account_id, month__gte=month_add(month, -2), month__lte=month
        ).aggregate(s=Sum("amount"))["s"]
        if before and after:
            ratios.append(float(after / before))
    assert len(ratios) >= 8
    assert sum(r < 0.95 for r in ratios) >= len(ratios) * 0.6, ratios


def test_am_finance_has_a_queue_and_the_intake_was_used(demo):
    am = User.objects.get(username="am_finance")
    mine = ChurnWarning.objects.filter(assignee=am).exclude(status=WarningStatus.CLOSED)
    overdue = mine.filter(status=WarningStatus.OPEN, ack_due__lt=TODAY)
    assert overdue.exists()
    assert mine.filter(status=WarningStatus.ACKNOWLEDGED, case__isnull=True).exists()
    with_case = mine.filter(case__status=CaseStatus.OPEN)
    assert with_case.exists()
    assert RetentionAction.objects.filter(case=with_case.first().case).exists()
    reporters = set(FieldReport.objects.filter(heard_on__gte=TODAY - dt.timedelta(days=3))
                    .values_list("reported_by__username", flat=True))  # fmt: skip
    assert reporters >= {"am_finance", "desk"}
    run = Run.objects.get(kind=RunKind.CANCELLATIONS)
    assert (run.status, run.started_by.username) == (RunStatus.DONE, "head")
    orders = CancellationOrder.objects.filter(run=run)
    assert orders.count() == run.rows_ok == demo.counts["cancellation_orders"] > 0
    assert ChurnWarning.objects.filter(
        source=WarningSource.CANCELLATION, account=orders.first().account,
        status=WarningStatus.OPEN,
    ).exists()  # fmt: skip
    # at most one open warning per account and source, one open case per account
    open_ = ChurnWarning.objects.exclude(status=WarningStatus.CLOSED)
    pairs = Counter(open_.values_list("account_id", "source"))
    assert max(pairs.values()) == 1
    assert demo.counts["churn_warnings_open"] == open_.count()


def test_every_active_key_account_has_a_risk_score(demo):
    run = Run.objects.filter(kind=RunKind.RISK_MODEL).first()
    if run is None:
        pytest.skip("no risk model module")
    assert run.status == RunStatus.DONE, run.error
    active = Account.objects.filter(segment=Segment.KEY, status=AccountStatus.ACTIVE)
    assert RiskScore.objects.count() == active.count() == demo.counts["risk_scores"]
    # the drifting accounts rank above the median
    scores = sorted(RiskScore.objects.values_list("score", flat=True))
    median = scores[len(scores) // 2]
    drifting = RiskScore.objects.filter(account__in=_drifting())
    assert sum(s.score >= median for s in drifting) >= 2


def test_same_seed_same_history_and_reset_removes_it_all(demo):
    def snapshot() -> dict[str, list[tuple[object, ...]]]:
        return {
            "cases": list(RetentionCase.objects.order_by("account__code", "opened_on").values_list(
                "account__code", "opened_on", "closed_on", "outcome", "reason", "competitor",
                "monthly_revenue_lost", "plan")),
            "warnings": list(ChurnWarning.objects.order_by("account__code", "source", "raised_on")
                             .values_list("account__code", "source", "raised_on", "status",
                                          "severity", "case__opened_on")),
            "runs": list(Run.objects.order_by("kind", "day_from", "source").values_list(
                "kind", "source", "sha256", "rows_in", "rows_ok", "rows_bad")),
        }  # fmt: skip

    first = snapshot()
    lake = Path(settings.TELEKAM_LAKE_DIR)
    assert any((lake / "calls").iterdir())
    generator.reset()
    for model in (ChurnWarning, RetentionCase, RetentionAction, FieldReport, CancellationOrder,
                  RiskScore, Run):  # fmt: skip
        assert not model.objects.exists(), model.__name__
    assert not AuditEntry.objects.filter(target_type__startswith="retention.").exists()
    assert not any((lake / part).exists() for part in ("calls", "quarantine", "agg", "signals"))
    with clock.frozen(NOW):
        generator.generate(scale=SCALE)
    assert snapshot() == first
