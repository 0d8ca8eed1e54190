"""`telekam import_billing FILE [--as USERNAME]`: import a billing statement (CSV or .xlsx)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telekam.billing.errors import BillingImportInvalid
from telekam.billing.services import billing_import
from telekam.core.errors import ApplicationError
from telekam.org.commands import command_actor
from telekam.org.models import Role


class Command(BaseCommand):
    help = "导入账单文件（CSV 或 .xlsx）：同一客户同一账期的已有明细被文件中的明细替换。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV（UTF-8 或 GBK）或 .xlsx 文件")
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="以该用户身份导入（默认：第一位在职的部门经理，其次是系统管理员）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from exc
        actor = command_actor(options["as_user"], roles=(Role.DEPARTMENT_HEAD, Role.ADMIN))
        try:
            result = billing_import(actor=actor, file_name=path.name, content=content)
        except BillingImportInvalid as exc:
            for error in exc.details:
                where = f"第 {error['line']} 行" if error["line"] else "文件"
                column = f"［{error['column']}］" if error["column"] else ""
                value = f"“{error['value']}”" if error["value"] else ""
                self.stderr.write(f"{where}{column}{value}：{error['message']}")
            raise CommandError(exc.message, returncode=1) from exc
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入 {result.file_name}：{result.row_count} 行，{result.account_count} 个客户，"
                f"账期 {'、'.join(result.months)}，金额合计 {result.total_amount} 元，"
                f"替换原有明细 {result.replaced_lines} 条（导入编号 {result.pk}）。"
            )
        )
