"""`telekam retention fit --survivors 1000,800,670,580,515 [--ahead 5]`: fit the
shifted-beta-geometric retention model to one cohort (customers still active at the start
of each period, period 0 first) and print JSON with alpha, beta, the log-likelihood and the
projected survivors of the next periods."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telekam.value.sbg import SbgError, fit


def _survivors(text: str) -> list[int]:
    values = []
    for part in text.replace(" ", "").split(","):
        if not part.isdigit():
            raise CommandError(f"--survivors: not a whole number: {part!r}")
        values.append(int(part))
    return values


class Command(BaseCommand):
    help = "客户保持曲线（sBG 模型）：fit 按队列各期期初在网客户数拟合 alpha、beta，输出 JSON。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        fit_parser = sub.add_parser("fit", help="fit alpha and beta to one cohort's survivors")
        fit_parser.add_argument(
            "--survivors",
            required=True,
            help="customers active at the start of each period, period 0 first: 1000,800,670",
        )
        fit_parser.add_argument(
            "--ahead", type=int, default=5, help="periods to project (default 5)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["ahead"] < 1 or options["ahead"] > 1000:
            raise CommandError("--ahead must be between 1 and 1000")
        try:
            result = fit(_survivors(options["survivors"]))
        except SbgError as exc:
            raise CommandError(str(exc)) from None
        k = result.periods
        report = {
            "alpha": result.alpha,
            "beta": result.beta,
            "log_likelihood": result.log_likelihood,
            "projected_survivors": result.projected_survivors(options["ahead"]),
            "observed_survivors": list(result.survivors),
            "fitted_survivors": [result.survivors[0] * s for s in result.survival(k)],
            "retention_rates": result.retention_rates(k + options["ahead"]),
        }
        self.stdout.write(json.dumps(report))
