"""The churn risk model (domain §7): a gradient-boosted classifier over a table of account
features, its evaluation on any churn CSV, and the features built from the operator's own
data. `model` knows nothing about Django; `features` and `train` read the database."""

from telekam.retention.risk.model import (
    ChurnModelError,
    FittedModel,
    evaluate_csv,
    evaluate_frame,
    explain,
    fit,
    predict,
)

__all__ = [
    "ChurnModelError",
    "FittedModel",
    "evaluate_csv",
    "evaluate_frame",
    "explain",
    "fit",
    "predict",
]
