"""Create an agency staff Profile (admin site access) with an assigned User Name."""

import getpass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from edgate.accounts import actions
from edgate.accounts.passwords import PasswordContext
from edgate.core.context import Ctx
from edgate.people.actions import PersonData, do_create_person


class Command(BaseCommand):
    help = (
        "Create an agency staff Profile and print its assigned User Name (password read from the terminal)."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--first-name", required=True)
        parser.add_argument("--last-name", required=True)
        parser.add_argument("--superuser", action="store_true", help="Grant every permission.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        first, last = options["first_name"], options["last_name"]
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        try:
            password_validation.validate_password(password, PasswordContext(first_name=first, last_name=last))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        ctx = Ctx.system("edgate createstaff")
        with transaction.atomic():
            person = do_create_person(
                data=PersonData(first_name=first, last_name=last), source="staff", ctx=ctx
            )
            profile = actions.do_create_profile(
                person=person,
                password_hash=actions.hash_password(password),
                hint_question="",
                hint_answer_hash="",
                ctx=ctx,
            )
            actions.do_set_privileges(
                profile=profile, is_staff=True, is_superuser=options["superuser"], groups=[], ctx=ctx
            )
        self.stdout.write(self.style.SUCCESS(f"Staff Profile created. User Name: {profile.username}"))
