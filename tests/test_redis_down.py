"""Redis unreachable: the limits fall back to the database store — never to no limit, never a 500.

REDIS_URL points at a closed port (nothing listens on the discard port), as when Redis is down.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import pytest
import redis
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edgate.core import throttle
from edgate.core.conf import Limit
from edgate.core.models import ThrottleCounter
from edgate.core.outage import REDIS
from tests.factories import on_file, someone, with_profile
from tests.flows.helpers import location, post_step, start, step
from tests.redis_db import REDIS_URL as REAL_REDIS  # this worker's own Redis database

pytestmark = pytest.mark.django_db
CLOSED_PORT = "redis://127.0.0.1:9/0"
LIMIT = Limit("test", 3, timedelta(hours=1))


@pytest.fixture
def redis_down(settings):  # type: ignore[no-untyped-def]
    REDIS.reset()
    settings.REDIS_URL = CLOSED_PORT
    yield
    REDIS.reset()


def test_sign_in_delays_and_limits_still_hold(redis_down: None, caplog: pytest.LogCaptureFixture) -> None:
    profile = with_profile(on_file(someone("Odile", "Brannigan")))
    login = reverse("accounts:login")
    wrong = {"username": profile.username, "password": "wrong wrong wrong wrong"}
    client = Client()
    with (
        caplog.at_level(logging.WARNING, logger="edgate.outage"),
        time_machine.travel(timezone.now(), tick=False),
    ):
        answers = [client.post(login, wrong) for _ in range(4)]
    assert [a.status_code for a in answers] == [
        200,
        200,
        200,
        429,
    ]  # the fourth waits: counted in the database
    assert answers[3]["Retry-After"] == "2"
    assert ThrottleCounter.objects.exists()
    assert [r.getMessage() for r in caplog.records].count(
        "Redis unreachable (ConnectionError); using the database until it answers"
    ) == 1


def test_registration_limits_still_hold(redis_down: None) -> None:
    client = Client()
    start(client)
    who = someone("Tobiah", "Quist")
    # match_flow: 5 matches in one registration (each with page 1 changed: an unchanged page 1
    # is not matched again).
    for middle in ("A", "Ab", "Abe", "Abel", "Abela"):
        typed = who.identity_post(middle_name=middle)
        assert location(post_step(client, "identity", typed)) == step("contact")
    refused = post_step(client, "identity", who.identity_post(middle_name="Abelard"), follow=True)
    assert refused.status_code == 429 and "too many attempts" in refused.content.decode()


def test_counting_goes_back_to_redis_when_it_answers(settings) -> None:  # type: ignore[no-untyped-def]
    try:
        redis.Redis.from_url(REAL_REDIS, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Redis tests ({REAL_REDIS} unreachable)")
        pytest.skip(f"Redis not reachable at {REAL_REDIS}")
    redis.Redis.from_url(REAL_REDIS).flushdb()
    REDIS.reset()
    settings.REDIS_URL = CLOSED_PORT
    assert [throttle.attempt(LIMIT, "uma").number for _ in range(2)] == [1, 2]
    assert ThrottleCounter.objects.count() == 1  # in the database while Redis is down
    settings.REDIS_URL = REAL_REDIS  # "Redis is back" (the same store, reachable again)
    REDIS.reset()  # the pause after the failure is over
    assert throttle.attempt(LIMIT, "uma").number == 1  # a fresh count in Redis: at most twice the limit
    assert redis.Redis.from_url(REAL_REDIS).keys("edgate:throttle:*")
    REDIS.reset()
