from __future__ import annotations

from datetime import timedelta

import pytest
import redis
import time_machine
from django.utils import timezone

from edgate.core import throttle
from edgate.core.conf import Limit
from edgate.core.models import ThrottleCounter

LIMIT = Limit("test", 3, timedelta(hours=1))
REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["database", "redis"])
def backend(request: pytest.FixtureRequest, settings, db):  # type: ignore[no-untyped-def]
    if request.param == "redis":
        if not _redis_up():
            pytest.skip("Redis not reachable on 127.0.0.1:6379")
        settings.REDIS_URL = REDIS_URL
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
            }
        }
        from django.core.cache import cache

        cache.clear()
    return request.param


def test_limit_is_reached_and_slides_away(backend: str) -> None:
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        for _ in range(3):
            assert not throttle.exceeded(LIMIT, "alice")
            throttle.hit(LIMIT, "alice")
        assert throttle.exceeded(LIMIT, "alice")
        assert not throttle.exceeded(LIMIT, "bob")
    # Two minutes later a new fixed window has begun, but the sliding estimate still counts
    # most of the previous one: a burst at a window boundary cannot double the limit.
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert throttle.exceeded(LIMIT, "alice")
    with time_machine.travel(start + timedelta(minutes=125), tick=False):
        assert not throttle.exceeded(LIMIT, "alice")


def test_clear_and_none_identity(backend: str) -> None:
    for _ in range(3):
        throttle.hit(LIMIT, "carol")
    throttle.clear(LIMIT, "carol")
    assert not throttle.exceeded(LIMIT, "carol")
    throttle.hit(LIMIT, None)
    assert not throttle.exceeded(LIMIT, None)


@pytest.mark.django_db
def test_database_counters_store_no_plain_identifiers_and_expire() -> None:
    throttle.hit(LIMIT, "123456789")
    row = ThrottleCounter.objects.get()
    assert "123456789" not in row.key
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert throttle.purge_expired() == 1
