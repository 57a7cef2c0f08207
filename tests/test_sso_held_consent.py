"""A third-party client's consent form posted by a session that is held first (it owes its
second factor, or it was signed out meanwhile): after the held step the person comes back to
the authorization request the form answered and sees the form again. In process: the Django
test client as the person's browser and as the client."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import Grant

from edgate.directory import actions as directory
from edgate.mfa.actions import do_provision_totp
from edgate.sso import authn

from .factories import CTX, PASSWORD
from .oidc import World, authorize, claims_of, code_of, csrf_of, exchange, grant, query, signed_in_page
from .second_factor import current_code
from .test_oidc import person, register

pytestmark = pytest.mark.django_db
CONSENT_TITLE = "Sign in to Dropbox?"


@pytest.fixture
def w() -> World:
    from .oidc import signing_key, world

    signing_key()
    return world()


@pytest.fixture
def vendor(w: World):  # type: ignore[no-untyped-def]
    return register(w, public=True, first_party=False).client


def consent_form(page: Client, shown) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The consent page's hidden fields (the authorization request it answers), as posted."""
    html = shown.content.decode()
    assert shown.status_code == 200 and CONSENT_TITLE in html, (shown.status_code, html[:2000])
    fields = {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    }
    return {**fields, "csrfmiddlewaretoken": csrf_of(page), "allow": "Authorize"}


def allowed(page: Client, shown, client_id: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The consent page shown again at the original request's address, its "Allow" posted there
    (as a browser posts a form without an action): the ID token's claims."""
    answer = page.post(shown.wsgi_request.get_full_path(), consent_form(page, shown))
    assert query(answer["Location"])["state"] == "st"
    return claims_of(exchange(client_id, code_of(answer))["id_token"])


# Where the form is posted: the endpoint alone (the form's fields carry the request; the way
# back was the bare endpoint), then the page's own address (as a browser posts it).
ADDRESSES = ("the endpoint alone", "the page's address")


def posted_to(where: str, shown) -> str:  # type: ignore[no-untyped-def]
    return shown.wsgi_request.get_full_path() if where == "the page's address" else "/oauth/authorize/"


def test_a_consent_post_held_for_the_second_factor_comes_back_to_the_request(w: World, vendor) -> None:  # type: ignore[no-untyped-def]
    """A Directory Administrator appointed (or their session's second factor forgotten) while the
    consent page was open: the "Allow" gets no code, the code page comes first (sso/views.py
    AuthorizeView.post), and then the original authorization request, with its parameters
    (state, nonce, PKCE challenge), and its consent page again. The way back from the code page
    was the address the form was posted to: for a form posted to the endpoint alone, the bare
    endpoint, which answered the error page "This sign-in request cannot be answered"."""
    for n, where in enumerate(ADDRESSES):
        admin = person("Dana", f"Admin{n}")
        grant(admin, w)
        page = signed_in_page(admin)
        shown = authorize(page, vendor.client_id)
        form = consent_form(page, shown)
        directory.do_appoint_admin(profile=admin, organization=w.district, ctx=CTX)
        device = do_provision_totp(profile=admin, ctx=CTX)
        held = page.post(posted_to(where, shown), form)
        assert held.status_code == 302 and held["Location"].startswith(f"{reverse('mfa:verify')}?next="), (
            where,
            held.status_code,
            held.get("Location"),
        )
        assert not Grant.objects.filter(user=admin).exists()
        passed = page.post(
            held["Location"], {"code": current_code(device), "csrfmiddlewaretoken": csrf_of(page)}
        )
        assert urlsplit(passed["Location"]).path == "/oauth/authorize/"
        assert query(passed["Location"]).get("client_id") == vendor.client_id, (where, passed["Location"])
        claims = allowed(page, page.get(passed["Location"]), vendor.client_id)
        assert (claims["nonce"], claims["acr"]) == ("n1", authn.ACR_SECOND_FACTOR)


def test_a_consent_post_from_a_signed_out_session_comes_back_to_the_request(w: World, vendor) -> None:  # type: ignore[no-untyped-def]
    """The session ended while the consent page was open (signed out in another tab, idle for
    30 minutes): the "Allow" is held at the sign-in page, and after it the person sees the
    consent page of the original request again, not the bare endpoint's error page."""
    for n, where in enumerate(ADDRESSES):
        who = person("Jordan", f"Smith{n}")
        grant(who, w)
        page = signed_in_page(who)
        shown = authorize(page, vendor.client_id)
        form = consent_form(page, shown)
        page.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": csrf_of(page)})
        held = page.post(posted_to(where, shown), form)
        assert held.status_code == 302 and held["Location"].startswith(
            f"{reverse('accounts:login')}?next="
        ), (
            where,
            held.status_code,
            held.get("Location"),
        )
        assert not Grant.objects.filter(user=who).exists()
        next_url = query(held["Location"])["next"]
        signed_in = page.post(
            held["Location"],
            {
                "username": who.username,
                "password": PASSWORD,
                "next": next_url,
                "csrfmiddlewaretoken": csrf_of(page),
            },
        )
        assert query(signed_in["Location"]).get("client_id") == vendor.client_id, (
            where,
            signed_in["Location"],
        )
        claims = allowed(page, page.get(signed_in["Location"]), vendor.client_id)
        assert (claims["nonce"], claims["acr"]) == ("n1", authn.ACR_PASSWORD)
