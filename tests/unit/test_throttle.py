from __future__ import annotations

import os
from datetime import timedelta

import pytest
import redis
import time_machine
from django.utils import timezone

from edgate.core import throttle
from edgate.core.conf import Limit
from edgate.core.models import ThrottleCounter
from tests.redis_db import REDIS_URL  # this worker's own Redis database

LIMIT = Limit("test", 3, timedelta(hours=1))


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def use_redis(settings) -> None:  # type: ignore[no-untyped-def]
    """Point the throttles at a Redis database of their own, emptied first."""
    if not redis_up():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Redis throttle tests ({REDIS_URL} unreachable)")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    settings.REDIS_URL = REDIS_URL


@pytest.fixture(params=["database", "redis"])
def backend(request: pytest.FixtureRequest, settings, db):  # type: ignore[no-untyped-def]
    if request.param == "redis":
        use_redis(settings)
    return request.param


def test_each_attempt_gets_its_own_number_and_the_limit_slides_away(backend: str) -> None:
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        numbers = [throttle.attempt(LIMIT, "alice").number for _ in range(4)]
        assert numbers == [1, 2, 3, 4]
        assert throttle.count(LIMIT, "alice") == 4
        assert throttle.attempt(LIMIT, "bob").allowed
    # Two minutes later a new fixed window has begun, but the sliding estimate still counts
    # most of the previous one: a burst at a window boundary cannot double the limit.
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert not throttle.attempt(LIMIT, "alice").allowed
    with time_machine.travel(start + timedelta(minutes=125), tick=False):
        assert throttle.attempt(LIMIT, "alice").allowed


def test_tripped_marks_only_the_first_refusal_in_a_windows_time(backend: str) -> None:
    # Early in a fixed window, so that a window later the sliding estimate still counts most of
    # the burst (late in one, it would count too little of it to refuse: the test used to fail
    # when run in the last 20 minutes of an hour).
    now = timezone.now().replace(minute=5, second=0, microsecond=0)
    with time_machine.travel(now, tick=False):
        attempts = [throttle.attempt(LIMIT, "dora") for _ in range(6)]
    assert [a.allowed for a in attempts] == [True, True, True, False, False, False]
    assert [a.tripped for a in attempts] == [False, False, False, True, False, False]
    # Still refused a window later (the estimate keeps most of the burst), and alerted once more.
    with time_machine.travel(now + LIMIT.window + timedelta(seconds=1), tick=False):
        later = throttle.attempt(LIMIT, "dora")
    assert not later.allowed and later.tripped


def test_undo_takes_back_one_attempt_and_never_goes_below_zero(backend: str) -> None:
    for _ in range(3):
        throttle.attempt(LIMIT, "erin")
    throttle.undo(LIMIT, "erin")
    assert throttle.attempt(LIMIT, "erin").number == 3
    for _ in range(5):
        throttle.undo(LIMIT, "fred")
    assert throttle.attempt(LIMIT, "fred").number == 1


def test_clear_and_none_identity(backend: str) -> None:
    for _ in range(3):
        throttle.attempt(LIMIT, "carol")
    throttle.clear(LIMIT, "carol")
    assert throttle.count(LIMIT, "carol") == 0
    # No identity (no client address: core/proxies.py) is one shared identity, refused beyond
    # the limit like any other, never let through uncounted.
    assert [throttle.attempt(LIMIT, None).allowed for _ in range(4)] == [True, True, True, False]
    assert throttle.count(LIMIT, throttle.UNKNOWN_ADDRESS) == 4


def test_hold_is_enforced_by_time_and_released(backend: str) -> None:
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        throttle.hold(LIMIT, "gus", timedelta(seconds=8))
        assert throttle.held_for(LIMIT, "gus") == 8
        assert throttle.held_for(LIMIT, "hal") == 0
    with time_machine.travel(now + timedelta(seconds=5), tick=False):
        assert throttle.held_for(LIMIT, "gus") == 3
    with time_machine.travel(now + timedelta(seconds=9), tick=False):
        assert throttle.held_for(LIMIT, "gus") == 0
    throttle.hold(LIMIT, "ivy", timedelta(seconds=30))
    throttle.release(LIMIT, "ivy")
    assert throttle.held_for(LIMIT, "ivy") == 0


def test_one_turn_at_a_time_and_none_before_the_wait_is_over(backend: str) -> None:
    now = timezone.now()
    in_flight = timedelta(seconds=10)
    with time_machine.travel(now, tick=False):
        assert throttle.take_turn(LIMIT, "kim", in_flight) == 0  # claimed
        assert throttle.take_turn(LIMIT, "kim", in_flight) == 10  # another, while it is examined
        assert throttle.take_turn(LIMIT, "lee", in_flight) == 0
        throttle.hold(LIMIT, "kim", timedelta(seconds=4))  # the real wait replaces the claim
        assert throttle.take_turn(LIMIT, "kim", in_flight) == 4
        throttle.hold(LIMIT, "lee", timedelta(0))  # no wait: the claim goes at once
        assert throttle.take_turn(LIMIT, "lee", in_flight) == 0
    with time_machine.travel(now + timedelta(seconds=5), tick=False):
        assert throttle.take_turn(LIMIT, "kim", in_flight) == 0
    assert throttle.take_turn(LIMIT, "max", timedelta(0)) == 0  # turned off
    assert throttle.take_turn(LIMIT, "max", timedelta(0)) == 0


def test_delays_double_after_the_free_attempts(db) -> None:  # type: ignore[no-untyped-def]
    waits = [throttle.delay_for(n).total_seconds() for n in range(1, 12)]
    assert waits == [0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 300]


@pytest.mark.django_db
def test_database_counters_store_no_plain_identifiers_and_expire() -> None:
    throttle.attempt(LIMIT, "123456789")
    throttle.hold(LIMIT, "123456789", timedelta(seconds=5))
    assert ThrottleCounter.objects.count() == 2
    assert not any("123456789" in row.key for row in ThrottleCounter.objects.all())
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert throttle.purge_expired() == 2


def test_retry_after_is_when_the_next_attempt_gets_through(backend: str) -> None:
    # 10 minutes into an hour's window: 3 allowed, the 4th refused. Nothing from this window
    # fades before it ends, and in the next one the 4 counted fade until 2 remain (3 - 1 room):
    # half an hour in. So 50 + 30 minutes.
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        attempts = [throttle.attempt(LIMIT, "nia") for _ in range(4)]
    assert [a.retry_after for a in attempts[:2]] == [0, 0]
    refused = attempts[3]
    assert not refused.allowed and refused.retry_after == 80 * 60
    with time_machine.travel(start + timedelta(minutes=10 + 80) - timedelta(seconds=1), tick=False):
        assert not throttle.attempt(LIMIT, "nia").allowed  # a second early: still refused
    with time_machine.travel(start + timedelta(minutes=10 + 80), tick=False):
        throttle.undo(LIMIT, "nia")  # take back the early probe
        assert throttle.attempt(LIMIT, "nia").allowed


def test_succeeded_clears_releases_and_gives_back_the_address_attempt(backend: str) -> None:
    address = Limit("test_address", 5, timedelta(hours=1))
    for _ in range(3):
        throttle.attempt(LIMIT, "nia")
        throttle.attempt(address, "10.0.0.1")
    throttle.hold(LIMIT, "nia", timedelta(seconds=30))
    throttle.succeeded(LIMIT, "nia", release_hold=True, address=(address, "10.0.0.1"))
    assert throttle.count(LIMIT, "nia") == 0
    assert throttle.held_for(LIMIT, "nia") == 0
    assert throttle.attempt(address, "10.0.0.1").number == 3  # 3 counted, 1 given back, this one
    # Without release_hold the marker stays; an unknown address's attempt is given back too.
    throttle.attempt(address, None)
    throttle.hold(LIMIT, "oz", timedelta(seconds=30))
    throttle.succeeded(LIMIT, "oz", release_hold=False, address=(address, None))
    assert throttle.held_for(LIMIT, "oz") > 0
    assert throttle.count(address, throttle.UNKNOWN_ADDRESS) == 0


def test_succeeded_is_one_round_trip_to_redis(settings, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    use_redis(settings)
    address = Limit("test_address", 5, timedelta(hours=1))
    throttle.attempt(LIMIT, "pia")
    throttle.attempt(address, "10.0.0.2")
    sent = []
    real_send = redis.connection.Connection.send_packed_command

    def counted(self, command, check_health=True):  # type: ignore[no-untyped-def]
        sent.append(command)
        return real_send(self, command, check_health)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counted)
    throttle.succeeded(LIMIT, "pia", release_hold=True, address=(address, "10.0.0.2"))
    assert len(sent) == 1
    monkeypatch.undo()
    assert throttle.count(LIMIT, "pia") == 0 and throttle.count(address, "10.0.0.2") == 0


def test_attempt_all_counts_each_limit_as_attempt_does(backend: str) -> None:
    address = Limit("test_address", 2, timedelta(hours=1))
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        seen = [
            throttle.attempt_all((LIMIT, "quinn"), (address, None), (address, "10.0.0.3")) for _ in range(4)
        ]
        # No address is counted too, under the one unknown identity (core/proxies.py).
        assert [[a.number for a in attempts] for attempts in seen] == [
            [1, 1, 1],
            [2, 2, 2],
            [3, 3, 3],
            [4, 4, 4],
        ]
        assert [[a.allowed for a in attempts] for attempts in seen][-1] == [False, False, False]
        # The first refusal of each limit and identity trips its alert, once.
        assert [[a.tripped for a in attempts] for attempts in seen] == [
            [False, False, False],
            [False, False, False],
            [False, True, True],
            [True, False, False],
        ]
        assert throttle.count(LIMIT, "quinn") == 4 and throttle.count(address, "10.0.0.3") == 4
        assert throttle.count(address, throttle.UNKNOWN_ADDRESS) == 4
        assert seen[-1][0].retry_after > 0 and seen[-1][1].retry_after > 0


def test_attempt_all_is_one_round_trip_to_redis(settings, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A sign-in counts its User Name's and its address's limits: one MULTI, not one each."""
    use_redis(settings)
    address = Limit("test_address", 5, timedelta(hours=1))
    throttle.attempt_all((LIMIT, "rae"), (address, "10.0.0.4"))  # connection made
    sent = []
    real_send = redis.connection.Connection.send_packed_command

    def counted(self, command, check_health=True):  # type: ignore[no-untyped-def]
        sent.append(command)
        return real_send(self, command, check_health)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counted)
    mine, theirs = throttle.attempt_all((LIMIT, "rae"), (address, "10.0.0.4"))
    assert len(sent) == 1
    assert (mine.number, theirs.number) == (2, 2)
