"""Dropbox (demo): an application that signs people in through EdGate with OpenID Connect.

A separate process, not part of the portal: Flask for the pages, Authlib for the protocol
(discovery, authorization code with PKCE S256, ID-token verification against the JWKS with
the nonce, refresh, userinfo, RP-initiated logout). Integrators copy it, so it does what an
application must do to honour the portal's decisions:

- the tokens stay on the server: the browser's cookie holds a random session id only
  (ServerSideSessions; memory of this one process: use your database or cache for more);
- the sign-in is checked with the portal at least every REFRESH_SECONDS (refresh, then
  userinfo): a revoked grant, a disabled Profile, a new password or a disconnect ends the
  session here too (`invalid_grant`, 401), within minutes and not when a cookie lapses;
- a session lasts at most SESSION_HOURS (12) from the sign-in, whatever happens;
- an answer at /callback, an error included, is acted on only with a `state` this session
  asked for: any other site can link to /callback, and must not sign the person out;
- signing out is a POST with this session's CSRF token;
- an application that needs a grant (not open to all) admits only an ID token with roles.

    python examples/dropbox/app.py --portal http://127.0.0.1:8000 --port 8001

`edgate demo` registers it as the public client `demo-dropbox` (redirect URI
http://127.0.0.1:8001/callback). The same program serves the other demo applications:
`--client-id demo-mdcs --title MDCS --port 8003`, and `--client-id demo-elar --title ELAR
--port 8002 --open-to-all`.
"""

from __future__ import annotations

import argparse
import hmac
import os
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, Request, Response, abort, redirect, render_template_string, request, session, url_for
from flask.sessions import SecureCookieSession, SessionInterface
from joserfc.errors import JoseError

# How often the sign-in is checked with the portal (its access tokens live 10 minutes).
REFRESH_SECONDS = 5 * 60
# The longest a session here lasts after the sign-in (the portal's refresh family ends then too).
SESSION_HOURS = 12

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} (demo)</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem">
<main>
<h1>{{ title }} <small>(demo application)</small></h1>
{% if problem %}
  <p id="problem" role="alert">Signing in did not work ({{ problem }}). Please try again.</p>
{% endif %}
{% if user %}
  <p id="status">Signed in as {{ user.username }} — {{ title }}
    {%- if user.places %} for {{ user.places }}{% endif %}
    {%- if title == "Dropbox" %} (InBox / OutBox){% endif %}</p>
  <p>{{ user.name }}{% if user.email %} · {{ user.email }}{% endif %}</p>
  <form method="post" action="{{ url_for('logout') }}">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    <button type="submit">Sign out</button></form>
{% elif denied %}
  <p id="status" role="alert">You have no access to {{ title }}; ask your Directory Administrator.</p>
  <p><a href="{{ url_for('login') }}">Try again</a></p>
{% elif ended %}
  <p id="status" role="alert">Your sign-in has ended. Please sign in again.</p>
  <p><a href="{{ url_for('login') }}">Sign in with the agency's Security Portal</a></p>
{% else %}
  <p id="status">Not signed in.</p>
  <p><a href="{{ url_for('login') }}">Sign in with the agency's Security Portal</a></p>
{% endif %}
</main></body></html>"""


class ServerSession(SecureCookieSession):
    """A session whose data stays on the server; the cookie carries `sid` only."""

    def __init__(self, initial: dict[str, Any] | None = None, *, sid: str, born: float) -> None:
        super().__init__(initial)
        self.sid = sid
        self.born = (
            born  # when the person signed in (or the session began): its absolute end counts from here
        )
        self.rotate = False

    def restart(self) -> None:
        """At a sign-in: a new id (the old one, which the browser had before, is dropped) and a
        new absolute lifetime."""
        self.rotate = True
        self.born = time.time()
        self.modified = True


class ServerSideSessions(SessionInterface):
    """Sessions kept in this process's memory, each ending `lifetime` seconds after it began
    at the latest; the browser holds a random id, never a token or a claim."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self.store: dict[str, tuple[float, dict[str, Any]]] = {}
        self.lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app), "")
        now = time.time()
        with self.lock:
            born, data = self.store.get(sid, (0.0, {}))
            if sid in self.store and born + self.lifetime <= now:
                del self.store[sid]  # over: it ends here, whatever it held
                born, data = 0.0, {}
        if born:
            return ServerSession(dict(data), sid=sid, born=born)
        return ServerSession(sid=secrets.token_urlsafe(32), born=now)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:  # type: ignore[override]
        name = self.get_cookie_name(app)
        kwargs = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "httponly": True,
            "samesite": "Lax",
        }
        with self.lock:
            now = time.time()
            for sid in [sid for sid, (born, _) in self.store.items() if born + self.lifetime <= now]:
                del self.store[sid]
            if session.rotate or not session:
                self.store.pop(session.sid, None)
            if not session:
                if request.cookies.get(name):
                    response.delete_cookie(name, **{k: kwargs[k] for k in ("domain", "path")})
                return
            if session.rotate:
                session.sid, session.rotate = secrets.token_urlsafe(32), False
            if not session.modified and session.sid in self.store:
                return
            self.store[session.sid] = (session.born, dict(session))
        response.set_cookie(name, session.sid, expires=session.born + self.lifetime, **kwargs)  # type: ignore[arg-type]


def create_app(
    portal: str,
    client_id: str,
    client_secret: str | None = None,
    title: str = "Dropbox",
    *,
    needs_grant: bool = True,
) -> Flask:
    app = Flask(__name__)
    # Its own cookie name: the portal on the same host (another port) sees cookies too.
    app.config["SESSION_COOKIE_NAME"] = f"{client_id}-session"
    app.session_interface = ServerSideSessions(SESSION_HOURS * 3600)
    oauth = OAuth(app)
    oauth.register(
        "portal",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=f"{portal.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid profile email",
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic" if client_secret else "none",
        },
    )

    def page(**context: Any) -> str:
        return render_template_string(
            PAGE,
            title=title,
            user=context.get("user", session.get("user")),
            denied=session.get("denied"),
            ended=session.get("ended"),
            problem=context.get("problem"),
            csrf_token=session.get("csrf_token", ""),
        )

    def end_session(reason: str) -> None:
        """The sign-in is over here (the portal said so, or it could not be checked)."""
        session.clear()
        session[reason] = True

    @app.before_request
    def check_with_the_portal() -> None:
        """At least every REFRESH_SECONDS while the person uses the application: refresh the
        tokens (the portal checks the grant, the Profile and the family on each refresh), then
        ask userinfo who they are and what roles they have now. Any refusal ends the session."""
        if "tokens" not in session or request.endpoint in ("logout", "static"):
            return
        if time.time() - session["tokens"]["checked_at"] < REFRESH_SECONDS:
            return
        try:
            token = oauth.portal.fetch_access_token(
                grant_type="refresh_token", refresh_token=session["tokens"]["refresh_token"]
            )
            claims = oauth.portal.userinfo(token=token)
        except (OAuthError, requests.RequestException):  # invalid_grant, 401, or no answer
            end_session("ended")
            return
        remember(token, claims, id_token=token.get("id_token") or session["tokens"]["id_token"])

    def remember(token: dict[str, Any], claims: dict[str, Any], *, id_token: str) -> None:
        roles = claims.get("roles", [])
        if needs_grant and not roles:  # the portal should have said access_denied already
            end_session("denied")
            return
        places = sorted({role.get("organization_name") or role["organization"] for role in roles})
        session.pop("denied", None)
        session.pop("ended", None)
        session["tokens"] = {
            "refresh_token": token["refresh_token"],
            "id_token": id_token,  # for the sign-out's id_token_hint
            "checked_at": time.time(),
        }
        session["user"] = {
            "username": claims.get("preferred_username", claims["sub"]),
            "name": claims.get("name", ""),
            "email": claims.get("email", ""),
            "places": ", ".join(places),  # none in an application open to all, without a grant
        }

    @app.get("/")
    def home() -> str:
        return page()

    @app.get("/login")
    def login() -> Any:
        return oauth.portal.authorize_redirect(url_for("callback", _external=True))

    @app.get("/callback")
    def callback() -> Any:
        # Only an answer to a request this session made: `state` is checked before anything,
        # error answers included, and a forged one changes nothing here.
        state = request.args.get("state", "")
        if not state or not oauth.portal.framework.get_state_data(session, state):
            return page(problem="mismatching_state"), 400
        if request.args.get("error"):
            oauth.portal.framework.clear_state_data(session, state)
            if request.args["error"] == "access_denied":
                end_session("denied")
                return redirect(url_for("home"))
            return signing_in_failed(request.args["error"])
        try:
            token = oauth.portal.authorize_access_token()  # checks state, PKCE, ID token and nonce
        except OAuthError as error:
            return signing_in_failed(error.error)
        except JoseError:
            return signing_in_failed("the sign-in could not be verified")
        session.clear()
        session.restart()  # a new session id at sign-in, and its 12 hours begin
        session["csrf_token"] = secrets.token_urlsafe(32)
        remember(token, token["userinfo"], id_token=token["id_token"])
        return redirect(url_for("home"))

    def signing_in_failed(reason: str) -> tuple[str, int]:
        """Any other answer than a code (login_required, an ID token that does not verify...):
        said politely, never a server error."""
        session.pop("user", None)
        session.pop("tokens", None)
        return page(user=None, problem=reason), 400

    @app.post("/logout")
    def logout() -> Any:
        expected = session.get("csrf_token", "")
        if not expected or not hmac.compare_digest(expected, request.form.get("csrf_token", "")):
            abort(400)
        id_token = session.get("tokens", {}).get("id_token")
        session.clear()
        metadata = oauth.portal.load_server_metadata()
        query = {"post_logout_redirect_uri": url_for("home", _external=True), "client_id": client_id}
        if id_token:
            query["id_token_hint"] = id_token
        return redirect(f"{metadata['end_session_endpoint']}?{urlencode(query)}")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portal", default=os.environ.get("DEMO_PORTAL", "http://127.0.0.1:8000"))
    parser.add_argument("--client-id", default=os.environ.get("DEMO_CLIENT_ID", "demo-dropbox"))
    parser.add_argument("--title", default="Dropbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument(
        "--open-to-all", action="store_true", help="the application admits people without a grant (ELAR)"
    )
    args = parser.parse_args()
    # A confidential client's secret comes from the environment, never the command line.
    app = create_app(
        args.portal,
        args.client_id,
        os.environ.get("DEMO_CLIENT_SECRET"),
        args.title,
        needs_grant=not args.open_to_all,
    )
    app.run(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
