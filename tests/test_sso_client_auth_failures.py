"""Failed client authentication at the token and revocation endpoints (sec4's note): audited as
sso.client_auth_failed (the client_id as given, truncated; never the secret) and counted per
client address (THROTTLES["oauth_client_address"]): over it, a failure is answered 429 with
Retry-After. A request whose client authenticates is never counted, in flight or after, and is
served even past the limit. In process: the Django test client as the client."""

from __future__ import annotations

import base64
import copy

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import Application as OAuthApp

from edgate.audit.models import AuditEvent, EventType
from edgate.core import conf, hashers, throttle
from edgate.sso.validators import EdgateValidator

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
    # Over the limit: a failure is answered 429 with Retry-After, not audited one by one.
    refused = refresh(rp, cid, wrong)
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
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_an_apps_own_traffic_is_served_past_the_limit_and_never_keeps_it_going(w: World) -> None:
    """review8 H1: three wrong secrets (a rotated secret, or anyone behind the same address)
    put the address over the limit; the app's right secret, once every third of a window, is
    still served every time, and it is not what keeps the address over: once the failures are
    two windows old, a wrong secret is a plain 401 again (audited), not a 429."""
    reg = register(w)
    cid, secret = reg.client.client_id, reg.client_secret
    rp = Client()
    window = throttle.named("oauth_client_address").window
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            assert refresh(rp, cid, "wrong-" + "s" * 70).status_code == 401
        assert refresh(rp, cid, "wrong-" + "s" * 70).status_code == 429
        assert refresh(rp, "no-such-client", "x").status_code == 429  # the same answer
        for _ in range(7):  # the app's refreshes (a wrong token, a right client): served
            answer = refresh(rp, cid, secret)
            assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
            clock.shift(window / 3)
        audited = len(failures())
        assert refresh(rp, cid, "wrong-" + "s" * 70).status_code == 401
        assert len(failures()) == audited + 1


def test_a_request_in_flight_is_not_counted(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """review8 p2: while a request is examined the address's count is not raised by it, so
    simultaneous legitimate requests cannot crowd out one another; the right secret leaves
    nothing counted afterwards either."""
    reg = register(w)
    limit = throttle.named("oauth_client_address")
    seen: list[float] = []
    authenticate = EdgateValidator.authenticate_client

    def watched(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(throttle.count(limit, "127.0.0.1"))
        return authenticate(self, request, *args, **kwargs)

    monkeypatch.setattr(EdgateValidator, "authenticate_client", watched)
    assert refresh(Client(), reg.client.client_id, reg.client_secret).status_code == 400
    assert seen == [0]
    assert throttle.count(limit, "127.0.0.1") == 0


def test_an_encoded_colon_in_basic_never_records_the_secret(w: World) -> None:
    """review8 L1: HTTP Basic's user name is unquoted only after the header is split at its
    first ":"; "id%3Asecret" (no ":" at all) records no client_id, and no part of the secret."""
    reg = register(w)
    cid, secret = reg.client.client_id, reg.client_secret
    encoded = "Basic " + base64.b64encode(f"{cid}%3A{secret}".encode()).decode()
    assert Client().post("/oauth/revoke/", {"token": "t"}, HTTP_AUTHORIZATION=encoded).status_code == 401
    wrong = "wrong-" + "s" * 70
    plain = "Basic " + base64.b64encode(f"{cid}%41:{wrong}".encode()).decode()  # %41 is "A"
    assert Client().post("/oauth/revoke/", {"token": "t"}, HTTP_AUTHORIZATION=plain).status_code == 401
    assert [event.detail["client_id"] for event in failures()] == ["", f"{cid}A"]
    assert all(secret[:10] not in str(event.detail) for event in failures())


def test_past_the_limit_a_secret_stored_with_argon2_is_not_checked(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """review9 M1: a client registered before the fast form keeps an Argon2-hashed secret, and
    each secret checked against it holds a hashing slot. Past the limit such a request is
    refused before the library examines it, however it names the client (the form, HTTP Basic,
    the query), as is one naming no client at all: at most `limit` Argon2 checks per address
    and window. A client whose secret is in the fast form, and a public client, are still
    served; the Argon2 client is served again once the window has moved on."""
    legacy, fast, public = register(w), register(w), register(w, public=True)
    OAuthApp.objects.filter(pk=legacy.client.pk).update(
        client_secret=make_password(legacy.client_secret, hasher="argon2")
    )
    checks: list[int] = []
    verify = hashers.EdgateArgon2Hasher.verify

    def counted(self, password, encoded):  # type: ignore[no-untyped-def]
        checks.append(1)
        return verify(self, password, encoded)

    examined: list[int] = []
    authenticate = EdgateValidator.authenticate_client

    def watched(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        examined.append(1)
        return authenticate(self, request, *args, **kwargs)

    monkeypatch.setattr(hashers.EdgateArgon2Hasher, "verify", counted)
    monkeypatch.setattr(EdgateValidator, "authenticate_client", watched)
    rp, cid, wrong = Client(), legacy.client.client_id, "w" * 128
    window = throttle.named("oauth_client_address").window
    with time_machine.travel(timezone.now(), tick=False) as clock:
        statuses = [refresh(rp, cid, wrong).status_code for _ in range(23)]
        assert statuses == [401] * 3 + [429] * 20
        assert len(checks) == 3
        examined.clear()
        assert refresh(rp, cid, legacy.client_secret).status_code == 429  # not examined either
        by_basic = rp.post("/oauth/revoke/", {"token": "t"}, HTTP_AUTHORIZATION=basic(cid, wrong))
        assert by_basic.status_code == 429
        in_query = rp.post(
            f"/oauth/token/?client_id={cid}",
            {"grant_type": "refresh_token", "refresh_token": "t", "client_secret": fast.client_secret},
        )
        assert in_query.status_code == 429
        nobody = rp.post("/oauth/token/", {"grant_type": "refresh_token", "refresh_token": "t"})
        assert nobody.status_code == 429 and int(nobody["Retry-After"]) > 0
        assert len(checks) == 3 and examined == []
        # A fast-form secret, right: served; a public client (no secret to check): served.
        served = refresh(rp, fast.client.client_id, fast.client_secret)
        assert served.status_code == 400 and served.json()["error"] == "invalid_grant"
        public_refresh = rp.post(
            "/oauth/token/",
            {"grant_type": "refresh_token", "refresh_token": "t", "client_id": public.client.client_id},
        )
        assert public_refresh.status_code == 400 and public_refresh.json()["error"] == "invalid_grant"
        clock.shift(window * 2)
        again = refresh(rp, cid, legacy.client_secret)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        assert len(checks) == 4


def test_an_argon2_clients_own_retries_past_the_limit_never_keep_it_locked_out(w: World) -> None:
    """review11 M1: past the limit, a request naming a client whose secret is stored with Argon2
    is refused unexamined; it was also counted, so the client's own retries (three or more a
    window) kept the sliding count over the limit for good. Now refusing it counts nothing: once
    the failures counted before age out, the right secret is served again."""
    legacy = register(w)
    OAuthApp.objects.filter(pk=legacy.client.pk).update(
        client_secret=make_password(legacy.client_secret, hasher="argon2")
    )
    rp, cid = Client(), legacy.client.client_id
    window = throttle.named("oauth_client_address").window
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert [refresh(rp, cid, "w" * 128).status_code for _ in range(4)] == [401] * 3 + [429]
        answers = []
        for _ in range(4 * 6):  # 6 per window, evenly, for four windows
            clock.shift(window / 6)
            answers.append(refresh(rp, cid, legacy.client_secret).status_code)
    assert answers[-6:] == [400] * 6  # served: the refresh token is what is wrong
    assert 429 in answers[:6]  # refused while the failures still stood


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic éé",  # not ASCII: base64 decoding raises ValueError, not binascii.Error
        "basic " + base64.b64encode(b"\xff\xfe:secret").decode(),  # not UTF-8
        "Basic " + base64.b64encode(b"a%00b:secret").decode(),  # a NUL in the user name
    ],
)
def test_a_client_authentication_that_cannot_be_read_is_a_failure_not_a_500(
    w: World, authorization: str
) -> None:
    """review11 L1: malformed HTTP Basic, or a client_id holding a NUL (PostgreSQL refuses it in
    the client lookup), made the token and revocation endpoints answer 500. Now invalid_client,
    audited and counted like any failed client authentication."""
    rp = Client(raise_request_exception=False)
    for path, data in (
        ("/oauth/token/", {"grant_type": "refresh_token", "refresh_token": "t"}),
        ("/oauth/revoke/", {"token": "t"}),
    ):
        answer = rp.post(path, data, HTTP_AUTHORIZATION=authorization)
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_client", (
            path,
            answer.status_code,
        )
    in_form = rp.post(
        "/oauth/token/", {"grant_type": "refresh_token", "refresh_token": "t", "client_id": "a\x00b"}
    )
    assert in_form.status_code == 401 and in_form.json()["error"] == "invalid_client"
    assert len(failures()) == 3
