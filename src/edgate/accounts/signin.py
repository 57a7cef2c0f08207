"""Sign-in with throttles per User Name and per client address (SECURITY.md).

Every attempt is counted before the password is examined (see core.throttle), under the
canonical form of the typed User Name, which is also the only key the account is looked up
by. After a few attempts each further one must wait a doubling delay, enforced by time:
a marker with an expiry, not a sleeping worker. Past the limit the User Name is locked for
the window; a locked attempt does the same hashing work and gets the same answer as a wrong
password, so the page never tells an attacker that an account exists or is locked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from django import forms
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.hashers import check_password, make_password
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event, record_throttle_alert
from edgate.core import throttle
from edgate.core.context import Ctx, ctx_from_request
from edgate.core.hashers import HashingBusy

from .models import Profile
from .usernames import canonical


@cache
def _dummy_hash() -> str:
    return make_password("edgate-dummy-password")


@dataclass(frozen=True)
class SignInResult:
    profile: Profile | None = None
    retry_after: int = 0  # seconds to wait before the next attempt for this User Name is examined
    delayed: bool = False  # refused unexamined: it came before the wait was over
    # Refused unexamined because of the client address's limit alone (which says nothing about
    # the account): answered 429, and retry_after is then the address's.
    from_address: bool = False

    @property
    def ok(self) -> bool:
        return self.profile is not None


@sensitive_variables()
def sign_in(request: HttpRequest, *, username: str, password: str) -> SignInResult:
    ctx = ctx_from_request(request)
    per_profile, per_address = throttle.named("sign_in_profile"), throttle.named("sign_in_address")
    account_key = canonical(username)
    known = Profile.objects.find_by_username(account_key)
    # One attempt per User Name at a time, and none before the wait in force is over: claimed
    # atomically, so a burst cannot slip several guesses past a wait together.
    wait = throttle.take_turn(per_profile, account_key, in_flight=throttle.in_flight_allowance())
    if wait:
        # Not counted and not hashed: the answer depends only on what was typed, never on
        # whether the account exists, and refusing it costs the server nothing.
        record_event(EventType.SIGN_IN_DELAYED, ctx=ctx, target=known, outcome=Outcome.DENIED)
        return SignInResult(retry_after=wait, delayed=True)
    account, address = throttle.attempt_all((per_profile, account_key), (per_address, ctx.client_ip))
    wait_after = throttle.delay_for(account.number)
    throttle.hold(per_profile, account_key, wait_after)  # replaces the in-flight claim
    if not (account.allowed and address.allowed):
        if not account.allowed:
            # A lock reads like a wrong password, hashing included. A refusal for the address
            # alone says nothing about the account, so it costs no hash.
            check_password(password, _dummy_hash())
        record_event(
            EventType.SIGN_IN_THROTTLED,
            ctx=ctx,
            target=known,
            outcome=Outcome.DENIED,
            detail={"limit": per_profile.name if not account.allowed else per_address.name},
        )
        if account.tripped or address.tripped:
            _alert(ctx, account if account.tripped else address)
        if account.allowed:
            return SignInResult(retry_after=max(1, address.retry_after), from_address=True)
        return SignInResult()
    # `known` was found by the same canonical key: the backend need not look it up again.
    try:
        profile = authenticate(request, username=account_key, password=password, known=known)
    except HashingBusy:
        # No password was examined (every hashing slot was taken): the attempt is given back,
        # so a flood that keeps the slots busy cannot push real people towards the delay or the
        # lock. The caller answers the 503 "busy" page.
        throttle.undo(per_profile, account_key)
        throttle.undo(per_address, ctx.client_ip)
        throttle.hold(per_profile, account_key, throttle.delay_for(account.number - 1))
        raise
    if profile is None:
        # The typed User Name is not recorded when unknown: people type passwords into it.
        record_event(
            EventType.SIGN_IN_FAILED,
            ctx=ctx,
            target=known,
            outcome=Outcome.FAILURE,
            detail={"attempt": account.number},
        )
        return SignInResult(retry_after=int(wait_after.total_seconds()))
    # Success resets the account's own counter and delay, and takes back this attempt from the
    # address (an office signing in through one address must not use up its allowance).
    # One round trip (throttle.succeeded); the marker is released only if hold() above set one.
    throttle.succeeded(
        per_profile, account_key, release_hold=bool(wait_after), address=(per_address, ctx.client_ip)
    )
    login(request, profile)  # rotates the session id; user_logged_in starts the 12-hour clock
    record_event(EventType.SIGN_IN, ctx=ctx_from_request(request), target=profile)
    return SignInResult(profile=profile)


def _alert(ctx: Ctx, attempt: throttle.Attempt) -> None:
    record_throttle_alert(ctx=ctx, limit=attempt.limit.name, attempts=attempt.number)


# Whether the sign-in form asked for a page to go to (`next`): without one, a privileged
# person's second-factor page sends them on to their console (edgate.mfa.views.landing).
NEXT_ASKED = "edgate.next_asked"

REAUTH_REFUSED = _(
    "For your security, your current password cannot be checked again for a while after several "
    "wrong tries. Try again later, or sign out and use Forgot your password."
)


F = TypeVar("F", bound=forms.Form)


def reauthenticate(request: HttpRequest, form_class: type[F], **kwargs: Any) -> tuple[F, bool, int]:
    """The form of a page that asks a signed-in person for their current password, whether it
    is valid, and — when the limit refused it — the seconds before a retry can succeed (the page
    then answers 429). The check is counted first: a stolen session must not become an unlimited
    password-guessing oracle (and each check is a slow hash). Once the limit is reached the
    form is not even validated; a right current password takes its attempt back."""
    if request.method != "POST":
        return form_class(None, **kwargs), False, 0
    limit, key = throttle.named("reauth_profile"), str(request.user.pk)
    attempt = throttle.attempt(limit, key)
    if not attempt.allowed:
        form = form_class(None, **kwargs)
        form.cleaned_data = {}
        form.add_error(None, REAUTH_REFUSED)
        ctx = ctx_from_request(request)
        record_event(EventType.REAUTH_THROTTLED, ctx=ctx, target=request.user, outcome=Outcome.DENIED)
        if attempt.tripped:
            _alert(ctx, attempt)
        return form, False, max(1, attempt.retry_after)
    form = form_class(request.POST, **kwargs)
    valid = form.is_valid()
    if "current_password" not in form.errors:
        throttle.undo(limit, key)
    return form, valid, 0


def sign_out(request: HttpRequest) -> None:
    if request.user.is_authenticated:
        record_event(EventType.SIGN_OUT, ctx=ctx_from_request(request), target=request.user)
    logout(request)


# The User Name the registration wizard has just shown ("Your Profile is ready"), for the
# sign-in page its "Sign in" button leads to: kept in this browser's session, never in a URL or
# a cookie of its own, given to one sign-in page and then forgotten, and only within OFFER_FOR of
# being shown. A User Name is not a secret, but this one is given only to the browser that was
# shown it; the password box stays empty.
OFFERED_USERNAME = "edgate.signin.offered_username"
OFFER_FOR = 10 * 60  # seconds


def offer_username(request: HttpRequest, username: str) -> None:
    request.session[OFFERED_USERNAME] = {"username": username, "at": int(time.time())}


def offered_username(request: HttpRequest) -> str:
    """The User Name offered to this sign-in page, or ''; taken from the session either way
    (once). A request without a session gets '' and is given none."""
    offer = request.session.pop(OFFERED_USERNAME, None)
    if not isinstance(offer, dict) or not isinstance(offer.get("username"), str):
        return ""
    at = offer.get("at")
    if not isinstance(at, int) or not 0 <= time.time() - at <= OFFER_FOR:
        return ""
    return offer["username"]
