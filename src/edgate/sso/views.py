"""The provider's endpoints: django-oauth-toolkit's views, with the portal's rules where they
decide something (access at the authorization endpoint, the audited sign-out, the keys)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, unquote_plus, urlencode, urlsplit

from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django_otp import user_has_device
from oauth2_provider import views as dot
from oauth2_provider.exceptions import FatalClientError, InvalidOIDCClientError, OAuthToolkitError
from oauth2_provider.models import Application as Client
from oauthlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidClientIdError, InvalidRequestError
from oauthlib.openid.connect.core.exceptions import LoginRequired

from edgate.accounts import signin
from edgate.audit.record import record_throttle_alert
from edgate.core import conf, throttle
from edgate.core.context import Ctx, ctx_from_request
from edgate.core.hashers import ClientSecretHasher
from edgate.core.middleware import SECOND_FACTOR_OWED

from . import access, actions, authn, consent
from .tokens import end_tokens
from .validators import current_request


def second_factor_owed(request: HttpRequest) -> bool:
    """Whether this signed-in session owes its second factor, as SecondFactorMiddleware found
    (sso may not ask mfa itself: docs/architecture.md). Without the middleware nothing would
    hold a privileged session here, so its absence stops the request instead of letting the
    password alone through (fail closed; `edgate check` says so too: edgate.E001)."""
    owed = getattr(request, SECOND_FACTOR_OWED, None)
    if owed is None:
        raise ImproperlyConfigured(
            "edgate.mfa.middleware.SecondFactorMiddleware is not in MIDDLEWARE: the authorization "
            "endpoint cannot tell whether a session owes its second factor."
        )
    return bool(owed)


class ConsentLapsed(Exception):
    """The library would approve silently (a live token of the client), but the person's
    "Allow" is older than the longest sign-in: the consent page is shown again."""


class SecondFactorWanted(Exception):
    """The client asked for a second factor (acr_values) this session has not passed, and the
    person has one; or the person is privileged and has not passed theirs: their code page,
    then back here."""


class SignInAgain(Exception):
    """The session signed in too long ago for this request (max_age, prompt=login): the person
    signs in again on the portal's sign-in page, keeping the session until they have."""


# The consent form's hidden fields that are the authorization request's parameters
# (django-oauth-toolkit's AllowForm, less its answer `allow`).
REQUEST_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "claims",
    "resource",
)

NO_ACCESS = "You have no access to this application; ask your Directory Administrator."
NO_SECOND_FACTOR = "This application asks for a second factor, and this Profile has none."


def issued_code(uri: str | None) -> bool:
    """Whether an authorization answer (the client's redirect URI) carries a code."""
    return (
        bool(uri) and "code" in parse_qs(urlsplit(uri).query) and "error" not in parse_qs(urlsplit(uri).query)
    )


def origins(uris: str) -> list[str]:
    """The origins of space-separated URIs (for the pages' form-action policy)."""
    found = []
    for uri in uris.split():
        parts = urlsplit(uri)
        if parts.scheme in ("http", "https") and parts.netloc:
            found.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(found))


def allow_redirects_to(
    response: HttpResponse, client: Client | None, *, logout: bool = False
) -> HttpResponse:
    """A form on this page ends in a redirect to the client (the consent or the sign-out
    confirmation): browsers check that redirect against the page's form-action policy."""
    if client is not None:
        uris = client.post_logout_redirect_uris if logout else client.redirect_uris
        if extra := origins(uris):
            response._csp_update = {"form-action": extra}  # type: ignore[attr-defined]
    return response


class DiscoveryView(dot.ConnectDiscoveryInfoView):
    """The library's discovery document, told what this provider does and does not offer."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["revocation_endpoint"] = self._get_endpoint_url(request, "revoke-token", required=True)
        data["grant_types_supported"] = ["authorization_code", "refresh_token"]
        # Every client's tokens are signed with the provider's RSA keys (never HS256 with a
        # client secret, which is stored hashed).
        data["id_token_signing_alg_values_supported"] = ["RS256"]
        data["prompt_values_supported"] = ["none", "login"]
        data["acr_values_supported"] = [authn.ACR_PASSWORD, authn.ACR_SECOND_FACTOR]
        patched = JsonResponse(data)
        patched["Access-Control-Allow-Origin"] = "*"
        return patched


class AuthorizeView(dot.AuthorizationView):
    """The authorization endpoint. Sign-in is the portal's own (/login/, then the second factor
    where it applies); then a person without access to the client's application goes back to
    the client with `error=access_denied`, and first-party clients skip the consent page."""

    template_name = "sso/authorize.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The validator's silent-login and silent-authorization answers (prompt=none) need the
        # person, which oauthlib does not pass on.
        marker = current_request.set(request)
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            current_request.reset(marker)

    def validate_authorization_request(self, request: HttpRequest) -> tuple[Any, dict[str, Any]]:
        scopes, credentials = super().validate_authorization_request(request)
        self._check_access(credentials)
        if request.user.is_authenticated:
            self._check_recent_sign_in(request, credentials)
            self._check_privileged(request, credentials)
            self._check_second_factor(request, credentials)
        return scopes, credentials

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """The consent page's answer: a privileged session that has not passed its second
        factor (appointed since the page was shown) gets no code either. After its code page
        the person comes back to the request the form answered (pending_request). The answer
        is held as the page's request was (create_authorization_response): a session signed in
        too long ago for it, or without the second factor it asks for, is sent to the sign-in
        page or the code page, not given a code."""
        if request.user.is_authenticated and second_factor_owed(request):
            return self._to_second_factor(request)
        try:
            return super().post(request, *args, **kwargs)
        except SignInAgain:
            return self.sign_in_again()
        except SecondFactorWanted:
            return self._to_second_factor(request)

    def pending_request(self) -> str:
        """The address of the authorization request this request is part of, to come back to
        after a step that holds it (the code page, the sign-in page). A GET, and a consent form
        posted to its page's own address (as browsers post a form without an action), carry it
        in the query. A consent form posted to the endpoint alone carries it in its hidden
        fields: the address is made of those (the request's parameters, never the CSRF token
        or the answer), instead of the bare endpoint, which answers with an error page."""
        request = self.request
        if request.method != "POST" or "client_id" in request.GET:
            return request.get_full_path()
        # The query's own parameters (max_age, prompt, acr_values, LOGIN_AFTER) are kept.
        posted = [
            (name, value)
            for name, value in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
            if name not in REQUEST_FIELDS
        ]
        posted += [
            (name, value)
            for name in REQUEST_FIELDS
            # RFC 8707's resources: one field, space-separated, for parameters given one each.
            for value in (
                request.POST.get(name, "").split() if name == "resource" else [request.POST.get(name, "")]
            )
            if value
        ]
        return f"{request.path}?{urlencode(posted)}" if posted else request.path

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().get(request, *args, **kwargs)
        except ConsentLapsed:  # the library would skip the page; the answer is too old
            return self.render_to_response(self.get_context_data(**self.oauth2_data))
        except SignInAgain:
            return self.sign_in_again()
        except SecondFactorWanted:
            return self._to_second_factor(request)

    def _to_second_factor(self, request: HttpRequest) -> HttpResponse:
        query = urlencode({"next": self.pending_request()})
        return HttpResponseRedirect(f"{reverse('mfa:verify')}?{query}")

    def _check_privileged(self, request: HttpRequest, credentials: dict[str, Any]) -> None:
        """A privileged person passes the second factor before any application gets a code
        (docs/sso.md), whether the sign-in marked the session (mfa/session.py DUE) or they were
        appointed since, and whether or not they chose to go on without their privileges:
        their code page (then back here), or, with prompt=none, login_required to the client
        (never a page). SecondFactorMiddleware says whether the session owes it; the endpoint
        holds it itself. With prompt=login the sign-in page comes first, and the way back is
        held."""
        if not second_factor_owed(request):
            return
        prompt = request.GET.get("prompt", "").split()
        if "none" in prompt:
            self._refuse_silently(credentials, "second_factor")
        if "login" not in prompt:
            raise SecondFactorWanted

    def _check_second_factor(self, request: HttpRequest, credentials: dict[str, Any]) -> None:
        """acr_values naming the second factor and not the password alone: a session that has
        not passed its second factor is sent to its code page (a person who has one), or the
        client is answered access_denied (a person who has none), or login_required
        (prompt=none). Other acr_values ask for nothing more: the password is enough, and the
        ID token's acr says what was done. (A privileged session without its second factor
        never gets here: _check_privileged holds it first.)"""
        wanted = request.GET.get("acr_values", "").split()
        if authn.ACR_SECOND_FACTOR not in wanted or authn.ACR_PASSWORD in wanted:
            return
        if authn.second_factor_passed(request):
            return
        if "none" in request.GET.get("prompt", "").split():
            self._refuse_silently(credentials, "acr_values")
        if user_has_device(request.user, confirmed=True):
            raise SecondFactorWanted
        client = Client.objects.filter(client_id=credentials.get("client_id")).first()
        access.record_refusal(request, client, reason="acr_values")
        raise self._redirected(
            AccessDeniedError(description=NO_SECOND_FACTOR, state=credentials.get("state")), credentials
        )

    def _check_recent_sign_in(self, request: HttpRequest, credentials: dict[str, Any]) -> None:
        """max_age (OIDC Core 3.1.2.1): this session must have signed in at most that many
        seconds ago, and after the moment in LOGIN_AFTER when the portal added it (one it would
        not have written, `nan`, a moment to come, garbage, is taken as absent); otherwise
        the person signs in again (SignInAgain), or, with prompt=none, the client is answered
        login_required. The library reads neither."""
        max_age = request.GET.get("max_age")
        try:
            if max_age is not None and not (max_age.isascii() and max_age.isdigit()):
                raise ValueError("max_age is a non-negative whole number of seconds")
            # Any session signed in since 1970 meets a longer one (and a float takes no 400 digits).
            since = [time.time() - min(int(max_age), int(time.time()))] if max_age is not None else []
        except ValueError:
            raise self._redirected(
                InvalidRequestError(
                    description="max_age must be a number of seconds", state=credentials.get("state")
                ),
                credentials,
            ) from None
        # The portal's own LOGIN_AFTER; one it would not have written is no demand (authn.login_after).
        after = authn.login_after(request.GET.get(authn.LOGIN_AFTER))
        since += [after] if after is not None else []
        if not since or authn.signed_in_after(request, max(since)):
            return
        if "none" in request.GET.get("prompt", "").split():
            self._refuse_silently(credentials, "max_age")
        raise SignInAgain

    def _check_answer(self, credentials: dict[str, Any]) -> None:
        """The consent form's "Allow" is held as the page's request was: the GET's checks read
        the request's parameters from the query, and a browser posts the form to the page's own
        address, which carries them (the portal's sign-in again wrote LOGIN_AFTER there, in
        place of prompt=login and max_age, so the sign-in that showed the page meets it). A
        session signed in too long ago, or owing the second factor the client asks for, gets
        no code for a form posted later or by hand. (A form posted to the endpoint alone
        carries no such parameters: it is the request without them, as its GET would be.)"""
        request = self.request
        self._check_recent_sign_in(request, credentials)
        self._check_second_factor(request, credentials)
        if "login" in request.GET.get("prompt", "").split():
            raise SignInAgain

    def _refuse_silently(self, credentials: dict[str, Any], reason: str) -> None:
        """prompt=none, and this session will not do (too old, without the second factor the
        person or the client needs): login_required, audited."""
        client = Client.objects.filter(client_id=credentials.get("client_id")).first()
        access.record_refusal(self.request, client, reason=reason)
        raise self._redirected(LoginRequired(state=credentials.get("state")), credentials)

    @staticmethod
    def _redirected(error: Any, credentials: dict[str, Any]) -> OAuthToolkitError:
        return OAuthToolkitError(error=error, redirect_uri=credentials.get("redirect_uri"))

    def handle_no_permission(self) -> HttpResponse:
        """A signed-out browser: the sign-in page. With prompt=login or max_age, the way back
        is rewritten as for a signed-in one (sign_in_again): that sign-in meets them, and
        max_age=0 (or one shorter than the password and the code take) would otherwise send
        the person round the sign-in page a second time. prompt=none: the library's
        login_required; a max_age that is not a number is answered after the sign-in."""
        prompt = self.request.GET.get("prompt", "").split()
        max_age = self.request.GET.get("max_age", "")
        if not {"none", "create"} & set(prompt) and (
            "login" in prompt or (max_age.isascii() and max_age.isdigit())
        ):
            return self.sign_in_again(again=False)
        if self.request.method == "POST":  # a consent form, its session ended meanwhile
            return redirect_to_login(
                self.pending_request(), resolve_url(self.get_login_url()), self.get_redirect_field_name()
            )
        return super().handle_no_permission()

    def sign_in_again(self, *, again: bool = True) -> HttpResponse:
        """prompt=login, or a session older than max_age: the portal's sign-in page, shown even
        to a signed-in person (`again`), then back here. The session is not ended first: a link
        from any site must not sign the person out; it is replaced only by the new sign-in.
        The way back says the sign-in must be newer than now (LOGIN_AFTER), without prompt=login
        and max_age (max_age=0 would never be met). For a consent form, the request it answers
        (pending_request)."""
        query = [
            (name, value)
            for name, value in parse_qsl(urlsplit(self.pending_request()).query, keep_blank_values=True)
            if name not in ("max_age", authn.LOGIN_AFTER)
        ]
        query = [
            (name, " ".join(v for v in value.split() if v != "login") if name == "prompt" else value)
            for name, value in query
        ]
        query = [(name, value) for name, value in query if name != "prompt" or value]
        query.append((authn.LOGIN_AFTER, f"{time.time():.3f}"))
        next_url = f"{self.request.path}?{urlencode(query)}"
        login_url = resolve_url(self.get_login_url()) + ("?again=1" if again else "")
        return redirect_to_login(next_url, login_url, self.get_redirect_field_name())

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        """The consent page's answer. A form naming no client of ours (tampered) is answered
        with the error page, 400: the library would look the client up unguarded (a 500).
        A first-party client is never shown the page, so an "Allow" for one was posted without
        it: it is answered by the request it names, as a GET (pending_request), which holds
        what the request asks (max_age, prompt=login, acr_values) and gives its code there."""
        client = Client.objects.filter(client_id=form.cleaned_data.get("client_id") or "").first()
        if client is None:
            return self.error_response(FatalClientError(error=InvalidClientIdError()), application=None)
        if client.skip_authorization and form.cleaned_data.get("allow"):
            return HttpResponseRedirect(self.pending_request())
        return super().form_valid(form)

    def create_authorization_response(self, request, scopes, credentials, allow):  # type: ignore[no-untyped-def]
        client = Client.objects.filter(client_id=credentials.get("client_id")).first()
        if allow and client is not None and client.redirect_uri_allowed(credentials.get("redirect_uri")):
            self._check_access(credentials)  # again at the consent page's answer
            if self.request.method == "POST":  # the consent page's answer, held as its GET was
                self._check_answer(credentials)
        third_party = allow and client is not None and not client.skip_authorization
        given = third_party and self.request.method == "POST"  # the consent page's "Allow"
        if third_party and not given and not consent.remembered(self.request.user, client, scopes.split()):
            raise ConsentLapsed
        answer = super().create_authorization_response(request, scopes, credentials, allow)
        # The library answers a refused request (a scope the client may not have, posted in a
        # tampered form...) with a redirect carrying the error, not an exception: only an
        # answer that carries a code is a sign-in, and only then is an "Allow" recorded, for
        # the scopes the code was issued for (validate_scopes kept them within the client's).
        if not issued_code(answer[0]):
            return answer
        if given:
            link = access.link_of(client)
            allowed = link.allowed_scopes() if link else set()
            actions.do_give_consent(
                profile=self.request.user,
                client=client,
                scopes=[scope for scope in scopes.split() if scope in allowed],
                ctx=ctx_from_request(self.request),
            )
        access.record_authorization(self.request, client, allowed=True)  # a code was issued
        return answer

    def _check_access(self, credentials: dict[str, Any]) -> None:
        client = Client.objects.filter(client_id=credentials.get("client_id")).first()
        if not access.may_sign_in(self.request.user, client):
            access.record_authorization(self.request, client, allowed=False)
            raise OAuthToolkitError(
                error=AccessDeniedError(description=NO_ACCESS, state=credentials.get("state")),
                redirect_uri=credentials.get("redirect_uri"),
            )

    def handle_prompt_login(self) -> HttpResponse:
        """prompt=login: the person signs in again, without being signed out first."""
        return self.sign_in_again()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        application = context.get("application")
        if application is not None:
            context["agency_application"] = access.application_of(application)
        if "scopes" in context:  # in the person's language (the library's are the settings')
            context["scopes_descriptions"] = access.describe_scopes(context["scopes"])
        # How long an "Allow" lasts: while a token of the client lives, which a refresh family
        # bounds (sso/families.py).
        context["consent_hours"] = int(conf.get().oidc_refresh_max.total_seconds() // 3600)
        return context

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        return allow_redirects_to(response, context.get("application"))


GRANT_TYPES = ("authorization_code", "refresh_token")


def basic_credentials(request: HttpRequest, *, validate: bool = False) -> str | None:
    """HTTP Basic's "user:secret", decoded as the library decodes it (base64, then UTF-8;
    `validate`: characters outside base64 are refused rather than skipped). None: no Basic
    header. Raises ValueError (binascii.Error, UnicodeDecodeError, a non-ASCII header) when it
    cannot be decoded."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    return base64.b64decode(value.strip(), validate=validate).decode("utf-8")


def client_id_given(request: HttpRequest) -> str:
    """The client_id a token or revocation request names: HTTP Basic's user name (RFC 6749
    2.3.1: form-encoded), else the form's `client_id`; "" if neither. Never the secret: the
    decoded header is split at its first ":" before the user name is unquoted, so an encoded
    colon ("%3A") in it cannot carry part of the secret into the record; no ":" at all, "".
    """
    try:
        decoded = basic_credentials(request, validate=True)
    except ValueError:
        return ""
    if decoded is None:
        return str(request.POST.get("client_id", ""))
    user, colon, _secret = decoded.partition(":")
    return unquote(user) if colon else ""


def clients_named(request: HttpRequest) -> list[str]:
    """Every client_id a token or revocation request names, as the library reads them: HTTP
    Basic's user name (split at the first ":", then unquoted with "+" as a space), and each
    `client_id` of the form and of the query (oauthlib reads both)."""
    named = request.POST.getlist("client_id") + request.GET.getlist("client_id")
    try:
        decoded = basic_credentials(request) or ""
    except ValueError:
        decoded = ""
    user, colon, _secret = decoded.partition(":")
    if colon:
        named.append(unquote_plus(user))
    return [name for name in named if name]


def slow_to_check(stored_secret: str) -> bool:
    """Whether the library would check a secret against this stored one with a slow hash (one
    stored before the fast form, ClientSecretHasher: Argon2, holding a hashing slot). A stored
    secret no hasher recognises (a public client's "") is compared as it is, in microseconds."""
    try:
        hasher = identify_hasher(stored_secret)
    except ValueError:
        return False
    return hasher.algorithm != ClientSecretHasher.algorithm


def examined_in_microseconds(request: HttpRequest) -> bool:
    """Whether the library can examine this request's client authentication without a slow
    hash: it names a client, and no client it names stores its secret in a slow form."""
    named = clients_named(request)
    if not named:
        return False
    stored = Client.objects.filter(client_id__in=set(named)).values_list("client_secret", flat=True)
    return not any(slow_to_check(secret) for secret in stored)


class ClientAuthThrottled:
    """Failed client authentications (`invalid_client`, 401) at the token and revocation
    endpoints are audited (sso.client_auth_failed) and counted per client address
    (THROTTLES["oauth_client_address"]). Only failures are counted, once the library has
    answered: a request whose client authenticates is never counted (not even while it is in
    flight) and never refused, so an app's own traffic neither meets the limit nor keeps an
    address over it.

    Past the limit, a request that fails client authentication is answered 429 with
    Retry-After (`temporarily_unavailable`) instead of 401, not audited one by one, and the
    first such refusal in a window writes one security.throttle_alert. A request whose client
    does authenticate is served even then: the limit is there to stop guessing, and a right
    secret is not a guess, so a rotated secret, a stale deploy or anyone else behind the same
    address (a school's NAT) cannot lock an app out. This is not an oracle the endpoint did not
    already offer: below the limit a wrong secret is answered 401 and a right one served, past
    it 429 and served; an unknown client_id and a wrong secret get the same answer either way.
    What the limit then bounds is the audit rows (and alerts) an address can cause, not the
    speed of guessing; that needs no bound, since a secret is 128 random characters (~760 bits,
    core/hashers.py ClientSecretHasher), which is also why simultaneous guesses racing past
    the count do not matter. Counted after the response, outside the token endpoint's
    transaction (core/throttle.py: a count a rollback undoes is a free guess).

    Serving past the limit means examining every request, which is cheap only for secrets in
    the fast form. A client registered before it (6385836) keeps an Argon2-hashed secret, and
    each secret checked against it holds one of the process's hashing slots for ~50 ms
    (core/hashers.py hashing_slot): one address sending wrong secrets without end would keep
    the slots full and the people signing in would get 503. So past the limit, a request the
    library could not examine in microseconds (examined_in_microseconds: it names no client,
    or a client it names stores its secret in a slow form) is answered 429 before the library
    sees it. It is not counted: refusing it cost nothing, and counting it would let the client's
    own retries keep the address over the limit for good. Such a client, right secret or not,
    is served from that address once the failures counted before have aged out of the window
    (at most `limit` slow checks per address and window, give or take requests in flight at
    once; docs/sso.md says how to move such a client to the fast form). Clients with a secret
    in the fast form, and public clients (no secret), are served past the limit as before.

    A client authentication the library cannot read (malformed_client_auth: Basic that is not
    base64 of UTF-8, a client_id with a NUL) is answered invalid_client here, counted and
    audited as any failure, instead of the library's 500."""

    endpoint = ""

    @method_decorator(csrf_exempt)  # as the library's (a client, not a browser, posts here)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc,no-any-return]
        limit, ctx = throttle.named("oauth_client_address"), ctx_from_request(request)
        address = throttle.UNKNOWN_ADDRESS if ctx.client_ip is None else ctx.client_ip
        if malformed_client_auth(request):
            response: HttpResponse = invalid_client()
        else:
            standing = throttle.standing(limit, address)
            if standing.paused and not examined_in_microseconds(request):
                # Not counted: it cost nothing to refuse, and counting it would let the client's
                # own retries keep the address over the limit for good (review11 M1).
                return self._answer_refused(standing.wait)
            response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        if not failed_client_auth(response):
            return response
        counted = throttle.attempt(limit, ctx.client_ip)
        if counted.allowed:
            access.record_client_auth_failure(request, client_id_given(request), endpoint=self.endpoint)
            return response
        return self._refused(ctx, limit.name, counted)

    @classmethod
    def _refused(cls, ctx: Ctx, limit: str, counted: throttle.Attempt) -> HttpResponse:
        if counted.tripped:
            record_throttle_alert(ctx=ctx, limit=limit, attempts=counted.number)
        return cls._answer_refused(counted.retry_after)

    @staticmethod
    def _answer_refused(retry_after: int) -> HttpResponse:
        refused = JsonResponse(
            {
                "error": "temporarily_unavailable",
                "error_description": "Too many failed client authentications from this address.",
            },
            status=429,
        )
        refused["Cache-Control"] = "no-store"
        return throttle.too_many(refused, retry_after)


def malformed_client_auth(request: HttpRequest) -> bool:
    """A client authentication the library cannot read and would answer with a 500: an HTTP
    Basic value that is not ASCII base64 of UTF-8 text (the library's decoding raises), or a
    client_id holding a NUL (PostgreSQL refuses it in the client lookup). It is a failed
    client authentication like any other (invalid_client, audited and counted)."""
    try:
        basic_credentials(request)
    except ValueError:
        return True
    return any("\x00" in name for name in clients_named(request))


def invalid_client() -> HttpResponse:
    """RFC 6749 5.2's answer to a client authentication that failed."""
    refused = JsonResponse({"error": "invalid_client"}, status=401)
    refused["Cache-Control"] = "no-store"
    refused["WWW-Authenticate"] = 'Basic realm="oauth"'
    return refused


def failed_client_auth(response: HttpResponse) -> bool:
    """Whether the library answered `invalid_client` (RFC 6749 5.2: 401, or 400)."""
    if response.status_code not in (400, 401):
        return False
    try:
        return bool(json.loads(response.content).get("error") == "invalid_client")
    except (ValueError, AttributeError):
        return False


@method_decorator(transaction.atomic, name="post")
class TokenView(ClientAuthThrottled, dot.TokenView):
    """The token endpoint, each request one transaction: a code exchange holds its code locked
    from validate_code until the code is deleted and the tokens saved (validators.py), so two
    exchanges of one code cannot both pass; the second waits and is refused as a reuse.

    Only the grants the provider offers reach the library: it would take the device flow's
    grant type down its own path, unguarded (a missing device_code was a 500).

    Failed client authentications are audited and throttled per address (ClientAuthThrottled)."""

    endpoint = "token"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.POST.get("grant_type") not in GRANT_TYPES:
            refused = JsonResponse({"error": "unsupported_grant_type"}, status=400)
            refused["Cache-Control"] = "no-store"
            return refused
        return super().post(request, *args, **kwargs)


class RevokeView(ClientAuthThrottled, dot.RevokeTokenView):
    """RFC 7009 revocation, the library's; failed client authentications audited and throttled
    per address as at the token endpoint."""

    endpoint = "revoke"


class LogoutView(dot.RPInitiatedLogoutView):
    """RP-initiated logout: the portal's own sign-out (audited), then back to the client.

    The client's tokens end only when the person signed in here is the one the ID token was
    issued to, and only the tokens of that client: an ID token alone (which the client, or
    anyone it leaked to, holds) ends nothing. The library's own token deletion is switched off
    in the settings (OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS), as it would use the token's
    person even without a session, at every client."""

    template_name = "sso/logout_confirm.html"

    def get_request_application(self, id_token, client_id):  # type: ignore[no-untyped-def]
        """A `client_id` of no client is an invalid request (400), not the library's 500."""
        if client_id:
            client = Client.objects.filter(client_id=client_id).first()
            if client is None:
                raise InvalidOIDCClientError()
            return client
        return super().get_request_application(id_token, client_id)

    def do_logout(self, application=None, post_logout_redirect_uri=None, state=None, token_user=None):  # type: ignore[no-untyped-def]
        user = self.request.user
        if (
            application is not None
            and token_user is not None
            and user.is_authenticated
            and token_user == user
        ):
            end_tokens(user, application)
        signin.sign_out(self.request)
        return super().do_logout(application, post_logout_redirect_uri, state, None)

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        return allow_redirects_to(response, context.get("application"), logout=True)
