"""Lift a sign-in lock (customer service, after checking who is calling)."""

from django.core.management.base import BaseCommand, CommandError

from edgate.accounts.actions import do_lift_sign_in_lock
from edgate.accounts.models import Profile
from edgate.core.context import Ctx


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
        profile = Profile.objects.find_by_username(options["username"])
        if profile is None:
            raise CommandError("No Profile has that User Name.")
        agent = Profile.objects.find_by_username(options["by"]) if options["by"] else None
        if options["by"] and agent is None:
            raise CommandError("--by names no Profile.")
        ctx = (
            Ctx(actor_id=agent.pk, actor_label=f"{agent.username} via edgate unlock")
            if agent
            else Ctx.system("edgate unlock")
        )
        do_lift_sign_in_lock(profile=profile, ctx=ctx)
        self.stdout.write(f"Sign-in lock lifted for {profile.username}.")
