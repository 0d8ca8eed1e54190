"""`telekam grade_list generate|show|approve --year YEAR`: the yearly key-account list."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telekam.accounts import grading
from telekam.accounts.models import KeyAccountList
from telekam.core.errors import ApplicationError
from telekam.org.commands import command_actor
from telekam.org.models import Role


def _month(value: str) -> dt.date:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CommandError(f"月份格式应为 YYYY-MM：{value}")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


class Command(BaseCommand):
    help = "年度大客户名单：generate 生成（或重新生成）草稿，show 查看汇总，approve 审批。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["generate", "show", "approve"])
        parser.add_argument("--year", type=int, required=True, help="名单年度，例如 2027")
        parser.add_argument(
            "--through", type=_month, help="统计截止月 YYYY-MM（默认：上年 12 月或最近账期）"
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="操作人用户名（默认：第一位在职的部门经理）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year: int = options["year"]
        action: str = options["action"]
        try:
            if action == "generate":
                actor = command_actor(
                    options["as_user"], roles=(Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMIN)
                )
                key_list = grading.key_list_generate(
                    actor=actor, year=year, through=options["through"]
                )
                self.stdout.write(
                    self.style.SUCCESS(
                        f"已生成 {year} 年度名单草稿（统计 {key_list.window_start:%Y-%m} 至 "
                        f"{key_list.window_end:%Y-%m}）。"
                    )
                )
                self._show(key_list)
            elif action == "show":
                self._show(self._list(year))
            else:
                actor = command_actor(options["as_user"], roles=(Role.DEPARTMENT_HEAD,))
                key_list = self._list(year)
                grading.key_list_approve(
                    actor=actor, key_list=key_list, expected_version=key_list.version
                )
                self.stdout.write(self.style.SUCCESS(f"{year} 年度大客户名单已审批。"))
                self._show(key_list)
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=1) from exc

    def _list(self, year: int) -> KeyAccountList:
        key_list = KeyAccountList.objects.filter(year=year).first()
        if key_list is None:
            raise CommandError(f"{year} 年度名单尚未生成，请先运行 grade_list generate。")
        return key_list

    def _show(self, key_list: KeyAccountList) -> None:
        summary = grading.key_list_summary(key_list)
        w = self.stdout.write
        w(
            f"{key_list.year} 年度名单（{key_list.get_status_display()}，第 {key_list.version} 版，"
            f"统计 {key_list.window_start:%Y-%m} 至 {key_list.window_end:%Y-%m}）"
        )
        w(
            f"参评客户 {summary.entries} 个；大客户 现 {summary.key_current} → 建议 "
            f"{summary.key_proposed} → 审定 {summary.key_decided}；无账单 {summary.no_billing}"
        )
        for label, counts in (("建议", summary.proposed), ("审定", summary.decided)):
            w(
                f"{label}：新进 {counts.joins}，退出 {counts.drops}，升级 {counts.promotions}，"
                f"降级 {counts.demotions}，不变 {counts.unchanged}"
            )
        w(f"人工调整 {summary.overridden} 项")
        w(f"{'等级':<10}{'现有':>8}{'建议':>8}{'审定':>8}")
        for row in summary.by_grade:
            name = str(row.band) if row.band else f"{grading.segment_label(row.segment)}（无等级）"
            w(f"{name:<10}{row.current:>8}{row.proposed:>8}{row.decided:>8}")
