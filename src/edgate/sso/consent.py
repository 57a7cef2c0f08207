"""How long a person's "Allow" for a client not run by the agency is remembered: at most
EDGATE_OIDC_REFRESH_MAX_SECONDS (12 hours) from the moment they gave it, as the consent page
says. django-oauth-toolkit's REQUEST_APPROVAL_PROMPT "auto" alone would skip the page while any
access token of the client lives, and each silently approved code begins a new family, so the
answer would never lapse; the Consent row (models.py) dates it.

How long a row lives: until the person disconnects the client (sso/actions.py
do_disconnect_client), the client is removed (its rows go with it: a foreign key that cascades,
as they would with a Profile, which is never deleted), or `edgate cleanup` finds it lapsed
(`purge_lapsed`): a row nobody can use any more, which only says whom the person signed in to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from edgate.core import conf

from .models import Consent


def given_at(profile: Any, client: Any) -> datetime | None:
    return Consent.objects.filter(profile=profile, client=client).values_list("given_at", flat=True).first()


def remembered(profile: Any, client: Any, scopes: Iterable[str], now: datetime | None = None) -> bool:
    """Whether `profile` allowed `client` these scopes less than the longest sign-in ago."""
    since = (now or timezone.now()) - conf.get().oidc_refresh_max
    row = Consent.objects.filter(profile=profile, client=client, given_at__gt=since).first()
    return row is not None and set(scopes) <= set(row.scopes.split())


def purge_lapsed(now: datetime | None = None) -> int:
    """Remove consents no longer remembered (`edgate cleanup`), and answer how many. Kept one
    authorization code's lifetime past their lapse: a code issued under the consent just
    before it lapsed may still be exchanged, and the family it begins ends when the consent
    does only while the row dates it (families.begin)."""
    kept = conf.get().oidc_refresh_max + timedelta(seconds=oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS)
    deleted, _ = Consent.objects.filter(given_at__lt=(now or timezone.now()) - kept).delete()
    return deleted
