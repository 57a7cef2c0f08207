"""Dropbox (demo): an application that signs people in through EdGate with OpenID Connect.

A separate process, not part of the portal: Flask for the pages, Authlib for the protocol
(discovery, authorization code with PKCE S256, ID-token verification against the JWKS with
the nonce, RP-initiated logout). Everything it shows comes from the ID token's claims.

    python examples/dropbox/app.py --portal http://127.0.0.1:8000 --port 8001

`edgate demo` registers it as the public client `demo-dropbox` (redirect URI
http://127.0.0.1:8001/callback). The same program serves the other demo applications:
`--client-id demo-mdcs --title MDCS --port 8003`.
"""

from __future__ import annotations

import argparse
import os
import secrets
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, render_template_string, request, session, url_for
from joserfc.errors import JoseError

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} (demo)</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem">
<main>
<h1>{{ title }} <small>(demo application)</small></h1>
{% if user %}
  <p id="status">Signed in as {{ user.username }} — {{ title }} for {{ user.places }}
    {%- if title == "Dropbox" %} (InBox / OutBox){% endif %}</p>
  <p>{{ user.name }}{% if user.email %} · {{ user.email }}{% endif %}</p>
  <form method="post" action="{{ url_for('logout') }}"><button type="submit">Sign out</button></form>
{% elif problem %}
  <p id="status" role="alert">Signing in did not work ({{ problem }}). Please try again.</p>
  <p><a href="{{ url_for('login') }}">Sign in with the agency's Security Portal</a></p>
{% elif denied %}
  <p id="status" role="alert">You have no access to {{ title }}; ask your Directory Administrator.</p>
  <p><a href="{{ url_for('login') }}">Try again</a></p>
{% else %}
  <p id="status">Not signed in.</p>
  <p><a href="{{ url_for('login') }}">Sign in with the agency's Security Portal</a></p>
{% endif %}
</main></body></html>"""


def create_app(
    portal: str, client_id: str, client_secret: str | None = None, title: str = "Dropbox"
) -> Flask:
    app = Flask(__name__)
    app.secret_key = os.environ.get("DEMO_APP_SECRET_KEY") or secrets.token_hex(32)
    # Its own cookie name: the portal on the same host (another port) sees cookies too.
    app.config["SESSION_COOKIE_NAME"] = f"{client_id}-session"
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

    @app.get("/")
    def home() -> str:
        return render_template_string(
            PAGE, title=title, user=session.get("user"), denied=session.get("denied")
        )

    @app.get("/login")
    def login() -> Any:
        return oauth.portal.authorize_redirect(url_for("callback", _external=True))

    @app.get("/callback")
    def callback() -> Any:
        if request.args.get("error") == "access_denied":
            session.pop("user", None)
            session["denied"] = True
            return redirect(url_for("home"))
        if request.args.get("error"):
            return signing_in_failed(request.args["error"])
        try:
            token = oauth.portal.authorize_access_token()  # checks state, PKCE, ID token and nonce
        except OAuthError as error:
            return signing_in_failed(error.error)
        except JoseError:
            return signing_in_failed("the sign-in could not be verified")
        claims = token["userinfo"]
        places = sorted(
            {role.get("organization_name") or role["organization"] for role in claims.get("roles", [])}
        )
        session.pop("denied", None)
        session["id_token"] = token["id_token"]
        session["user"] = {
            "username": claims.get("preferred_username", claims["sub"]),
            "name": claims.get("name", ""),
            "email": claims.get("email", ""),
            "places": ", ".join(places) or "no organization",
        }
        return redirect(url_for("home"))

    def signing_in_failed(reason: str) -> tuple[str, int]:
        """Any other answer than a code (login_required, a state that does not match, an ID
        token that does not verify...): said politely, never a server error."""
        session.pop("user", None)
        return render_template_string(PAGE, title=title, user=None, problem=reason), 400

    @app.post("/logout")
    def logout() -> Any:
        id_token = session.pop("id_token", None)
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
    args = parser.parse_args()
    # A confidential client's secret comes from the environment, never the command line.
    app = create_app(args.portal, args.client_id, os.environ.get("DEMO_CLIENT_SECRET"), args.title)
    app.run(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
