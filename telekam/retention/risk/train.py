"""Train the churn risk model on the operator's history and score today's key accounts.

The history: every key account that was a customer 180 days ago (the snapshot), with its
features as of that day, labelled 1 when it was lost in the 180 days since (see
`features.lost_accounts`). The model trained on it scores the active key accounts with
their features as of today; their `RiskScore` rows are replaced in one transaction.

The run is recorded as a `Run` (kind risk_model) whatever happens: DONE with its report, or
FAILED with the reason. A failed run leaves the existing scores as they were."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from telekam.core import clock
from telekam.retention.models import RiskScore, Run, RunKind, RunStatus
from telekam.retention.risk import features
from telekam.retention.risk.model import SEED, TEST_SIZE, ChurnModelError, explain, fit, predict

if TYPE_CHECKING:
    from telekam.org.models import User

MIN_POSITIVES = 5  # fewer lost accounts in the history than this: no model
HOLDOUT_MIN_CLASS = 10  # both classes at least this large: AUC on a 25 % holdout
TOP_REASONS = 3
SCORE_PLACES = Decimal("0.0001")


def _score(probability: float) -> Decimal:
    value = Decimal(str(round(float(probability), 4))).quantize(SCORE_PLACES)
    return min(max(value, Decimal("0.0000")), Decimal("1.0000"))


def _auc(X: Any, y: np.ndarray, fitted: Any) -> tuple[float, str]:
    """AUC on a stratified holdout when both classes are large enough, else in sample."""
    counts = np.bincount(y, minlength=2)
    if counts.min() >= HOLDOUT_MIN_CLASS:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, stratify=y, random_state=SEED, test_size=TEST_SIZE
        )
        held = fit(X_train, y_train, schema=fitted.schema)
        return float(roc_auc_score(y_test, predict(held, X_test))), "holdout"
    return float(roc_auc_score(y, predict(fitted, X))), "in_sample"


def _progress(run: Run, percent: int) -> None:
    run.progress = percent
    Run.objects.filter(pk=run.pk).update(progress=percent)


def _finish(run: Run, *, status: str, error: str = "") -> Run:
    run.status = status
    run.error = error
    run.finished_at = clock.now()
    if status == RunStatus.DONE:
        run.progress = 100
    run.save(
        update_fields=["status", "error", "finished_at", "progress", "report", "rows_in", "rows_ok"]
    )
    return run


def _train_and_score(*, run: Run, today: dt.date, snapshot: dt.date) -> None:
    report = run.report
    history_calls = features.call_signals(day=snapshot, today=today)
    X = features.account_features(
        accounts=features.training_accounts(snapshot=snapshot), day=snapshot, calls=history_calls
    )
    lost = features.lost_accounts(after=snapshot, through=today)
    y = np.asarray(X.index.isin(list(lost)), dtype=int)
    positives = int(y.sum())
    report.update(
        {
            "snapshot": snapshot.isoformat(),
            "horizon_days": features.HORIZON_DAYS,
            "training_rows": len(X),
            "positives": positives,
            "positive_rate": round(positives / len(X), 4) if len(X) else None,
            "call_features_in_history": history_calls is not None,
        }
    )
    run.rows_in = len(X)
    if positives == len(X) or positives == 0:
        raise ChurnModelError(
            _("历史数据只有一类客户（%(n)d 个客户中流失 %(pos)d 个），无法训练流失风险模型。")
            % {"n": len(X), "pos": positives}
        )
    if positives < MIN_POSITIVES:
        raise ChurnModelError(
            _(
                "历史上流失的客户太少：%(since)s 之后 %(days)d 天内只有 %(pos)d 个，"
                "至少需要 %(min)d 个才能训练流失风险模型。"
            )
            % {
                "since": snapshot.isoformat(),
                "days": features.HORIZON_DAYS,
                "pos": positives,
                "min": MIN_POSITIVES,
            }
        )
    _progress(run, 40)

    fitted = fit(X, y)
    auc, auc_kind = _auc(X, y, fitted)
    report.update(
        {
            "auc": round(auc, 4),
            "auc_kind": auc_kind,
            "features": fitted.schema.features,
            "dropped_features": dict(fitted.schema.dropped),
        }
    )
    _progress(run, 70)

    current = features.account_features(
        accounts=features.scoring_accounts(),
        day=today,
        calls=features.call_signals(day=today, today=today),
    )
    probabilities = predict(fitted, current)
    reasons = explain(fitted, current, top=TOP_REASONS)
    scored_at = clock.now()
    scores = [
        RiskScore(
            account_id=int(account_id),
            score=_score(probability),
            reasons=why,
            scored_at=scored_at,
            run=run,
        )
        for account_id, probability, why in zip(current.index, probabilities, reasons, strict=True)
    ]
    with transaction.atomic():
        RiskScore.objects.all().delete()
        RiskScore.objects.bulk_create(scores, batch_size=500)
    run.rows_ok = len(scores)
    report.update(
        {
            "scored": len(scores),
            "score_mean": round(float(np.mean(probabilities)), 4) if len(scores) else None,
        }
    )


def risk_model_train(*, today: dt.date, user: User | None = None) -> Run:
    """Train on the history to `today` and replace every account's risk score. Returns the
    run: DONE, or FAILED with `error` set (too little history) and the scores untouched.
    An unexpected error marks the run FAILED and is raised again."""
    snapshot = today - dt.timedelta(days=features.HORIZON_DAYS)
    run = Run.objects.create(
        kind=RunKind.RISK_MODEL,
        engine="sklearn",
        source="HistGradientBoostingClassifier",
        day_from=snapshot,
        day_to=today,
        started_at=clock.now(),
        started_by=user,
        report={},
    )
    try:
        _train_and_score(run=run, today=today, snapshot=snapshot)
    except ChurnModelError as exc:
        return _finish(run, status=RunStatus.FAILED, error=str(exc))
    except Exception as exc:
        _finish(run, status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    return _finish(run, status=RunStatus.DONE)
