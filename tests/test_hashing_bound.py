"""The process-wide bound on Argon2 hashes in flight (core/hashers.py): every hashing path
goes through it, and a request that cannot get a slot in time gets a 503 page, not a 500 or an
endless wait."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.test import Client
from django.urls import reverse

from edgate.accounts.models import Profile
from edgate.audit.models import AuditEvent, EventType
from edgate.core import argon2_kept, hashers, throttle
from tests.factories import PASSWORD, on_file, someone, with_profile

pytestmark = pytest.mark.django_db


@contextmanager
def all_slots_taken() -> Iterator[None]:
    """Another thread holds every hashing slot of the process until the block ends."""
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with hashers.hashing_slot():
            held.set()
            done.wait(30)

    worker = threading.Thread(target=hold)
    worker.start()
    assert held.wait(10)
    try:
        yield
    finally:
        done.set()
        worker.join()


@pytest.fixture
def one_slot(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHING_CONCURRENCY = 1
    settings.PASSWORD_HASHING_WAIT_SECONDS = 0.2
    return settings


def test_hashes_in_flight_never_exceed_the_bound(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHING_CONCURRENCY = 2
    settings.PASSWORD_HASHING_WAIT_SECONDS = 30
    lock, running, peak = threading.Lock(), [0], [0]
    real_hash = argon2_kept.low_level.hash_secret

    def counted_hash(*args, **kwargs):  # type: ignore[no-untyped-def]
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)  # let the other threads pile up if nothing holds them back
        try:
            return real_hash(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(argon2_kept.low_level, "hash_secret", counted_hash)
    with ThreadPoolExecutor(max_workers=8) as pool:
        encoded = list(pool.map(lambda i: make_password(f"bounded password number {i}"), range(8)))
    assert peak[0] == 2
    assert check_password("bounded password number 3", encoded[3])


def test_sign_in_without_a_free_slot_is_a_503_busy_page(client: Client, one_slot) -> None:  # type: ignore[no-untyped-def]
    profile = with_profile(on_file(someone("Marisol", "Okafor")))
    with all_slots_taken():
        response = client.post(
            reverse("accounts:login"), {"username": profile.username, "password": PASSWORD}
        )
    assert response.status_code == 503 and response["Retry-After"] == str(hashers.BUSY_RETRY_AFTER)
    assert "The portal is busy" in response.content.decode()
    assert not AuditEvent.objects.filter(event_type=EventType.SIGN_IN).exists()
    # Nothing was examined, so nothing was counted against the User Name or the address.
    assert throttle.count(throttle.named("sign_in_profile"), profile.username) == 0
    assert throttle.count(throttle.named("sign_in_address"), "127.0.0.1") == 0
    # Once a slot is free the same sign-in goes through.
    response = client.post(reverse("accounts:login"), {"username": profile.username, "password": PASSWORD})
    assert response.status_code == 302


def test_password_change_without_a_free_slot_changes_nothing(client: Client, one_slot) -> None:  # type: ignore[no-untyped-def]
    profile = with_profile(on_file(someone("Teodor", "Abernathy")))
    client.force_login(profile)
    before = Profile.objects.get(pk=profile.pk).password
    new = "a completely different passphrase 42"
    with all_slots_taken():
        response = client.post(
            reverse("accounts:change_password"),
            {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
        )
    assert response.status_code == 503
    assert Profile.objects.get(pk=profile.pk).password == before


def _hash_seen_from(monkeypatch) -> list[tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    """(thread id, its nice value, its scheduling policy) of every Argon2 hash made."""
    seen: list[tuple[int, int, int]] = []
    real_hash = argon2_kept.low_level.hash_secret

    def spied(*args, **kwargs):  # type: ignore[no-untyped-def]
        tid = threading.get_native_id()
        seen.append((tid, os.getpriority(os.PRIO_PROCESS, tid), os.sched_getscheduler(tid)))
        return real_hash(*args, **kwargs)

    monkeypatch.setattr(argon2_kept.low_level, "hash_secret", spied)
    return seen


def test_hashes_run_in_threads_of_their_own_at_a_lower_priority(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHING_NICE = 7
    seen = _hash_seen_from(monkeypatch)
    caller = threading.get_native_id()
    own = os.getpriority(os.PRIO_PROCESS, caller)
    encoded = make_password("a password hashed at low priority")
    assert check_password("a password hashed at low priority", encoded)
    assert not check_password("another one", encoded)
    [(tid, nice, policy)] = seen
    assert tid != caller and nice == max(7, own) and policy == os.SCHED_OTHER
    assert os.getpriority(os.PRIO_PROCESS, caller) == own  # the request's thread is untouched


def test_sched_idle_hash_threads_and_nice_zero_hashing_in_the_callers_thread(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen = _hash_seen_from(monkeypatch)
    settings.PASSWORD_HASHING_NICE = hashers.IDLE
    make_password("hashed under SCHED_IDLE")
    settings.PASSWORD_HASHING_NICE = 0
    make_password("hashed in the caller's thread")
    (idle_tid, _, idle_policy), (tid, _, _) = seen
    assert idle_policy == os.SCHED_IDLE and idle_tid != threading.get_native_id()
    assert tid == threading.get_native_id()
