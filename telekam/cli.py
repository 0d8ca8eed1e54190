"""The `telekam` console command: every management task runs through it.

`telekam demo`, `telekam import-billing FILE`, `telekam grade-list ...`, `telekam serve` and
all of Django's own commands (migrate, createsuperuser, ...) are management commands of the
product's apps; this entry point only chooses the settings module.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    args = list(argv if argv is not None else sys.argv)
    # `telekam import-billing` and `telekam import_billing` are the same command.
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
