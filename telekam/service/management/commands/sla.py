"""`telekam sla check`: the SLA quick question from the command line, answered as JSON.
`telekam sla sweep`: run the desk's scheduled sweep once now (what the job runner does
every ten minutes); prints what it did as JSON."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telekam.core.errors import ApplicationError
from telekam.service.selectors import sla_check


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from None


def _money(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise CommandError(f"金额无效：{value}") from None
    if not amount.is_finite():
        raise CommandError(f"金额无效：{value}")
    return amount


class Command(BaseCommand):
    help = "开通时限：sla check 计算截止日期、迟延工作日与赔付金额（输出 JSON）。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="if accepted on a day: deadline and compensation")
        check.add_argument(
            "--product", required=True, help="digital_circuit, ddn, frame_relay, atm, ..."
        )
        check.add_argument(
            "--class", dest="sla_class", required=True, help="special, urgent, normal"
        )
        check.add_argument("--accepted", required=True, help="YYYY-MM-DD (not counted)")
        check.add_argument("--activated", help="YYYY-MM-DD")
        check.add_argument("--one-time-fee", dest="fee", help="one-time fee in yuan")
        sub.add_parser("sweep", help="check deadlines, open callbacks, warn owners (idempotent)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sweep":
            from telekam.core import clock
            from telekam.service.jobs import sla_sweep

            self.stdout.write(json.dumps(sla_sweep(now=clock.now()).as_dict()))
            return
        try:
            answer = sla_check(
                product=options["product"],
                sla_class=options["sla_class"],
                accepted=_date(options["accepted"]),
                activated=_date(options["activated"]) if options.get("activated") else None,
                one_time_fee=_money(options["fee"]) if options.get("fee") else None,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(json.dumps(answer.as_json(), ensure_ascii=False, indent=2))
