"""Cross-cutting HTTP policy: no caching of our pages, absolute session lifetime, small bodies."""

from __future__ import annotations

import functools
import io
import time
from collections.abc import Callable

from csp import constants as csp_constants
from csp import middleware as csp_middleware
from csp import utils as csp_utils
from django.conf import settings
from django.contrib.auth import logout
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from . import conf, hashers, proxies, views

SESSION_STARTED = "edgate.signed_in_at"
# Set by mfa's SecondFactorMiddleware on a request to single sign-on's authorization endpoint:
# whether the session owes a second factor (a privileged Profile, not verified). The endpoint
# holds such a session itself (sso/views.py), as it must answer prompt=none to the client.
SECOND_FACTOR_OWED = "edgate_second_factor_owed"
# When the session was last saved because of activity (time.time()): IdleSessionMiddleware.
SESSION_TOUCHED = "edgate.touched"


def remember_sign_in_time(
    sender: object, request: HttpRequest | None, user: object, **kwargs: object
) -> None:
    """Receiver of `user_logged_in`, so every way of signing in starts the 12-hour clock."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED] = time.time()


class ForwardedProtoMiddleware:
    """X-Forwarded-Proto is believed only from a trusted proxy (EDGATE_TRUSTED_PROXIES).

    The production settings tell Django that `X-Forwarded-Proto: https` means the client used
    HTTPS (SECURE_PROXY_SSL_HEADER): no redirect to HTTPS, and `request.is_secure()` true.
    Django believes the header from anyone, so a client that reached a node directly (not
    through nginx) could claim HTTPS. Outermost in MIDDLEWARE: the header is dropped from any
    other peer before anything reads it, under any server (gunicorn's own check covers only
    its `wsgi.url_scheme`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_X_FORWARDED_PROTO" in request.META and not proxies.peer_is_trusted(
            request.META.get("REMOTE_ADDR")
        ):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)


class HealthCheckMiddleware:
    """/healthz and /readyz, answered first (outermost in MIDDLEWARE): over plain HTTP (no
    redirect to HTTPS, so a load balancer on the internal network can ask a node directly),
    for any Host header (it asks by the node's address, which is not one of ALLOWED_HOSTS),
    without a session, a cookie or a database write. Their bodies are fixed; nginx serves them
    on the internal interface only (deploy/nginx/edgate.conf)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = views.HEALTH_VIEWS.get(request.path_info)
        if view is None:
            return self.get_response(request)
        if request.method in ("GET", "HEAD"):
            response = view(request)
        else:
            response = HttpResponseNotAllowed(["GET", "HEAD"])
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class HashingBusyMiddleware:
    """A request that waited too long for a password-hashing slot (core.hashers) gets the
    "portal is busy" page, 503 with Retry-After, instead of a 500 or an unbounded queue."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, hashers.HashingBusy):
            return views.hashing_busy(request, retry_after=exception.retry_after)
        return None


class NoStoreMiddleware:
    """Every dynamic page may carry personal data: never let a browser or proxy keep it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
        return response


class IdleSessionMiddleware:
    """The idle timeout without a session write on every request.

    A session expires `get_expiry_age()` seconds (30 minutes; 15 for a privileged session) after
    it was last saved: the store enforces it (the row's `expire_date`; Redis's copy never
    outlives a minute, core.sessions) and so does this middleware, by the time it keeps in the
    session. Activity must push that moment on, but saving the session on every request
    (SESSION_SAVE_EVERY_REQUEST) made every page a database write. So a request that comes with a
    session saves it only when the last save is `SESSION_REFRESH_SECONDS` (60 s) old or more, or
    when the view changed the session anyway: a session ends between 29 and 30 minutes after
    its last request, never later. Sits just inside SessionMiddleware, which does the saving
    (and sets the cookie's new Max-Age) whenever the session is modified.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        carried = settings.SESSION_COOKIE_NAME in request.COOKIES
        if carried:
            touched = session.get(SESSION_TOUCHED)
            if touched is not None and time.time() - float(touched) > session.get_expiry_age():
                session.flush()  # idle too long by our own clock, whatever a store kept
        response = self.get_response(request)
        if (carried or session.modified) and not session.is_empty():
            touched = session.get(SESSION_TOUCHED)
            every = conf.get().session_refresh.total_seconds()
            due = touched is None or time.time() - float(touched) >= every
            if due or session.modified:
                session[SESSION_TOUCHED] = time.time()
        return response


class AbsoluteSessionTimeoutMiddleware:
    """Idle timeout is the cookie age; this ends a signed-in session 12 h after sign-in regardless.

    A session verified by a second factor (django-otp's OTPMiddleware runs first) carries
    privileged roles, so it is shorter on both counts: its idle age is set once it is verified
    (the session store enforces it, as it does the default cookie age) and its absolute limit
    is lower.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            settings_ = conf.get()
            is_verified = getattr(request.user, "is_verified", None)
            verified = bool(is_verified and is_verified())
            started = request.session.get(SESSION_STARTED)
            limit = (
                settings_.privileged_absolute if verified else settings_.absolute_session
            ).total_seconds()
            if started is None or time.time() - float(started) > limit:
                logout(request)
            elif verified:
                idle = int(settings_.privileged_idle.total_seconds())
                if request.session.get("_session_expiry") != idle:  # set once, not a write per request
                    request.session.set_expiry(idle)
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """No page accepts more than a form's worth of data: refuse a larger body before it is read.

    By Content-Length when there is one. A body without one (Transfer-Encoding: chunked) is
    read up to the limit, if the server marks the end of the input (`wsgi.input_terminated`,
    as gunicorn and uWSGI do), and handed on as an ordinary body; otherwise it cannot be
    measured without risk, and Django would read it as empty, so it is refused as well (411).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BODY_SIZE
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared:
            if not declared.isascii() or not declared.isdigit():
                return views.bad_request(request)
            if int(declared) > limit:
                return views.request_too_large(request)
        elif request.META.get("HTTP_TRANSFER_ENCODING"):
            if not request.META.get("wsgi.input_terminated"):
                return views.length_required(request)
            body = request.META["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return views.request_too_large(request)
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = io.BytesIO(body)  # type: ignore[attr-defined]
        return self.get_response(request)


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's, with the policy text made once per process for the responses that change
    nothing of it (no nonce asked for, no view's update, replacement or own policy, no
    exemption): every page but the sign-in pages of a pending authorization request
    (sso.middleware), whose form-action names the client. django-csp builds the same text anew
    for every response; what it builds depends on the settings alone, and a changed setting
    (tests) empties the kept text."""

    _PARTS = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt")

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) not in (None, False) for name in self._PARTS)
            or any(getattr(response, f"{name}_ro", None) not in (None, False) for name in self._PARTS)
            or _csp_prefixes()
        ):
            return super().process_response(request, response)  # type: ignore[no-any-return]
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        for header, report_only in ((csp_constants.HEADER, False), (csp_constants.HEADER_REPORT_ONLY, True)):
            policy = _csp_policy(report_only)
            if policy and header not in response:
                response[header] = policy
        # As django-csp does once the header is written: asking for a nonce now is an error.
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response


@functools.cache
def _csp_policy(report_only: bool) -> str:
    return csp_utils.build_policy(report_only=report_only)


@functools.cache
def _csp_prefixes() -> bool:
    """Whether either policy excludes paths (EXCLUDE_URL_PREFIXES): then django-csp decides."""
    return any(
        (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES")
        for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
    )


@receiver(setting_changed)
def _csp_setting_changed(setting: str, **kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        _csp_policy.cache_clear()
        _csp_prefixes.cache_clear()
