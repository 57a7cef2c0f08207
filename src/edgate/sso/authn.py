"""How the portal session at the authorization endpoint signed in, as the ID token tells a
client: `auth_time` (this session's own sign-in, core.middleware.SESSION_STARTED, not the
Profile's last sign-in on any device), `amr` (RFC 8176) and `acr`.

A session that passed its second factor (django-otp's `is_verified()`) says `pwd otp mfa` and
ACR_SECOND_FACTOR; any other says `pwd` and ACR_PASSWORD. A new sign-in in the session
(prompt=login, max_age) forgets a second factor passed before it (mfa/session.py
forget_second_factor): amr and acr describe the authentication auth_time refers to. A
privileged session that owes its second factor (went on without it, or was appointed since
signing in) gets no code at all (sso/views.py AuthorizeView._check_privileged holds it, as
mfa/middleware.py holds the admin site).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest

from edgate.core.middleware import SESSION_STARTED

ACR_PASSWORD = "urn:edgate:acr:password"  # noqa: S105 (a name, not a password)
ACR_SECOND_FACTOR = "urn:edgate:acr:second-factor"
AMR_PASSWORD = ("pwd",)
AMR_SECOND_FACTOR = ("pwd", "otp", "mfa")

# The query parameter the portal adds to an authorization request it sends through the sign-in
# page again (prompt=login, or a session older than max_age): the session must have signed in
# after this moment (time.time()). Only ever a stricter demand: a request without it is an
# ordinary one, which anyone can send.
LOGIN_AFTER = "edgate_login_after"
# As the portal writes it (sso/views.py sign_in_again: f"{time.time():.3f}"), give or take.
LOGIN_AFTER_FORMAT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,6})?")


@dataclass(frozen=True)
class SignedIn:
    auth_time: datetime
    amr: tuple[str, ...]

    @property
    def acr(self) -> str:
        return acr_of(self.amr)


def acr_of(amr: tuple[str, ...] | list[str]) -> str:
    return ACR_SECOND_FACTOR if "otp" in amr else ACR_PASSWORD


def started(request: HttpRequest) -> float | None:
    """When this session signed in (time.time()), or None if it does not say."""
    value = request.session.get(SESSION_STARTED)
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def second_factor_passed(request: HttpRequest) -> bool:
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def of_session(request: HttpRequest) -> SignedIn:
    """The facts of the signed-in session `request` belongs to. (A session that does not say
    when it signed in never gets here: AbsoluteSessionTimeoutMiddleware signs it out; were one
    to, it is dated by the Profile's last sign-in, as the library does.)"""
    moment = started(request)
    if moment is None:
        last = getattr(request.user, "last_login", None)
        moment = last.timestamp() if last else time.time()
    amr = AMR_SECOND_FACTOR if second_factor_passed(request) else AMR_PASSWORD
    return SignedIn(auth_time=datetime.fromtimestamp(int(moment), tz=UTC), amr=amr)


def login_after(value: str | None) -> float | None:
    """The moment an authorization request's LOGIN_AFTER names, or None: treated as absent
    unless it is what the portal writes, a moment that has come (seconds since 1970, ASCII
    digits). The parameter is only ever a stricter demand, and a browser can leave it out, so
    ignoring a value the portal did not write loses nothing; reading one would: `nan` and a
    moment in the future are never met (the person sent to the sign-in page for nothing, or
    again and again when a node's clock is behind the one that wrote it), and garbage answered
    the client with an error about a parameter it never sent."""
    if value is None or not LOGIN_AFTER_FORMAT.fullmatch(value):
        return None
    moment = float(value)
    return moment if moment <= time.time() else None


def signed_in_after(request: HttpRequest, moment: float) -> bool:
    at = started(request)
    return at is not None and at >= moment


def amr_text(amr: Any) -> str:
    return " ".join(amr)
