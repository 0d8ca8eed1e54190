"""`manage.py import_surveys FILE --user USERNAME`: import satisfaction survey results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telekam.core.errors import ApplicationError
from telekam.org.commands import command_actor
from telekam.org.models import Role
from telekam.service.services import survey_import
from telekam.service.surveys_import import SurveyImportInvalid


class Command(BaseCommand):
    help = (
        "导入满意度调查结果（CSV 或 .xlsx）：整个文件全部导入或一行也不导入；"
        "同一客户同一调查的已有结果被替换。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV（UTF-8 或 GBK）或 .xlsx 文件")
        parser.add_argument(
            "--user",
            "--as",
            dest="user",
            metavar="USERNAME",
            help="以该用户身份导入（默认：第一位在职的客服回访人员，其次是部门经理、系统管理员）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from exc
        actor = command_actor(
            options["user"], roles=(Role.SERVICE_DESK, Role.DEPARTMENT_HEAD, Role.ADMIN)
        )
        try:
            result = survey_import(actor=actor, file_name=path.name, content=content)
        except SurveyImportInvalid as exc:
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
                f"已导入 {result.file_name}：{result.row_count} 条调查结果，"
                f"替换已有结果 {result.replaced} 条（导入编号 {result.pk}）。"
            )
        )
