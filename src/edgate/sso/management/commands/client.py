"""`edgate client add|scopes|list|remove`: OpenID Connect clients of the portal."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from oauth2_provider.models import Application as Client
from oauth2_provider.settings import oauth2_settings

from edgate.core.context import Ctx
from edgate.directory.models import Application
from edgate.sso import actions
from edgate.sso.models import ClientApplication


class Command(BaseCommand):
    help = "Register, list and remove the applications that sign people in through the portal (OIDC)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Register a client; prints client_id (and client_secret, once).")
        add.add_argument("--name", required=True)
        add.add_argument("--application", required=True, metavar="CODE", help="e.g. DROPBOX")
        add.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        add.add_argument(
            "--post-logout-redirect-uri", action="append", default=[], dest="post_logout_redirect_uris"
        )
        add.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=list(oauth2_settings.SCOPES),
            help="A scope the client may ask for (repeat; openid always). Default: openid profile email.",
        )
        add.add_argument(
            "--public", action="store_true", help="No client secret (a browser or mobile app): PKCE only."
        )
        add.add_argument(
            "--third-party", action="store_true", help="Not the agency's own: people see a consent page."
        )
        scopes = sub.add_parser(
            "scopes", help="Set what a client may ask for (openid always); narrowing ends its refreshes."
        )
        scopes.add_argument("client_id")
        scopes.add_argument(
            "--scope", action="append", required=True, dest="scopes", choices=list(oauth2_settings.SCOPES)
        )
        sub.add_parser("list", help="One line per client.")
        remove = sub.add_parser("remove", help="Remove a client and its tokens.")
        remove.add_argument("client_id")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        ctx = Ctx.system("edgate client")
        return getattr(self, f"_{options['action']}")(options, ctx)

    def _add(self, options, ctx: Ctx) -> None:  # type: ignore[no-untyped-def]
        application = Application.objects.filter(code=options["application"]).first()
        if application is None:
            codes = ", ".join(Application.objects.values_list("code", flat=True)) or "none yet"
            raise CommandError(f"No application {options['application']!r} (known: {codes}).")
        try:
            registration = actions.do_register_client(
                name=options["name"],
                application=application,
                redirect_uris=options["redirect_uris"],
                post_logout_redirect_uris=options["post_logout_redirect_uris"],
                public=options["public"],
                first_party=not options["third_party"],
                scopes=options["scopes"],
                ctx=ctx,
            )
        except ValidationError as exc:
            problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
            raise CommandError(f"Not registered: {problems}") from exc
        self.stdout.write(f"client_id={registration.client.client_id}")
        if registration.client_secret:
            self.stdout.write(f"client_secret={registration.client_secret}")
            self.stderr.write("The client secret is shown only now; only its hash is kept.")

    def _list(self, options, ctx: Ctx) -> None:  # type: ignore[no-untyped-def]
        links = {link.client_id: link for link in ClientApplication.objects.select_related("application")}
        for client in Client.objects.order_by("name"):
            link = links.get(client.pk)
            self.stdout.write(
                "\t".join(
                    [
                        client.client_id,
                        client.name,
                        link.application.code if link else "-",
                        client.client_type,
                        "first-party" if link and link.first_party else "third-party",
                        client.redirect_uris,
                        link.scopes if link else "-",
                    ]
                )
            )

    def _scopes(self, options, ctx: Ctx) -> None:  # type: ignore[no-untyped-def]
        client = Client.objects.filter(client_id=options["client_id"]).first()
        if client is None or not ClientApplication.objects.filter(client=client).exists():
            raise CommandError(f"No client {options['client_id']!r}.")
        link = actions.do_set_client_scopes(client=client, scopes=options["scopes"], ctx=ctx)
        self.stdout.write(f"Client {client.client_id} may now ask for: {link.scopes}")

    def _remove(self, options, ctx: Ctx) -> None:  # type: ignore[no-untyped-def]
        client = Client.objects.filter(client_id=options["client_id"]).first()
        if client is None:
            raise CommandError(f"No client {options['client_id']!r}.")
        actions.do_remove_client(client=client, ctx=ctx)
        self.stdout.write(f"Removed client {client.client_id} ({client.name}); its tokens no longer work.")
