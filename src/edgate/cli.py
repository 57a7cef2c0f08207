"""The `edgate` console command: every management task, Django's and ours."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"]:
        # The production server, not a management command: gunicorn's master process must
        # not set Django up (its workers do, on every start and on every graceful reload).
        from edgate.serve import main as serve

        serve(args[1:])
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgate.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["edgate", *args])


if __name__ == "__main__":
    main()
