"""The `edgate` console command: every management task, Django's and ours."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgate.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["edgate", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
