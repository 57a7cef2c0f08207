"""Sessions: the idle timeout without a write per request, and the Redis-cached store.

The database store (no REDIS_URL) and `edgate.core.sessions` (REDIS_URL set: the database row is
the truth, Redis a read cache of a minute) must both keep sign-out, the idle timeout and "a new
password signs out every other session"; the cached store must keep working with Redis down.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import redis
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edgate.accounts.models import Profile
from edgate.core.outage import REDIS
from tests.factories import PASSWORD, on_file, someone, with_profile
from tests.pii import register_secret
from tests.redis_db import REDIS_URL  # this worker's own Redis database

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")
APPS = reverse("directory:applications")
CLOSED_PORT = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def cached_sessions(settings, url: str) -> None:  # type: ignore[no-untyped-def]
    """What settings/base.py configures when REDIS_URL is set."""
    settings.CACHES = {
        **settings.CACHES,  # the others (the page-fragment cache) as configured
        "default": {
            "BACKEND": "edgate.core.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
                "serializer": "edgate.core.sessions.cached.TextSerializer",
            },
        },
    }
    settings.SESSION_ENGINE = "edgate.core.sessions.cached"
    REDIS.reset()


def use_redis(settings) -> None:  # type: ignore[no-untyped-def]
    if not redis_up():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Redis tests ({REDIS_URL} unreachable)")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    cached_sessions(settings, REDIS_URL)


@pytest.fixture(params=["database", "redis"])
def store(request: pytest.FixtureRequest, settings):  # type: ignore[no-untyped-def]
    if request.param == "redis":
        use_redis(settings)
    yield request.param
    REDIS.reset()


@pytest.fixture
def profile() -> Profile:
    return with_profile(on_file(someone("Marisol", "Okonkwo")))


def sign_in(client: Client, profile: Profile) -> None:
    response = client.post(LOGIN, {"username": profile.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def expire_date(client: Client):  # type: ignore[no-untyped-def]
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).expire_date


def test_activity_saves_the_session_at_most_once_a_minute_and_keeps_it_alive(
    client: Client, profile: Profile, store: str
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, profile)
        saved = expire_date(client)
    # Within the minute: no write, no new cookie.
    with time_machine.travel(start + timedelta(seconds=50), tick=False):
        response = client.get(APPS)
        assert response.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert expire_date(client) == saved
    # A minute on: saved once, the expiry and the cookie's Max-Age pushed on.
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        response = client.get(APPS)
        assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE
        assert expire_date(client) > saved
        assert settings.SESSION_COOKIE_NAME not in client.get(APPS).cookies  # and not again at once
    # A request every 20 minutes for two hours keeps it...
    moment = start + timedelta(minutes=2)
    for _ in range(6):
        moment += timedelta(minutes=20)
        with time_machine.travel(moment, tick=False):
            assert client.get(APPS).status_code == 200
    # ...and 31 idle minutes end it.
    with time_machine.travel(moment + timedelta(minutes=31), tick=False):
        assert client.get(APPS)["Location"].startswith(LOGIN)


def test_sign_out_and_a_new_password_end_sessions(profile: Profile, store: str) -> None:
    here, elsewhere, gone = Client(), Client(), Client()
    for client in (here, elsewhere, gone):
        sign_in(client, profile)
        assert client.get(APPS).status_code == 200
    old_cookie = gone.cookies[settings.SESSION_COOKIE_NAME].value
    gone.post(reverse("accounts:logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    assert replay.get(APPS)["Location"].startswith(LOGIN)  # not even from Redis's copy
    new = register_secret("juniper lattice moonrise")
    here.post(
        reverse("accounts:change_password"),
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert here.get(APPS).status_code == 200
    assert elsewhere.get(APPS)["Location"].startswith(LOGIN)


def test_with_redis_unreachable_sessions_live_in_the_database(settings, profile: Profile) -> None:  # type: ignore[no-untyped-def]
    cached_sessions(settings, CLOSED_PORT)
    client = Client()
    sign_in(client, profile)
    assert client.get(APPS).status_code == 200
    assert REDIS.down()  # the failure is remembered: the next requests do not wait on Redis
    assert Session.objects.filter(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).exists()
    client.post(reverse("accounts:logout"))
    assert client.get(APPS)["Location"].startswith(LOGIN)
    REDIS.reset()


def test_redis_holds_signed_json_never_a_pickle(settings, client: Client, profile: Profile) -> None:  # type: ignore[no-untyped-def]
    use_redis(settings)
    sign_in(client, profile)
    raw = redis.Redis.from_url(REDIS_URL)
    (name,) = raw.keys("*edgate.session:*")
    value = raw.get(name)
    assert not value.startswith(b"\x80")  # no pickle protocol header
    assert value == Session.objects.get().session_data.encode()  # the row's signed JSON
    # A copy changed in Redis fails its signature: no session, not someone else's.
    raw.set(name, value[:-3] + b"AAA", keepttl=True)
    assert client.get(APPS)["Location"].startswith(LOGIN)
    REDIS.reset()


def test_a_sign_out_redis_missed_ends_every_session_of_the_profile(
    settings, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Redis unreachable for the sign-out's delete, then answering again: the cached copy it
    kept must not be a way back in for whoever holds the old cookie."""
    from django.core.cache.backends.redis import RedisCache

    from edgate.audit.models import AuditEvent, EventType

    use_redis(settings)
    leaving, elsewhere = Client(), Client()
    for client in (leaving, elsewhere):
        sign_in(client, profile)
        assert client.get(APPS).status_code == 200
    old_cookie = leaving.cookies[settings.SESSION_COOKIE_NAME].value
    with monkeypatch.context() as m:

        def unreachable(self, key, version=None):  # type: ignore[no-untyped-def]
            raise redis.ConnectionError("connection refused")

        m.setattr(RedisCache, "delete", unreachable)
        leaving.post(reverse("accounts:logout"))
    REDIS.reset()  # Redis answers again, still holding the copy
    assert redis.Redis.from_url(REDIS_URL).keys("*edgate.session:*")  # the copy is there...
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    assert replay.get(APPS)["Location"].startswith(LOGIN)  # ...and lets nobody in
    assert elsewhere.get(APPS)["Location"].startswith(LOGIN)  # failing closed: every session ends
    assert AuditEvent.objects.filter(event_type=EventType.SESSIONS_ENDED).count() == 1
    sign_in(Client(), profile)  # a new sign-in works as before


def test_a_sign_out_redis_took_ends_only_that_session(settings, profile: Profile) -> None:  # type: ignore[no-untyped-def]
    from edgate.audit.models import AuditEvent, EventType

    use_redis(settings)
    leaving, elsewhere = Client(), Client()
    for client in (leaving, elsewhere):
        sign_in(client, profile)
    leaving.post(reverse("accounts:logout"))
    assert elsewhere.get(APPS).status_code == 200
    assert not AuditEvent.objects.filter(event_type=EventType.SESSIONS_ENDED).exists()


def test_the_session_cache_keeps_one_redis_client_and_reads_signed_in_pages(
    settings, profile: Profile
) -> None:  # type: ignore[no-untyped-def]
    """Django's backend built a redis.Redis (~1 ms of CPU) for every cache call, so every
    signed-in page paid it to read its session; edgate.core.cache keeps one per pool."""
    use_redis(settings)
    from django.core.cache import caches

    backend = caches["default"]._cache
    assert backend.get_client() is backend.get_client()
    assert backend.get_client(write=True) is backend.get_client(write=True)
    client = Client()
    sign_in(client, profile)
    assert client.get(APPS).status_code == 200
    assert client.get(APPS).status_code == 200
