"""Registering and removing OpenID Connect clients; rotating and retiring signing keys; ending
the tokens of a code used twice; a person disconnecting an application."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application as Client
from oauth2_provider.settings import oauth2_settings

from edgate.accounts.models import Profile
from edgate.audit.events import audited
from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event
from edgate.core.context import Ctx
from edgate.directory.models import Application

from . import families, keys
from .models import ClientApplication, Consent, SigningKey
from .tokens import end_family, end_tokens


class KeyInUse(Exception):
    """The signing key cannot be retired: rotate first."""


@dataclass(frozen=True)
class Registration:
    client: Client
    link: ClientApplication
    client_secret: str | None  # confidential clients only; shown once, stored hashed


def client_scopes(scopes: Iterable[str] | None) -> list[str]:
    """The scopes a client is registered for: `openid` (an OpenID Connect client cannot do
    without it) and those asked for, in the provider's order; all the provider offers when
    none are named. ValidationError for a scope the provider does not offer."""
    offered = list(oauth2_settings.SCOPES)
    if scopes is None:
        return offered
    wanted = {*scopes, "openid"}
    if unknown := sorted(wanted - set(offered)):
        raise ValidationError(
            {"scopes": [f"not offered: {' '.join(unknown)} (the scopes are {' '.join(offered)})"]}
        )
    return [scope for scope in offered if scope in wanted]


def new_client(
    *,
    name: str,
    redirect_uris: list[str],
    public: bool,
    first_party: bool,
    post_logout_redirect_uris: list[str] | tuple[str, ...] = (),
    client_secret: str = "",
) -> Client:
    """The unsaved client `do_register_client` saves; forms call its `full_clean()` to show
    the same problems (redirect URIs, name) next to their fields before anything is saved."""
    return Client(
        name=name,
        client_type=Client.CLIENT_PUBLIC if public else Client.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Client.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris),
        post_logout_redirect_uris=" ".join(post_logout_redirect_uris),
        algorithm=Client.RS256_ALGORITHM,
        skip_authorization=first_party,
        client_secret=client_secret,
        hash_client_secret=not public,
    )


@audited(EventType.SSO_CLIENT_REGISTERED)
@transaction.atomic
def do_register_client(
    *,
    name: str,
    application: Application,
    redirect_uris: list[str],
    ctx: Ctx,
    public: bool = False,
    first_party: bool = True,
    post_logout_redirect_uris: list[str] | tuple[str, ...] = (),
    client_id: str | None = None,
    scopes: Iterable[str] | None = None,
) -> Registration:
    """A client signing people in to `application` by the authorization code flow (PKCE
    always), allowed to ask for `scopes` only (`openid` always; all three when None). Raises
    ValidationError for an unusable redirect URI, name or scope."""
    allowed = client_scopes(scopes)
    secret = None if public else generate_client_secret()
    client = new_client(
        name=name,
        redirect_uris=redirect_uris,
        public=public,
        first_party=first_party,
        post_logout_redirect_uris=post_logout_redirect_uris,
        client_secret=secret or "",
    )
    if client_id:
        client.client_id = client_id
    client.full_clean()
    client.save()  # the secret is hashed here
    link = ClientApplication.objects.create(
        client=client, application=application, first_party=first_party, scopes=" ".join(allowed)
    )
    record_event(
        EventType.SSO_CLIENT_REGISTERED,
        ctx=ctx,
        target=client,
        detail={
            "client_id": client.client_id,
            "name": name,
            "application": application.code,
            "public": public,
            "first_party": first_party,
            "redirect_uris": list(redirect_uris),
            "post_logout_redirect_uris": list(post_logout_redirect_uris),
            "scopes": allowed,
        },
    )
    return Registration(client=client, link=link, client_secret=secret)


def _client_detail(client: Client) -> dict[str, str | None]:
    """What an audit event says of a client: its id and the agency application it belongs to."""
    link = ClientApplication.objects.filter(client=client).select_related("application").first()
    return {"client_id": client.client_id, "application": link.application.code if link else None}


@audited(EventType.SSO_CLIENT_REMOVED)
@transaction.atomic
def do_remove_client(*, client: Client, ctx: Ctx) -> None:
    """Removes the client with its codes and tokens: nobody signs in through it any more."""
    row = Client.objects.select_for_update().filter(pk=client.pk).first()
    if row is None:
        return  # removed already
    link = ClientApplication.objects.filter(client=row).select_related("application").first()
    detail = {
        "client_id": row.client_id,
        "name": row.name,
        "application": link.application.code if link else None,
    }
    record_event(EventType.SSO_CLIENT_REMOVED, ctx=ctx, target=row, detail=detail)
    row.delete()


@audited(EventType.SSO_KEY_ROTATED)
@transaction.atomic
def do_rotate_signing_key(*, ctx: Ctx, pem: str | None = None) -> SigningKey:
    """A new key signs from now on; the one before stays in the JWKS until retired, so the
    tokens it signed still verify."""
    previous = keys.published()
    key = keys.build_key(pem or keys.new_private_pem())
    key.save()
    record_event(
        EventType.SSO_KEY_ROTATED,
        ctx=ctx,
        target=key,
        detail={"kid": key.kid, "previous": previous[0].kid if previous else None},
    )
    return key


@audited(EventType.SSO_KEY_RETIRED)
@transaction.atomic
def do_retire_signing_key(*, key: SigningKey, ctx: Ctx) -> SigningKey:
    """Takes an older key out of the JWKS; tokens it signed no longer verify."""
    current = keys.published()
    if current and current[0].pk == key.pk:
        raise KeyInUse("this key signs tokens now; rotate first, then retire it")
    row = SigningKey.objects.select_for_update().get(pk=key.pk)
    if row.retired_at is None:
        row.retired_at = timezone.now()
        row.save(update_fields=["retired_at"])
        record_event(EventType.SSO_KEY_RETIRED, ctx=ctx, target=row, detail={"kid": row.kid})
    return row


@audited(EventType.SSO_CODE_REUSED)
@transaction.atomic
def do_end_reused_code(*, client: Client, code: str, ctx: Ctx) -> int | None:
    """An authorization code presented again after it was exchanged: the exchange is refused
    (by the caller) and the tokens the first exchange gave, with every rotation since, are
    revoked (RFC 6749 §4.1.2; RFC 9700 §4.2.4): one of the two exchanges was not the client's.
    Answers how many live tokens ended, or None for a code never exchanged here."""
    begun = families.of_code(client, code)
    if not begun:
        return None
    ended = sum(end_family(row.family) for row in begun)
    record_event(
        EventType.SSO_CODE_REUSED,
        ctx=ctx,
        target=begun[0].profile,
        outcome=Outcome.DENIED,
        detail={
            **_client_detail(client),
            "tokens_ended": ended,
        },
    )
    return ended


@audited(EventType.SSO_CONSENT_WITHDRAWN)
@transaction.atomic
def do_disconnect_client(*, profile: Profile, client: Client, ctx: Ctx) -> int:
    """The person withdraws what they allowed `client`: its access, refresh and ID tokens and
    unexchanged codes end, and so does the remembered consent (sso/consent.py), so a
    third-party client asks again. Answers how many tokens ended."""
    ended = end_tokens(profile, client)
    Consent.objects.filter(profile=profile, client=client).delete()
    record_event(
        EventType.SSO_CONSENT_WITHDRAWN,
        ctx=ctx,
        target=profile,
        detail={
            **_client_detail(client),
            "tokens_ended": ended,
        },
    )
    return ended


@audited(EventType.SSO_CONSENT_GIVEN)
@transaction.atomic
def do_give_consent(*, profile: Profile, client: Client, scopes: Iterable[str], ctx: Ctx) -> Consent:
    """The person's "Allow" on the consent page: remembered from now, for these scopes, for at
    most EDGATE_OIDC_REFRESH_MAX_SECONDS (sso/consent.py); a new "Allow" starts it again."""
    allowed = sorted(set(scopes))
    row, _ = Consent.objects.update_or_create(
        profile=profile, client=client, defaults={"scopes": " ".join(allowed), "given_at": timezone.now()}
    )
    record_event(
        EventType.SSO_CONSENT_GIVEN,
        ctx=ctx,
        target=profile,
        detail={
            **_client_detail(client),
            "scopes": allowed,
        },
    )
    return row


@audited(EventType.SSO_CLIENT_SCOPES_CHANGED)
@transaction.atomic
def do_set_client_scopes(*, client: Client, scopes: Iterable[str], ctx: Ctx) -> ClientApplication:
    """What `client` may ask for from now on (`openid` always). Narrowing takes effect at once:
    a new authorization asking for more is refused (invalid_scope), and so is a refresh of
    tokens granted a scope since withdrawn (validators.py validate_refresh_token), so the client
    sends the person through the authorization endpoint again. ValidationError for a scope the
    provider does not offer."""
    allowed = client_scopes(scopes)
    link = ClientApplication.objects.select_for_update().select_related("application").get(client=client)
    before = sorted(link.allowed_scopes())
    link.scopes = " ".join(allowed)
    link.save(update_fields=["scopes"])
    record_event(
        EventType.SSO_CLIENT_SCOPES_CHANGED,
        ctx=ctx,
        target=link,
        detail={
            "client_id": client.client_id,
            "application": link.application.code,
            "before": before,
            "after": sorted(allowed),
        },
    )
    return link
