"""The churn model family: a HistGradientBoostingClassifier behind an ordinal encoder for the
categorical columns, fed a pandas DataFrame.

- `evaluate_frame` / `evaluate_csv`: how well the model separates churners on a table (any
  churn data set, e.g. the public Telco one): stratified 75/25 split, seed 42.
- `fit`, `predict`, `explain`: the API the operator's own scoring uses (`risk.train`).

Column handling, decided once on the training table (`Schema`) and applied again to every
table scored later:
- numeric columns stay numeric, missing values allowed (the booster handles NaN);
- text columns whose non-blank values all parse as numbers ("29.85", " " for blank) become
  numeric;
- other text, boolean and categorical columns are categorical (unknown and missing values
  are encoded as missing);
- constant columns and identifier-like columns (text where most values are unique, or a
  column named like an id whose values are all unique) are dropped.

No Django here: this module is used from the command line on files as well."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder
from threadpoolctl import threadpool_limits

SEED = 42
TEST_SIZE = 0.25
# Case-insensitive target values that mean "churned" when the target has two values.
POSITIVE_VALUES = frozenset({"1", "true", "yes", "y", "churn", "churned", "lost", "t"})
# A text column is an identifier when more than this share of its values are distinct
# (and it has more than ID_MIN_DISTINCT of them, so a tiny table keeps its categories).
ID_UNIQUE_SHARE = 0.5
ID_MIN_DISTINCT = 10
ID_NAME = re.compile(r"(?i:(^|[_\s-])(id|code|no|number)$)|[a-z0-9](ID|Id)$|(编号|编码|号码)$")
# The booster takes at most 255 bins per feature; rarer categories are grouped together.
MAX_CATEGORIES = 250
# Below this many rows the booster runs on one thread: OpenMP's start-up per split costs more
# than it saves on small tables (5x slower on a busy 2-core host). Results are the same.
SINGLE_THREAD_ROWS = 50_000


class ChurnModelError(ValueError):
    """The table cannot be modelled as it is (no target, not two classes, too few rows...).
    The message says what to fix."""


@dataclasses.dataclass(frozen=True)
class Schema:
    """Which columns are used, and how."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    converted: tuple[str, ...]  # text columns read as numbers
    dropped: dict[str, str]  # column -> "constant" | "identifier"

    @property
    def features(self) -> list[str]:
        return [*self.categorical, *self.numeric]


@dataclasses.dataclass(frozen=True)
class FittedModel:
    pipeline: Pipeline
    schema: Schema
    # What "typical" means for `explain`: the training median (numeric) or the most common
    # value (categorical) of each feature.
    reference: dict[str, Any]
    train_rows: int
    positives: int


# --- columns -------------------------------------------------------------------------------


def _is_text(series: pd.Series) -> bool:
    return (
        pd.api.types.is_object_dtype(series)
        or pd.api.types.is_string_dtype(series)
        or isinstance(series.dtype, pd.CategoricalDtype)
    )


def _blank_to_na(series: pd.Series) -> pd.Series:
    """Text with surrounding spaces stripped and blank cells as missing, as object dtype."""
    values = series.astype(object).where(series.notna(), None)
    cleaned = values.map(lambda v: v.strip() if isinstance(v, str) else v)
    cleaned = cleaned.map(lambda v: None if (isinstance(v, str) and v == "") else v)
    return cleaned.astype(object).where(cleaned.notna(), np.nan)


def _as_number(series: pd.Series) -> pd.Series | None:
    """The column as floats if every non-blank value is a number, else None."""
    cleaned = _blank_to_na(series)
    present = cleaned.notna()
    if not present.any():
        return None
    numbers = pd.to_numeric(cleaned, errors="coerce")
    if numbers[present].isna().any():
        return None
    return numbers.astype(float)


def _as_category(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.astype(object).map(lambda v: str(bool(v)) if pd.notna(v) else np.nan)
    cleaned = _blank_to_na(series)
    return cleaned.map(lambda v: v if pd.isna(v) else str(v)).astype(object)


def infer_schema(df: pd.DataFrame) -> Schema:
    """Decide, from a table of features (no target), which columns to use and how."""
    numeric: list[str] = []
    categorical: list[str] = []
    converted: list[str] = []
    dropped: dict[str, str] = {}
    for column in df.columns:
        name = str(column)
        series = df[column]
        if series.nunique(dropna=False) <= 1:
            dropped[name] = "constant"
            continue
        if pd.api.types.is_bool_dtype(series):
            categorical.append(name)
            continue
        if pd.api.types.is_numeric_dtype(series):
            present = series.dropna()
            if ID_NAME.search(name) and present.is_unique and len(present) > ID_MIN_DISTINCT:
                dropped[name] = "identifier"
            else:
                numeric.append(name)
            continue
        if _is_text(series):
            numbers = _as_number(series)
            if numbers is not None:
                if numbers.nunique(dropna=False) <= 1:
                    dropped[name] = "constant"
                else:
                    numeric.append(name)
                    converted.append(name)
                continue
            text = _as_category(series).dropna()
            distinct = text.nunique()
            if distinct > ID_MIN_DISTINCT and distinct > ID_UNIQUE_SHARE * len(text):
                dropped[name] = "identifier"
            elif distinct <= 1 and len(text) == len(series):
                dropped[name] = "constant"
            else:
                categorical.append(name)
            continue
        dropped[name] = "unsupported"  # dates, timedeltas...
    return Schema(
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        converted=tuple(converted),
        dropped=dropped,
    )


def apply_schema(schema: Schema, df: pd.DataFrame) -> pd.DataFrame:
    """The feature columns of `df` in the model's order and types; a missing column is all
    missing values."""
    columns: dict[str, pd.Series] = {}
    index = df.index
    for name in schema.categorical:
        if name in df.columns:
            columns[name] = _as_category(df[name])
        else:
            columns[name] = pd.Series(np.nan, index=index, dtype=object)
    for name in schema.numeric:
        if name not in df.columns:
            columns[name] = pd.Series(np.nan, index=index, dtype=float)
        elif pd.api.types.is_numeric_dtype(df[name]) and not pd.api.types.is_bool_dtype(df[name]):
            columns[name] = df[name].astype(float)
        else:
            columns[name] = pd.to_numeric(_blank_to_na(df[name]), errors="coerce").astype(float)
    return pd.DataFrame(columns, index=index)


# --- target --------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-safe Python value (numpy scalars unwrapped, NaN as None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _normalised(value: Any) -> str:
    value = _plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value).strip().lower()


def target_binary(series: pd.Series) -> tuple[np.ndarray, Any]:
    """The target as 0/1 and the value that means "churned" (values compared without case
    or surrounding spaces: "Yes" and "yes " are one value). Rows whose target is missing
    must have been removed before."""
    normalised = series.map(_normalised)
    values = list(pd.unique(normalised))
    if len(values) != 2:
        shown = ", ".join(str(_plain(v)) for v in pd.unique(series)[:10])
        raise ChurnModelError(
            _("目标列“%(column)s”应恰好有两种取值（流失/未流失），实际有 %(n)d 种：%(values)s")
            % {"column": series.name, "n": len(values), "values": shown}
        )
    positives = [v for v in values if v in POSITIVE_VALUES]
    if len(positives) != 1:
        raise ChurnModelError(
            _(
                "无法判断目标列“%(column)s”的哪个取值表示流失（%(values)s）；"
                "流失一方应为 1、true、yes、y、t、churn、churned 或 lost 之一。"
            )
            % {
                "column": series.name,
                "values": ", ".join(str(_plain(v)) for v in pd.unique(series)),
            }
        )
    hits = (normalised == positives[0]).to_numpy()
    return hits.astype(int), _plain(series[hits].iloc[0])


def _target_present(df: pd.DataFrame, target: str) -> pd.DataFrame:
    if target not in df.columns:
        raise ChurnModelError(
            _("没有目标列“%(target)s”。表中的列：%(columns)s")
            % {"target": target, "columns": ", ".join(str(c) for c in df.columns)}
        )
    column = df[target]
    if _is_text(column):
        column = _blank_to_na(column)
    df = df.assign(**{target: column})
    return df[df[target].notna()]


# --- fit, predict, explain -----------------------------------------------------------------


def _pipeline(schema: Schema, rows: int) -> Pipeline:
    parts: list[tuple[str, Any, list[str]]] = []
    if schema.categorical:
        encoder = OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            encoded_missing_value=np.nan,
            max_categories=MAX_CATEGORIES,
        )
        parts.append(("categorical", encoder, list(schema.categorical)))
    if schema.numeric:
        parts.append(("numeric", "passthrough", list(schema.numeric)))
    columns = ColumnTransformer(parts, verbose_feature_names_out=False)
    is_categorical = [True] * len(schema.categorical) + [False] * len(schema.numeric)
    # On a few thousand rows or more: smaller trees, a slower rate and early stopping on a
    # held-out 15 % generalise better than the defaults (and stop sooner).
    tuned: dict[str, Any] = (
        {
            "learning_rate": 0.05,
            "max_iter": 400,
            "max_leaf_nodes": 15,
            "l2_regularization": 1.0,
            "early_stopping": True,
            "validation_fraction": 0.15,
            "n_iter_no_change": 30,
        }
        if rows >= 1000
        else {}
    )
    booster = HistGradientBoostingClassifier(
        categorical_features=is_categorical if schema.categorical else None,
        # The default leaf of 20 rows cannot split a portfolio of a few dozen accounts.
        min_samples_leaf=int(min(20, max(3, rows // 10))),
        random_state=SEED,
        **tuned,
    )
    return Pipeline([("columns", columns), ("booster", booster)])


def _binary(y: Any) -> np.ndarray:
    series = pd.Series(np.asarray(y)).reset_index(drop=True)
    if series.isna().any():
        raise ChurnModelError(_("标签中有空值。"))
    unique = set(pd.unique(series).tolist())
    if unique <= {0, 1}:
        return series.to_numpy(dtype=int)
    return target_binary(series)[0]


def _threads(rows: int) -> Any:
    return threadpool_limits(limits=1 if rows < SINGLE_THREAD_ROWS else None, user_api="openmp")


def _proba(fitted: FittedModel, X: pd.DataFrame) -> np.ndarray:
    with _threads(len(X)):
        return fitted.pipeline.predict_proba(X)[:, 1]


def fit(df: pd.DataFrame, y: Any, *, schema: Schema | None = None) -> FittedModel:
    """Train on the feature table `df` and labels `y` (0/1, booleans or any two-valued
    target `target_binary` understands)."""
    labels = _binary(y)
    if len(labels) != len(df):
        raise ChurnModelError(_("特征行数与标签个数不一致。"))
    if len(set(labels.tolist())) < 2:
        raise ChurnModelError(_("训练数据只有一类（全部流失或全部未流失），无法训练。"))
    schema = schema or infer_schema(df)
    if not schema.features:
        raise ChurnModelError(_("没有可用的特征列（全部为常量或标识列）。"))
    X = apply_schema(schema, df)
    pipeline = _pipeline(schema, len(X))
    with _threads(len(X)):
        pipeline.fit(X, labels)
    reference: dict[str, Any] = {}
    for name in schema.numeric:
        median = X[name].median()
        reference[name] = float(median) if pd.notna(median) else np.nan
    for name in schema.categorical:
        counts = X[name].value_counts()
        # most common; ties go to the value that sorts first, so the choice is stable
        top = counts[counts == counts.max()].index if len(counts) else []
        reference[name] = sorted(top)[0] if len(top) else np.nan
    return FittedModel(
        pipeline=pipeline,
        schema=schema,
        reference=reference,
        train_rows=len(X),
        positives=int(labels.sum()),
    )


def predict(fitted: FittedModel, df: pd.DataFrame) -> np.ndarray:
    """The probability of churn of each row of `df`."""
    if len(df) == 0:
        return np.zeros(0)
    return _proba(fitted, apply_schema(fitted.schema, df))


def explain(fitted: FittedModel, df: pd.DataFrame, *, top: int = 3) -> list[list[dict[str, Any]]]:
    """For each row, the features that raise its risk most: the effect of a feature is the
    row's probability less the probability with that feature set to its typical value
    (training median or most common value). Only positive effects, strongest first:
    `[{"feature": ..., "value": ..., "effect": 0.1234}, ...]`."""
    if len(df) == 0:
        return []
    X = apply_schema(fitted.schema, df).reset_index(drop=True)
    features = fitted.schema.features
    base = _proba(fitted, X)
    variants = []
    for name in features:
        variant = X.copy()
        variant[name] = pd.Series([fitted.reference[name]] * len(X), dtype=X[name].dtype)
        variants.append(variant)
    probabilities = _proba(fitted, pd.concat(variants, ignore_index=True))
    effects = base[np.newaxis, :] - probabilities.reshape(len(features), len(X))
    explained: list[list[dict[str, Any]]] = []
    for row in range(len(X)):
        ranked = sorted(range(len(features)), key=lambda j: (-effects[j, row], j))
        reasons: list[dict[str, Any]] = []
        for j in ranked:
            effect = round(float(effects[j, row]), 4)
            if effect <= 0 or len(reasons) >= top:
                break
            value = _plain(X.iloc[row, j])
            if isinstance(value, float):
                value = round(value, 4)
            reasons.append({"feature": features[j], "value": value, "effect": effect})
        explained.append(reasons)
    return explained


# --- evaluation ----------------------------------------------------------------------------


def top_share_precision(y: np.ndarray, scores: np.ndarray, share: float = 0.1) -> tuple[float, int]:
    """Precision among the `share` of rows with the highest scores (at least one row); ties
    are broken by row order."""
    k = max(1, math.ceil(share * len(y)))
    order = np.argsort(-scores, kind="stable")[:k]
    return float(np.mean(y[order])), k


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def evaluate_frame(df: pd.DataFrame, target: str) -> dict[str, Any]:
    """Train on 75 % of `df` and measure on the other 25 % (stratified, seed 42)."""
    df = _target_present(df, target)
    if df.empty:
        raise ChurnModelError(_("目标列“%(target)s”没有取值。") % {"target": target})
    y, positive = target_binary(df[target])
    X = df.drop(columns=[target])
    schema = infer_schema(X)
    if not schema.features:
        raise ChurnModelError(_("没有可用的特征列（全部为常量或标识列）。"))
    counts = np.bincount(y, minlength=2)
    if counts.min() < 4:
        raise ChurnModelError(
            _("每一类至少需要 4 行才能分层抽样评估；流失 %(pos)d 行，未流失 %(neg)d 行。")
            % {"pos": counts[1], "neg": counts[0]}
        )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=SEED, test_size=TEST_SIZE
    )
    fitted = fit(X_train, y_train, schema=schema)
    scores = predict(fitted, X_test)
    auc = roc_auc_score(y_test, scores) if len(set(y_test.tolist())) == 2 else None
    precision, k = top_share_precision(y_test, scores)
    test_rate = float(np.mean(y_test))
    return {
        "target": target,
        "positive_label": positive,
        "rows": len(df),
        "train_rows": len(X_train),
        "test_rows": len(X_test),
        "positives": int(counts[1]),
        "positive_rate": _r(counts[1] / len(df)),
        "roc_auc": _r(auc),
        "top_decile_rows": k,
        "top_decile_precision": _r(precision),
        "top_decile_lift": _r(precision / test_rate) if test_rate else None,
        "features": schema.features,
        "categorical_features": list(schema.categorical),
        "numeric_features": list(schema.numeric),
        "converted_columns": list(schema.converted),
        "dropped_columns": list(schema.dropped),
        "drop_reasons": dict(schema.dropped),
        "model": "HistGradientBoostingClassifier",
        "seed": SEED,
    }


def read_csv(path: str | Path) -> pd.DataFrame:
    """Any CSV in UTF-8 (with or without a byte-order mark)."""
    try:
        return pd.read_csv(path, encoding="utf-8-sig")
    except FileNotFoundError:
        raise ChurnModelError(_("找不到文件：%(path)s") % {"path": path}) from None
    except IsADirectoryError:
        raise ChurnModelError(_("不是文件：%(path)s") % {"path": path}) from None
    except UnicodeDecodeError:
        raise ChurnModelError(_("文件不是 UTF-8 编码：%(path)s") % {"path": path}) from None
    except pd.errors.EmptyDataError:
        raise ChurnModelError(_("文件是空的：%(path)s") % {"path": path}) from None
    except pd.errors.ParserError as exc:
        raise ChurnModelError(
            _("无法按 CSV 读取 %(path)s：%(error)s") % {"path": path, "error": exc}
        ) from None


def evaluate_csv(path: str | Path, target: str) -> dict[str, Any]:
    """`evaluate_frame` on a CSV file."""
    report = evaluate_frame(read_csv(path), target)
    return {"file": str(path), **report}
