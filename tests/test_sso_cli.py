"""`edgate client` and `edgate oidc keys`: registering clients and rotating keys from the console."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from oauth2_provider.models import AccessToken
from oauth2_provider.models import Application as Client

from edgate.audit.models import AuditEvent, EventType
from edgate.directory import actions as directory
from edgate.sso import keys
from edgate.sso.models import ClientApplication, SigningKey

from .factories import CTX
from .oidc import signing_key, signing_pem

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def dropbox():  # type: ignore[no-untyped-def]
    signing_key()
    return directory.do_save_application(code="DROPBOX", name="Dropbox", ctx=CTX)


def test_client_add_prints_the_id_and_the_secret_once_and_keeps_only_its_hash(dropbox) -> None:  # type: ignore[no-untyped-def]
    out = run(
        "client", "add", "--name", "Dropbox", "--application", "DROPBOX",
        "--redirect-uri", "https://dropbox.example.test/cb", "--redirect-uri", "https://dropbox.example.test/cb2",
    )  # fmt: skip
    lines = dict(line.split("=", 1) for line in out.splitlines())
    assert set(lines) == {"client_id", "client_secret"}
    client = Client.objects.get(client_id=lines["client_id"])
    assert client.client_secret != lines["client_secret"]
    assert check_password(lines["client_secret"], client.client_secret)
    assert client.redirect_uris == "https://dropbox.example.test/cb https://dropbox.example.test/cb2"
    assert client.client_type == Client.CLIENT_CONFIDENTIAL and client.skip_authorization
    assert ClientApplication.objects.get(client=client).application == dropbox
    event = AuditEvent.objects.get(event_type=EventType.SSO_CLIENT_REGISTERED)
    assert event.detail["client_id"] == lines["client_id"] and event.detail["application"] == "DROPBOX"
    assert lines["client_secret"] not in str(event.detail)
    assert event.actor_label == "edgate client"


def test_public_and_third_party_clients(dropbox) -> None:  # type: ignore[no-untyped-def]
    out = run(
        "client", "add", "--name", "Vendor app", "--application", "DROPBOX",
        "--redirect-uri", "https://vendor.example.test/cb", "--public", "--third-party", "--scope", "email",
    )  # fmt: skip
    assert out.startswith("client_id=") and "client_secret" not in out
    client = Client.objects.get(client_id=out.strip().split("=", 1)[1])
    assert client.client_type == Client.CLIENT_PUBLIC and not client.skip_authorization
    link = ClientApplication.objects.get(client=client)
    assert not link.first_party and link.scopes == "openid email"
    assert run("client", "list").rstrip("\n").split("\t")[-1] == "openid email"
    with pytest.raises(CommandError, match="invalid choice"):
        run("client", "add", "--name", "Y", "--application", "DROPBOX", "--redirect-uri", "https://y.test/cb",
            "--scope", "address")  # fmt: skip


def test_client_add_refuses_an_unknown_application_or_a_bad_redirect_uri(dropbox) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="No application 'NOPE'.*DROPBOX"):
        run("client", "add", "--name", "X", "--application", "NOPE", "--redirect-uri", "https://x.test/cb")
    with pytest.raises(CommandError, match="Not registered: redirect_uris"):
        run(
            "client",
            "add",
            "--name",
            "X",
            "--application",
            "DROPBOX",
            "--redirect-uri",
            "ftp://x.test/cb#frag",
        )
    assert not Client.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.SSO_CLIENT_REGISTERED).exists()


def test_client_list_and_remove(dropbox) -> None:  # type: ignore[no-untyped-def]
    client_id = run(
        "client", "add", "--name", "Dropbox", "--application", "DROPBOX", "--redirect-uri", "https://d.test/cb"
    ).splitlines()[0].split("=", 1)[1]  # fmt: skip
    listed = run("client", "list")
    assert listed.split("\t")[:5] == [client_id, "Dropbox", "DROPBOX", "confidential", "first-party"]
    client = Client.objects.get(client_id=client_id)
    AccessToken.objects.create(
        application=client, token="t" * 40, expires="2100-01-01T00:00Z", scope="openid"
    )
    assert "Removed client" in run("client", "remove", client_id)
    assert not Client.objects.exists() and not AccessToken.objects.exists()
    assert not ClientApplication.objects.exists()
    event = AuditEvent.objects.get(event_type=EventType.SSO_CLIENT_REMOVED)
    assert event.detail == {"client_id": client_id, "name": "Dropbox", "application": "DROPBOX"}
    assert run("client", "list") == ""
    with pytest.raises(CommandError, match="No client"):
        run("client", "remove", client_id)


def test_oidc_keys_rotate_list_and_retire() -> None:
    assert run("oidc", "keys", "ensure").startswith("New signing key")
    assert run("oidc", "keys", "ensure") == "A signing key is in place.\n"
    first = SigningKey.objects.get()
    run("oidc", "keys", "rotate")
    second = SigningKey.objects.exclude(pk=first.pk).get()
    listed = run("oidc", "keys", "list")
    assert f"{second.kid}\tsigning" in listed and f"{first.kid}\tpublished" in listed
    with pytest.raises(CommandError, match="rotate first"):
        run("oidc", "keys", "retire", "--", second.kid)  # a key id may begin with "-"
    run("oidc", "keys", "retire", "--", first.kid)
    assert f"{first.kid}\tretired" in run("oidc", "keys", "list")
    assert [k.kid for k in keys.published()] == [second.kid]
    rotated = AuditEvent.objects.filter(event_type=EventType.SSO_KEY_ROTATED).order_by("id")
    assert [e.detail for e in rotated] == [
        {"kid": first.kid, "previous": None},
        {"kid": second.kid, "previous": first.kid},
    ]
    with pytest.raises(CommandError, match="No key"):
        run("oidc", "keys", "retire", "nope")


def test_the_private_key_is_stored_encrypted() -> None:
    key = signing_key()
    raw = bytes(SigningKey.objects.get(pk=key.pk).private_key)
    assert b"PRIVATE KEY" not in raw
    assert keys.signing_pem() == signing_pem()


def test_demo_registers_its_three_applications_once() -> None:
    from django.conf import settings

    assert not settings.DEMO_DATA_ALLOWED  # the test settings: hence --force
    out = StringIO()
    call_command("demo", "--force", stdout=out)
    call_command("demo", "--force", stdout=StringIO())
    links = ClientApplication.objects.select_related("client", "application").order_by("client__client_id")
    assert [(link.client.client_id, link.application.code) for link in links] == [
        ("demo-dropbox", "DROPBOX"),
        ("demo-elar", "ELAR"),
        ("demo-mdcs", "MDCS"),
    ]
    dropbox = links[0].client
    assert dropbox.client_type == Client.CLIENT_PUBLIC
    assert "http://127.0.0.1:8001/callback" in dropbox.redirect_uris.split()
    assert AuditEvent.objects.filter(event_type=EventType.SSO_CLIENT_REGISTERED).count() == 3
    assert SigningKey.objects.count() == 1  # made by the first run, kept by the second
    assert "DROPBOX: client_id=demo-dropbox" in out.getvalue()
