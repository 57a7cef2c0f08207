"""How long a person's "Allow" for a client not run by the agency is remembered: at most
EDGATE_OIDC_REFRESH_MAX_SECONDS (12 hours) from the moment they gave it, as the consent page
says. django-oauth-toolkit's REQUEST_APPROVAL_PROMPT "auto" alone would skip the page while any
access token of the client lives, and each silently approved code begins a new family, so the
answer would never lapse; the Consent row (models.py) dates it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from edgate.core import conf

from .models import Consent


def given_at(profile: Any, client: Any) -> datetime | None:
    return Consent.objects.filter(profile=profile, client=client).values_list("given_at", flat=True).first()


def remembered(profile: Any, client: Any, scopes: Iterable[str], now: datetime | None = None) -> bool:
    """Whether `profile` allowed `client` these scopes less than the longest sign-in ago."""
    since = (now or timezone.now()) - conf.get().oidc_refresh_max
    row = Consent.objects.filter(profile=profile, client=client, given_at__gt=since).first()
    return row is not None and set(scopes) <= set(row.scopes.split())
