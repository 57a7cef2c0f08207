"""Cross-cutting HTTP policy: no caching of our pages, absolute session lifetime."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from . import conf

SESSION_STARTED = "edgate.signed_in_at"


def remember_sign_in_time(
    sender: object, request: HttpRequest | None, user: object, **kwargs: object
) -> None:
    """Receiver of `user_logged_in`, so every way of signing in starts the 12-hour clock."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED] = time.time()


class NoStoreMiddleware:
    """Every dynamic page may carry personal data: never let a browser or proxy keep it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
        return response


class AbsoluteSessionTimeoutMiddleware:
    """Idle timeout is the cookie age; this ends a signed-in session 12 h after sign-in regardless."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED)
            limit = conf.get().absolute_session.total_seconds()
            if started is None or time.time() - float(started) > limit:
                logout(request)
        return self.get_response(request)
