"""The OpenID Connect provider, over HTTP (a live server), driven by an independent relying
party: Authlib's OAuth2Session with requests for the protocol, joserfc to verify ID tokens
against the published JWKS. The person's browser is a requests session on the portal's pages."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from joserfc.errors import JoseError
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from edgate.accounts import actions as accounts
from edgate.accounts.models import Profile, Status
from edgate.audit.models import AuditEvent, EventType
from edgate.directory import actions as directory
from edgate.mfa.actions import do_provision_totp
from edgate.sso import access, authn, connected
from edgate.sso import actions as sso
from edgate.sso.models import Consent, Subject, TokenFamily

from .factories import CTX, PASSWORD, on_file, someone, with_profile
from .oidc import (
    AFTER_LOGOUT,
    OTHER_REDIRECT,
    REDIRECT,
    Browser,
    Rp,
    World,
    authorize,
    claims_of,
    close_sessions,
    code_of,
    csrf_of,
    exchange,
    grant,
    query,
    signed_in_page,
    signing_key,
    verifier_pair,
    world,
)
from .second_factor import current_code

pytestmark = pytest.mark.django_db(transaction=True)
NONCE = "n-0S6_WzA2Mj"


@pytest.fixture
def base(live_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    signing_key()
    yield live_server.url
    close_sessions()


@pytest.fixture
def w() -> World:
    return world()


def register(w: World, *, public: bool = False, first_party: bool = True, app=None):  # type: ignore[no-untyped-def]
    return sso.do_register_client(
        name="Dropbox",
        application=app or w.dropbox,
        redirect_uris=[REDIRECT],
        post_logout_redirect_uris=[AFTER_LOGOUT],
        public=public,
        first_party=first_party,
        ctx=CTX,
    )


def rp_for(base: str, reg) -> Rp:  # type: ignore[no-untyped-def]
    return Rp(base, reg.client.client_id, reg.client_secret)


def person(first: str = "Jordan", last: str = "Smith") -> Profile:
    return with_profile(on_file(someone(first, last), email=f"{first.lower()}@example.test"))


def sign_in(rp: Rp, browser: Browser, who: Profile, *, nonce: str = NONCE) -> dict:  # type: ignore[type-arg]
    """The whole code flow with PKCE; answers the token response."""
    session = rp.session()
    verifier, _ = verifier_pair()
    callback = browser.go(
        rp.authorization_url(session, code_verifier=verifier, nonce=nonce), username=who.username
    )
    assert callback.startswith(REDIRECT), browser.last.text[:2000] if browser.last else ""
    return rp.fetch_token(session, callback, verifier)


def token_post(rp: Rp, **data: str) -> requests.Response:
    auth = (rp.client_id, rp.client_secret) if rp.client_secret else None
    if auth is None:
        data["client_id"] = rp.client_id
    return requests.post(rp.metadata["token_endpoint"], data=data, auth=auth, timeout=10)


def code_for(rp: Rp, browser: Browser, who: Profile, verifier: str = "v" * 64) -> str:
    session = rp.session()
    callback = browser.go(rp.authorization_url(session, code_verifier=verifier), username=who.username)
    assert callback.startswith(REDIRECT)
    return query(callback)["code"]


# --- discovery and the happy path ----------------------------------------------------------


def test_discovery_publishes_the_provider(base: str) -> None:
    meta = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == base
    for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert meta[key].startswith(base)
    assert meta["end_session_endpoint"] == f"{base}/oauth/logout/"
    assert meta["revocation_endpoint"] == f"{base}/oauth/revoke/"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert meta["response_types_supported"] == ["code"]
    assert {"openid", "profile", "email"} <= set(meta["scopes_supported"])
    assert {
        "sub",
        "roles",
        "preferred_username",
        "email",
        "email_verified",
        "auth_time",
        "amr",
        "acr",
    } <= set(meta["claims_supported"])
    assert meta["acr_values_supported"] == ["urn:edgate:acr:password", "urn:edgate:acr:second-factor"]
    jwks = requests.get(meta["jwks_uri"], timeout=10).json()
    assert [k["alg"] for k in jwks["keys"]] == ["RS256"]
    assert "d" not in jwks["keys"][0]  # the public part only


def test_code_flow_gives_verified_claims_userinfo_refresh_revocation_and_logout(base: str, w: World) -> None:
    reg = register(w)
    who = person()
    grant(who, w)
    rp, browser = rp_for(base, reg), Browser(base)
    token = sign_in(rp, browser, who)

    claims = rp.id_claims(token["id_token"], nonce=NONCE)
    assert claims["preferred_username"] == who.username
    signed_in = AuditEvent.objects.get(event_type=EventType.SSO_SIGN_IN, target_id=str(who.pk))
    assert signed_in.detail == {"client_id": reg.client.client_id, "application": "DROPBOX", "amr": "pwd"}
    assert signed_in.actor_label == who.username
    assert (claims["given_name"], claims["family_name"], claims["name"]) == (
        "Jordan",
        "Smith",
        "Jordan Smith",
    )
    assert claims["roles"] == [
        {"role": "user", "organization": "04560010", "organization_name": "Riverside High"}
    ]
    # sub: opaque and stable, not the Profile's number
    assert claims["sub"] == str(Subject.objects.get(profile=who).sub)
    assert str(who.pk) != claims["sub"] and uuid.UUID(claims["sub"])

    info = rp.userinfo(token["access_token"])
    assert info.status_code == 200
    assert info.json()["email"] == "jordan@example.test"
    assert info.json()["sub"] == claims["sub"] and info.json()["roles"] == claims["roles"]

    # refresh, with rotation: the old refresh token is spent, and replaying it ends the family
    refreshed = token_post(rp, grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    fresh = refreshed.json()
    assert fresh["refresh_token"] != token["refresh_token"]
    assert rp.id_claims(fresh["id_token"])["sub"] == claims["sub"]
    replay = token_post(rp, grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert replay.json()["error"] == "invalid_grant"
    again = token_post(rp, grant_type="refresh_token", refresh_token=fresh["refresh_token"])
    assert again.json()["error"] == "invalid_grant"

    # revocation
    second = sign_in(rp, browser, who)
    assert rp.userinfo(second["access_token"]).status_code == 200
    revoked = requests.post(
        rp.metadata["revocation_endpoint"],
        data={"token": second["access_token"]},
        auth=(rp.client_id, rp.client_secret or ""),
        timeout=10,
    )
    assert revoked.status_code == 200
    assert rp.userinfo(second["access_token"]).status_code == 401

    # RP-initiated logout ends the portal session (audited) and returns to the client
    third = sign_in(rp, browser, who)
    back = browser.go(
        f"{rp.metadata['end_session_endpoint']}?"
        + requests.compat.urlencode(
            {"id_token_hint": third["id_token"], "post_logout_redirect_uri": AFTER_LOGOUT, "state": "s1"}
        )
    )
    assert back == f"{AFTER_LOGOUT}?state=s1"
    assert AuditEvent.objects.filter(event_type=EventType.SIGN_OUT, target_id=str(who.pk)).exists()
    assert rp.userinfo(third["access_token"]).status_code == 401  # its tokens went with it
    session = rp.session()
    assert browser.go(rp.authorization_url(session, code_verifier="v" * 64)) == ""
    assert browser.last is not None and "/login/" in browser.last.url


def test_sign_in_starts_at_the_portal_login_and_returns_to_the_client(base: str, w: World) -> None:
    reg = register(w, public=True)
    who = person()
    grant(who, w)
    rp, browser = rp_for(base, reg), Browser(base)
    session = rp.session()
    url = rp.authorization_url(session, code_verifier="v" * 64, state="st-1")
    assert browser.go(url) == ""  # not signed in: the portal's own sign-in page
    assert browser.last is not None and "/login/?next=/oauth/authorize/%3F" in browser.last.url
    # the sign-in page may send its form on to the client (CSP form-action), and only to it
    assert "http://rp.example.test" in browser.last.headers["Content-Security-Policy"]
    callback = browser.go(url, username=who.username)
    assert query(callback)["state"] == "st-1"
    token = rp.fetch_token(session, callback, "v" * 64)  # a public client: no secret, PKCE
    assert rp.id_claims(token["id_token"])["preferred_username"] == who.username
    plain = Browser(base)
    plain.go(f"{base}/login/")
    assert "rp.example.test" not in plain.last.headers["Content-Security-Policy"]


def test_a_privileged_person_passes_the_second_factor_on_the_way(base: str, w: World) -> None:
    reg = register(w)
    who = person("Dana", "Admin")
    grant(who, w)
    directory.do_appoint_admin(profile=who, organization=w.district, ctx=CTX)
    device = do_provision_totp(profile=who, ctx=CTX)
    rp, browser = rp_for(base, reg), Browser(base)
    session = rp.session()
    url = rp.authorization_url(session, code_verifier="v" * 64)
    assert browser.go(url, username=who.username) == ""
    assert browser.last is not None and "/second-factor/verify/" in browser.last.url
    callback = browser.submit({"code": current_code(device)})
    assert callback.startswith(REDIRECT), browser.last.text[:2000]
    assert rp.fetch_token(session, callback, "v" * 64)["id_token"]


# --- how the person signed in: auth_time, max_age, prompt=login, amr and acr ---------------
# (In process, the Django test client as browser and client: time is moved with time_machine.)


@pytest.fixture
def public(w: World):  # type: ignore[no-untyped-def]
    signing_key()
    return register(w, public=True).client


def refresh(client_id: str, refresh_token: str) -> dict:  # type: ignore[type-arg]
    answer = Client().post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id},
    )
    assert answer.status_code == 200, answer.content
    return answer.json()  # type: ignore[no-any-return]


def sign_in_again(page: Client, answer) -> str:  # type: ignore[no-untyped-def]
    """The sign-in page the authorization endpoint sent a signed-in browser to: shown to it
    (the session still there), the password typed again; answers where it sends the browser."""
    assert answer.status_code == 302, answer.status_code
    location = answer["Location"]
    assert location.startswith(f"{reverse('accounts:login')}?again=1&next="), location
    assert page.get(location).status_code == 200  # the form, not a redirect for the signed-in
    who = page.get(reverse("accounts:profile")).context["user"]
    posted = page.post(
        location,
        {
            "username": who.username,
            "password": PASSWORD,
            "next": parse_qs(urlsplit(location).query)["next"][0],
            "csrfmiddlewaretoken": csrf_of(page),
        },
    )
    assert posted.status_code == 302, posted.content[:2000]
    return posted["Location"]


def test_max_age_and_auth_time_belong_to_the_session_that_authorizes(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """sec1 M1 (ASVS V10.3.4). A session left open on a shared computer (T0), the owner signing
    in on their phone at T0+20: at T0+25 the old session's auth_time is still T0 (the library's
    was the Profile's last sign-in anywhere, T0+20), max_age=60 sends it to the sign-in page
    (keeping it), prompt=none answers login_required; signing in again gives a code whose
    auth_time is that sign-in, and refreshes keep it."""
    who = person()
    grant(who, w)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        old = signed_in_page(who)
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        signed_in_page(who)  # the phone
    with time_machine.travel(start + timedelta(minutes=25), tick=False):
        within = exchange(public.client_id, code_of(authorize(old, public.client_id, max_age="3600")))
        assert claims_of(within["id_token"])["auth_time"] == int(start.timestamp())
        too_old = authorize(old, public.client_id, max_age="60")
        assert "code=" not in too_old["Location"]
        assert old.get(reverse("accounts:profile")).status_code == 200  # not signed out
        silent = query(authorize(old, public.client_id, max_age="60", prompt="none")["Location"])
        assert silent == {"error": "login_required", "state": "st"}
        refused = AuditEvent.objects.get(event_type=EventType.SSO_SIGN_IN_REFUSED)
        assert refused.target_id == str(who.pk) and refused.outcome == "denied"
        assert refused.detail == {
            "client_id": public.client_id,
            "application": "DROPBOX",
            "reason": "max_age",
        }
        for value in ("soon", "-5", "1e3"):
            bad = query(authorize(old, public.client_id, max_age=value)["Location"])
            assert bad["error"] == "invalid_request", value
    with time_machine.travel(start + timedelta(minutes=26), tick=False):
        back = sign_in_again(old, too_old)
        answer = old.get(back)
        tokens = exchange(public.client_id, code_of(answer))
        assert claims_of(tokens["id_token"])["auth_time"] == int((start + timedelta(minutes=26)).timestamp())
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        again = refresh(public.client_id, tokens["refresh_token"])
        assert claims_of(again["id_token"])["auth_time"] == int((start + timedelta(minutes=26)).timestamp())


def test_a_refreshed_id_token_keeps_the_authorizing_session_s_auth_time_and_amr(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """A refresh's ID token tells how the session that authorized the code signed in (from its
    family), not the person's later sign-in on another device (the library's last_login): the
    test above cannot tell the two apart, its last sign-in anywhere being the authorizing one.
    (review1: no test failed with validate_refresh_token's `edgate_signed_in` line removed.)"""
    who = person()
    grant(who, w)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        tokens = exchange(public.client_id, code_of(authorize(signed_in_page(who), public.client_id)))
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        signed_in_page(who)  # another device
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        claims = claims_of(refresh(public.client_id, tokens["refresh_token"])["id_token"])
        assert (claims["auth_time"], claims.get("amr"), claims.get("acr")) == (
            int(start.timestamp()),
            ["pwd"],
            authn.ACR_PASSWORD,
        )


def test_prompt_login_does_not_end_the_session_before_a_new_sign_in(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """sec1 L3: prompt=login from any site's link used to sign the person out of the portal.
    Now the sign-in page is shown with the session kept; going round it (straight to the
    address it would return to) still asks for the sign-in; signing in gives the code."""
    who = person()
    grant(who, w)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        page = signed_in_page(who)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        answer = authorize(page, public.client_id, prompt="login")
        assert page.get(reverse("accounts:profile")).status_code == 200, "signed out by a GET"
        assert not AuditEvent.objects.filter(event_type=EventType.SIGN_OUT).exists()
        skipped = page.get(parse_qs(urlsplit(answer["Location"]).query)["next"][0])
        assert skipped["Location"].startswith(f"{reverse('accounts:login')}?again=1")
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        tokens = exchange(public.client_id, code_of(page.get(sign_in_again(page, answer))))
        assert claims_of(tokens["id_token"])["auth_time"] == int((start + timedelta(minutes=6)).timestamp())


def test_a_skipped_second_factor_holds_sign_in_and_amr_says_which_factors(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """sec1 M2. A Directory Administrator's password alone, then "go on without administrative
    rights": the authorization endpoint sends the session to its code page (no code); with the
    code, the ID token says so (amr pwd otp mfa, acr second factor); a person without a second
    factor gets amr pwd, acr password; sso.sign_in records the amr."""
    admin = person("Dana", "Admin")
    grant(admin, w)
    directory.do_appoint_admin(profile=admin, organization=w.district, ctx=CTX)
    device = do_provision_totp(profile=admin, ctx=CTX)
    page = signed_in_page(admin)  # the password only (stolen)
    page.post(reverse("mfa:skip"), {"csrfmiddlewaretoken": csrf_of(page)})
    held = authorize(page, public.client_id)
    assert held.status_code == 302 and held["Location"].startswith(reverse("mfa:verify")), held.get(
        "Location"
    )
    assert not Grant.objects.exists()
    passed = page.post(held["Location"], {"code": current_code(device), "csrfmiddlewaretoken": csrf_of(page)})
    claims = claims_of(exchange(public.client_id, code_of(page.get(passed["Location"])))["id_token"])
    assert (claims["amr"], claims["acr"]) == (["pwd", "otp", "mfa"], authn.ACR_SECOND_FACTOR)
    educator = person()
    grant(educator, w)
    claims = claims_of(
        exchange(public.client_id, code_of(authorize(signed_in_page(educator), public.client_id)))["id_token"]
    )
    assert (claims["amr"], claims["acr"]) == (["pwd"], authn.ACR_PASSWORD)
    recorded = {
        event.target_id: event.detail["amr"]
        for event in AuditEvent.objects.filter(event_type=EventType.SSO_SIGN_IN)
    }
    assert recorded == {str(admin.pk): "pwd otp mfa", str(educator.pk): "pwd"}


def test_without_the_second_factor_middleware_the_endpoint_refuses_to_issue_codes(  # type: ignore[no-untyped-def]
    w: World, public, settings
) -> None:
    """The endpoint holds a privileged session on what SecondFactorMiddleware finds: with the
    middleware taken out of the settings, it stops (fail closed) instead of treating every
    session as owing nothing — a Directory Administrator's password alone would have opened every
    application — and `edgate check` names the problem (edgate.E001)."""
    from edgate.core.checks import SECOND_FACTOR_MIDDLEWARE, second_factor_middleware_installed

    assert second_factor_middleware_installed() == []
    admin = person("Dana", "Admin")
    grant(admin, w)
    directory.do_appoint_admin(profile=admin, organization=w.district, ctx=CTX)
    do_provision_totp(profile=admin, ctx=CTX)
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != SECOND_FACTOR_MIDDLEWARE]
    page = signed_in_page(admin)  # the password only
    page.raise_request_exception = False
    answer = authorize(page, public.client_id)
    assert answer.status_code == 500
    assert not Grant.objects.exists()
    assert [message.id for message in second_factor_middleware_installed()] == ["edgate.E001"]


def test_acr_values_naming_the_second_factor_are_honoured(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """A client that will not take the password alone (acr_values = the second factor only):
    a session without it goes to its code page first (a person who has one) and the ID token's
    acr says it; a person without a second factor is answered access_denied; prompt=none,
    login_required; both values, or none, ask for nothing more."""
    strict = {"acr_values": authn.ACR_SECOND_FACTOR}
    educator = person()
    grant(educator, w)
    page = signed_in_page(educator)
    refused = query(authorize(page, public.client_id, **strict)["Location"])
    assert (refused["error"], refused["state"]) == ("access_denied", "st")
    assert "code" not in refused
    silent = query(authorize(page, public.client_id, prompt="none", **strict)["Location"])
    assert silent == {"error": "login_required", "state": "st"}
    reasons = AuditEvent.objects.filter(event_type=EventType.SSO_SIGN_IN_REFUSED).values_list(
        "detail__reason", flat=True
    )
    assert list(reasons) == ["acr_values", "acr_values"]
    either = authorize(page, public.client_id, acr_values=f"{authn.ACR_SECOND_FACTOR} {authn.ACR_PASSWORD}")
    assert claims_of(exchange(public.client_id, code_of(either))["id_token"])["acr"] == authn.ACR_PASSWORD
    device = do_provision_totp(profile=educator, ctx=CTX)  # not privileged, but has the app
    held = authorize(page, public.client_id, **strict)
    assert held["Location"].startswith(f"{reverse('mfa:verify')}?next=")
    passed = page.post(held["Location"], {"code": current_code(device), "csrfmiddlewaretoken": csrf_of(page)})
    claims = claims_of(exchange(public.client_id, code_of(page.get(passed["Location"])))["id_token"])
    assert (claims["acr"], claims["amr"]) == (authn.ACR_SECOND_FACTOR, ["pwd", "otp", "mfa"])


def test_a_huge_max_age_is_not_a_500(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """review1 L1: max_age of 401 digits was an OverflowError (time.time() minus it). Any
    session signed in since 1970 meets it: a code."""
    who = person()
    grant(who, w)
    page = signed_in_page(who)
    page.raise_request_exception = False
    answer = authorize(page, public.client_id, max_age="1" + "0" * 400)
    assert answer.status_code == 302 and "code" in query(answer["Location"]), answer.status_code


def sign_in_from(page: Client, location: str, who: Profile):  # type: ignore[no-untyped-def]
    """The password typed on the sign-in page at `location` (a signed-out browser's)."""
    assert page.get(location).status_code == 200
    return page.post(
        location,
        {
            "username": who.username,
            "password": PASSWORD,
            "next": parse_qs(urlsplit(location).query)["next"][0],
            "csrfmiddlewaretoken": csrf_of(page),
        },
    )


def test_max_age_zero_from_a_signed_out_browser_asks_for_one_sign_in(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """review1 L2. An application that always sends max_age=0 ("force login"): a signed-out
    educator signs in once and gets the code (the way back carried max_age=0, which no session
    meets: the sign-in page a second time). A Directory Administrator whose password and code
    take longer than max_age likewise: one sign-in, one code, then the application's code."""
    who = person()
    grant(who, w)
    page = Client(enforce_csrf_checks=True)
    first = authorize(page, public.client_id, max_age="0")
    assert first["Location"].startswith(f"{reverse('accounts:login')}?next="), first["Location"]
    back = sign_in_from(page, first["Location"], who)
    assert "code" in query(page.get(back["Location"])["Location"])
    admin = person("Dana", "Admin")
    grant(admin, w)
    directory.do_appoint_admin(profile=admin, organization=w.district, ctx=CTX)
    device = do_provision_totp(profile=admin, ctx=CTX)
    start = timezone.now().replace(microsecond=0)
    page = Client(enforce_csrf_checks=True)
    with time_machine.travel(start, tick=False):
        first = authorize(page, public.client_id, max_age="60")
    with time_machine.travel(start + timedelta(seconds=10), tick=False):
        held = page.get(sign_in_from(page, first["Location"], admin)["Location"])
        assert held["Location"].startswith(reverse("mfa:verify")), held["Location"]
        assert page.get(held["Location"]).status_code == 200
    with time_machine.travel(start + timedelta(seconds=100), tick=False):
        code = {"code": current_code(device), "csrfmiddlewaretoken": csrf_of(page)}
        passed = page.post(held["Location"], code)
        answer = page.get(passed["Location"])
        assert answer["Location"].startswith(REDIRECT), answer["Location"]
        claims = claims_of(exchange(public.client_id, code_of(answer))["id_token"])
        assert claims["acr"] == authn.ACR_SECOND_FACTOR


def test_prompt_none_for_a_skipped_privileged_session_answers_the_client(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """review1 L3 (OIDC Core 3.1.2.1: prompt=none never shows a page). A Directory
    Administrator who went on without the second factor: prompt=none answers the client
    login_required (audited, reason second_factor), not with the code page; no code."""
    admin = person("Dana", "Admin")
    grant(admin, w)
    directory.do_appoint_admin(profile=admin, organization=w.district, ctx=CTX)
    do_provision_totp(profile=admin, ctx=CTX)
    page = signed_in_page(admin)
    page.post(reverse("mfa:skip"), {"csrfmiddlewaretoken": csrf_of(page)})
    answer = authorize(page, public.client_id, prompt="none")
    assert answer["Location"].startswith(REDIRECT), answer["Location"]
    assert query(answer["Location"]) == {"error": "login_required", "state": "st"}
    refused = AuditEvent.objects.get(event_type=EventType.SSO_SIGN_IN_REFUSED)
    assert (refused.target_id, refused.detail["reason"]) == (str(admin.pk), "second_factor")
    assert not Grant.objects.exists()


def test_a_person_appointed_while_signed_in_gets_no_code_on_the_password_alone(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """review1 L4 (docs/sso.md: a privileged person's codes always say the second factor).
    The sign-in marks only the privileged; someone appointed Directory Administrator during
    their session is held too: without the app, its set-up page (not a loop back to the
    endpoint); with it, the code page, then a code that says so."""
    admin = person("Dana", "Admin")
    grant(admin, w)
    page = signed_in_page(admin)
    directory.do_appoint_admin(profile=admin, organization=w.district, ctx=CTX)
    held = authorize(page, public.client_id)
    assert held["Location"].startswith(f"{reverse('mfa:verify')}?next="), held["Location"]
    enrol = page.get(held["Location"])
    assert enrol["Location"].startswith(reverse("mfa:enrol")), enrol["Location"]
    assert page.get(enrol["Location"]).status_code == 200
    device = do_provision_totp(profile=admin, ctx=CTX)
    held = authorize(page, public.client_id)
    assert held["Location"].startswith(f"{reverse('mfa:verify')}?next="), held["Location"]
    assert not Grant.objects.exists()
    passed = page.post(held["Location"], {"code": current_code(device), "csrfmiddlewaretoken": csrf_of(page)})
    claims = claims_of(exchange(public.client_id, code_of(page.get(passed["Location"])))["id_token"])
    assert claims["acr"] == authn.ACR_SECOND_FACTOR


def test_an_email_the_person_typed_is_not_presented_as_verified(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """sec1 M3: My Profile takes any address, unconfirmed (the portal never sends mail to it):
    the ID token and userinfo say email_verified false, so a client linking accounts by email
    is told not to trust it (docs/sso.md: key accounts on `sub`)."""
    attacker = person("Mallory", "Jones")
    grant(attacker, w)
    page = signed_in_page(attacker)
    form = {
        "street": "1 Main St",
        "city": "Riverside",
        "state": "CA",
        "postcode": "90001",
        "email": "principal@riverside.example.gov",
        "phone": "",
        "csrfmiddlewaretoken": csrf_of(page),
    }
    assert page.post(reverse("accounts:profile"), form).status_code == 302
    tokens = exchange(public.client_id, code_of(authorize(page, public.client_id)))
    claims = claims_of(tokens["id_token"])
    assert (claims["email"], claims["email_verified"]) == ("principal@riverside.example.gov", False)
    info = Client().get("/oauth/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert (info["email"], info["email_verified"]) == ("principal@riverside.example.gov", False)


def test_prompt_none_with_a_hint_for_someone_else_is_login_required(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """sec1 L4: an id_token_hint names the person the client expects; with Bob signed in in the
    same browser, a hint naming Alice is login_required (audited), not a code for Bob; Bob's
    own hint, even expired, gives his code."""
    alice, bob = person("Alice", "Ames"), person("Bob", "Burns")
    grant(alice, w)
    grant(bob, w)
    alices = exchange(public.client_id, code_of(authorize(signed_in_page(alice), public.client_id)))[
        "id_token"
    ]
    shared = signed_in_page(bob)  # the same browser, now Bob's
    answer = query(authorize(shared, public.client_id, prompt="none", id_token_hint=alices)["Location"])
    assert (answer["error"], answer["state"]) == ("login_required", "st") and "code" not in answer
    refused = AuditEvent.objects.get(event_type=EventType.SSO_SIGN_IN_REFUSED)
    assert (refused.target_id, refused.detail["reason"]) == (str(bob.pk), "id_token_hint")
    garbage = authorize(
        shared, public.client_id, prompt="none", id_token_hint="not.a.token"
    )  # Bob: no sub yet
    assert query(garbage["Location"])["error"] == "login_required"
    bobs = exchange(public.client_id, code_of(authorize(shared, public.client_id)))["id_token"]
    with time_machine.travel(timezone.now() + timedelta(minutes=15)):  # expired (10 min): still his
        assert code_of(authorize(shared, public.client_id, prompt="none", id_token_hint=bobs))


def _jws(payload: bytes) -> str:
    def enc(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    return f"{enc(json.dumps({'alg': 'RS256', 'kid': 'x'}).encode())}.{enc(payload)}.{enc(b'sig')}"


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/oauth/logout/?client_id=no-such-client", {}),
        ("get", "/oauth/logout/?" + urlencode({"id_token_hint": _jws(b"not json")}), {}),
        ("get", "/oauth/logout/?" + urlencode({"id_token_hint": _jws(b'{"aud": 5}')}), {}),
        ("post", "/oauth/token/", {"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}),
        ("post", "/oauth/token/", {"grant_type": "client_credentials"}),
    ],
    ids=[
        "logout-unknown-client",
        "logout-hint-not-json",
        "logout-hint-aud-number",
        "token-device-code",
        "token-client-credentials",
    ],
)
def test_bad_input_at_the_provider_is_a_clear_oauth_error_not_a_500(
    public, method: str, url: str, data
) -> None:  # type: ignore[no-untyped-def]
    """sec1 L1: each of these was a 500 (the library's unguarded lookups and parsing)."""
    answer = getattr(Client(raise_request_exception=False), method)(url, data)
    assert answer.status_code == 400, answer.status_code
    if url.startswith("/oauth/token/"):
        assert answer.json() == {"error": "unsupported_grant_type"}
    else:
        assert "This sign-out request cannot be answered" in answer.content.decode()


def test_a_consent_form_naming_an_unknown_client_is_not_a_500(w: World, public) -> None:  # type: ignore[no-untyped-def]
    page = signed_in_page(person())
    page.raise_request_exception = False
    answer = page.post(
        "/oauth/authorize/",
        {
            "client_id": "no-such-client",
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "response_type": "code",
            "allow": "Authorize",
            "csrfmiddlewaretoken": csrf_of(page),
        },
    )
    assert answer.status_code == 400 and "Location" not in answer


def test_a_refused_consent_post_records_no_sign_in_and_no_consent(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """sec1 L2: a consent form posted with more scopes than the client is registered for is
    answered invalid_scope, and records nothing: no "Allow", no sso.consent_given, no
    sso.sign_in. The same form within the client's scopes records all three."""
    vendor = sso.do_register_client(
        name="Vendor",
        application=w.dropbox,
        redirect_uris=[REDIRECT],
        public=True,
        first_party=False,
        scopes=["openid"],
        ctx=CTX,
    ).client
    who = person()
    grant(who, w)
    page = signed_in_page(who)

    def consent_post(scope: str):  # type: ignore[no-untyped-def]
        return page.post(
            "/oauth/authorize/",
            {
                "client_id": vendor.client_id,
                "redirect_uri": REDIRECT,
                "scope": scope,
                "response_type": "code",
                "state": "st",
                "code_challenge": verifier_pair()[1],
                "code_challenge_method": "S256",
                "allow": "Authorize",
                "csrfmiddlewaretoken": csrf_of(page),
            },
        )

    refused = consent_post("openid profile email")  # more than the client is registered for
    assert (query(refused["Location"])["error"], query(refused["Location"])["state"]) == (
        "invalid_scope",
        "st",
    )
    assert "code" not in query(refused["Location"])

    def recorded() -> dict[str, bool]:
        return {
            "consent row": Consent.objects.filter(client=vendor).exists(),
            "sso.consent_given": AuditEvent.objects.filter(event_type=EventType.SSO_CONSENT_GIVEN).exists(),
            "sso.sign_in": AuditEvent.objects.filter(event_type=EventType.SSO_SIGN_IN).exists(),
        }

    assert not any(recorded().values()), recorded()
    assert code_of(consent_post("openid"))
    assert all(recorded().values()), recorded()
    assert Consent.objects.get(client=vendor).scopes == "openid"


# --- access enforced -----------------------------------------------------------------------


def test_no_grant_sends_the_person_back_with_access_denied(base: str, w: World) -> None:
    reg = register(w, first_party=False)  # not even the consent page
    who = person()
    rp, browser = rp_for(base, reg), Browser(base)
    session = rp.session()
    callback = browser.go(
        rp.authorization_url(session, code_verifier="v" * 64, state="st-2"), username=who.username
    )
    assert callback.startswith(REDIRECT)
    assert query(callback)["error"] == "access_denied"
    assert query(callback)["state"] == "st-2"
    assert "code" not in query(callback)
    refused = AuditEvent.objects.get(event_type=EventType.SSO_ACCESS_DENIED, target_id=str(who.pk))
    assert refused.outcome == "denied"
    assert refused.detail == {"client_id": reg.client.client_id, "application": "DROPBOX"}
    assert not AuditEvent.objects.filter(event_type=EventType.SSO_SIGN_IN).exists()


def test_an_application_open_to_all_admits_every_active_profile(base: str, w: World) -> None:
    reg = register(w, app=w.elar)
    who = person()
    token = sign_in(rp_for(base, reg), Browser(base), who)
    assert rp_for(base, reg).id_claims(token["id_token"])["roles"] == []


def test_revoked_grant_or_ended_staff_entry_stops_refresh_and_userinfo_at_once(base: str, w: World) -> None:
    reg = register(w)
    rp = rp_for(base, reg)
    first, second = person("Avery", "One"), person("Blair", "Two")
    first_grant = grant(first, w)
    grant(second, w)
    t1, t2 = sign_in(rp, Browser(base), first), sign_in(rp, Browser(base), second)

    directory.do_revoke_access(grant=first_grant, ctx=CTX)
    entry = second.person.staff_entries.get()
    directory.do_end_staff_entry(entry=entry, ctx=CTX)

    for token in (t1, t2):
        refused = token_post(rp, grant_type="refresh_token", refresh_token=token["refresh_token"])
        assert refused.json()["error"] == "invalid_grant"
        assert rp.userinfo(token["access_token"]).status_code == 401
    # and the next sign-in is turned away
    session = rp.session()
    callback = Browser(base).go(
        rp.authorization_url(session, code_verifier="v" * 64), username=first.username
    )
    assert query(callback)["error"] == "access_denied"


def test_grant_revoked_between_sign_in_and_code_exchange(base: str, w: World) -> None:
    reg = register(w)
    rp = rp_for(base, reg)
    who = person()
    g = grant(who, w)
    code = code_for(rp, Browser(base), who)
    directory.do_revoke_access(grant=g, ctx=CTX)
    refused = token_post(
        rp, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="v" * 64
    )
    assert refused.json()["error"] == "invalid_grant"


def test_a_disabled_profile_gets_no_tokens(base: str, w: World) -> None:
    reg = register(w, app=w.elar)
    rp = rp_for(base, reg)
    who = person()
    token = sign_in(rp, Browser(base), who)
    accounts.do_set_status(profile=who, status=Status.DISABLED, reason="left the agency", ctx=CTX)
    assert token_post(rp, grant_type="refresh_token", refresh_token=token["refresh_token"]).json()[
        "error"
    ] == ("invalid_grant")
    assert rp.userinfo(token["access_token"]).status_code == 401
    session = rp.session()
    browser = Browser(base)
    assert browser.go(rp.authorization_url(session, code_verifier="v" * 64), username=who.username) == ""
    assert browser.last is not None and "/login/" in browser.last.url  # cannot sign in at all


def test_tokens_a_disable_ended_do_not_come_back_when_the_profile_is_enabled(base: str, w: World) -> None:
    """sec2 M3: a Profile that leaves the active state loses its tokens at every client, as it
    loses its portal sessions (refusing them while it was disabled was not enough: enabled
    again, its refresh token and access token worked again)."""
    reg = register(w, app=w.elar)
    rp = rp_for(base, reg)
    who = person()
    token = sign_in(rp, Browser(base), who)
    accounts.do_set_status(profile=who, status=Status.DISABLED, reason="someone else signed in", ctx=CTX)
    event = AuditEvent.objects.filter(
        event_type=EventType.PROFILE_STATUS_CHANGED, target_id=str(who.pk)
    ).latest("id")
    assert event.detail["tokens_ended"] == 2  # its access and refresh token
    accounts.do_set_status(profile=who, status=Status.ACTIVE, reason="owner verified", ctx=CTX)
    refused = token_post(rp, grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
    assert rp.userinfo(token["access_token"]).status_code == 401


def test_a_new_password_ends_the_profile_s_tokens_at_every_client(base: str, w: World) -> None:
    """Changing the password ends every other portal session; it ends the Profile's tokens at
    every client too, so whoever signed in to an application with the old password cannot
    refresh there nor call userinfo (a recovery's new password goes through the same action)."""
    first, second = register(w, app=w.elar), register(w, app=w.elar)
    rp1, rp2 = rp_for(base, first), rp_for(base, second)
    who, other = person(), person("Blair", "Two")
    tokens = [sign_in(rp1, Browser(base), who), sign_in(rp2, Browser(base), who)]
    bystander = sign_in(rp1, Browser(base), other)
    accounts.do_change_password(profile=who, new_password="a-new-long-passphrase-2026", ctx=CTX)
    for rp, token in zip((rp1, rp2), tokens, strict=True):
        refused = token_post(rp, grant_type="refresh_token", refresh_token=token["refresh_token"])
        assert refused.json()["error"] == "invalid_grant"
        assert rp.userinfo(token["access_token"]).status_code == 401
    event = AuditEvent.objects.get(event_type=EventType.PASSWORD_CHANGED, target_id=str(who.pk))
    assert event.detail["tokens_ended"] == 4  # an access and a refresh token at each client
    # Another person's tokens are untouched.
    assert rp1.userinfo(bystander["access_token"]).status_code == 200
    assert (
        "access_token"
        in token_post(rp1, grant_type="refresh_token", refresh_token=bystander["refresh_token"]).json()
    )


def test_a_code_minted_before_a_password_change_buys_no_tokens(base: str, w: World) -> None:
    reg = register(w, app=w.elar)
    rp = rp_for(base, reg)
    who = person()
    code = code_for(rp, Browser(base), who)
    accounts.do_change_password(profile=who, new_password="a-new-long-passphrase-2026", ctx=CTX)
    refused = token_post(
        rp, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="v" * 64
    )
    assert refused.json()["error"] == "invalid_grant"


def test_a_refresh_family_ends_twelve_hours_after_the_authorization(base: str, w: World) -> None:
    """However often it is refreshed (each refresh token alone would live on), the family ends
    EDGATE_OIDC_REFRESH_MAX_SECONDS (12 h) after the person authorized the client; then only a
    new authorization gives tokens, and `edgate cleanup` forgets the ended family."""
    reg = register(w, app=w.elar)
    rp = rp_for(base, reg)
    who = person()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        token = sign_in(rp, Browser(base), who)
    for hours in (6, 11.9):  # each refresh well within the previous token's own 8 hours
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            refreshed = token_post(rp, grant_type="refresh_token", refresh_token=token["refresh_token"])
            assert refreshed.status_code == 200, refreshed.text
            token = refreshed.json()
    with time_machine.travel(start + timedelta(hours=12, seconds=1), tick=False):
        refused = token_post(rp, grant_type="refresh_token", refresh_token=token["refresh_token"])
        assert refused.json()["error"] == "invalid_grant"
    # The row outlives the family by one access-token lifetime (10 minutes): an access token of
    # an ended family is refused by it until the token expires itself.
    with time_machine.travel(start + timedelta(hours=12, minutes=10, seconds=2), tick=False):
        out = StringIO()
        call_command("cleanup", stdout=out)
        assert "1 ended token families" in out.getvalue()
        assert not TokenFamily.objects.exists()
        again = sign_in(rp, Browser(base), who)  # through /authorize again: a new family
        assert (
            token_post(rp, grant_type="refresh_token", refresh_token=again["refresh_token"]).status_code
            == 200
        )


def test_a_client_gets_only_the_scopes_it_is_registered_for(base: str, w: World) -> None:
    """A request for a scope the client is not registered for is refused with invalid_scope
    (back at the client, with its state), not narrowed in silence."""
    reg = sso.do_register_client(
        name="Dropbox", application=w.dropbox, redirect_uris=[REDIRECT], scopes=["profile"], ctx=CTX
    )
    assert reg.link.allowed_scopes() == {"openid", "profile"}
    rp, browser, who = rp_for(base, reg), Browser(base), person()
    grant(who, w)
    asked_too_much = rp.authorization_url(rp.session(), code_verifier="v" * 64, state="sc")
    refused = query(browser.go(asked_too_much, username=who.username))
    assert refused["error"] == "invalid_scope" and refused["state"] == "sc" and "code" not in refused
    session = rp.session(scope="openid profile")
    callback = browser.go(rp.authorization_url(session, code_verifier="v" * 64))
    token = rp.fetch_token(session, callback, "v" * 64)
    assert token["scope"] == "openid profile"
    info = rp.userinfo(token["access_token"]).json()
    assert info["preferred_username"] == who.username and "email" not in info
    registered = AuditEvent.objects.get(event_type=EventType.SSO_CLIENT_REGISTERED)
    assert registered.detail["scopes"] == ["openid", "profile"]
    with pytest.raises(ValidationError):
        sso.do_register_client(
            name="X", application=w.dropbox, redirect_uris=[REDIRECT], scopes=["address"], ctx=CTX
        )


def test_narrowing_a_client_s_scopes_ends_refreshes_of_what_it_no_longer_may_have(
    base: str, w: World
) -> None:
    """`edgate client scopes`: audited, and at once a refresh of tokens granted a withdrawn
    scope is invalid_grant, and an authorization asking for it invalid_scope."""
    reg = register(w)
    rp = rp_for(base, reg)
    who = person()
    grant(who, w)
    token = sign_in(rp, Browser(base), who)
    out = StringIO()
    call_command("client", "scopes", reg.client.client_id, "--scope", "profile", stdout=out)
    assert "openid profile" in out.getvalue()
    refused = token_post(rp, grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
    event = AuditEvent.objects.get(event_type=EventType.SSO_CLIENT_SCOPES_CHANGED)
    assert event.detail["before"] == ["email", "openid", "profile"]
    assert event.detail["after"] == ["openid", "profile"]
    assert (event.actor_id, event.target_id) == (None, str(reg.link.pk))
    browser = Browser(base)
    answer = browser.go(rp.authorization_url(rp.session(), code_verifier="v" * 64), username=who.username)
    assert query(answer)["error"] == "invalid_scope"
    session = rp.session(scope="openid profile")
    callback = Browser(base).go(rp.authorization_url(session, code_verifier="v" * 64), username=who.username)
    assert rp.fetch_token(session, callback, "v" * 64)["scope"] == "openid profile"


def test_third_party_clients_ask_for_consent(base: str, w: World) -> None:
    reg = register(w, first_party=False)
    who = person()
    grant(who, w)
    rp, browser = rp_for(base, reg), Browser(base)
    session = rp.session()
    url = rp.authorization_url(session, code_verifier="v" * 64)
    assert browser.go(url, username=who.username) == ""
    assert browser.last is not None and "Sign in to Dropbox?" in browser.last.text
    assert "http://rp.example.test" in browser.last.headers["Content-Security-Policy"]
    declined = browser.submit()
    assert query(declined)["error"] == "access_denied"
    browser.go(url)
    accepted = browser.submit({"allow": "Authorize"})
    assert "code" in query(accepted)
    assert rp.fetch_token(session, accepted, "v" * 64)["access_token"]


def test_an_allow_is_remembered_twelve_hours_from_when_it_was_given(base: str, w: World) -> None:
    """The consent page's promise: an "Allow" is remembered at most 12 hours. Silent sign-ins
    within them (a live token of the client) begin families that end with the consent, and the
    first sign-in after it asks again, though a token of the client still lives."""
    reg = register(w, first_party=False)
    who = person()
    grant(who, w)
    rp = rp_for(base, reg)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        session, browser = rp.session(), Browser(base)
        assert browser.go(rp.authorization_url(session, code_verifier="v" * 64), username=who.username) == ""
        token = rp.fetch_token(session, browser.submit({"allow": "Authorize"}), "v" * 64)
    given = AuditEvent.objects.get(event_type=EventType.SSO_CONSENT_GIVEN)
    assert (given.target_id, given.detail["scopes"]) == (str(who.pk), ["email", "openid", "profile"])
    for hours in (6, 11.9):  # each refresh within the previous refresh token's own 8 hours
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            token = token_post(rp, grant_type="refresh_token", refresh_token=token["refresh_token"]).json()
            assert "access_token" in token, token
    with time_machine.travel(start + timedelta(hours=11, minutes=55), tick=False):
        session, browser = rp.session(), Browser(base)  # a new sign-in, no page: remembered
        silent = browser.go(rp.authorization_url(session, code_verifier="v" * 64), username=who.username)
        assert silent.startswith(REDIRECT)
        later = rp.fetch_token(session, silent, "v" * 64)
    with time_machine.travel(start + timedelta(hours=12, seconds=1), tick=False):
        # the family the silent sign-in began ends with the consent, not 12 hours after it
        refused = token_post(rp, grant_type="refresh_token", refresh_token=later["refresh_token"])
        assert refused.json()["error"] == "invalid_grant"
        assert AccessToken.objects.filter(user=who, expires__gt=timezone.now()).exists()
        session, browser = rp.session(), Browser(base)
        assert browser.go(rp.authorization_url(session, code_verifier="v" * 64), username=who.username) == ""
        assert browser.last is not None and "Sign in to Dropbox?" in browser.last.text
        assert query(prompt_none(rp, browser))["error"] == "consent_required"


def signed_in_client(who: Profile) -> Client:
    """A Django test client signed in through the sign-in page, CSRF enforced as in a browser."""
    page = Client(enforce_csrf_checks=True)
    page.get(reverse("accounts:login"))
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    answer = page.post(
        reverse("accounts:login"),
        {"username": who.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert answer.status_code == 302, answer.content[:2000]
    return page


def test_connected_applications_shows_and_disconnects_what_holds_the_persons_tokens(
    base: str, w: World
) -> None:
    vendor = register(w, first_party=False)
    elar = sso.do_register_client(name="ELAR", application=w.elar, redirect_uris=[REDIRECT], ctx=CTX)
    who, other = person(), person("Blair", "Two")
    grant(who, w)
    vrp, erp, browser = rp_for(base, vendor), rp_for(base, elar), Browser(base)
    session = vrp.session()
    browser.go(vrp.authorization_url(session, code_verifier="v" * 64), username=who.username)
    assert browser.last is not None
    with translation.override("en"):  # the consent page says how long the answer lasts
        lasts = ngettext("at most %(hours)s hour from now", "at most %(hours)s hours from now", 12)
    assert lasts % {"hours": 12} in browser.last.text
    vtok = vrp.fetch_token(session, browser.submit({"allow": "Authorize"}), "v" * 64)
    etok = sign_in(erp, browser, who)
    theirs = sign_in(erp, Browser(base), other)

    page = signed_in_client(who)
    url = reverse("sso:connected")
    assert url in page.get(reverse("accounts:profile")).content.decode()  # linked from My Profile
    listing = page.get(url)
    shown = listing.content.decode()
    assert [c.client.name for c in listing.context["connections"]] == ["Dropbox", "ELAR"]
    assert str(access.SCOPE_DESCRIPTIONS["email"]) in shown and 'name="csrfmiddlewaretoken"' in shown
    assert page.post(url, {"client_id": vendor.client.client_id}).status_code == 403  # no CSRF token
    csrf = page.cookies[settings.CSRF_COOKIE_NAME].value

    # Bad input changes nothing and is no error: another person's client, an unknown one, none.
    for wrong in ({"client_id": "no-such-client"}, {}, {"client_id": "x" * 5000}):
        answer = page.post(url, {**wrong, "csrfmiddlewaretoken": csrf})
        assert answer.status_code == 302 and answer["Location"] == url
    assert not AuditEvent.objects.filter(event_type=EventType.SSO_CONSENT_WITHDRAWN).exists()

    done = page.post(url, {"client_id": vendor.client.client_id, "csrfmiddlewaretoken": csrf}, follow=True)
    assert [c.client.name for c in done.context["connections"]] == ["ELAR"]
    assert vrp.userinfo(vtok["access_token"]).status_code == 401
    refused = token_post(vrp, grant_type="refresh_token", refresh_token=vtok["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
    assert query(prompt_none(vrp, browser))["error"] == "consent_required"  # consent forgotten
    assert not Consent.objects.filter(profile=who).exists()
    assert erp.userinfo(etok["access_token"]).status_code == 200  # the other application stays
    assert erp.userinfo(theirs["access_token"]).status_code == 200  # and so does another person
    event = AuditEvent.objects.get(event_type=EventType.SSO_CONSENT_WITHDRAWN)
    assert (event.target_id, event.actor_id) == (str(who.pk), who.pk)
    assert event.detail == {"client_id": vendor.client.client_id, "application": "DROPBOX", "tokens_ended": 2}

    page.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    with translation.override("es"):
        assert gettext("Connected applications") in page.get(url).content.decode()
        assert gettext("Connected applications") != "Connected applications"


def test_connected_applications_leaves_out_what_can_no_longer_be_used(base: str, w: World) -> None:
    """A client whose refresh token is unrevoked but belongs to an ended family (or has lapsed
    on its own) holds nothing usable: it is not listed, and there is nothing to disconnect."""
    reg = register(w, app=w.elar)
    rp = rp_for(base, reg)
    who = person()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        token = sign_in(rp, Browser(base), who)
    for hours in (6, 11.9):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            token = token_post(rp, grant_type="refresh_token", refresh_token=token["refresh_token"]).json()
            assert [c.client.name for c in connected.connections(who)] == ["Dropbox"]
    with time_machine.travel(start + timedelta(hours=12, seconds=1), tick=False):
        assert AccessToken.objects.filter(user=who, expires__gt=timezone.now()).exists()  # still live
        assert connected.connections(who) == []  # ... but of an ended family
    with time_machine.travel(start + timedelta(hours=13), tick=False):
        assert RefreshToken.objects.filter(user=who, revoked__isnull=True).exists()
        page = signed_in_client(who)
        assert page.get(reverse("sso:connected")).context["connections"] == []


# --- the protocol's negative cases ---------------------------------------------------------


def test_an_unregistered_redirect_uri_is_never_redirected_to(base: str, w: World) -> None:
    reg = register(w)
    who = person()
    grant(who, w)
    rp = rp_for(base, reg)
    rp.redirect_uri = OTHER_REDIRECT
    browser = Browser(base)
    assert browser.go(rp.authorization_url(rp.session(), code_verifier="v" * 64), username=who.username) == ""
    assert browser.last is not None and browser.last.status_code == 400
    assert "cannot be answered" in browser.last.text


def test_a_code_works_once(base: str, w: World) -> None:
    reg = register(w)
    rp = rp_for(base, reg)
    who = person()
    grant(who, w)
    code = code_for(rp, Browser(base), who)
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": "v" * 64,
    }
    assert token_post(rp, **exchange).status_code == 200
    assert token_post(rp, **exchange).json()["error"] == "invalid_grant"


def test_a_code_used_again_revokes_what_its_first_exchange_gave(base: str, w: World) -> None:
    """RFC 6749 §4.1.2: a second exchange is refused, and the tokens the first one gave (with
    every rotation since) end: one of the two exchanges was not the client's."""
    reg = register(w)
    rp = rp_for(base, reg)
    who = person()
    grant(who, w)
    code = code_for(rp, Browser(base), who)
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": "v" * 64,
    }
    first = token_post(rp, **exchange).json()
    rotated = token_post(rp, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert rp.userinfo(rotated["access_token"]).status_code == 200
    elsewhere = sign_in(rp, Browser(base), who)  # another sign-in of the same person

    assert token_post(rp, **exchange).json()["error"] == "invalid_grant"
    assert rp.userinfo(rotated["access_token"]).status_code == 401
    refused = token_post(rp, grant_type="refresh_token", refresh_token=rotated["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
    assert rp.userinfo(elsewhere["access_token"]).status_code == 200  # not from that code
    event = AuditEvent.objects.get(event_type=EventType.SSO_CODE_REUSED)
    assert (event.target_id, event.outcome) == (str(who.pk), "denied")
    assert event.detail == {"client_id": reg.client.client_id, "application": "DROPBOX", "tokens_ended": 2}
    # Only a hash of the code is kept, and the code itself is in no event.
    assert not TokenFamily.objects.filter(code_digest=code).exists()
    assert all(code not in str(logged.detail) for logged in AuditEvent.objects.all())


def test_pkce_verifier_wrong_or_missing_is_refused(base: str, w: World) -> None:
    reg = register(w)
    rp = rp_for(base, reg)
    who = person()
    grant(who, w)
    browser = Browser(base)
    code = code_for(rp, browser, who)
    wrong = token_post(
        rp, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="w" * 64
    )
    assert wrong.json()["error"] == "invalid_grant"
    code = code_for(rp, browser, who)
    missing = token_post(rp, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert missing.status_code == 400 and missing.json()["error"] in ("invalid_request", "invalid_grant")


def test_an_authorization_request_without_s256_pkce_is_refused(base: str, w: World) -> None:
    reg = register(w, public=True)
    rp = rp_for(base, reg)
    who = person()
    grant(who, w)
    browser = Browser(base)
    plain_params = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "st-3",
    }
    endpoint = rp.metadata["authorization_endpoint"]
    without = browser.go(f"{endpoint}?{requests.compat.urlencode(plain_params)}", username=who.username)
    assert query(without)["error"] == "invalid_request" and "code" not in query(without)
    plain = {**plain_params, "code_challenge": "p" * 50, "code_challenge_method": "plain"}
    refused = browser.go(f"{endpoint}?{requests.compat.urlencode(plain)}")
    assert query(refused)["error"] == "invalid_request" and "code" not in query(refused)


def test_an_expired_code_is_refused(base: str, w: World) -> None:
    reg = register(w)
    rp = rp_for(base, reg)
    who = person()
    grant(who, w)
    code = code_for(rp, Browser(base), who)
    Grant.objects.filter(application=reg.client).update(expires=timezone.now() - timedelta(seconds=1))
    refused = token_post(
        rp, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="v" * 64
    )
    assert refused.json()["error"] == "invalid_grant"


def test_the_nonce_is_carried_into_the_id_token_and_checked(base: str, w: World) -> None:
    reg = register(w, app=w.elar)
    rp = rp_for(base, reg)
    token = sign_in(rp, Browser(base), person(), nonce="nonce-abc-123")
    assert rp.id_claims(token["id_token"], nonce="nonce-abc-123")["nonce"] == "nonce-abc-123"
    with pytest.raises(JoseError):
        rp.id_claims(token["id_token"], nonce="another-nonce")


def test_tokens_of_one_client_are_refused_for_another(base: str, w: World) -> None:
    dropbox = register(w)
    elar = sso.do_register_client(name="ELAR", application=w.elar, redirect_uris=[REDIRECT], ctx=CTX)
    who = person()
    grant(who, w)
    rp_dropbox, rp_elar = rp_for(base, dropbox), rp_for(base, elar)
    browser = Browser(base)
    token = sign_in(rp_dropbox, browser, who)
    # another client cannot refresh this client's token, nor exchange its code
    stolen = token_post(rp_elar, grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert stolen.json()["error"] == "invalid_grant"
    code = code_for(rp_dropbox, browser, who)
    swapped = token_post(
        rp_elar, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier="v" * 64
    )
    assert swapped.json()["error"] == "invalid_grant"
    # an ID token is not an access token at userinfo
    assert rp_dropbox.userinfo(token["id_token"]).status_code == 401
    # the userinfo of an ELAR token tells ELAR's roles (none), not Dropbox's
    elar_token = sign_in(rp_elar, browser, who)
    assert rp_elar.userinfo(elar_token["access_token"]).json()["roles"] == []


# --- keys ----------------------------------------------------------------------------------


def test_key_rotation_keeps_earlier_tokens_verifiable_until_the_old_key_is_retired(
    base: str, w: World
) -> None:
    reg = register(w, app=w.elar)
    rp = rp_for(base, reg)
    who = person()
    browser = Browser(base)
    before = sign_in(rp, browser, who)
    old_kid = rp.id_claims(before["id_token"])["_kid"]

    new_key = signing_key(1)
    assert sorted(
        k["kid"] for k in requests.get(rp.metadata["jwks_uri"], timeout=10).json()["keys"]
    ) == sorted([old_kid, new_key.kid])
    after = sign_in(rp, browser, who)
    assert rp.id_claims(after["id_token"])["_kid"] == new_key.kid != old_kid
    assert rp.id_claims(before["id_token"])["sub"]  # still verifies

    with pytest.raises(sso.KeyInUse):
        sso.do_retire_signing_key(key=new_key, ctx=CTX)
    old = type(new_key).objects.get(kid=old_kid)
    sso.do_retire_signing_key(key=old, ctx=CTX)
    assert [k["kid"] for k in requests.get(rp.metadata["jwks_uri"], timeout=10).json()["keys"]] == [
        new_key.kid
    ]
    with pytest.raises(JoseError):
        rp.id_claims(before["id_token"])
    assert AuditEvent.objects.filter(event_type=EventType.SSO_KEY_RETIRED, detail__kid=old_kid).exists()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", new_key.kid)


# --- the review's defects (issue 8) ----------------------------------------------------------


def test_an_id_token_without_the_persons_session_ends_nothing(base: str, w: World) -> None:
    vendor = register(w, first_party=False)
    elar = sso.do_register_client(name="ELAR", application=w.elar, redirect_uris=[REDIRECT], ctx=CTX)
    victim = person()
    grant(victim, w)
    vrp, erp, browser = rp_for(base, vendor), rp_for(base, elar), Browser(base)
    session = vrp.session()
    browser.go(vrp.authorization_url(session, code_verifier="v" * 64, nonce=NONCE), username=victim.username)
    vtok = vrp.fetch_token(session, browser.submit({"allow": "Authorize"}), "v" * 64)
    etok = sign_in(erp, browser, victim)
    anonymous = requests.get(
        vrp.metadata["end_session_endpoint"],
        params={"id_token_hint": vtok["id_token"], "post_logout_redirect_uri": AFTER_LOGOUT},
        allow_redirects=False,
        timeout=10,
    )
    assert anonymous.status_code == 302 and anonymous.headers["Location"] == AFTER_LOGOUT
    for rp, tok in ((vrp, vtok), (erp, etok)):  # nothing ended, at either client
        assert rp.userinfo(tok["access_token"]).status_code == 200
    # the person's own sign-out at the vendor ends the vendor's tokens only
    back = browser.go(
        f"{vrp.metadata['end_session_endpoint']}?"
        + requests.compat.urlencode(
            {"id_token_hint": vtok["id_token"], "post_logout_redirect_uri": AFTER_LOGOUT}
        )
    )
    assert back == AFTER_LOGOUT
    assert vrp.userinfo(vtok["access_token"]).status_code == 401
    assert token_post(vrp, grant_type="refresh_token", refresh_token=vtok["refresh_token"]).status_code == 400
    assert erp.userinfo(etok["access_token"]).status_code == 200


def prompt_none(rp: Rp, browser: Browser) -> str:
    return browser.go(rp.authorization_url(rp.session(), code_verifier="v" * 64, prompt="none", state="pn"))


def test_prompt_none_answers_without_a_page(base: str, w: World) -> None:
    first = rp_for(base, register(w))
    vendor = rp_for(base, register(w, first_party=False))
    who = person()
    grant(who, w)
    browser = Browser(base)
    anonymous = query(prompt_none(first, browser))
    assert anonymous["error"] == "login_required" and anonymous["state"] == "pn"
    sign_in(first, browser, who)
    silent = query(prompt_none(first, browser))  # first-party, signed in: a code
    assert "code" in silent and silent["state"] == "pn"
    refused = query(prompt_none(vendor, browser))  # no consent yet
    assert refused["error"] == "consent_required" and refused["state"] == "pn"
    session = vendor.session()
    browser.go(vendor.authorization_url(session, code_verifier="v" * 64))
    vendor.fetch_token(session, browser.submit({"allow": "Authorize"}), "v" * 64)
    assert "code" in query(prompt_none(vendor, browser))  # consented before: a code


def test_logout_with_an_id_token_signed_before_a_key_rotation(base: str, w: World) -> None:
    reg = register(w)
    who = person()
    grant(who, w)
    rp, browser = rp_for(base, reg), Browser(base)
    token = sign_in(rp, browser, who)
    signing_key(1)  # the old key stays published
    back = browser.go(
        f"{rp.metadata['end_session_endpoint']}?"
        + requests.compat.urlencode(
            {"id_token_hint": token["id_token"], "post_logout_redirect_uri": AFTER_LOGOUT}
        )
    )
    assert back == AFTER_LOGOUT
    assert rp.userinfo(token["access_token"]).status_code == 401


def test_a_grant_at_an_inactive_organization_does_not_admit(base: str, w: World) -> None:
    reg = register(w)
    who = person()
    grant(who, w)
    w.school.active = False
    w.school.save()
    rp, browser = rp_for(base, reg), Browser(base)
    callback = browser.go(rp.authorization_url(rp.session(), code_verifier="v" * 64), username=who.username)
    assert query(callback)["error"] == "access_denied"


def test_only_sign_in_pages_widen_form_action_from_next(base: str, w: World) -> None:
    vendor = sso.do_register_client(
        name="Vendor",
        application=w.dropbox,
        redirect_uris=["https://vendor.example/cb"],
        first_party=False,
        ctx=CTX,
    )
    nxt = f"/oauth/authorize/?client_id={vendor.client.client_id}"
    login = requests.get(f"{base}/login/", params={"next": nxt}, timeout=10)
    assert "https://vendor.example" in login.headers["Content-Security-Policy"]
    other = requests.get(f"{base}/privacy/", params={"next": nxt}, timeout=10)
    assert other.status_code == 200
    assert "https://vendor.example" not in other.headers["Content-Security-Policy"]


def test_client_secrets_are_checked_without_argon2(base: str, w: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.hashers import identify_hasher, make_password

    from edgate.core.hashers import EdgateArgon2Hasher

    reg = register(w)
    reg.client.refresh_from_db()
    assert identify_hasher(reg.client.client_secret).algorithm == "client-secret-sha256"
    with pytest.raises(ValueError):  # never a password's hasher
        make_password("a short password", hasher="client-secret-sha256")
    who = person()
    grant(who, w)
    rp = rp_for(base, reg)
    token = sign_in(rp, Browser(base), who)

    def no_argon2(*args: object) -> bool:
        raise AssertionError("a client secret went through Argon2")

    monkeypatch.setattr(EdgateArgon2Hasher, "verify", no_argon2)
    monkeypatch.setattr(EdgateArgon2Hasher, "encode", no_argon2)
    for attempt in ("wrong", "x" * 128):
        refused = requests.post(
            rp.metadata["token_endpoint"],
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            auth=(rp.client_id, attempt),
            timeout=10,
        )
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    good = token_post(rp, grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert good.status_code == 200, good.text


def test_a_subject_made_by_a_concurrent_sign_in_is_reused(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two first sign-ins at once: the second one's insert fails on the unique profile, and
    get_or_create (inside its own savepoint) reads the row the first one made — no 500."""
    from django.db.models import QuerySet

    from edgate.sso import access

    who = person()
    real_get = QuerySet.get
    raced: list[Subject] = []

    def get_losing_the_race(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.model is Subject and not raced:
            raced.append(Subject.objects.create(profile=who))  # the other request, first
            raise Subject.DoesNotExist
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "get", get_losing_the_race)
    assert access.subject(who) == str(raced[0].sub)
    assert Subject.objects.filter(profile=who).count() == 1
