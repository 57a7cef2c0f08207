"""In Chromium: the demo application (examples/dropbox/, a separate WSGI app here in a thread)
signs a person in through the portal. Without a grant they are turned away; once their
Directory Administrator grants Dropbox in the console they are let in and see their organization. Run without
bypassing the portal's Content-Security-Policy, so the sign-in page's form really may end at
the client. The provider's own pages are checked with axe."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from edgate.directory import actions as directory
from edgate.mfa.actions import do_provision_totp
from edgate.sso import actions as sso
from tests.factories import CTX, PASSWORD, on_file, someone, with_profile
from tests.oidc import World, signing_key, world
from tests.second_factor import current_code

from .conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dropbox" / "app.py"


def load_example():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("dropbox_demo_app", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def dropbox_app(live_server) -> Iterator[tuple[str, World]]:  # type: ignore[no-untyped-def]
    """The example app on a free port, registered as a public client; answers its URL."""
    signing_key()
    w = world()
    client_id = "demo-dropbox-test"
    app = load_example().create_app(live_server.url, client_id, None, "Dropbox")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    sso.do_register_client(
        client_id=client_id,
        name="Dropbox",
        application=w.dropbox,
        redirect_uris=[f"{url}/callback"],
        post_logout_redirect_uris=[f"{url}/"],
        public=True,
        ctx=CTX,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url, w
    server.shutdown()
    thread.join(timeout=5)


def test_turned_away_then_granted_then_signed_in(browser: Browser, live_server, dropbox_app) -> None:  # type: ignore[no-untyped-def]
    url, w = dropbox_app
    person = with_profile(on_file(someone("Jamie", "Smith")))
    entry = directory.do_add_staff(person=person.person, organization=w.school, role_title="Teacher", ctx=CTX)
    context = browser.new_context(viewport={"width": 390, "height": 844})  # the CSP applies
    page = context.new_page()

    page.goto(url)
    page.get_by_role("link", name="Sign in with the agency's Security Portal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")  # the portal's own page
    page.get_by_label("User Name").fill(person.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#status")).to_have_text(
        "You have no access to Dropbox; ask your Directory Administrator."
    )

    # The district's Directory Administrator grants Dropbox in the console (second factor first).
    admin = with_profile(on_file(someone("Dana", "Districtadmin")))
    directory.do_appoint_admin(profile=admin, organization=w.district, ctx=CTX)
    device = do_provision_totp(profile=admin, ctx=CTX)
    admin_context = browser.new_context()
    console = admin_context.new_page()
    console.goto(f"{live_server.url}/login/?next=/console/org/{w.school.code}/staff/{entry.pk}/")
    console.get_by_label("User Name").fill(admin.username)
    console.get_by_label("Password", exact=True).fill(PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.get_by_label("Code").fill(current_code(device))
    console.get_by_role("button", name="Continue", exact=True).click()
    console.get_by_label("Application and role").select_option(label="Dropbox: User")
    console.get_by_role("button", name="Grant").click()
    expect(console.get_by_text("Access granted.")).to_be_visible()
    admin_context.close()

    page.get_by_role("link", name="Try again").click()  # still signed in at the portal: straight back
    expect(page.locator("#status")).to_have_text(
        f"Signed in as {person.username} — Dropbox for Riverside High (InBox / OutBox)"
    )

    page.get_by_role("button", name="Sign out").click()  # RP-initiated logout, back to the app
    expect(page.locator("#status")).to_have_text("Not signed in.")
    page.goto(f"{live_server.url}/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")  # the portal session ended too
    context.close()


def test_consent_error_and_logout_pages_are_accessible(page: Page, live_server, failed_resources) -> None:  # type: ignore[no-untyped-def]
    signing_key()
    w = world()
    person = with_profile(on_file(someone("Robin", "Vendorson")))
    reg = sso.do_register_client(
        name="Vendor Files",
        application=w.elar,
        redirect_uris=["http://vendor.example.test/cb"],
        first_party=False,
        ctx=CTX,
    )
    params = {
        "response_type": "code",
        "client_id": reg.client.client_id,
        "redirect_uri": "http://vendor.example.test/cb",
        "scope": "openid profile",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    page.goto(f"{live_server.url}/oauth/authorize/?{urlencode(params)}")
    page.get_by_label("User Name").fill(person.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Vendor Files?")
    expect(page.get_by_role("button", name="Allow", exact=True)).to_be_visible()
    assert_accessible(page)

    bad = {**params, "redirect_uri": "http://elsewhere.example.test/cb"}
    page.goto(f"{live_server.url}/oauth/authorize/?{urlencode(bad)}")
    expect(page.get_by_role("heading", level=1)).to_have_text("This sign-in request cannot be answered")
    assert_accessible(page)
    failed_resources.clear()  # that page answered 400, as it should

    page.goto(f"{live_server.url}/oauth/logout/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out of the portal?")
    assert_accessible(page)
    page.locator("main").get_by_role("button", name="Sign out").click()
    assert page.url == f"{live_server.url}/"
    expect(page.get_by_role("navigation").get_by_role("link", name="Sign in", exact=True)).to_be_visible()
