"""`edgate oidc keys list|rotate|retire KID`: the keys that sign ID tokens."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from edgate.core.context import Ctx
from edgate.sso import actions, keys
from edgate.sso.models import SigningKey


class Command(BaseCommand):
    help = "ID-token signing keys: list them, rotate (a new key signs), retire an older key."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="what", required=True)
        key_parser = sub.add_parser("keys", help="Signing keys.")
        key_sub = key_parser.add_subparsers(dest="action", required=True)
        key_sub.add_parser("list", help="Every key: signing, published (in the JWKS) or retired.")
        key_sub.add_parser("rotate", help="Make a new key and sign with it; older keys stay published.")
        key_sub.add_parser("ensure", help="Make a key only when there is none (for `make run`).")
        retire = key_sub.add_parser("retire", help="Take an older key out of the JWKS.")
        retire.add_argument("kid")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        ctx = Ctx.system("edgate oidc")
        action = options["action"]
        if action == "list":
            published = keys.published()
            signing = published[0].pk if published else None
            for key in SigningKey.objects.all():
                state = "signing" if key.pk == signing else "retired" if key.retired_at else "published"
                self.stdout.write(f"{key.kid}\t{state}\tcreated {key.created_at:%Y-%m-%d %H:%M}")
        elif action == "ensure":
            if keys.published():
                self.stdout.write("A signing key is in place.")
            else:
                key = actions.do_rotate_signing_key(ctx=ctx)
                self.stdout.write(f"New signing key {key.kid}")
        elif action == "rotate":
            key = actions.do_rotate_signing_key(ctx=ctx)
            self.stdout.write(f"New signing key {key.kid}; the previous one stays in the JWKS until retired.")
        else:
            key = SigningKey.objects.filter(kid=options["kid"]).first()
            if key is None:
                raise CommandError(f"No key {options['kid']!r} (see `edgate oidc keys list`).")
            try:
                actions.do_retire_signing_key(key=key, ctx=ctx)
            except actions.KeyInUse as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Retired {key.kid}: no longer in the JWKS.")
