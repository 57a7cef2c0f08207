from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Refused: User Names are assigned, never chosen. Use `edgate createstaff`."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("args", nargs="*")
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument("--noinput", "--no-input", action="store_true")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        raise CommandError(
            "User Names are assigned automatically and never chosen. "
            "Create agency staff with `edgate createstaff --first-name … --last-name …`."
        )
