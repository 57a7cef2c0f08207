"""Races at the token endpoint, over HTTP (a live server, real PostgreSQL, one connection per
request): two exchanges of one code at once, and a refresh racing a disconnect. The second
request is started from a hook in the first, at the moment that matters."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from edgate.audit.models import AuditEvent, EventType
from edgate.sso import actions as sso
from edgate.sso import validators

from .factories import CTX
from .oidc import REDIRECT, Browser, World, close_sessions, signing_key, world
from .test_oidc import code_for, grant, person, register, rp_for, token_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def base(live_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    signing_key()
    yield live_server.url
    close_sessions()


@pytest.fixture
def w() -> World:
    return world()


def exchange(code: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": "v" * 64,
    }


def waiting_on_a_lock(seconds: float = 5.0) -> bool:
    """Whether another connection to this database waits on a row lock (within `seconds`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else read once per transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def in_thread(state: dict[str, Any], key: str, call: Any) -> threading.Thread:
    thread = threading.Thread(target=lambda: state.__setitem__(key, call()))
    thread.start()
    return thread


def test_a_second_exchange_at_the_same_moment_waits_then_ends_the_first(
    base: str, w: World, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Exchange B has passed validate_code when exchange A of the same code arrives: A waits on
    the code's lock, finds it exchanged once B commits, is refused, and B's tokens end."""
    reg = register(w)
    rp = rp_for(base, reg)
    who = person()
    grant(who, w)
    code = code_for(rp, Browser(base), who)
    original = validators.EdgateValidator.validate_code
    state: dict[str, Any] = {"calls": 0}

    def hooked(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        valid = original(self, *args, **kwargs)
        state["calls"] += 1
        if state["calls"] == 1:  # B, the code in hand: A arrives now
            state["thread"] = in_thread(state, "a", lambda: token_post(rp, **exchange(code)))
            state["a_waited"] = waiting_on_a_lock()
        return valid

    monkeypatch.setattr(validators.EdgateValidator, "validate_code", hooked)
    b = token_post(rp, **exchange(code))
    state["thread"].join(10)
    a = state["a"]
    assert state["a_waited"]
    assert b.status_code == 200, b.text
    assert (a.status_code, a.json()["error"]) == (400, "invalid_grant")
    tokens = b.json()
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    again = token_post(rp, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert again.json()["error"] == "invalid_grant"
    event = AuditEvent.objects.get(event_type=EventType.SSO_CODE_REUSED)
    assert event.detail["tokens_ended"] == 2


@pytest.fixture
def no_lock(monkeypatch):  # type: ignore[no-untyped-def]
    """As if the code's lock did not hold (another database, a path it misses): the library's
    later reads of the code, and its deletion, must still treat a vanished code as a reuse."""
    monkeypatch.setattr(validators.EdgateValidator, "_lock_code", lambda self, code, client: None)


def test_a_code_exchanged_between_validation_and_pkce_is_a_reuse_not_a_500(
    base: str, w: World, monkeypatch, no_lock
) -> None:  # type: ignore[no-untyped-def]
    reg = register(w)
    rp = rp_for(base, reg)
    who = person()
    grant(who, w)
    code = code_for(rp, Browser(base), who)
    original = validators.EdgateValidator.validate_code
    state: dict[str, Any] = {"calls": 0}

    def hooked(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        valid = original(self, *args, **kwargs)
        state["calls"] += 1
        if state["calls"] == 1:  # B has validated the code; A's exchange runs to its end
            in_thread(state, "a", lambda: token_post(rp, **exchange(code))).join(10)
        return valid

    monkeypatch.setattr(validators.EdgateValidator, "validate_code", hooked)
    b = token_post(rp, **exchange(code))
    a = state["a"]
    assert a.status_code == 200, a.text
    assert (b.status_code, b.json()["error"]) == (400, "invalid_grant")
    assert rp.userinfo(a.json()["access_token"]).status_code == 401
    assert (
        token_post(rp, grant_type="refresh_token", refresh_token=a.json()["refresh_token"]).status_code == 400
    )
    assert AuditEvent.objects.filter(event_type=EventType.SSO_CODE_REUSED).exists()


def test_a_code_deleted_under_an_exchange_ends_what_it_gave(
    base: str, w: World, monkeypatch, no_lock
) -> None:  # type: ignore[no-untyped-def]
    """The exchange saved its tokens, then finds its code already deleted (by another
    exchange: invalidate_authorization_code): a reuse, so what it gave ends and it is refused.
    (Without the lock the other exchange cannot run to its end here either: it waits on rows
    this transaction wrote, so the deletion is made in this request's own transaction.)"""
    reg = register(w)
    rp = rp_for(base, reg)
    who = person()
    grant(who, w)
    code = code_for(rp, Browser(base), who)
    original = validators.EdgateValidator.invalidate_authorization_code

    def hooked(self, client_id, code, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        Grant.objects.filter(code=code).delete()
        return original(self, client_id, code, request, *args, **kwargs)

    monkeypatch.setattr(validators.EdgateValidator, "invalidate_authorization_code", hooked)
    b = token_post(rp, **exchange(code))
    assert (b.status_code, b.json()["error"]) == (400, "invalid_grant")
    assert not RefreshToken.objects.filter(user=who, revoked__isnull=True).exists()
    assert not AccessToken.objects.filter(user=who).exists()
    event = AuditEvent.objects.get(event_type=EventType.SSO_CODE_REUSED)
    assert event.detail["tokens_ended"] == 2


def test_a_refresh_racing_a_disconnect_gets_nothing_that_lasts(base: str, w: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The client refreshes while the person's Disconnect is under way (here: once the
    disconnect has begun ending tokens, before it has revoked the refresh token). The pair the
    refresh rotated into belongs to the ended family: refused at userinfo and at the next
    refresh."""
    reg = register(w, first_party=False)
    who = person()
    grant(who, w)
    rp, browser = rp_for(base, reg), Browser(base)
    session = rp.session()
    browser.go(rp.authorization_url(session, code_verifier="v" * 64), username=who.username)
    tokens = rp.fetch_token(session, browser.submit({"allow": "Authorize"}), "v" * 64)
    original = IDToken.revoke
    state: dict[str, Any] = {"calls": 0}

    def hooked(self):  # type: ignore[no-untyped-def]
        state["calls"] += 1
        if state["calls"] == 1:
            refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
            in_thread(state, "r", lambda: token_post(rp, **refresh)).join(10)
        return original(self)

    monkeypatch.setattr(IDToken, "revoke", hooked)
    sso.do_disconnect_client(profile=who, client=reg.client, ctx=CTX)
    rotated = state["r"].json()
    assert "access_token" in rotated, rotated  # the race itself: the rotation went through
    assert rp.userinfo(rotated["access_token"]).status_code == 401
    again = token_post(rp, grant_type="refresh_token", refresh_token=rotated["refresh_token"])
    assert again.json()["error"] == "invalid_grant"
