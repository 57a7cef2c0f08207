"""Sign-in with throttles per Profile and per client address (SECURITY.md).

A throttled attempt does the same hashing work and gets the same answer as a wrong
password, so the page never tells an attacker that an account exists or is locked.
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.hashers import check_password, make_password
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event
from edgate.core import throttle
from edgate.core.context import ctx_from_request

from .models import Profile


@cache
def _dummy_hash() -> str:
    return make_password("edgate-dummy-password")


@sensitive_variables()
def sign_in(request: HttpRequest, *, username: str, password: str) -> Profile | None:
    ctx = ctx_from_request(request)
    per_profile, per_address = throttle.named("sign_in_profile"), throttle.named("sign_in_address")
    account_key = username.strip().casefold()
    known = Profile.objects.filter(username__iexact=account_key).first()
    if throttle.exceeded(per_profile, account_key) or throttle.exceeded(per_address, ctx.client_ip):
        check_password(password, _dummy_hash())
        record_event(EventType.SIGN_IN_THROTTLED, ctx=ctx, target=known, outcome=Outcome.DENIED)
        return None
    profile = authenticate(request, username=account_key, password=password)
    if profile is None:
        throttle.hit(per_profile, account_key)
        throttle.hit(per_address, ctx.client_ip)
        # The typed User Name is not recorded when unknown: people type passwords into it.
        record_event(EventType.SIGN_IN_FAILED, ctx=ctx, target=known, outcome=Outcome.FAILURE)
        return None
    login(request, profile)  # rotates the session id; user_logged_in starts the 12-hour clock
    throttle.clear(per_profile, account_key)
    record_event(EventType.SIGN_IN, ctx=ctx_from_request(request), target=profile)
    return profile


def sign_out(request: HttpRequest) -> None:
    if request.user.is_authenticated:
        record_event(EventType.SIGN_OUT, ctx=ctx_from_request(request), target=request.user)
    logout(request)
