"""Issue a one-time activation code (customer service, after checking who is calling)."""

from django.core.management.base import BaseCommand, CommandError

from edgate.accounts.actions import do_issue_activation_code
from edgate.accounts.models import CodePurpose, Status
from edgate.console.agents import agent_ctx, profile_named


class Command(BaseCommand):
    help = (
        "edgate activation issue --username NAME [--purpose recovery|setup|enrol] [--by AGENT]: print a "
        "one-time code for the Profile (recovery: choose a new password without the hint question — "
        "the only way for agency staff and Directory Administrators; setup: claim a pre-created "
        "Profile; enrol: attach the authenticator app a privileged Profile signs in with). Any "
        "earlier unused code for the same purpose stops working. The code is shown "
        "once and never stored."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue", help="Issue a new code.")
        issue.add_argument("--username", required=True)
        issue.add_argument("--purpose", choices=[p.value for p in CodePurpose], default=CodePurpose.RECOVERY)
        issue.add_argument("--by", default="", help="User Name of the agent issuing it (for the audit log).")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        profile = profile_named(options["username"])
        purpose = CodePurpose(options["purpose"])
        expected = Status.AWAITING_SETUP if purpose == CodePurpose.SETUP else Status.ACTIVE
        if profile.status != expected:
            raise CommandError(
                f"That Profile is {profile.get_status_display().lower()}; a {purpose.value} code needs "
                f"it to be {Status(expected).label.lower()}."
            )
        ctx = agent_ctx(options["by"], "edgate activation")
        code, row = do_issue_activation_code(profile=profile, purpose=purpose, ctx=ctx)
        self.stdout.write(f"username={profile.username}")
        self.stdout.write(f"code={code}")
        self.stdout.write(f"expires_at={row.expires_at.isoformat()}")
