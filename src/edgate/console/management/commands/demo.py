import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from edgate.console import demo
from edgate.core.context import Ctx
from edgate.matching.models import CaseStatus


class Command(BaseCommand):
    help = "Load synthetic demo data (idempotent) and print identities that lead to each outcome."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "Load into the configured database even outside the development settings: synthetic "
                "people, Profiles whose password this command prints, and administrator accounts. "
                "Only for a database of its own, never one with real people."
            ),
        )
        parser.add_argument(
            "--accounts-json",
            type=Path,
            metavar="FILE",
            help=(
                "Also write the sign-in accounts to FILE as a JSON list of "
                "{role, organization, username, password, totp_secret}."
            ),
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        # Asked of the settings, not of DEBUG: `make run` loads the demo with DEBUG off.
        if not settings.DEMO_DATA_ALLOWED and not options["force"]:
            raise CommandError(
                "Demo data is for trying EdGate out: refusing outside the development settings. It adds "
                "synthetic people, Profiles whose password it prints, and administrator accounts "
                "to the configured database; --force loads them anyway, and is only for a database of "
                "the demo's own, never one with real people."
            )
        try:
            result = demo.load(Ctx.system("edgate demo"))
        except demo.NotTheDemosRecord as refused:
            raise CommandError(str(refused)) from None
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo data ready: {result['people']} people on file."))
        out.write("\nTry these at /register/ (all synthetic):")
        for ident in result["identities"]:
            ssn = f"{ident.ssn[:3]}-{ident.ssn[3:5]}-{ident.ssn[5:]}"
            out.write(
                f"  • {ident.outcome}: {ident.first_name} {ident.last_name}, "
                f"born {ident.date_of_birth:%B %d %Y}, SSN {ssn} {ident.note}".rstrip()
            )
        duplicate, survivor = result["duplicate"]
        out.write(f"\nDuplicate to merge: {duplicate} into {survivor}")
        dirty = result["data_quality"]
        page = reverse("backoffice:service_profile", kwargs={"profile": dirty.pk})
        out.write(
            f"Data-quality problem to look at: {dirty.username}, imported with an impossible date of birth "
            f"(customer service console: {page})"
        )
        out.write(f"\nSign in at /login/ with password “{demo.DEMO_PASSWORD}”:")
        for account in result["accounts"]:
            second = f" — TOTP secret (base32) {account.totp_secret}" if account.totp_secret else ""
            out.write(f"  • {account.label}: {account.username}{second}")
        out.write(
            "  (a second factor: add the secret to an authenticator app, or `oathtool --totp -b SECRET`)"
        )
        out.write("\nOpen cases: registrations a partial match blocked on page 1, for the back office:")
        for item in result["cases"]:
            if item.case is None:
                out.write(f"  • none opened ({item.queue}): the matcher no longer calls it a partial match")
                continue
            case = item.case
            page = reverse("backoffice:case", kwargs={"reference": case.reference})
            status = "" if case.status == CaseStatus.OPEN else f" [{case.get_status_display().lower()} since]"
            out.write(f"  • {case.reference}, {item.queue}{status}: {item.what_to_try} (console: {page})")
        out.write("\nApplications that sign in through the portal (OpenID Connect, public clients):")
        for link in result["clients"]:
            out.write(f"  • {link.application.code}: client_id={link.client.client_id}")
        if options["accounts_json"]:
            accounts = [
                {
                    "role": account.role,
                    "organization": account.organization,
                    "username": account.username,
                    "password": demo.DEMO_PASSWORD,
                    "totp_secret": account.totp_secret,
                }
                for account in result["accounts"]
            ]
            options["accounts_json"].write_text(json.dumps(accounts, indent=2) + "\n", encoding="utf-8")
