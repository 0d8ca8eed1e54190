"""`telekam import-cancellations FILE --user NAME`: import cancellation orders (CSV/xlsx)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telekam.core.errors import ApplicationError
from telekam.org.models import User
from telekam.retention.services import CancellationImportInvalid, cancellations_import


class Command(BaseCommand):
    help = "Import cancellation orders; any bad row and nothing is imported."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="who imports (head, analyst or admin)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no such user: {options['user']}")
        try:
            run = cancellations_import(actor=user, file_name=path.name, content=path.read_bytes())
        except CancellationImportInvalid as exc:
            for e in exc.details or []:
                self.stderr.write(f"line {e['line']}, {e['column']} {e['value']!r}: {e['message']}")
            raise CommandError(exc.message) from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"run #{run.pk}: {run.report}")
