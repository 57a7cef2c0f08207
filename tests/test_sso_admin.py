"""OpenID Connect clients in the admin site: registered and removed through the audited actions,
a confidential client's secret shown once and kept only as a hash, redirect URIs read-only."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client as Browser
from django.urls import reverse
from oauth2_provider.models import Application as Client

from edgate.accounts import actions as accounts
from edgate.accounts.models import Profile
from edgate.audit.models import AuditEvent, EventType
from edgate.directory import actions as directory
from edgate.directory.models import Application
from edgate.sso import actions as sso
from edgate.sso.models import ClientApplication
from tests.factories import CTX, on_file, someone, with_profile
from tests.oidc import signing_key
from tests.second_factor import force_verified_login

pytestmark = pytest.mark.django_db

ADD = reverse("admin:oauth2_provider_application_add")
LIST = reverse("admin:oauth2_provider_application_changelist")


@pytest.fixture
def superuser() -> Profile:
    profile = with_profile(on_file(someone("Sasha", "Okafor")))
    return accounts.do_set_privileges(profile=profile, is_staff=True, is_superuser=True, groups=[], ctx=CTX)


@pytest.fixture
def browser(superuser: Profile) -> Browser:
    browser = Browser(REMOTE_ADDR="192.0.2.20")
    force_verified_login(browser, superuser)
    return browser


@pytest.fixture
def dropbox() -> Application:
    signing_key()
    return directory.do_save_application(code="DROPBOX", name="Dropbox", ctx=CTX)


def form(application: Application, **changes: str) -> dict[str, str]:
    data = {
        "name": "Dropbox",
        "application": str(application.pk),
        "redirect_uris": "https://dropbox.example.test/cb\r\n\r\n https://dropbox.example.test/cb2 \r\n",
        "first_party": "on",
    }
    return data | changes


def test_a_confidential_client_is_registered_and_its_secret_shown_once(
    browser: Browser, superuser: Profile, dropbox: Application
) -> None:
    fields = browser.get(ADD).context["adminform"].form.fields
    assert list(fields) == ["name", "application", "redirect_uris", "scopes", "public", "first_party"]
    response = browser.post(ADD, form(dropbox, scopes="email"))
    assert response.status_code == 200, response.content[:2000]
    assert response["Cache-Control"] == "no-store"
    page = unescape(response.content.decode())
    secret = re.search(r'id="client-secret"[^>]*value="([^"]+)"', page)[1]  # type: ignore[index]
    client = Client.objects.get()
    assert client.client_id in page
    # Kept only as a hash; the secret is the client's.
    assert client.client_secret != secret and check_password(secret, client.client_secret)
    assert client.client_type == Client.CLIENT_CONFIDENTIAL and client.skip_authorization
    assert client.redirect_uris == "https://dropbox.example.test/cb https://dropbox.example.test/cb2"
    link = ClientApplication.objects.get(client=client)
    assert link.application == dropbox and link.first_party and link.scopes == "openid email"
    (event,) = AuditEvent.objects.filter(event_type=EventType.SSO_CLIENT_REGISTERED)
    assert event.actor_id == superuser.pk and event.client_ip == "192.0.2.20"
    assert event.detail["client_id"] == client.client_id and event.detail["application"] == "DROPBOX"
    assert event.detail["public"] is False and event.detail["redirect_uris"] == [
        "https://dropbox.example.test/cb",
        "https://dropbox.example.test/cb2",
    ]
    assert secret not in str(event.detail)
    # Never again: not on the client's page, the list, or in a message waiting in the session.
    change = reverse("admin:oauth2_provider_application_change", args=[client.pk])
    for url in (change, LIST):
        shown = browser.get(url)
        assert shown.status_code == 200 and secret not in shown.content.decode()
    assert secret not in str(dict(browser.session))


def test_a_public_third_party_client_has_no_secret(browser: Browser, dropbox: Application) -> None:
    data = form(dropbox, name="Vendor app", public="on", redirect_uris="https://vendor.example.test/cb")
    del data["first_party"]
    response = browser.post(ADD, data)
    client = Client.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:oauth2_provider_application_changelist")
    assert client.client_type == Client.CLIENT_PUBLIC and client.client_secret == ""
    link = ClientApplication.objects.get(client=client)
    assert not client.skip_authorization and not link.first_party
    assert link.scopes == "openid"  # no box ticked: openid alone
    (event,) = AuditEvent.objects.filter(event_type=EventType.SSO_CLIENT_REGISTERED)
    assert event.detail["public"] is True and event.detail["first_party"] is False
    listing = browser.get(LIST).content.decode()
    for shown in ("Vendor app", client.client_id, "DROPBOX", "Public", "https://vendor.example.test/cb"):
        assert shown in listing


@pytest.mark.parametrize(
    ("uris", "problem"),
    [
        ("ftp://files.example.test/cb", "redirect_uris"),
        ("javascript:alert(1)", "redirect_uris"),
        ("https://a.example.test/cb with-space", "redirect_uris"),
        ("\r\n  \r\n", "redirect_uris"),
    ],
)
def test_unusable_redirect_uris_are_refused_next_to_the_field(
    browser: Browser, dropbox: Application, uris: str, problem: str
) -> None:
    response = browser.post(ADD, form(dropbox, redirect_uris=uris))
    assert response.status_code == 200
    assert problem in response.context["adminform"].form.errors
    assert not Client.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.SSO_CLIENT_REGISTERED).exists()


def test_removing_a_client_goes_through_the_action(
    browser: Browser, superuser: Profile, dropbox: Application
) -> None:
    registration = sso.do_register_client(
        name="Dropbox", application=dropbox, redirect_uris=["https://dropbox.example.test/cb"], ctx=CTX
    )
    client = registration.client
    url = reverse("admin:oauth2_provider_application_delete", args=[client.pk])
    assert browser.get(url).status_code == 200  # the confirmation page
    assert not AuditEvent.objects.filter(event_type=EventType.SSO_CLIENT_REMOVED).exists()
    assert browser.post(url, {"post": "yes"}).status_code == 302
    assert not Client.objects.exists() and not ClientApplication.objects.exists()
    (event,) = AuditEvent.objects.filter(event_type=EventType.SSO_CLIENT_REMOVED)
    assert event.actor_id == superuser.pk and event.detail == {
        "client_id": client.client_id,
        "name": "Dropbox",
        "application": "DROPBOX",
    }


def test_a_registered_client_is_read_only(browser: Browser, dropbox: Application) -> None:
    registration = sso.do_register_client(
        name="Dropbox", application=dropbox, redirect_uris=["https://dropbox.example.test/cb"], ctx=CTX
    )
    client = registration.client
    url = reverse("admin:oauth2_provider_application_change", args=[client.pk])
    page = browser.get(url).content.decode()
    assert "https://dropbox.example.test/cb" in page and client.client_secret not in page
    response = browser.post(url, {"name": "Renamed", "redirect_uris": "https://evil.example.test/cb"})
    assert response.status_code == 403
    client.refresh_from_db()
    assert client.name == "Dropbox" and client.redirect_uris == "https://dropbox.example.test/cb"


def test_only_a_verified_session_reaches_the_clients(superuser: Profile, dropbox: Application) -> None:
    unverified = Browser()
    unverified.force_login(superuser)
    response = unverified.post(ADD, form(dropbox))
    assert response.status_code == 302 and not Client.objects.exists()
