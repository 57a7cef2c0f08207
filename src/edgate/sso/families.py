"""Refresh-token families: the code each began from, and the moment each ends.

django-oauth-toolkit deletes a code once it is exchanged and keeps nothing of it, and it gives a
rotated family no absolute end (each token lapses REFRESH_TOKEN_EXPIRE_SECONDS after its access
token, refresh after refresh). Nothing in the library records either, so one `TokenFamily` row
per family does: written when a code exchange begins the family, read at every refresh and at
every code exchange that finds no code, removed by `edgate cleanup` once the family has ended.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import Grant, RefreshToken
from oauth2_provider.settings import oauth2_settings

from edgate.core import conf

from . import authn, consent
from .models import CodeSignIn, TokenFamily


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def begin(
    *, refresh_token: Any, code: str, client: Any, signed_in: authn.SignedIn | None = None
) -> TokenFamily:
    """The row of a family a code exchange has just begun. Its end counts from the moment the
    code was issued (the person's sign-in and "Allow"), not from the exchange; or, for a code
    issued under a remembered consent, from that consent."""
    issued = Grant.objects.filter(code=code, application=client).values_list("created", flat=True).first()
    authorized_at = issued or timezone.now()
    # A code a client not run by the agency got without the consent page (the answer was
    # remembered) lasts no longer than that answer: the family ends when the consent lapses.
    allowed_at = consent.given_at(refresh_token.user, client)
    longest = conf.get().oidc_refresh_max
    return TokenFamily.objects.create(
        family=refresh_token.token_family,
        client=client,
        profile=refresh_token.user,
        code_digest=code_digest(code),
        authorized_at=authorized_at,
        ends_at=min(authorized_at, allowed_at or authorized_at) + longest,
        auth_time=signed_in.auth_time if signed_in else None,
        amr=authn.amr_text(signed_in.amr) if signed_in else "",
    )


def signed_in(family: Any) -> authn.SignedIn | None:
    """How the person signed in to the session that authorized the family's code."""
    row = TokenFamily.objects.filter(family=family).values("auth_time", "amr").first()
    if row is None or row["auth_time"] is None:
        return None
    return authn.SignedIn(auth_time=row["auth_time"], amr=tuple(row["amr"].split()))


def has_ended(family: Any, now: datetime | None = None) -> bool:
    """A family without a row (not begun by a code exchange here) counts as ended: fail closed."""
    ends_at = TokenFamily.objects.filter(family=family).values_list("ends_at", flat=True).first()
    return ends_at is None or ends_at <= (now or timezone.now())


def end_now(*, profile: Any = None, client: Any = None, family: Any = None) -> int:
    """End families at once (a disconnect, a sign-out at the client, a new password, a code
    used again): the family's end is moved to now. Revoking the tokens alone is not enough, as
    a refresh already under way when they are revoked still rotates them into a new pair of the
    same family; that pair is then refused too (has_ended, access_token_ended)."""
    now = timezone.now()
    rows = TokenFamily.objects.filter(ends_at__gt=now)
    if profile is not None:
        rows = rows.filter(profile=profile)
    if client is not None:
        rows = rows.filter(client=client)
    if family is not None:
        rows = rows.filter(family=family)
    return rows.update(ends_at=now)


def access_token_ended(access_token: Any, now: datetime | None = None) -> bool:
    """Whether the family of an access token (its own refresh token's, or the one it was
    rotated from) has ended. A token of no known family is left to its own expiry."""
    of_token = RefreshToken.objects.filter(
        Q(access_token=access_token) | Q(pk=access_token.source_refresh_token_id)
    ).values("token_family")
    return TokenFamily.objects.filter(family__in=of_token, ends_at__lte=now or timezone.now()).exists()


def of_code(client: Any, code: str) -> list[TokenFamily]:
    return list(
        TokenFamily.objects.filter(client=client, code_digest=code_digest(code)).select_related("profile")
    )


def purge_ended(now: datetime | None = None) -> int:
    """Rows of families past their end (their tokens can no longer be refreshed, and the code
    that began them expired long before): `edgate cleanup`. Kept one access-token lifetime
    longer, so an access token of an ended family stays refused until it expires itself."""
    kept = timedelta(seconds=oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
    deleted, _ = TokenFamily.objects.filter(ends_at__lt=(now or timezone.now()) - kept).delete()
    return deleted


def purge_orphaned_sign_ins() -> int:
    """CodeSignIn rows whose code is gone without them: a node still on the code before that
    table (a rolling upgrade) exchanged or cleared the code, not knowing of the row (no
    constraint in the database holds it back: sso.0006). `edgate cleanup`."""
    deleted, _ = CodeSignIn.objects.exclude(grant_id__in=Grant.objects.values("pk")).delete()
    return deleted
