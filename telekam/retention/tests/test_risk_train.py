"""The risk model on the operator's own data: features as of a day, the label, training on
the history, scores written in bulk, the failure path, and `churn-model train`."""

from __future__ import annotations

import datetime as dt
import io
import math
import types
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from telekam.accounts.models import Account, AccountStatus, DecisionStatus, GradeChangeProposal
from telekam.accounts.tests.factories import AccountFactory, ServiceFactory, band, product
from telekam.billing.models import BillingLine
from telekam.core import clock
from telekam.engagement.models import ContactLog
from telekam.org.tests.factories import UserFactory
from telekam.retention.models import (
    CaseOutcome,
    CaseStatus,
    ChurnWarning,
    RetentionCase,
    RiskScore,
    Run,
    RunKind,
    RunStatus,
    Severity,
    WarningSource,
    WarningStatus,
)
from telekam.retention.risk import features
from telekam.retention.risk.train import risk_model_train
from telekam.service import services
from telekam.service.models import Callback, CallbackOutcome, CallbackStatus
from telekam.service.tests.factories import aware, fault

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 11, 15)
NOW = aware(TODAY)
SNAPSHOT = D(2026, 5, 19)  # TODAY - 180 days
MONTHS = [features.add_months(D(2025, 11, 1), i) for i in range(12)]  # 2025-11 .. 2026-10


@pytest.fixture(autouse=True)
def _no_call_records(monkeypatch):
    """The call-record store is the lead's; these tests do not depend on it."""
    monkeypatch.setattr(features, "call_signals", lambda *, day, today: None)


@pytest.fixture
def am():
    return UserFactory()


def bill(account: Account, amounts: list[int]) -> None:
    """One line a month from 2025-11, as many months as amounts."""
    BillingLine.objects.bulk_create(
        BillingLine(
            account=account, month=month, product=product("digital_circuit"), amount=Decimal(amount)
        )
        for month, amount in zip(MONTHS, amounts, strict=False)
    )


STEADY = [5000] * 12
# spend fell before the snapshot: 6000 a month, then 2000 from 2026-02
FELL_BEFORE = [6000] * 3 + [2000] * 3 + [500] * 6
# spend falls now: 5000 until 2026-07, 1500 from 2026-08
FALLS_NOW = [5000] * 9 + [1500] * 3


def lose_by_case(account: Account, *, closed_on: dt.date, outcome: str = CaseOutcome.LOST) -> None:
    RetentionCase.objects.create(
        account=account,
        owner=account.owner,
        status=CaseStatus.CLOSED,
        opened_on=closed_on - dt.timedelta(days=30),
        plan="上门挽留",
        outcome=outcome,
        closed_on=closed_on,
    )


def mark_churned(account: Account, *, on: dt.date) -> None:
    Account.objects.filter(pk=account.pk).update(status=AccountStatus.CHURNED, updated_at=aware(on))


@pytest.fixture
def portfolio(am):
    """28 steady key accounts; 8 whose spend fell before the snapshot and that were lost
    after it (4 through closed retention cases, 4 marked churned); one steady account whose
    spend falls now; one churned before the snapshot (not in the history); a key account
    new since the snapshot (scored, not in the history); a commercial account (neither)."""
    with clock.frozen(NOW):
        steady = [AccountFactory(owner=am) for _ in range(28)]
        for account in steady:
            bill(account, STEADY)
        lost = [AccountFactory(owner=am) for _ in range(8)]
        for account in lost:
            bill(account, FELL_BEFORE)
        for account in lost[:3]:
            lose_by_case(account, closed_on=D(2026, 7, 1))
        lose_by_case(lost[3], closed_on=D(2026, 8, 20), outcome=CaseOutcome.PARTLY_LOST)
        for account in lost[4:]:
            mark_churned(account, on=D(2026, 9, 1))
        falling = AccountFactory(owner=am)
        bill(falling, FALLS_NOW)
        gone = AccountFactory(owner=am)
        bill(gone, FELL_BEFORE[:5])
        mark_churned(gone, on=D(2026, 3, 1))
        new = AccountFactory(owner=am)
        commercial = AccountFactory(owner=am, segment="commercial", grade=band("a", "commercial"))
        bill(commercial, STEADY)
    return types.SimpleNamespace(steady=steady, lost=lost, falling=falling, gone=gone, new=new)


def train() -> Run:
    with clock.frozen(NOW):
        return risk_model_train(today=TODAY)


# --- training ------------------------------------------------------------------------------


def test_training_scores_the_active_key_accounts(portfolio):
    run = train()

    assert run.kind == RunKind.RISK_MODEL
    assert (run.status, run.error, run.progress) == (RunStatus.DONE, "", 100)
    assert (run.day_from, run.day_to, run.finished_at) == (SNAPSHOT, TODAY, NOW)
    assert (run.rows_in, run.rows_ok) == (37, 34)
    assert run.report == {
        "snapshot": "2026-05-19",
        "horizon_days": 180,
        "training_rows": 37,
        "positives": 8,
        "positive_rate": 0.2162,
        "call_features_in_history": False,
        "auc": 1.0,
        "auc_kind": "in_sample",
        # the rest is constant in this history (one industry, one grade, same tenure...)
        "features": ["spend_recent", "spend_trend"],
        "dropped_features": {
            "industry": "constant",
            "grade_rank": "constant",
            "tenure_days": "constant",
            "faults_180d": "constant",
            "sla_breaches_180d": "constant",
            "dissatisfied_callbacks_180d": "constant",
            "days_since_contact": "constant",
            "days_to_contract_end": "constant",
            "open_warnings": "constant",
            "competitor_share": "constant",
            "ld_change": "constant",
        },
        "scored": 34,
        "score_mean": 0.1765,  # 6 accounts at 0.9999, 28 at 0.0000
    }
    scored = set(RiskScore.objects.values_list("account_id", flat=True))
    expected = {a.pk for a in portfolio.steady} | {a.pk for a in portfolio.lost[:4]}
    assert scored == expected | {portfolio.falling.pk, portfolio.new.pk}
    assert set(RiskScore.objects.values_list("run_id", "scored_at")) == {(run.pk, NOW)}


def test_falling_spend_scores_above_steady_spend(portfolio):
    train()

    falling = RiskScore.objects.get(account=portfolio.falling)
    steady = RiskScore.objects.get(account=portfolio.steady[0])
    assert falling.score > Decimal("0.5") > steady.score
    assert falling.score.as_tuple().exponent == -4
    # The history separates cleanly (spend 2000 against 5000), so the scores are extreme.
    assert (falling.score, steady.score) == (Decimal("0.9999"), Decimal("0.0000"))
    assert falling.reasons == [{"feature": "spend_recent", "value": 1500.0, "effect": 0.9998}]
    assert steady.reasons == []
    # the new account has no bill yet: it looks like the lost ones
    assert RiskScore.objects.get(account=portfolio.new).score == Decimal("0.9999")
    highest = set(
        RiskScore.objects.filter(score__gt=Decimal("0.5")).values_list("account_id", flat=True)
    )
    assert highest == {a.pk for a in portfolio.lost[:4]} | {portfolio.falling.pk, portfolio.new.pk}


def test_retraining_replaces_the_scores(portfolio):
    first = train()
    second = train()

    assert RiskScore.objects.count() == 34
    assert set(RiskScore.objects.values_list("run_id", flat=True)) == {second.pk}
    assert Run.objects.filter(pk=first.pk, status=RunStatus.DONE).exists()


@pytest.fixture
def old_score(am):
    with clock.frozen(aware(D(2026, 10, 1))):
        account = AccountFactory(owner=am)
        return RiskScore.objects.create(
            account=account, score=Decimal("0.4200"), reasons=[{"feature": "x"}]
        )


def test_too_few_lost_accounts_fails_and_keeps_the_scores(am, old_score):
    with clock.frozen(NOW):
        for _ in range(10):
            bill(AccountFactory(owner=am), STEADY)
        lost = [AccountFactory(owner=am) for _ in range(3)]
        for account in lost:
            bill(account, FELL_BEFORE)
            lose_by_case(account, closed_on=D(2026, 7, 1))

    run = train()

    assert run.status == RunStatus.FAILED
    assert run.error == (
        "历史上流失的客户太少：2026-05-19 之后 180 天内只有 3 个，至少需要 5 个才能训练流失风险模型。"
    )
    assert run.finished_at == NOW
    assert (run.report["training_rows"], run.report["positives"]) == (13, 3)
    assert list(RiskScore.objects.values_list("account_id", "score", "reasons", "run_id")) == [
        (old_score.account_id, Decimal("0.4200"), [{"feature": "x"}], None)
    ]


def test_one_class_only_fails(am, old_score):
    with clock.frozen(NOW):
        for _ in range(6):
            bill(AccountFactory(owner=am), STEADY)

    run = train()

    assert run.status == RunStatus.FAILED
    assert run.error == "历史数据只有一类客户（6 个客户中流失 0 个），无法训练流失风险模型。"
    assert RiskScore.objects.get().score == Decimal("0.4200")


def test_the_command_trains_and_summarises(portfolio):
    out = io.StringIO()
    with clock.frozen(NOW):
        call_command("churn_model", "train", stdout=out)

    run = Run.objects.get()
    assert out.getvalue() == (
        f"流失风险模型作业 #{run.pk} 完成：以 2026-05-19 为快照训练 37 个客户"
        "（其后 180 天内流失 8 个），训练集内 AUC 1.0；已为 34 个在网大客户评分。\n"
    )


def test_the_command_fails_loudly(am):
    with clock.frozen(NOW), pytest.raises(CommandError, match="失败：历史数据只有一类客户"):
        call_command("churn_model", "train", stdout=io.StringIO())
    assert Run.objects.get().status == RunStatus.FAILED


# --- the label -----------------------------------------------------------------------------


def test_lost_accounts_in_the_window(am):
    with clock.frozen(NOW):
        a, b, c, d, e, f = (AccountFactory(owner=am) for _ in range(6))
    lose_by_case(a, closed_on=D(2026, 5, 20))  # first day after the snapshot: in
    lose_by_case(b, closed_on=SNAPSHOT)  # on the snapshot: out
    lose_by_case(c, closed_on=D(2026, 7, 1), outcome=CaseOutcome.RETAINED)  # kept: out
    mark_churned(d, on=TODAY)  # in
    mark_churned(e, on=SNAPSHOT)  # out
    Account.objects.filter(pk=f.pk).update(status=AccountStatus.SUSPENDED, updated_at=aware(TODAY))

    assert features.lost_accounts(after=SNAPSHOT, through=TODAY) == {a.pk, d.pk}


# --- features ------------------------------------------------------------------------------


DAY = D(2026, 11, 10)


@pytest.fixture
def busy(am):
    """One account with something in every source, some of it outside the window or after
    the day."""
    desk, ops = UserFactory(desk=True), UserFactory(ops=True)
    with clock.frozen(aware(D(2026, 3, 1))):
        account = AccountFactory(owner=am, grade=band("silver"))
        circuit = ServiceFactory(account=account)
    bill(account, [4000] * 6 + [3000, 3000, 3000, 2000, 2000, 2000])
    # two faults in the window: one restored 30 h later (bronze: 24 h), one in 2 h
    for reported, hours in ((aware(D(2026, 9, 1)), 30), (aware(D(2026, 10, 1)), 2)):
        ticket = fault(actor=desk, service=circuit, at=reported)
        restored = reported + dt.timedelta(hours=hours)
        with clock.frozen(restored):
            services.fault_restore(
                actor=ops, fault=ticket, cause="光缆", expected_version=ticket.version,
                restored_at=restored,
            )  # fmt: skip
    fault(actor=desk, service=circuit, at=aware(D(2026, 4, 1)))  # before the window, still open
    Callback.objects.filter(account=account).update(
        status=CallbackStatus.DONE, outcome=CallbackOutcome.DISSATISFIED, done_at=aware(D(2026, 10, 2))
    )  # fmt: skip
    for day in (D(2026, 8, 1), D(2026, 10, 20), DAY + dt.timedelta(days=1)):
        ContactLog.objects.create(
            account=account, author=am, kind="visit", happened_on=day, topics="t"
        )
    warning = {
        "account": account, "source": WarningSource.SPEND, "severity": Severity.HIGH,
        "evidence": {}, "assignee": am, "ack_due": DAY,
    }  # fmt: skip
    ChurnWarning.objects.create(**warning, raised_on=D(2026, 11, 1), evidence_on=D(2026, 11, 1))
    ChurnWarning.objects.create(
        **warning | {"source": WarningSource.FIELD}, raised_on=D(2026, 10, 1),
        evidence_on=D(2026, 10, 1), status=WarningStatus.CLOSED, closed_at=aware(D(2026, 10, 5)),
    )  # fmt: skip
    ChurnWarning.objects.create(
        **warning | {"source": WarningSource.CALLS}, raised_on=DAY + dt.timedelta(days=1),
        evidence_on=DAY + dt.timedelta(days=1),
    )  # fmt: skip
    GradeChangeProposal.objects.create(
        account=account, from_segment="key", from_grade=band("gold"), to_segment="key",
        to_grade=band("silver"), reason="消费下降", proposed_by=am,
        status=DecisionStatus.APPROVED, decided_at=aware(DAY + dt.timedelta(days=2)),
    )  # fmt: skip
    return account


def test_features_of_an_account(busy):
    frame = features.account_features(
        accounts=Account.objects.filter(pk=busy.pk),
        day=DAY,
        calls={busy.pk: {"competitor_share": 0.31, "ld_change": -0.25}},
    )

    assert list(frame.index) == [busy.pk]
    row = frame.loc[busy.pk].to_dict()
    assert row == {
        "industry": "finance",
        "grade_rank": 7.0,  # gold until the change approved after DAY
        "spend_recent": 2000.0,  # 2026-08 .. 2026-10
        "spend_trend": -0.3333,  # 6000 against 9000
        "tenure_days": 374.0,  # since 2025-11-01
        "faults_180d": 2.0,
        "sla_breaches_180d": 1.0,
        "dissatisfied_callbacks_180d": 1.0,
        "days_since_contact": 21.0,  # 2026-10-20
        "days_to_contract_end": row["days_to_contract_end"],
        "open_warnings": 1.0,
        "competitor_share": 0.31,
        "ld_change": -0.25,
    }
    assert math.isnan(row["days_to_contract_end"])  # no contract


def test_features_as_of_an_earlier_day(busy):
    frame = features.account_features(
        accounts=Account.objects.filter(pk=busy.pk), day=D(2026, 4, 30)
    )

    row = frame.loc[busy.pk].to_dict()
    # 2026-01..03 against 2025-10..12, where 2025-10 had no bill: 12000 / 8000 - 1
    assert (row["spend_recent"], row["spend_trend"], row["tenure_days"]) == (4000.0, 0.5, 180.0)
    assert (row["faults_180d"], row["sla_breaches_180d"]) == (1.0, 1.0)  # open since 04-01
    assert (row["dissatisfied_callbacks_180d"], row["open_warnings"]) == (0.0, 0.0)
    assert math.isnan(row["days_since_contact"])
    assert (row["competitor_share"], row["ld_change"]) == (0.0, 0.0)


def test_an_account_without_data():
    with clock.frozen(NOW):
        account = AccountFactory(grade=None)

    row = features.account_features(accounts=Account.objects.filter(pk=account.pk), day=TODAY)
    values = row.loc[account.pk].to_dict()

    assert values["spend_recent"] == 0.0
    assert values["tenure_days"] == 0.0
    assert all(
        math.isnan(values[k])
        for k in ("grade_rank", "spend_trend", "days_since_contact", "days_to_contract_end")
    )


def test_feature_queries_do_not_grow_with_accounts(portfolio):
    def count(accounts):
        with CaptureQueriesContext(connection) as queries:
            frame = features.account_features(accounts=accounts, day=TODAY)
        return len(queries), len(frame)

    few = count(Account.objects.filter(pk__in=[a.pk for a in portfolio.steady[:2]]))
    many = count(features.scoring_accounts())

    assert few == (13, 2)
    assert many == (13, 34)


# --- the call records ----------------------------------------------------------------------


def test_call_signals_today_and_a_past_day(monkeypatch):
    from telekam.retention import signals_store

    monkeypatch.undo()  # the real call_signals (an autouse fixture stubs it)
    asked = []

    def fake(*, as_of=None):
        asked.append(as_of)
        return {1: {"competitor_share": 0.5, "ld_change": -0.1}} if as_of is None else {}

    monkeypatch.setattr(signals_store, "call_features", fake)
    assert features.call_signals(day=TODAY, today=TODAY) == {
        1: {"competitor_share": 0.5, "ld_change": -0.1}
    }
    # a past day is asked as of that day (never today's figures, which would leak)
    assert features.call_signals(day=SNAPSHOT, today=TODAY) is None
    assert asked == [None, SNAPSHOT]
