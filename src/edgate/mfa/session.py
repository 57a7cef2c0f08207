"""What a signed-in session knows about its second factor.

At sign-in a privileged Profile's session is marked as owing a second factor; until it has
passed one (django-otp's `request.user.is_verified()`), SecondFactorMiddleware sends it to
the code page. The person may choose to go on without their privileges: then only the
privileged pages (the admin site) send them back. The marker is set once, at sign-in, so
ordinary pages cost no query about privileges.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp import login as otp_login
from django_otp.models import Device

from edgate.recovery.policy import is_privileged

DUE = "edgate.second_factor_due"
SKIPPED = "edgate.second_factor_skipped"
ENROL_KEY = "edgate.totp_enrol_key"


def mark_second_factor_due(sender: object, request: HttpRequest | None, user: Any, **kwargs: object) -> None:
    """Receiver of `user_logged_in`: every way of signing in marks a privileged session."""
    if request is not None and hasattr(request, "session") and is_privileged(user):
        request.session[DUE] = True


def forget_second_factor(sender: object, request: HttpRequest | None, user: Any, **kwargs: object) -> None:
    """Receiver of `user_logged_in`: a sign-in is a new authentication, and a second factor
    passed earlier in the session is not part of it. Signing in again in a signed-in session
    (single sign-on's prompt=login or max_age: the sign-in page shown to a signed-in person)
    keeps the session's data, django-otp's verified device included, so the new sign-in on the
    password alone would have counted as a second factor (an ID token's amr `otp`, the admin
    site open). Forgotten here: the second factor is asked again where it is asked after any
    sign-in (a privileged person, a client's acr_values), and the choice to go on without it
    is offered again. (The portal's second factor is always its own page after the password,
    session.complete; no sign-in form verifies one along with the password.)"""
    if request is not None and hasattr(request, "session"):
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
        request.session.pop(SKIPPED, None)


def is_due(request: HttpRequest) -> bool:
    return bool(request.session.get(DUE)) and not request.user.is_verified()  # type: ignore[union-attr]


def is_owed(request: HttpRequest) -> bool:
    """Privileged now and not verified, whatever the sign-in marked (DUE): someone appointed
    during their session owes it too. A query; asked only where a code for an application is
    at stake (single sign-on's authorization endpoint)."""
    return not request.user.is_verified() and is_privileged(request.user)  # type: ignore[union-attr, arg-type]


def has_device(request: HttpRequest) -> bool:
    return user_has_device(request.user, confirmed=True)


def complete(request: HttpRequest, device: Device) -> None:
    """The session passed its second factor: record the device in it and rotate its id
    (a change of privilege, like signing in)."""
    otp_login(request, device)
    request.session.pop(SKIPPED, None)
    request.session.pop(ENROL_KEY, None)
    request.session.cycle_key()


def skip(request: HttpRequest) -> None:
    request.session[SKIPPED] = True
    request.session.pop(ENROL_KEY, None)  # an unconfirmed secret has no reason to stay
