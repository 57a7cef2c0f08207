"""The relying party's side of the OpenID Connect tests: an independent client library
(Authlib's OAuth2Session and its JOSE implementation, with requests) against the portal on a
live server, and a person's browser as a requests session that follows the portal's pages."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from functools import cache
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.conf import settings
from django.test import Client as DjangoClient
from django.urls import reverse
from joserfc import jwt
from joserfc.jwk import KeySet

from edgate.accounts.models import Profile
from edgate.core.context import Ctx
from edgate.directory import actions as directory
from edgate.directory.models import Application, AppRole, Organization, OrgType
from edgate.sso import actions as sso
from edgate.sso import keys
from edgate.sso.models import SigningKey

from .factories import CTX, PASSWORD

REDIRECT = "http://rp.example.test/callback"
OTHER_REDIRECT = "http://other.example.test/callback"
AFTER_LOGOUT = "http://rp.example.test/signed-out"


# Sessions keep connections alive, and with them the live server's request threads: closed
# when each test ends (close_sessions), before the live server stops sharing its database.
OPEN_SESSIONS: list[requests.Session] = []


def close_sessions() -> None:
    while OPEN_SESSIONS:
        OPEN_SESSIONS.pop().close()


@cache
def _pem(n: int) -> str:
    return keys.new_private_pem()


def signing_pem(n: int = 0) -> str:
    """RSA key number n, made once per test run (making one takes a while)."""
    return _pem(n)


def signing_key(n: int = 0) -> SigningKey:
    return sso.do_rotate_signing_key(ctx=CTX, pem=signing_pem(n))


@dataclass
class World:
    district: Organization
    school: Organization
    dropbox: Application
    elar: Application
    dropbox_user: AppRole


def world() -> World:
    district = directory.do_save_organization(
        code="04560000", name="Riverside Regional School District", org_type=OrgType.DISTRICT, ctx=CTX
    )
    school = directory.do_save_organization(
        code="04560010", name="Riverside High", org_type=OrgType.SCHOOL, parent=district, ctx=CTX
    )
    dropbox = directory.do_save_application(code="DROPBOX", name="Dropbox", ctx=CTX)
    elar = directory.do_save_application(code="ELAR", name="ELAR", open_to_all=True, ctx=CTX)
    user = directory.do_save_app_role(application=dropbox, code="user", name="User", ctx=CTX)
    return World(district, school, dropbox, elar, user)


def grant(profile: Profile, w: World, ctx: Ctx = CTX):  # type: ignore[no-untyped-def]
    """Dropbox for the person at Riverside High, carried by a staff entry there."""
    entry = directory.do_add_staff(
        person=profile.person, organization=w.school, role_title="Teacher", ctx=ctx
    )
    return directory.do_grant_access(
        profile=profile, role=w.dropbox_user, organization=w.school, staff_entry=entry, ctx=ctx
    )


@dataclass
class Rp:
    """A relying party: its registration and the provider's metadata, through Authlib."""

    base: str
    client_id: str
    client_secret: str | None
    redirect_uri: str = REDIRECT
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.metadata = requests.get(f"{self.base}/.well-known/openid-configuration", timeout=10).json()

    def session(self, scope: str = "openid profile email", **kwargs: Any) -> OAuth2Session:
        session = OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=scope,
            redirect_uri=self.redirect_uri,
            token_endpoint_auth_method="client_secret_basic" if self.client_secret else "none",
            code_challenge_method="S256",
            **kwargs,
        )
        OPEN_SESSIONS.append(session)
        return session

    def authorization_url(self, session: OAuth2Session, **params: Any) -> str:
        url, _state = session.create_authorization_url(self.metadata["authorization_endpoint"], **params)
        return url

    def fetch_token(self, session: OAuth2Session, callback: str, verifier: str | None) -> dict[str, Any]:
        kwargs = {"code_verifier": verifier} if verifier is not None else {}
        return session.fetch_token(self.metadata["token_endpoint"], authorization_response=callback, **kwargs)

    def jwks(self) -> KeySet:
        return KeySet.import_key_set(requests.get(self.metadata["jwks_uri"], timeout=10).json())

    def id_claims(self, id_token: str, nonce: str | None = None) -> dict[str, Any]:
        """Verified with joserfc against the JWKS: signature (RS256), issuer, audience, expiry
        and, when given, the nonce."""
        token = jwt.decode(id_token, self.jwks(), algorithms=["RS256"])
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.metadata["issuer"]},
            "aud": {"essential": True, "value": self.client_id},
            "exp": {"essential": True},
            "sub": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        jwt.JWTClaimsRegistry(**options).validate(token.claims)
        return {**token.claims, "_kid": token.header.get("kid")}

    def userinfo(self, access_token: str) -> requests.Response:
        return requests.get(
            self.metadata["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=10,
        )


def verifier_pair(verifier: str = "v" * 64) -> tuple[str, str]:
    return verifier, create_s256_code_challenge(verifier)


class Browser:
    """A person's browser: cookies, the portal's pages, redirects followed while on the portal."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        OPEN_SESSIONS.append(self.http)
        self.last: requests.Response | None = None

    def _csrf(self, html: str) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert match, html[:2000]
        return match.group(1)

    def go(self, url: str, *, data: dict[str, str] | None = None, **credentials: str) -> str:
        """Follow the portal's redirects (signing in on the way when asked to) and answer the
        address outside the portal that it finally sends the browser to ("" if it stays)."""
        method = "POST" if data is not None else "GET"
        for _ in range(10):
            response = self.http.request(method, url, data=data, allow_redirects=False, timeout=10)
            self.last = response
            if response.status_code in (301, 302, 303):
                url = urljoin(url, response.headers["Location"])
                method, data = "GET", None
                if not url.startswith(self.base):
                    return url
                continue
            if urlsplit(url).path == "/login/" and credentials and method == "GET":
                next_url = parse_qs(urlsplit(url).query).get("next", [""])[0]
                data = {
                    "csrfmiddlewaretoken": self._csrf(response.text),
                    "username": credentials["username"],
                    "password": credentials.get("password", PASSWORD),
                    "next": next_url,
                }
                method, credentials = "POST", {}
                continue
            return ""
        raise AssertionError("too many redirects")

    def submit(self, extra: dict[str, str] | None = None) -> str:
        """Post the form of the page last shown (its hidden fields), with `extra`."""
        assert self.last is not None
        html = self.last.text
        fields = {
            name: unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
        }
        return self.go(self.last.url, data={**fields, **(extra or {})})


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# --- In process: the Django test client as the person's browser and as the client ---------


def signed_in_page(who: Profile) -> DjangoClient:
    """A browser that signed in on the portal's sign-in page (CSRF checks on)."""
    page = DjangoClient(enforce_csrf_checks=True)
    page.get(reverse("accounts:login"))
    answer = page.post(
        reverse("accounts:login"),
        {"username": who.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf_of(page)},
    )
    assert answer.status_code == 302, answer.content[:2000]
    return page


def csrf_of(page: DjangoClient) -> str:
    return page.cookies[settings.CSRF_COOKIE_NAME].value


def authorize(page: DjangoClient, client_id: str, **extra: str):  # type: ignore[no-untyped-def]
    """GET /oauth/authorize/ for a public client's code flow with PKCE (verifier_pair())."""
    params = {
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
    return page.get(f"/oauth/authorize/?{urlencode(params)}")


def code_of(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302 and response["Location"].startswith(REDIRECT), (
        response.status_code,
        response.get("Location"),
    )
    return parse_qs(urlsplit(response["Location"]).query)["code"][0]


def exchange(client_id: str, code: str) -> dict[str, Any]:
    answer = DjangoClient().post(
        "/oauth/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier_pair()[0],
            "client_id": client_id,
        },
    )
    assert answer.status_code == 200, answer.content
    return answer.json()  # type: ignore[no-any-return]


def claims_of(id_token: str) -> dict[str, Any]:
    """The ID token's claims, unverified (the live-server tests verify signatures)."""
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]
