"""Argon2id with parameters chosen by measured cost (bench/hashing.py), not Django's default.

Measured on the 2-core machines this runs on (bench/hashing.py, CPU per hash): Django's
default (m=100 MiB, t=2, p=8) ~186 ms, about 11 hashes/s in all; OWASP's minimum
(m=19 MiB, t=2, p=1) ~21 ms. We take m=46 MiB, t=1, p=1 — an OWASP-listed equivalent with
more memory hardness per guess — at ~49 ms, about 40 sign-ins/s on two cores.

Hashes run at low CPU priority: in a small pool of threads of their own whose Linux nice value
is raised (PASSWORD_HASHING_NICE, EDGATE_HASH_NICE, default 10), so that while sign-ins keep
the cores busy the cheap pages of the same process get them first. A nice value is per thread
on Linux, and a thread cannot lower its own again without privilege: hence dedicated threads
rather than the request's. docs/performance.md has the figures (nice 0, 10, SCHED_IDLE).
"""

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare, get_random_string

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait after a "busy" answer (a sign-in burst lasts about that).
BUSY_RETRY_AFTER = 5


class HashingBusy(Exception):
    """No hashing slot came free within PASSWORD_HASHING_WAIT_SECONDS; nothing was hashed.
    core.middleware.HashingBusyMiddleware answers it with a 503 page and Retry-After."""

    def __init__(self, retry_after: int = BUSY_RETRY_AFTER) -> None:
        super().__init__("No password-hashing slot came free in time.")
        self.retry_after = retry_after


T = TypeVar("T")

_slots_guard = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None
# (process id, size, nice, the pool): threads do not survive a fork, so a worker makes its own.
_pool: tuple[int, int, int, ThreadPoolExecutor] | None = None


def _semaphore(size: int) -> threading.BoundedSemaphore:
    global _slots
    with _slots_guard:
        if _slots is None or _slots[0] != size:  # made once per process (tests may resize it)
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


IDLE = -1  # PASSWORD_HASHING_NICE "idle": Linux's SCHED_IDLE policy instead of a nice value


def _lower_priority(nice: int) -> None:
    """Raise the calling thread's nice value (Linux applies setpriority to one thread when
    given its thread id), or put it under SCHED_IDLE. Best effort: where it cannot be done,
    hashes run at normal priority."""
    tid = threading.get_native_id()
    try:
        if nice == IDLE:
            os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
        elif nice > 0:  # never below the process's own (that would need privilege)
            os.setpriority(os.PRIO_PROCESS, tid, max(nice, os.getpriority(os.PRIO_PROCESS, tid)))
    except (OSError, AttributeError) as exc:  # pragma: no cover - not Linux, or refused
        logger.warning("Password hashing: could not lower the hash threads' priority (%s)", exc)


def _hash_pool(size: int, nice: int) -> ThreadPoolExecutor:
    """The process's hash threads: as many as hashing slots, so a hash that got its slot never
    waits for a thread."""
    global _pool
    with _slots_guard:
        if _pool is None or _pool[:3] != (os.getpid(), size, nice):
            old = _pool
            pool = ThreadPoolExecutor(
                max_workers=size,
                thread_name_prefix="edgate-hash",
                initializer=_lower_priority,
                initargs=(nice,),
            )
            _pool = (os.getpid(), size, nice, pool)
            if old is not None and old[0] == os.getpid():
                old[3].shutdown(wait=False)  # its hashes in flight finish; no new ones
        return _pool[3]


def run_hash(function: Callable[..., T], *args: object) -> T:
    """function(*args) in one of the low-priority hash threads (PASSWORD_HASHING_NICE); the
    caller holds a hashing slot. With nice 0 the hash runs in the caller's thread."""
    nice = int(getattr(settings, "PASSWORD_HASHING_NICE", 0))
    if nice == 0:
        return function(*args)
    size = max(1, int(settings.PASSWORD_HASHING_CONCURRENCY))
    return _hash_pool(size, nice).submit(function, *args).result()


@contextmanager
def hashing_slot() -> Iterator[None]:
    """One of the process's PASSWORD_HASHING_CONCURRENCY slots, held while an Argon2 hash runs.

    Every Argon2 hash or verification of the process goes through EdgateArgon2Hasher, so this
    bounds them all — sign-in, registration, password change and reset, hint answers, the
    dummy hashes of refused attempts: each holds 46 MiB while it runs, and threads beyond the
    cores only make every hash slower. A caller waiting longer than
    PASSWORD_HASHING_WAIT_SECONDS gets HashingBusy instead of queueing without end."""
    slots = _semaphore(max(1, int(settings.PASSWORD_HASHING_CONCURRENCY)))
    if not slots.acquire(timeout=float(settings.PASSWORD_HASHING_WAIT_SECONDS)):
        logger.warning("Password hashing busy: no slot came free in time; request answered 503")
        raise HashingBusy()
    try:
        yield
    finally:
        slots.release()


class EdgateArgon2Hasher(Argon2PasswordHasher):
    algorithm = "argon2"
    # argon2-cffi through core.argon2_kept: the same library, its working memory kept between
    # hashes (PASSWORD_HASHING_KEEP_MEMORY) instead of mapped and faulted in anew every time.
    library = "edgate.core.argon2_kept"
    time_cost = 1
    memory_cost = 47104  # KiB = 46 MiB
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        with hashing_slot():
            return run_hash(super().encode, password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        with hashing_slot():
            return run_hash(super().verify, password, encoded)


class ClientSecretHasher(BasePasswordHasher):
    """Client secrets of the OpenID Connect provider (django-oauth-toolkit's
    CLIENT_SECRET_HASHER): salted SHA-256, checked in microseconds.

    A secret is 128 random characters the provider made (~760 bits), so no guess is helped by
    a slow hash; Argon2 here would only let anyone with a client id spend ~50 ms of the
    server's CPU per wrong secret at the token endpoint. Never a password's hasher: it stands
    after Argon2 in PASSWORD_HASHERS only so that stored secrets can be recognised, and it
    refuses anything shorter than a generated secret."""

    algorithm = "client-secret-sha256"
    MIN_LENGTH = 64

    def salt(self) -> str:
        return get_random_string(22)

    def encode(self, password: str, salt: str) -> str:
        if len(password) < self.MIN_LENGTH:
            raise ValueError("Only generated client secrets are hashed this way.")
        self._check_encode_args(password, salt)
        digest = hashlib.sha256(f"{salt}${password}".encode()).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict[str, str]:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "salt": salt, "hash": digest}

    def verify(self, password: str, encoded: str) -> bool:
        if len(password) < self.MIN_LENGTH:
            return False
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict[str, str]:
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"]),
            "hash": mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password: str, encoded: str) -> None:
        return None
