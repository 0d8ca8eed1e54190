"""`telekam demo [--seed N] [--scale F] [--reset]`: load the demo data once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from telekam.demo.generator import (
    DEFAULT_SEED,
    conflicting_usernames,
    demo_logins,
    demo_present,
    generate,
    reset,
)


class Command(BaseCommand):
    verbosity = 1
    help = (
        "生成演示数据（员工、约 4,000 大客户与 3,000 商业客户、24 个月账单）。"
        "已有数据时不重复生成；--reset 先删除全部客户及其数据和演示用户再重新生成。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="随机种子（默认 %(default)s）"
        )
        parser.add_argument(
            "--scale", type=float, default=1.0, help="数据规模系数，如 0.02 用于测试（默认 1）"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="删除所有客户（含下属数据、账单、审计记录）和演示用户后重新生成",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale = options["scale"]
        self.verbosity = options["verbosity"]
        if not 0 < scale <= 5:
            raise CommandError("--scale 须在 (0, 5] 之间")
        if not options["reset"] and demo_present():
            self.stdout.write(
                "演示数据已存在（或库中已有客户数据），未重复生成。如需重建请加 --reset。"
            )
            self._print_logins()
            return
        # One transaction: a failed regeneration leaves the old data in place.
        with transaction.atomic():
            if options["reset"]:
                reset()
                self.stdout.write("已删除原有演示数据。")
            taken = conflicting_usernames()
            if taken:
                raise CommandError(
                    f"以下用户名已被占用，无法生成演示用户：{', '.join(taken)}。请加 --reset 或改名。"
                )
            result = generate(seed=options["seed"], scale=scale, progress=self._progress)
        counts = "，".join(f"{name} {value}" for name, value in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"演示数据已生成（{result.seconds:.1f} 秒）：{counts}")
        )
        self._print_logins()

    def _progress(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(f"  {message}")

    def _print_logins(self) -> None:
        rows = demo_logins()
        width = max(len(username) for username, _label, _password in rows)
        self.stdout.write("\n演示账号 / Demo logins:")
        for username, label, password in rows:
            self.stdout.write(f"  {username:<{width}}  {password}  {label}")
