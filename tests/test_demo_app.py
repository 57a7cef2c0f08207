"""The demo application (examples/dropbox/), which integrators copy: every answer other than a
code is said politely; an answer is acted on only with a state it asked for; the tokens stay on
its server; the sign-in is checked with the portal every few minutes and ends when the portal
says so; a session lasts at most 12 hours; signing out needs the session's CSRF token."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine

from edgate.directory import actions as directory
from edgate.sso import actions as sso

from .factories import CTX, on_file, someone, with_profile
from .oidc import Browser, close_sessions, grant, signing_key, world

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "dropbox" / "app.py"
COOKIE = "demo-dropbox-session"
SIGNED_IN = {"username": "jsmith", "name": "J", "email": "", "places": "Riverside High"}


def load_example():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("dropbox_demo_app_unit", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def app():  # type: ignore[no-untyped-def]
    # The portal is never asked: its metadata is given (no discovery request).
    app = load_example().create_app("http://portal.invalid", "demo-dropbox")
    app.extensions["authlib.integrations.flask_client"].portal.server_metadata.update(
        {
            "authorization_endpoint": "http://portal.invalid/oauth/authorize/",
            "end_session_endpoint": "http://portal.invalid/oauth/logout/",
            "_loaded_at": time.time(),
        }
    )
    return app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def pending_state(client) -> str:  # type: ignore[no-untyped-def]
    """The state of a sign-in this browser's session began (/login)."""
    answer = client.get("/login")
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.location).query)["state"][0]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("error=login_required", "login_required"),
        ("error=consent_required", "consent_required"),
    ],
)
def test_a_callback_error_is_shown_not_a_server_error(client, query: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/callback?{query}&state={pending_state(client)}")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Signing in did not work" in text and reason in text


def test_access_denied_still_says_ask_your_administrator(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/callback?error=access_denied&state={pending_state(client)}", follow_redirects=True)
    assert "ask your Directory Administrator" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    ["error=access_denied&state=forged", "error=login_required", "code=abc&state=forged"],
)
def test_demo_an_error_callback_without_our_state_does_not_sign_the_person_out(client, query: str) -> None:  # type: ignore[no-untyped-def]
    """sec1 M4: any site links to /callback?error=access_denied: the signed-in session used to
    be dropped and told it has no access. Now an answer without a state this session asked
    for is refused (400) and changes nothing."""
    pending_state(client)  # a sign-in under way, of another state
    with client.session_transaction() as session:
        session["user"] = SIGNED_IN
    answer = client.get(f"/callback?{query}")
    assert answer.status_code == 400 and "mismatching_state" in answer.get_data(as_text=True)
    assert "Signed in as jsmith" in client.get("/").get_data(as_text=True)


def test_signing_out_needs_the_session_s_csrf_token(client) -> None:  # type: ignore[no-untyped-def]
    """sec1 M4: /logout was a POST any site could make (and it signed the person out of the
    portal too, with the ID token as hint)."""
    with client.session_transaction() as session:
        session["user"] = SIGNED_IN
        session["csrf_token"] = "the-session-token"
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "another"}).status_code == 400
    assert "Signed in as jsmith" in client.get("/").get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)
    assert 'name="csrf_token" value="the-session-token"' in page
    out = client.post("/logout", data={"csrf_token": "the-session-token"})
    assert out.status_code == 302 and out.location.startswith("http://portal.invalid/oauth/logout/?")
    assert "Not signed in." in client.get("/").get_data(as_text=True)


def test_a_session_ends_twelve_hours_after_it_began(client) -> None:  # type: ignore[no-untyped-def]
    """sec1 M4: Flask's signed cookie lived 31 days. The session (kept on the server) ends
    12 hours after it began, in use or not."""
    start = time.time()
    with time_machine.travel(start, tick=False):
        with client.session_transaction() as session:
            session["user"] = SIGNED_IN
    with time_machine.travel(start + 11.9 * 3600, tick=False):
        assert "Signed in as jsmith" in client.get("/").get_data(as_text=True)
    with time_machine.travel(start + 12 * 3600 + 1, tick=False):
        assert "Not signed in." in client.get("/").get_data(as_text=True)


# --- against the portal (a live server) ------------------------------------------------------


@pytest.fixture
def portal(live_server) -> Iterator[tuple[Any, Any]]:  # type: ignore[no-untyped-def]
    """The demo registered with the portal on a live server as a public client, its browser
    (Flask's test client, at http://localhost) and the World."""
    signing_key()
    w = world()
    sso.do_register_client(
        client_id="demo-dropbox",
        name="Dropbox",
        application=w.dropbox,
        redirect_uris=["http://localhost/callback"],
        post_logout_redirect_uris=["http://localhost/"],
        public=True,
        ctx=CTX,
    )
    app = load_example().create_app(live_server.url, "demo-dropbox")
    yield app, w
    close_sessions()


def sign_in_through_the_portal(app, live_server, who) -> Any:  # type: ignore[no-untyped-def]
    demo = app.test_client()
    callback = Browser(live_server.url).go(demo.get("/login").location, username=who.username)
    assert callback.startswith("http://localhost/callback?code="), callback
    parts = urlsplit(callback)
    assert demo.get(f"{parts.path}?{parts.query}").status_code == 302
    return demo


@pytest.mark.django_db(transaction=True)
def test_the_demo_keeps_tokens_on_its_server_and_ends_the_session_when_the_portal_does(
    portal, live_server
) -> None:  # type: ignore[no-untyped-def]
    """sec1 M4: the demo checked access once, from one ID token, and kept nothing to ask again
    with. Now its cookie is a random id (the tokens stay on its server); within 5 minutes of
    use it refreshes and asks userinfo; once the grant is revoked, the next check ends the
    session ("Your sign-in has ended")."""
    app, w = portal
    who = with_profile(on_file(someone("Jamie", "Smith")))
    access = grant(who, w)
    start = time.time()
    with time_machine.travel(start, tick=False):
        demo = sign_in_through_the_portal(app, live_server, who)
        assert f"Signed in as {who.username}" in demo.get("/").get_data(as_text=True)
    cookie = demo.get_cookie(COOKIE).value
    store = app.session_interface.store
    assert set(store) == {cookie} and len(cookie) == 43  # a random id, nothing else
    first = store[cookie][1]["tokens"]["refresh_token"]
    assert first not in cookie and store[cookie][1]["tokens"]["id_token"].count(".") == 2
    with time_machine.travel(start + 6 * 60, tick=False):
        assert f"Signed in as {who.username}" in demo.get("/").get_data(as_text=True)
        assert store[cookie][1]["tokens"]["refresh_token"] != first  # refreshed (rotated)
    directory.do_revoke_access(grant=access, ctx=CTX)
    with time_machine.travel(start + 8 * 60, tick=False):
        assert f"Signed in as {who.username}" in demo.get("/").get_data(as_text=True)  # not yet due
    with time_machine.travel(start + 12 * 60, tick=False):
        page = demo.get("/").get_data(as_text=True)
        assert "Your sign-in has ended" in page and "Signed in as" not in page
        assert "tokens" not in store[cookie][1]


@pytest.mark.django_db(transaction=True)
def test_an_answer_without_roles_does_not_let_a_grant_needing_demo_in(portal, live_server) -> None:  # type: ignore[no-untyped-def]
    """sec1 M4: an application that needs a grant admits only an ID token with roles (the demo
    for an application open to all, --open-to-all, takes none)."""
    app, w = portal
    # The portal lets everyone in (no roles in the ID token); the demo still wants a role.
    directory.do_save_application(
        code="DROPBOX", name="Dropbox", open_to_all=True, application=w.dropbox, ctx=CTX
    )
    who = with_profile(on_file(someone("Jamie", "Smith")))
    demo = sign_in_through_the_portal(app, live_server, who)
    page = demo.get("/").get_data(as_text=True)
    assert (
        "You have no access to Dropbox" in page
        and "tokens" not in app.session_interface.store[demo.get_cookie(COOKIE).value][1]
    )


@pytest.mark.django_db(transaction=True)
def test_the_demo_as_elar_lets_in_a_person_without_a_grant(live_server) -> None:  # type: ignore[no-untyped-def]
    """uxpub 1: `make run` serves the demo as ELAR (--open-to-all), the demo educator's one
    card: someone with no grant signs in, and the page names no organization they are not at
    (it said "ELAR for no organization")."""
    signing_key()
    w = world()
    sso.do_register_client(
        client_id="demo-elar",
        name="ELAR",
        application=w.elar,
        redirect_uris=["http://localhost/callback"],
        post_logout_redirect_uris=["http://localhost/"],
        public=True,
        ctx=CTX,
    )
    app = load_example().create_app(live_server.url, "demo-elar", title="ELAR", needs_grant=False)
    try:
        who = with_profile(on_file(someone("Jamie", "Smith")))
        page = sign_in_through_the_portal(app, live_server, who).get("/").get_data(as_text=True)
        assert f"Signed in as {who.username} — ELAR</p>" in page.replace("\n", "").replace("  ", "")
        assert "organization" not in page
    finally:
        close_sessions()
