"""Throttles hold under a burst: N simultaneous wrong attempts and then the right one, on a
real PostgreSQL and on Redis, through the HTTP doors. Counting comes before the slow hash, so
exactly the limit's number of attempts are examined and the right one is refused.

While a burst is in flight, every examined attempt is held inside the hasher (as a slow
Argon2 would hold it) until the right attempt has had its answer; that makes the race the
attacker relies on happen every time instead of sometimes.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import hashers
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edgate.accounts.models import Profile
from edgate.audit.models import AuditEvent, EventType
from edgate.core import conf
from tests.factories import HINT_ANSWER, PASSWORD, on_file, someone, with_profile
from tests.flows.helpers import recovery_at
from tests.unit.test_throttle import use_redis

# Dozens of PostgreSQL connections at once: never beside another such test (tests/conftest.py).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("many_connections"),
]
WRONG = "wrong wrong wrong wrong"


@pytest.fixture(params=["database", "redis"])
def store(request: pytest.FixtureRequest, settings) -> str:  # type: ignore[no-untyped-def]
    if request.param == "redis":
        use_redis(settings)
    # No progressive delay here: this is about the limit itself, and a delay would refuse some
    # of the burst before they are counted (fewer examined still, but not exactly the limit).
    edgate = copy.deepcopy(settings.EDGATE)
    edgate["SIGN_IN_DELAY"]["FIRST_DELAY_SECONDS"] = 0
    settings.EDGATE = edgate
    conf.reset()
    return request.param


class HeldHasher:
    """Counts how many attempts were compared with the real secret, and holds each of them in
    the hasher until released."""

    def __init__(self, real_hash: Callable[[], str]) -> None:
        self.real_hash = real_hash
        self.examined = 0
        self.inside = 0
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.original = hashers.Argon2PasswordHasher.verify

    def verify(self, hasher, password: str, encoded: str) -> bool:  # type: ignore[no-untyped-def]
        if encoded == self.real_hash():
            with self.lock:
                self.examined += 1
                self.inside += 1
            self.release.wait(timeout=30)
        return self.original(hasher, password, encoded)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[], str]], HeldHasher]]:
    made: list[HeldHasher] = []

    def make(real_hash: Callable[[], str]) -> HeldHasher:
        h = HeldHasher(real_hash)
        monkeypatch.setattr(hashers.Argon2PasswordHasher, "verify", lambda self, p, e: h.verify(self, p, e))
        made.append(h)
        return h

    yield make
    for h in made:
        h.release.set()


def burst(requests: list[Callable[[], object]], settled: Callable[[int], bool]) -> list[object]:
    """Run the requests at once; return when `settled(finished)` holds (or all are done)."""
    barrier = threading.Barrier(len(requests))
    results: list[object] = [None] * len(requests)
    finished = [0]
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = requests[i]()
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertions
            results[i] = exc
        finally:
            with lock:
                finished[0] += 1
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(requests))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while not settled(finished[0]) and time.monotonic() < deadline:
        time.sleep(0.01)
    burst.threads = threads  # type: ignore[attr-defined]
    return results


def join_all() -> None:
    for t in burst.threads:  # type: ignore[attr-defined]
        t.join(timeout=60)


def sign_in(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_a_burst_of_wrong_passwords_then_the_right_one(store: str, held) -> None:  # type: ignore[no-untyped-def]
    profile = with_profile(on_file(someone("Juniper", "Vasquez")))
    real = Profile.objects.get(pk=profile.pk).password
    hasher = held(lambda: real)
    limit = conf.get().limit("sign_in_profile").limit
    n = 24
    clients = [Client(REMOTE_ADDR=f"192.0.2.{i}") for i in range(n)]
    results = burst(
        [lambda c=c: sign_in(c, profile.username, WRONG) for c in clients],
        # every attempt is either refused already or being examined (held in the hasher)
        settled=lambda finished: finished + hasher.inside == n,
    )
    right = sign_in(Client(REMOTE_ADDR="192.0.2.250"), profile.username, PASSWORD)
    hasher.release.set()
    join_all()
    assert not [r for r in results if isinstance(r, Exception)], results
    assert right.status_code == 200, "the right password got in during the burst"
    assert hasher.examined == limit
    assert AuditEvent.objects.filter(event_type=EventType.SIGN_IN_FAILED).count() == limit
    assert AuditEvent.objects.filter(event_type=EventType.SIGN_IN_THROTTLED).count() == n + 1 - limit
    assert not AuditEvent.objects.filter(event_type=EventType.SIGN_IN).exists()


def test_a_burst_of_wrong_hint_answers_then_the_right_one(store: str, held) -> None:  # type: ignore[no-untyped-def]
    profile = with_profile(on_file(someone("Cassius", "Whitlock")))
    real = Profile.objects.get(pk=profile.pk).hint_answer_hash
    limit = conf.get().limit("hint_profile").limit
    n = 12
    sessions = []
    for i in range(n + 1):
        client = Client(REMOTE_ADDR=f"198.51.100.{i}")
        client.get(reverse("recovery:start"))
        client.post(recovery_at(client, "username"), {"username": profile.username})
        sessions.append(client)
    hasher = held(lambda: real)
    results = burst(
        [lambda c=c: c.post(recovery_at(c, "answer"), {"answer": "not it"}) for c in sessions[:n]],
        settled=lambda finished: finished + hasher.inside == n,
    )
    right = sessions[n].post(
        recovery_at(sessions[n], "answer"), {"answer": HINT_ANSWER}, follow=True
    )  # refused: 303, then the GET
    hasher.release.set()
    join_all()
    assert not [r for r in results if isinstance(r, Exception)], results
    assert right.status_code == 429 and "too many attempts" in right.content.decode()
    assert hasher.examined == limit
    assert AuditEvent.objects.filter(event_type=EventType.RECOVERY_HINT_FAILED).count() == limit
    assert not AuditEvent.objects.filter(event_type=EventType.RECOVERY_HINT_PASSED).exists()


def test_simultaneous_identity_matches_from_one_address(store: str) -> None:
    limit = conf.get().limit("match_address").limit
    n = 45
    clients = [Client(REMOTE_ADDR="203.0.113.45") for _ in range(n)]
    people = [someone("Burst", f"Registrant{'a' * (i % 7)}") for i in range(n)]
    tags = []
    for client in clients:
        client.get(reverse("registration:start"))
        tags.append(client.get(reverse("registration:step", args=["identity"])).context["flow_id"])
    page_one = reverse("registration:step", args=["identity"])
    results = burst(
        [
            lambda c=c, who=who, tag=tag: c.post(page_one, {"flow": tag, **who.identity_post()})
            for c, who, tag in zip(clients, people, tags, strict=True)
        ],
        settled=lambda finished: finished == n,
    )
    join_all()
    assert not [r for r in results if isinstance(r, Exception)], results
    # Post/Redirect/Get: every answer is a 303; the match ran for those sent on to the next page,
    # and the refused were sent back to page 1, whose GET answers 429 while the wait lasts.
    assert {r.status_code for r in results} == {303}  # type: ignore[attr-defined]
    back = [(c, r) for c, r in zip(clients, results, strict=True) if r["Location"].split("?")[0] == page_one]  # type: ignore[index]
    assert len(back) == n - limit
    client, response = back[0]
    assert client.get(response["Location"]).status_code == 429  # type: ignore[index]
    assert AuditEvent.objects.filter(event_type=EventType.MATCH_OUTCOME).count() == limit
    assert AuditEvent.objects.filter(event_type=EventType.THROTTLE_ALERT).count() == 1


@pytest.fixture(params=["database", "redis"])
def store_with_delays(request: pytest.FixtureRequest, settings) -> str:  # type: ignore[no-untyped-def]
    if request.param == "redis":
        use_redis(settings)
    return request.param


def test_a_burst_after_the_free_attempts_gets_one_turn(store_with_delays: str, held) -> None:  # type: ignore[no-untyped-def]
    profile = with_profile(on_file(someone("Odessa", "Marchetti")))
    real = Profile.objects.get(pk=profile.pk).password
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(3):  # the free attempts; the third imposes a 2-second wait
            sign_in(Client(), profile.username, WRONG)
    hasher = held(lambda: real)
    n = 6
    with time_machine.travel(start + timedelta(seconds=3), tick=False):
        results = burst(
            [lambda: sign_in(Client(), profile.username, WRONG) for _ in range(n)],
            settled=lambda finished: finished + hasher.inside == n,
        )
        hasher.release.set()
        join_all()
    assert not [r for r in results if isinstance(r, Exception)], results
    assert hasher.examined == 1, "several guesses slipped past the wait together"
    assert sorted(r.status_code for r in results) == [200] + [429] * (n - 1)  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(event_type=EventType.SIGN_IN_DELAYED).count() == n - 1
