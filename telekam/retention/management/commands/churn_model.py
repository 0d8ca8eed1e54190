"""`telekam churn-model evaluate --csv FILE --target COLUMN`: how well the churn model
separates churners in any CSV (stratified 75/25 split, seed 42); prints the figures as JSON
and nothing else.

`telekam churn-model train`: train on the operator's history and score today's key accounts
(`retention.risk.train.risk_model_train`); prints a one-line summary."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "流失风险模型：evaluate 在任意 CSV 上评估模型（输出 JSON）；train 用历史数据训练并为大客户评分。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help="ROC AUC and top-decile precision on a CSV")
        evaluate.add_argument("--csv", dest="csv", required=True, help="a UTF-8 CSV file")
        evaluate.add_argument(
            "--target", required=True, help="the churn column (two values: 1/0, Yes/No, ...)"
        )
        sub.add_parser("train", help="train on the last 180 days and score active key accounts")

    def handle(self, *args: Any, **options: Any) -> None:
        from telekam.retention.risk.model import ChurnModelError

        try:
            if options["action"] == "evaluate":
                self._evaluate(options["csv"], options["target"])
            else:
                self._train()
        except ChurnModelError as exc:
            raise CommandError(str(exc)) from None

    def _evaluate(self, path: str, target: str) -> None:
        from telekam.retention.risk.model import evaluate_csv

        report = evaluate_csv(path, target)
        self.stdout.write(json.dumps(report, ensure_ascii=False))

    def _train(self) -> None:
        from telekam.core import clock
        from telekam.retention.models import RunStatus
        from telekam.retention.risk.train import risk_model_train

        run = risk_model_train(today=clock.today())
        if run.status != RunStatus.DONE:
            raise CommandError(
                _("流失风险模型作业 #%(run)s 失败：%(error)s") % {"run": run.pk, "error": run.error}
            )
        report = run.report
        auc_kind = _("留出集") if report.get("auc_kind") == "holdout" else _("训练集内")
        self.stdout.write(
            _(
                "流失风险模型作业 #%(run)s 完成：以 %(snapshot)s 为快照训练 %(rows)d 个客户"
                "（其后 %(days)d 天内流失 %(pos)d 个），%(kind)s AUC %(auc)s；"
                "已为 %(scored)d 个在网大客户评分。"
            )
            % {
                "run": run.pk,
                "snapshot": report["snapshot"],
                "rows": report["training_rows"],
                "days": report["horizon_days"],
                "pos": report["positives"],
                "kind": auc_kind,
                "auc": report["auc"],
                "scored": report["scored"],
            }
        )
