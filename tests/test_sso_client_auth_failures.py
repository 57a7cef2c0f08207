"""Failed client authentication at the token and revocation endpoints (sec4's note): audited as
sso.client_auth_failed (the client_id as given, truncated; never the secret) and counted per
client address (THROTTLES["oauth_client_address"]): over it, 429 with Retry-After. A request
whose client did authenticate is not counted. In process: the Django test client as the client."""

from __future__ import annotations

import copy

import pytest
from django.test import Client

from edgate.audit.models import AuditEvent, EventType
from edgate.core import conf

from .oidc import World
from .test_oidc import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(settings) -> World:  # type: ignore[no-untyped-def]
    from .oidc import signing_key, world

    edgate = copy.deepcopy(settings.EDGATE)
    edgate["THROTTLES"]["oauth_client_address"] = (3, 3600)
    settings.EDGATE = edgate
    conf.reset()
    signing_key()
    return world()


def refresh(client: Client, client_id: str, secret: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/oauth/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": "not-a-token",
            "client_id": client_id,
            "client_secret": secret,
        },
        **extra,
    )


def failures() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.SSO_CLIENT_AUTH_FAILED).order_by("seq"))


def test_failed_client_authentication_is_audited_and_throttled_per_address(w: World) -> None:
    reg = register(w)
    cid, secret = reg.client.client_id, reg.client_secret
    rp = Client(enforce_csrf_checks=True)
    # The client authenticates (the refresh token is wrong): neither audited nor counted.
    for _ in range(5):
        answer = refresh(rp, cid, secret)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", answer.content
    assert failures() == []

    # A wrong secret: 401 invalid_client, audited with the client_id and never the secret.
    wrong = "wrong-secret-" + "s" * 20
    for _ in range(3):
        answer = refresh(rp, cid, wrong)
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    events = failures()
    assert [(e.detail["client_id"], e.detail["endpoint"]) for e in events] == [(cid, "token")] * 3
    assert all(wrong not in str(e.detail) and secret not in str(e.detail) for e in events)
    # Over the limit: 429 with Retry-After, even with the right secret, not examined.
    refused = refresh(rp, cid, secret)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert AuditEvent.objects.filter(event_type=EventType.THROTTLE_ALERT).count() == 1
    assert len(failures()) == 3

    # Another address: the revocation endpoint too, HTTP Basic; an unknown client_id truncated.
    other = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.7")
    revoked = other.post("/oauth/revoke/", {"token": "not-a-token"}, HTTP_AUTHORIZATION=basic(cid, wrong))
    assert revoked.status_code == 401
    unknown = refresh(other, "x" * 300, "whatever")
    assert unknown.status_code == 401
    assert [(e.detail["client_id"], e.detail["endpoint"]) for e in failures()[3:]] == [
        (cid, "revoke"),
        ("x" * 64, "token"),
    ]
    assert refresh(other, cid, secret).status_code == 400  # still within its limit


def basic(client_id: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
