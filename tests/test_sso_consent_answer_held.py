"""sec4 L1: the consent form's "Allow", posted, is held as the authorization request's GET is
(max_age, prompt=login, acr_values), and a first-party client, never shown the page, gets no
code from a posted "Allow". In process: the Django test client as the person's browser and as
the client."""

from __future__ import annotations

import time
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import Grant

from edgate.core.middleware import SESSION_STARTED
from edgate.mfa.actions import do_provision_totp
from edgate.sso import authn

from .factories import CTX
from .oidc import (
    REDIRECT,
    World,
    authorize,
    claims_of,
    code_of,
    csrf_of,
    exchange,
    grant,
    query,
    signed_in_page,
)
from .test_oidc import person, register, sign_in_again
from .test_sso_held_consent import consent_form

pytestmark = pytest.mark.django_db

LOGIN_AGAIN = f"{reverse('accounts:login')}?again=1&next="
CODE_PAGE = f"{reverse('mfa:verify')}?next="


@pytest.fixture
def w() -> World:
    from .oidc import signing_key, world

    signing_key()
    return world()


def request_fields(client_id: str, **extra: str) -> dict[str, str]:
    """The authorization request's parameters (as oidc.authorize sends them)."""
    from .oidc import verifier_pair

    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile email",
        "code_challenge": verifier_pair()[1],
        "code_challenge_method": "S256",
        "state": "st",
        "nonce": "n1",
        **extra,
    }


def aged(page: Client, seconds: int) -> None:
    """The session signed in `seconds` ago."""
    session = page.session
    session[SESSION_STARTED] = time.time() - seconds
    session.save()


def no_code(answer) -> None:  # type: ignore[no-untyped-def]
    location = answer.get("Location", "")
    assert not location.startswith(REDIRECT), (answer.status_code, location)


def test_a_first_party_client_gets_no_code_from_a_posted_allow(w: World) -> None:
    """A first-party client never shows the consent page, yet an "Allow" posted to the endpoint
    (the form's fields, CSRF token and all) gave a code, for a session signed in an hour before,
    whatever the request's max_age, prompt=login or acr_values asked; the GET holds them. Now
    the posted "Allow" is answered by the request it names, as a GET: the sign-in page, the
    code page."""
    cid = register(w, public=True, first_party=True).client.client_id
    who = person("Jordan", "Smith")
    grant(who, w)
    page = signed_in_page(who)
    aged(page, 3600)
    form = {**request_fields(cid), "allow": "Authorize", "csrfmiddlewaretoken": csrf_of(page)}
    # To the endpoint alone: the request as its GET (without max_age, a code there, not here).
    bare = page.post("/oauth/authorize/", form)
    no_code(bare)
    assert urlsplit(bare["Location"]).path == "/oauth/authorize/"
    assert query(bare["Location"])["client_id"] == cid
    for extra in ({"max_age": "60"}, {"prompt": "login"}):
        answer = page.post("/oauth/authorize/?" + urlencode(request_fields(cid, **extra)), form)
        no_code(answer)
        assert page.get(answer["Location"])["Location"].startswith(LOGIN_AGAIN), extra
    assert not Grant.objects.exists()

    # acr_values naming the second factor, a Profile with an authenticator app: its code page.
    strict = person("Riley", "Haddad")
    grant(strict, w)
    do_provision_totp(profile=strict, ctx=CTX)
    page = signed_in_page(strict)
    address = "/oauth/authorize/?" + urlencode(request_fields(cid, acr_values=authn.ACR_SECOND_FACTOR))
    answer = page.post(
        address, {**request_fields(cid), "allow": "Authorize", "csrfmiddlewaretoken": csrf_of(page)}
    )
    no_code(answer)
    assert page.get(answer["Location"])["Location"].startswith(CODE_PAGE)
    assert not Grant.objects.exists()

    # The GET itself still gives the first-party client its code.
    claims = claims_of(exchange(cid, code_of(authorize(page, cid)))["id_token"])
    assert claims["nonce"] == "n1"


def test_a_consent_post_is_held_as_its_page_s_request(w: World) -> None:
    """A third-party client's consent form posted to its page's address (as a browser posts it)
    by a session signed in an hour before, with max_age=60 or prompt=login there, or without the
    second factor acr_values asks for: the sign-in page or the code page, as the GET, no code.
    The form shown after the sign-in it asked for still gives the code (the way back carries
    edgate_login_after in place of prompt=login: the fresh sign-in meets it, no second round),
    as does one whose session meets max_age."""
    cid = register(w, public=True, first_party=False).client.client_id
    who = person("Jordan", "Smith")
    grant(who, w)
    page = signed_in_page(who)
    shown = authorize(page, cid)
    form = consent_form(page, shown)
    aged(page, 3600)
    for extra in ({"max_age": "60"}, {"prompt": "login"}):
        answer = page.post("/oauth/authorize/?" + urlencode(request_fields(cid, **extra)), form)
        assert answer.status_code == 302 and answer["Location"].startswith(LOGIN_AGAIN), (
            extra,
            answer.status_code,
            answer.get("Location"),
        )
        back = query(answer["Location"])["next"]
        assert query(back)["client_id"] == cid and authn.LOGIN_AFTER in query(back)
    assert not Grant.objects.exists()

    strict = person("Riley", "Haddad")
    grant(strict, w)
    do_provision_totp(profile=strict, ctx=CTX)
    page = signed_in_page(strict)
    form = consent_form(page, authorize(page, cid))
    address = "/oauth/authorize/?" + urlencode(request_fields(cid, acr_values=authn.ACR_SECOND_FACTOR))
    answer = page.post(address, form)
    assert answer.status_code == 302 and answer["Location"].startswith(CODE_PAGE), answer.get("Location")
    assert not Grant.objects.exists()

    # The happy paths: a fresh sign-in, a session within max_age.
    who = person("Jordan", "Okafor")
    grant(who, w)
    page = signed_in_page(who)
    aged(page, 3600)
    back = sign_in_again(page, authorize(page, cid, prompt="login"))
    shown = page.get(back)
    answer = page.post(shown.wsgi_request.get_full_path(), consent_form(page, shown))
    claims = claims_of(exchange(cid, code_of(answer))["id_token"])
    assert int(time.time()) - claims["auth_time"] < 60

    other = person("Rory", "Abernathy")  # no "Allow" remembered: the page is shown
    grant(other, w)
    page = signed_in_page(other)
    shown = authorize(page, cid, max_age="600")
    answer = page.post(shown.wsgi_request.get_full_path(), consent_form(page, shown))
    assert claims_of(exchange(cid, code_of(answer))["id_token"])["nonce"] == "n1"
