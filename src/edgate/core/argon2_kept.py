"""argon2-cffi, with Argon2's working memory kept between hashes instead of mapped anew each time.

The `library` of core.hashers.EdgateArgon2Hasher: Django's Argon2PasswordHasher calls what it
needs of argon2-cffi through it (`low_level.hash_secret`, `PasswordHasher().verify`, and the
names it reads: Parameters, extract_parameters, exceptions, ...), and everything but those two
calls is argon2-cffi itself.

Why. libargon2 takes its 46 MiB (m=47104 KiB) with malloc, which glibc serves with a fresh
mmap above 32 MiB and gives back with munmap when the hash ends: every hash page-faults 11,778
new pages in, each zeroed by the kernel, then unmaps them (and in a threaded worker, that unmap
interrupts the other core's threads of the same process). Measured on this project's 2-core
machine (docs/performance.md, 2026-12-01 "Argon2's memory kept"), that is ~25 of a verify's
~80 ms of CPU, all of it in the kernel, none of it Argon2's work. argon2-cffi has no way to keep
the memory; libargon2 has one: a context's allocate/free callbacks (`argon2_ctx`, exposed by
argon2-cffi as `low_level.core` with its `ffi`). Here they lend one of a few buffers kept by the
process (at most min(PASSWORD_HASHING_CONCURRENCY, cores), the hashes that run at once anyway),
so the memory is faulted in once per buffer and the resident size stays at what the hashes in
flight used to take only while they ran.

Security: the same Argon2id computation by the same library with the same parameters, salt and
output length; the result compared in constant time (hmac.compare_digest) as libargon2's own
verify does. libargon2 wipes its memory (clear_internal_memory) before it calls the free
callback, so a kept buffer holds nothing of a password between hashes (tests check it); one it
never gives back (a failed hash) is wiped here. The C copies of the password (libargon2 wipes it
once read: ARGON2_FLAG_CLEAR_PASSWORD) and of the output are zeroed after each hash. A forked
child starts with no buffers and a lock of its own (os.register_at_fork). Only a
hash exactly in the form this module writes (argon2id, version 19, the standard encoding) is
verified here; anything else goes to argon2-cffi's own verify, which decodes and checks it in C.
PASSWORD_HASHING_KEEP_MEMORY = False (EDGATE_HASH_KEEP_MEMORY=0) sends every hash there.
"""

from __future__ import annotations

import base64
import binascii
import ctypes
import hmac
import os
import threading
from typing import Any, Literal

import argon2
from argon2 import DEFAULT_HASH_LENGTH, DEFAULT_RANDOM_SALT_LENGTH, Parameters, exceptions, extract_parameters
from argon2 import low_level as _low_level
from django.conf import settings

__all__ = [
    "DEFAULT_HASH_LENGTH",
    "DEFAULT_RANDOM_SALT_LENGTH",
    "Parameters",
    "PasswordHasher",
    "exceptions",
    "extract_parameters",
    "low_level",
]

ffi, lib = _low_level.ffi, _low_level.lib
Type = _low_level.Type
ARGON2_VERSION = _low_level.ARGON2_VERSION
_TYPE_NAMES = {Type.ID: "argon2id"}  # the one variety written and verified here


def _enabled() -> bool:
    return bool(getattr(settings, "PASSWORD_HASHING_KEEP_MEMORY", True))


def _wipe(data: Any, size: int) -> None:
    """Zeroes `size` bytes of a cffi buffer (a call libc makes, not one a compiler drops)."""
    if size:
        ctypes.memset(int(ffi.cast("uintptr_t", data)), 0, size)


class _KeptMemory:
    """Buffers lent to libargon2 through its allocate/free callbacks, and kept afterwards."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """No buffers and a new lock: at start, and in a forked child (os.register_at_fork
        below), where a thread of the parent that held the lock at the fork does not exist to
        release it, and the parent's buffers are not the child's own."""
        self._lock = threading.Lock()
        self._free: list[Any] = []  # buffers not lent now
        self._lent: dict[int, Any] = {}  # address -> buffer, while libargon2 holds it
        self._this_hash = threading.local()  # .address: the buffer lent to this thread's hash

    def _most(self) -> int:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        return max(1, min(int(getattr(settings, "PASSWORD_HASHING_CONCURRENCY", 1)), cores))

    def allocate(self, memory: Any, size: int) -> int:
        with self._lock:
            index = next((i for i in reversed(range(len(self._free))) if len(self._free[i]) == size), None)
            buffer = self._free.pop(index) if index is not None else None
        if buffer is None:
            buffer = ffi.new("uint8_t[]", size)  # MemoryError: the callback's error value below
        address = int(ffi.cast("uintptr_t", buffer))
        with self._lock:
            self._lent[address] = buffer
        self._this_hash.address = address  # libargon2 calls both callbacks in the hash's thread
        memory[0] = buffer
        return int(lib.ARGON2_OK)

    def release(self, memory: Any, size: int) -> None:
        # libargon2 has wiped the buffer (clear_internal_memory) before calling this.
        address = int(ffi.cast("uintptr_t", memory))
        if getattr(self._this_hash, "address", None) == address:
            self._this_hash.address = None
        with self._lock:
            buffer = self._lent.pop(address, None)
            if buffer is not None:
                self._free.append(buffer)
            # The most recently used are kept (a hash of other parameters does not leave its
            # size in a place the usual size needs), no more than the hashes that run at once.
            while self._free and len(self._free) + len(self._lent) > self._most():
                self._free.pop(0)

    def begin(self) -> None:
        """Before a hash in this thread: nothing lent to it yet."""
        self._this_hash.address = None

    def reclaim(self) -> None:
        """After a hash that failed: the buffer lent to it, if libargon2 did not give it back
        (when its threads fail, p > 1, argon2_ctx returns without wiping or freeing its memory),
        is wiped and dropped, not left lent for ever with the hash's first blocks in it."""
        address = getattr(self._this_hash, "address", None)
        self._this_hash.address = None
        if address is None:
            return
        with self._lock:
            buffer = self._lent.pop(address, None)
        if buffer is not None:
            _wipe(buffer, len(buffer))

    def lent(self) -> int:
        """How many buffers are lent now: for tests."""
        with self._lock:
            return len(self._lent)

    def kept(self) -> int:
        """How many buffers are kept now (not lent): for tests and figures."""
        with self._lock:
            return len(self._free)

    def buffers(self) -> list[Any]:
        with self._lock:
            return list(self._free)


MEMORY = _KeptMemory()
os.register_at_fork(after_in_child=MEMORY.reset)
_ALLOCATE = ffi.callback("allocate_fptr", MEMORY.allocate, error=lib.ARGON2_MEMORY_ALLOCATION_ERROR)
_FREE = ffi.callback("deallocate_fptr", MEMORY.release)


def _raw(
    secret: bytes, salt: bytes, time_cost: int, memory_cost: int, parallelism: int, hash_len: int
) -> bytes:
    """Argon2id of `secret` (version 19) in memory MEMORY lends: the raw output."""
    out = ffi.new("uint8_t[]", hash_len)
    pwd, salt_buffer = ffi.new("uint8_t[]", secret), ffi.new("uint8_t[]", salt)
    context = ffi.new(
        "argon2_context *",
        {
            "out": out,
            "outlen": hash_len,
            "pwd": pwd,
            "pwdlen": len(secret),
            "salt": salt_buffer,
            "saltlen": len(salt),
            "secret": ffi.NULL,
            "secretlen": 0,
            "ad": ffi.NULL,
            "adlen": 0,
            "t_cost": time_cost,
            "m_cost": memory_cost,
            "lanes": parallelism,
            "threads": parallelism,
            "version": ARGON2_VERSION,
            "allocate_cbk": _ALLOCATE,
            "free_cbk": _FREE,
            # libargon2 wipes its copy of the password once it has read it.
            "flags": lib.ARGON2_DEFAULT_FLAGS | lib.ARGON2_FLAG_CLEAR_PASSWORD,
        },
    )
    MEMORY.begin()
    try:
        result = _low_level.core(context, Type.ID.value)
        if result != lib.ARGON2_OK:
            MEMORY.reclaim()
            raise exceptions.HashingError(_low_level.error_to_str(result))
        return bytes(ffi.buffer(out, hash_len))
    finally:  # no copy of the password or the hash left in C memory (also when refused early)
        _wipe(pwd, len(secret))
        _wipe(out, hash_len)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _header(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return f"$argon2id$v={ARGON2_VERSION}$m={memory_cost},t={time_cost},p={parallelism}$"


def hash_secret(
    secret: bytes,
    salt: bytes,
    time_cost: int,
    memory_cost: int,
    parallelism: int,
    hash_len: int,
    type: Type,  # noqa: A002 - argon2-cffi's name
    version: int = ARGON2_VERSION,
) -> bytes:
    """argon2-cffi's `low_level.hash_secret`: the encoded hash, the same bytes libargon2 writes."""
    if type not in _TYPE_NAMES or version != ARGON2_VERSION or not _enabled():
        return _low_level.hash_secret(
            secret, salt, time_cost, memory_cost, parallelism, hash_len, type, version
        )
    raw = _raw(secret, salt, time_cost, memory_cost, parallelism, hash_len)
    return f"{_header(time_cost, memory_cost, parallelism)}{_b64(salt)}${_b64(raw)}".encode("ascii")


def _decode(part: str) -> bytes | None:
    """Standard base64 without padding, as libargon2 writes it; None for anything else."""
    try:
        data = base64.b64decode(part + "=" * (-len(part) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if _b64(data) == part else None  # canonical only, as libargon2's decoder


def _parts(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    """(t, m, p, salt, hash) of an argon2id v19 hash in the standard encoding, or None."""
    try:
        params = extract_parameters(encoded)
    except (exceptions.InvalidHashError, ValueError):
        return None
    if params.type is not Type.ID or params.version != ARGON2_VERSION:
        return None
    header = _header(params.time_cost, params.memory_cost, params.parallelism)
    if not encoded.startswith(header):
        return None
    fields = encoded[len(header) :].split("$")
    if len(fields) != 2:
        return None
    salt, expected = _decode(fields[0]), _decode(fields[1])
    if salt is None or expected is None:
        return None
    return params.time_cost, params.memory_cost, params.parallelism, salt, expected


class PasswordHasher:
    """What Django's Argon2PasswordHasher.verify uses of argon2-cffi's PasswordHasher."""

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:  # noqa: A002
        encoded = hash.decode("ascii") if isinstance(hash, bytes) else hash
        parts = _parts(encoded) if _enabled() else None
        if parts is None:
            return argon2.PasswordHasher().verify(hash, password)
        time_cost, memory_cost, parallelism, salt, expected = parts
        secret = password.encode("utf-8") if isinstance(password, str) else password
        try:
            raw = _raw(secret, salt, time_cost, memory_cost, parallelism, len(expected))
        except exceptions.HashingError as exc:  # parameters libargon2 refuses: as its verify says
            raise exceptions.VerificationError(str(exc)) from None
        if not hmac.compare_digest(raw, expected):
            raise exceptions.VerifyMismatchError("The password does not match the supplied hash")
        return True


class low_level:  # noqa: N801 - stands for the module argon2.low_level
    Type = Type
    ARGON2_VERSION = ARGON2_VERSION
    hash_secret = staticmethod(hash_secret)
