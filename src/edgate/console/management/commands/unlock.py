"""Lift a sign-in lock (customer service, after checking who is calling)."""

from django.core.management.base import BaseCommand

from edgate.accounts.actions import do_lift_sign_in_lock
from edgate.console.agents import agent_ctx, profile_named


class Command(BaseCommand):
    help = (
        "edgate unlock --username NAME [--by AGENT]: end the temporary sign-in lock and delay of a "
        "User Name (after too many wrong passwords, whoever typed them). A Profile an administrator "
        "locked or disabled stays so: that is its status, changed in the admin."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--username", required=True)
        parser.add_argument("--by", default="", help="User Name of the agent (for the audit log).")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        profile = profile_named(options["username"])
        do_lift_sign_in_lock(profile=profile, ctx=agent_ctx(options["by"], "edgate unlock"))
        self.stdout.write(f"Sign-in lock lifted for {profile.username}.")
