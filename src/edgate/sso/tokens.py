"""Ending a person's tokens: at one client (RP-initiated logout, the person's own withdrawal), at
every client when their password changes, or one family when the code that began it is used
again."""

from __future__ import annotations

from typing import Any

from oauth2_provider.models import AccessToken, Grant, RefreshToken
from oauth2_provider.models import Application as Client

from . import families


def end_tokens(user: Any, client: Client | None = None) -> int:
    """Revoke the person's access and refresh tokens (and ID tokens), at one client or, with
    no client, at every client; authorization codes not yet exchanged there are deleted too (a
    code minted before a password change would otherwise still buy fresh tokens for its last
    seconds). Their families end first (families.end_now), so a refresh racing this one gets
    nothing that lasts. Answers how many access and refresh tokens were ended."""
    families.end_now(profile=user, client=client)
    refresh_tokens = RefreshToken.objects.filter(user=user, revoked__isnull=True)
    access_tokens = AccessToken.objects.filter(user=user)
    codes = Grant.objects.filter(user=user)
    if client is not None:
        refresh_tokens = refresh_tokens.filter(application=client)
        access_tokens = access_tokens.filter(application=client)
        codes = codes.filter(application=client)
    codes.delete()
    live_refresh = list(refresh_tokens)
    ended = 0
    for token in access_tokens.select_related("id_token"):
        if token.id_token:
            token.id_token.revoke()
        token.revoke()
        ended += 1
    for refresh_token in live_refresh:
        refresh_token.revoke()
        ended += 1
    return ended


def end_family(family: Any) -> int:
    """Revoke a refresh-token family (every rotation of one code exchange) with its live access
    and ID tokens. Answers how many live access and refresh tokens were ended."""
    families.end_now(family=family)
    members = RefreshToken.objects.filter(token_family=family)
    access_tokens = list(
        AccessToken.objects.filter(pk__in=members.values("access_token_id")).select_related("id_token")
    )
    ended = len(access_tokens) + members.filter(revoked__isnull=True).count()
    for token in access_tokens:
        if token.id_token:
            token.id_token.revoke()
    RefreshToken.revoke_family(family)
    return ended


def on_password_changed(sender: object, profile: Any, **kwargs: Any) -> int:
    """accounts.signals.password_changed: a new password (changed, or reset through recovery)
    ends the Profile's tokens at every client, as it ends every other portal session. Whoever
    signed in to an application with the old password keeps no refresh token nor userinfo
    access there."""
    return end_tokens(profile)


def on_sessions_ended(sender: object, profile: Any, **kwargs: Any) -> int:
    """accounts.signals.sessions_ended: a Profile locked, disabled or merged away loses its
    tokens at every client, as it loses its portal sessions. Refused while it is not active
    (sso/access.py) was not enough: re-enabled, its refresh tokens worked again."""
    return end_tokens(profile)
