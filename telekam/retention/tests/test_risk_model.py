"""The churn model family: evaluation on any CSV (target values, column handling, the
figures), the `churn-model evaluate` command, and fit / predict / explain."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from telekam.retention.risk.model import (
    ChurnModelError,
    evaluate_csv,
    evaluate_frame,
    explain,
    fit,
    infer_schema,
    predict,
    target_binary,
    top_share_precision,
)

HEADER = [
    "customerID",
    "tenure",
    "Contract",
    "MonthlyCharges",
    "TotalCharges",
    "PaperlessBilling",
    "Country",
    "Churn",
]


def write_telco(path: Path, *, signal: bool, rows: int = 400, seed: int = 7) -> Path:
    """A small Telco-like file: an ID column, numbers, categories, TotalCharges as text with
    blanks (" "), a constant column. With `signal`, month-to-month customers in their first
    two years churn and nobody else does; without, churn is a coin with p = 0.3."""
    rng = random.Random(seed)
    lines = []
    for i in range(rows):
        tenure = rng.randint(1, 72)
        contract = rng.choice(["Month-to-month", "One year", "Two year"])
        monthly = round(rng.uniform(20, 120), 2)
        total = " " if i % 50 == 0 else f"{monthly * tenure:.2f}"
        paperless = rng.choice(["Yes", "No"])
        churn = (contract == "Month-to-month" and tenure <= 24) if signal else rng.random() < 0.3
        customer = f"C{i:05d}-{rng.randint(1000, 9999)}"
        lines.append(
            [customer, tenure, contract, monthly, total, paperless, "CN", "Yes" if churn else "No"]
        )
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(lines)
    return path


@pytest.fixture
def strong(tmp_path: Path) -> Path:
    return write_telco(tmp_path / "strong.csv", signal=True)


@pytest.fixture
def noise(tmp_path: Path) -> Path:
    return write_telco(tmp_path / "noise.csv", signal=False)


COLUMNS = {
    "features": ["Contract", "PaperlessBilling", "tenure", "MonthlyCharges", "TotalCharges"],
    "categorical_features": ["Contract", "PaperlessBilling"],
    "numeric_features": ["tenure", "MonthlyCharges", "TotalCharges"],
    "converted_columns": ["TotalCharges"],
    "dropped_columns": ["customerID", "Country"],
    "drop_reasons": {"customerID": "identifier", "Country": "constant"},
}


def test_evaluate_finds_a_planted_signal(strong):
    report = evaluate_csv(strong, "Churn")

    assert report == {
        "file": str(strong),
        "target": "Churn",
        "positive_label": "Yes",
        "rows": 400,
        "train_rows": 300,
        "test_rows": 100,
        "positives": 40,
        "positive_rate": 0.1,
        "roc_auc": 1.0,
        "top_decile_rows": 10,
        "top_decile_precision": 1.0,
        "top_decile_lift": 10.0,
        **COLUMNS,
        "model": "HistGradientBoostingClassifier",
        "seed": 42,
    }


def test_evaluate_without_signal_is_near_chance(noise):
    report = evaluate_csv(noise, "Churn")

    # The split and the model are seeded: the figures are fixed.
    assert report["roc_auc"] == pytest.approx(0.433)
    assert 0.3 < report["roc_auc"] < 0.7
    assert report["positives"] == 117
    assert report["positive_rate"] == 0.2925
    assert report["top_decile_precision"] == 0.2
    assert report["features"] == COLUMNS["features"]


def test_command_prints_only_the_json(strong):
    out = io.StringIO()

    call_command("churn_model", "evaluate", "--csv", str(strong), "--target", "Churn", stdout=out)

    assert json.loads(out.getvalue()) == evaluate_csv(strong, "Churn")


def test_missing_target_names_the_columns(strong):
    with pytest.raises(ChurnModelError) as raised:
        evaluate_csv(strong, "churn_flag")

    assert str(raised.value) == (
        "没有目标列“churn_flag”。表中的列：customerID, tenure, Contract, MonthlyCharges, "
        "TotalCharges, PaperlessBilling, Country, Churn"
    )
    with pytest.raises(CommandError, match="没有目标列“churn_flag”"):
        call_command("churn_model", "evaluate", "--csv", str(strong), "--target", "churn_flag")


def test_three_classes_are_refused(tmp_path):
    path = tmp_path / "three.csv"
    frame = pd.DataFrame({"x": range(30), "status": ["active", "churned", "suspended"] * 10})
    frame.to_csv(path, index=False)

    with pytest.raises(ChurnModelError) as raised:
        evaluate_csv(path, "status")

    assert str(raised.value) == (
        "目标列“status”应恰好有两种取值（流失/未流失），实际有 3 种：active, churned, suspended"
    )
    with pytest.raises(CommandError, match="实际有 3 种"):
        call_command("churn_model", "evaluate", "--csv", str(path), "--target", "status")


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="找不到文件"):
        call_command(
            "churn_model", "evaluate", "--csv", str(tmp_path / "none.csv"), "--target", "Churn"
        )


@pytest.mark.parametrize(
    ("values", "positive", "expected"),
    [
        ([0, 1, 1, 0], 1, [0, 1, 1, 0]),
        ([True, False, True, False], True, [1, 0, 1, 0]),
        (["No", "Yes", "yes ", "no"], "Yes", [0, 1, 1, 0]),
        (["active", "CHURNED", "active", "CHURNED"], "CHURNED", [0, 1, 0, 1]),
        (["N", "Y", "Y", "N"], "Y", [0, 1, 1, 0]),
        (["retained", "lost", "lost", "retained"], "lost", [0, 1, 1, 0]),
        ([0.0, 1.0, 0.0, 0.0], 1.0, [0, 1, 0, 0]),
        (["f", "t", "t", "t"], "t", [0, 1, 1, 1]),
    ],
)
def test_target_values(values, positive, expected):
    y, label = target_binary(pd.Series(values, name="churn"))

    assert y.tolist() == expected
    assert label == positive


def test_a_target_without_a_churn_value_is_refused():
    with pytest.raises(ChurnModelError, match="无法判断目标列“churn”的哪个取值表示流失"):
        target_binary(pd.Series(["a", "b", "a"], name="churn"))


def test_a_bom_file_with_a_boolean_target(tmp_path):
    rng = random.Random(3)
    rows = [(f"{rng.uniform(0, 1):.3f}", rng.choice("ab")) for _ in range(80)]
    text = "score,kind,left\n" + "".join(
        f"{s},{k},{'TRUE' if float(s) > 0.7 else 'FALSE'}\n" for s, k in rows
    )
    path = tmp_path / "bom.csv"
    path.write_bytes(text.encode("utf-8-sig"))

    report = evaluate_csv(path, "left")

    assert report["positive_label"] is True
    assert report["features"] == ["kind", "score"]
    assert report["roc_auc"] == 1.0


def test_rows_without_a_target_are_left_out():
    frame = pd.DataFrame(
        {
            "x": [*range(40), 1, 2],
            "churn": [*("yes" if i >= 30 else "no" for i in range(40)), " ", None],
        }
    )

    report = evaluate_frame(frame, "churn")

    assert (report["rows"], report["positives"], report["positive_label"]) == (40, 10, "yes")


def test_too_few_of_a_class_to_split():
    frame = pd.DataFrame({"x": range(20), "churn": [1, 1, 1] + [0] * 17})

    with pytest.raises(ChurnModelError, match="流失 3 行，未流失 17 行"):
        evaluate_frame(frame, "churn")


def test_schema():
    frame = pd.DataFrame(
        {
            "account_id": range(1, 31),
            "name": [f"客户{i}" for i in range(30)],
            "spend": [" ", *[f"{i * 10}.5" for i in range(29)]],
            "segment": ["key", "commercial", None] * 10,
            "vip": [True, False] * 15,
            "region": ["north"] * 30,
            "visits": [float(i % 4) if i % 7 else np.nan for i in range(30)],
        }
    )

    schema = infer_schema(frame)

    assert schema.categorical == ("segment", "vip")
    assert schema.numeric == ("spend", "visits")
    assert schema.converted == ("spend",)
    assert schema.dropped == {
        "account_id": "identifier",
        "name": "identifier",
        "region": "constant",
    }


def test_top_decile_precision_takes_at_least_one_row():
    assert top_share_precision(np.array([0, 1, 0]), np.array([0.2, 0.9, 0.1])) == (1.0, 1)
    assert top_share_precision(np.array([1, 0] * 10), np.arange(20) / 20) == (0.5, 2)


# --- fit, predict, explain -----------------------------------------------------------------


def portfolio(rows: int = 120, seed: int = 5) -> tuple[pd.DataFrame, np.ndarray]:
    """Accounts whose spend fell are the ones that left; tenure and industry are noise."""
    rng = random.Random(seed)
    records, labels = [], []
    for _ in range(rows):
        trend = round(rng.uniform(-0.8, 0.3), 2)
        records.append(
            {
                "industry": rng.choice(["finance", "government", "retail"]),
                "spend_trend": trend,
                "tenure_days": float(rng.randint(100, 3000)),
            }
        )
        labels.append(int(trend < -0.4))
    return pd.DataFrame(records), np.array(labels)


def test_fit_predict_explain():
    frame, y = portfolio()
    fitted = fit(frame, y)
    new = pd.DataFrame(
        [
            {"industry": "finance", "spend_trend": -0.7, "tenure_days": 900.0},
            {"industry": "finance", "spend_trend": 0.1, "tenure_days": 900.0},
            # an industry never seen in training and a missing number still score
            {"industry": "mining", "spend_trend": np.nan, "tenure_days": 900.0},
        ]
    )

    risk = predict(fitted, new)
    reasons = explain(fitted, new, top=3)

    assert fitted.schema.features == ["industry", "spend_trend", "tenure_days"]
    assert (fitted.train_rows, fitted.positives) == (120, int(y.sum()))
    assert risk[0] > 0.9 > 0.1 > risk[1]
    assert len(risk) == 3
    assert 0 <= risk[2] <= 1
    assert reasons[0][0]["feature"] == "spend_trend"
    assert reasons[0][0]["value"] == -0.7
    assert reasons[0][0]["effect"] > 0.5
    assert all(r["feature"] != "spend_trend" for r in reasons[1])
    assert all(r["effect"] > 0 for row in reasons for r in row)
    assert len(explain(fitted, new, top=1)[0]) == 1


def test_explain_is_relative_to_the_typical_account():
    frame, y = portfolio()
    fitted = fit(frame, y)
    typical = pd.DataFrame([fitted.reference])

    assert explain(fitted, typical) == [[]]
    assert fitted.reference["industry"] == frame["industry"].value_counts().idxmax()
    assert fitted.reference["spend_trend"] == frame["spend_trend"].median()


def test_fit_needs_two_classes():
    frame, _ = portfolio(rows=20)

    with pytest.raises(ChurnModelError, match="只有一类"):
        fit(frame, np.zeros(20, dtype=int))
