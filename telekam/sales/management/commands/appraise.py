"""`telekam appraise --cashflows -1000,300,400,500 --rate 0.08 [--period month|year]`: the
figures of a project evaluation (NPV, every IRR, payback, ROI) as JSON.

Flow 0 falls at time 0; the rate is the annual discount rate. With `--period year` (the
default) each flow is a year and the rate is used as it is; with `--period month` each flow
is a month and the rate per period is the effective monthly rate (1 + rate)^(1/12) - 1.
The IRRs are per period (`irrs`) and annualised (`irrs_annual`); [] when there is none."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telekam.core.errors import ApplicationError
from telekam.sales.appraisal import appraise


def _cashflows(text: str) -> list[Decimal]:
    items = [item.strip() for item in text.replace("，", ",").split(",")]
    if items == [""]:
        raise CommandError("现金流不能为空：请给出逗号分隔的各期金额，如 -1000,300,400,500。")
    flows = []
    for period, item in enumerate(items):
        try:
            flows.append(Decimal(item))
        except InvalidOperation:
            raise CommandError(f"第 {period} 期现金流不是数字：{item!r}") from None
    return flows


def _rate(text: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise CommandError(f"折现率不是数字：{text!r}（年利率，0.08 表示 8%）") from None


def _negative(arg: str) -> bool:
    return len(arg) > 1 and arg[0] == "-" and (arg[1].isdigit() or arg[1] == ".")


class Command(BaseCommand):
    help = "项目评估：净现值、全部内部收益率、回收期与投资回报率（输出 JSON）。"

    def add_arguments(self, parser: CommandParser) -> None:
        # Not `required=True`: call_command() would then hand "-1000,..." to argparse as a
        # separate word, which argparse takes for an option. handle() asks for them instead.
        parser.add_argument(
            "--cashflows",
            help="required; comma-separated flows, flow 0 at time 0, outflows negative: "
            "-1000,300,400,500",
        )
        parser.add_argument(
            "--rate", help="required; annual discount rate as a fraction: 0.08 = 8 %%"
        )
        parser.add_argument(
            "--period",
            default="year",
            help="year (default): one flow a year; month: one flow a month, "
            "discounted at the effective monthly rate",
        )

    def run_from_argv(self, argv: list[str]) -> None:
        # argparse takes "-1000,300" (or "-5e-2") for an option, not a value: glue such a
        # value to its option (`--cashflows=-1000,300`) before it parses.
        glued: list[str] = []
        for arg in argv:
            if glued and glued[-1] in ("--cashflows", "--rate") and _negative(arg):
                glued[-1] = f"{glued[-1]}={arg}"
            else:
                glued.append(arg)
        super().run_from_argv(glued)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["cashflows"] is None:
            raise CommandError(
                "请用 --cashflows 给出各期现金流，如 --cashflows=-1000,300,400,500。"
            )
        if options["rate"] is None:
            raise CommandError("请用 --rate 给出年折现率，如 --rate 0.08（即 8%）。")
        flows = _cashflows(options["cashflows"])
        rate = _rate(options["rate"])
        try:
            result = appraise(flows=flows, rate=rate, period=options["period"])
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
