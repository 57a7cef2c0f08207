"""The demo's Dropbox application links to the demo application `make run` serves on port
8001: someone granted it sees "Open" on My applications, not "There is no link"."""

from __future__ import annotations

import html
import json
import re
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from edgate.accounts.models import Profile
from edgate.console.demo import APPS, DEMO_CLIENTS, DEMO_URLS, demo_client_id
from edgate.directory import actions as directory_actions
from edgate.directory.models import Application, AppRole, Organization
from edgate.sso.models import ClientApplication
from tests.backoffice import console_client
from tests.factories import CTX
from tests.flows.helpers import shows


@pytest.mark.django_db
def test_a_dropbox_grant_in_the_demo_opens_the_demo_application() -> None:
    call_command("demo", "--force", stdout=StringIO())
    dropbox = Application.objects.get(code="DROPBOX")
    district = Organization.objects.get(code="01230000")
    admin = Profile.objects.get(person__last_name="Administrator", person__first_name="Dana")
    directory_actions.do_grant_access(
        profile=admin,
        role=AppRole.objects.get(application=dropbox, code="user"),
        organization=district,
        ctx=CTX,
    )
    page = console_client(admin).get(reverse("directory:applications")).content.decode()
    assert 'href="http://127.0.0.1:8001/"' in page
    # A second run keeps it, and changes nothing.
    call_command("demo", "--force", stdout=StringIO())
    assert Application.objects.get(code="DROPBOX").url == "http://127.0.0.1:8001/"


@pytest.mark.django_db
def test_the_demo_educator_s_only_card_opens_the_demo_elar_application(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """uxpub 1: the demo's educator signed in to one card, ELAR, that said "There is no link to
    this application here" — a dead end. `make run` serves the demo application as ELAR (open
    to all) on port 8002, the port of the client `edgate demo` registered, and the card opens it."""
    accounts = tmp_path / "accounts.json"
    call_command("demo", "--force", "--accounts-json", str(accounts), stdout=StringIO())
    (educator,) = [a for a in json.loads(accounts.read_text()) if a["role"] == "educator"]
    client = Client()
    client.post(
        reverse("accounts:login"), {"username": educator["username"], "password": educator["password"]}
    )
    page = client.get(reverse("directory:applications"))
    assert page.status_code == 200
    shown = html.unescape(page.content.decode())
    assert shows(shown, "ELAR — Licensure and job matching") and not shows(shown, "There is no link")
    assert 'href="http://127.0.0.1:8002/"' in shown
    elar = ClientApplication.objects.get(client__client_id="demo-elar")
    assert "http://127.0.0.1:8002/callback" in elar.client.redirect_uris.split()


def test_make_run_serves_each_demo_application_the_demo_links_to() -> None:
    """Every link the demo gives an application (DEMO_URLS) is served by `make run`: the demo
    application on that port, as that application's client, open to all when the application is."""
    run = Path(__file__).resolve().parents[1].joinpath("Makefile").read_text()
    recipe = run.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    started = [line for line in recipe.splitlines() if "examples/dropbox/app.py" in line]
    open_to_all = {code: flag for code, _n, _d, flag, *_ in APPS}
    assert set(DEMO_URLS) == {"DROPBOX", "ELAR"}
    for code, url in DEMO_URLS.items():
        port = urlsplit(url).port
        (line,) = [line for line in started if f"--port {port} " in line or line.endswith(f"--port {port}")]
        client_id = re.search(r"--client-id (\S+)", line)
        assert (client_id.group(1) if client_id else "demo-dropbox") == demo_client_id(code)
        assert ("--open-to-all" in line) == open_to_all[code]
        assert (code, port) in DEMO_CLIENTS
