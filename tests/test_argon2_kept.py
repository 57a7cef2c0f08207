"""Argon2's working memory kept between hashes (core/argon2_kept.py): the same hashes as
argon2-cffi writes and verifies, the memory wiped after each hash and not mapped anew."""

from __future__ import annotations

import os
import resource
import signal
import threading
import time
from typing import Any

import argon2
import pytest
from django.contrib.auth.hashers import check_password, get_hasher, make_password

from edgate.core import argon2_kept

SALT = "abcdefghijklmnopqrstuv"  # Django's salts are 22 letters and digits
PASSWORDS = ["correct horse battery staple", "pässwörd — ñ 密码", "x" * 200]


def library_hash(password: str, salt: str = SALT) -> str:
    hasher = get_hasher()
    return (
        "argon2"
        + argon2.low_level.hash_secret(
            password.encode(),
            salt.encode(),
            time_cost=hasher.time_cost,
            memory_cost=hasher.memory_cost,
            parallelism=hasher.parallelism,
            hash_len=argon2.DEFAULT_HASH_LENGTH,
            type=argon2.low_level.Type.ID,
        ).decode()
    )


@pytest.mark.parametrize("password", PASSWORDS)
def test_the_same_hash_as_argon2_cffi_writes(password: str) -> None:
    assert get_hasher().encode(password, SALT) == library_hash(password)


@pytest.mark.parametrize("password", PASSWORDS)
def test_verifies_argon2_cffi_hashes_and_refuses_other_passwords(password: str) -> None:
    encoded = library_hash(password)
    assert check_password(password, encoded)
    assert not check_password(password + " ", encoded)
    assert not check_password("", encoded)


def test_other_hashes_go_to_argon2_cffi() -> None:
    """Other parameters, another variety, a non-canonical or broken encoding: argon2-cffi's own
    verify decides (and Django reads its refusal as a wrong password)."""
    other = "argon2" + argon2.PasswordHasher(time_cost=2, memory_cost=8192, parallelism=2).hash("pw")
    argon2i = "argon2" + argon2.PasswordHasher(memory_cost=8192, type=argon2.Type.I).hash("pw")
    assert check_password("pw", other) and not check_password("px", other)
    assert check_password("pw", argon2i) and not check_password("px", argon2i)
    good = library_hash("pw")
    last = good[-1]
    non_canonical = good[:-1] + ("B" if last == "A" else chr(ord(last) + 1))  # padding bits set
    broken = [good[:-4], good + "A", good.replace("$v=19", "$v=16"), non_canonical, good[:-1] + "*"]
    for encoded in broken:
        assert not check_password("pw", encoded)


def test_memory_is_kept_wiped_and_not_faulted_in_again(settings: object) -> None:
    encoded = make_password("correct horse battery staple")
    other = "argon2" + argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("pw")
    assert check_password("pw", other)  # a buffer of another size, kept for a while
    assert check_password("correct horse battery staple", encoded)  # a buffer is made and kept
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        assert check_password("correct horse battery staple", encoded)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 3
    # libargon2's own allocation faults in 11,778 pages of 4 KiB for every hash (46 MiB).
    assert faults < 1000, faults
    kept = argon2_kept.MEMORY.buffers()
    assert 1 <= len(kept) <= 2
    # Nothing of the hash is left in it: libargon2 wipes its memory before giving it back.
    assert not any(bytes(argon2_kept.ffi.buffer(kept[0])))


def test_off_by_setting(settings: object) -> None:
    settings.PASSWORD_HASHING_KEEP_MEMORY = False  # type: ignore[attr-defined]
    encoded = make_password("correct horse battery staple")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    assert check_password("correct horse battery staple", encoded)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before > 10000
    assert get_hasher().encode("pw", SALT) == library_hash("pw")


class RecordingFfi:
    """argon2_kept's cffi, keeping every buffer the module makes, to look into afterwards."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.made: list[tuple[str, Any, Any]] = []

    def new(self, ctype: str, init: Any = None) -> Any:
        data = self.real.new(ctype, init)
        self.made.append((ctype, data, init))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_no_copy_of_the_password_or_the_hash_left_in_c_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    recording = RecordingFfi(argon2_kept.ffi)
    monkeypatch.setattr(argon2_kept, "ffi", recording)
    password = "correct horse battery staple"
    encoded = get_hasher().encode(password, SALT)
    assert encoded == library_hash(password)  # the same hash, byte for byte
    assert check_password(password, encoded)
    pwds = [data for ctype, data, init in recording.made if init == password.encode()]
    outs = [data for ctype, data, init in recording.made if init == argon2.DEFAULT_HASH_LENGTH]
    contexts = [data for ctype, data, init in recording.made if ctype == "argon2_context *"]
    assert len(pwds) == len(outs) == len(contexts) == 2  # encode, then verify
    for pwd, out, context in zip(pwds, outs, contexts, strict=True):
        assert not any(bytes(recording.real.buffer(pwd))), "the password's copy is wiped"
        assert not any(bytes(recording.real.buffer(out))), "the hash's copy is wiped"
        assert context.pwdlen == 0  # libargon2 wiped the password once read (CLEAR_PASSWORD)


def test_a_buffer_libargon2_keeps_after_a_failed_hash_is_wiped_and_not_left_lent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When its threads fail (p > 1), argon2_ctx returns an error without wiping or freeing
    the memory it took through the allocate callback. That failure cannot be caused from a
    test (pthread_create refusing), so a stand-in for argon2_ctx does what it does then."""
    recording = RecordingFfi(argon2_kept.ffi)
    monkeypatch.setattr(argon2_kept, "ffi", recording)
    lib = argon2.low_level.lib
    size = 4099 * 1024  # a size no kept buffer has: a new one is made (and recorded)

    def failing_core(context: Any, kind: int) -> int:
        memory = recording.real.new("uint8_t **")
        assert context.allocate_cbk(memory, size) == lib.ARGON2_OK
        recording.real.memmove(memory[0], b"\xa5" * 8192, 8192)  # the first blocks, say
        return int(lib.ARGON2_THREAD_FAIL)

    monkeypatch.setattr(argon2_kept._low_level, "core", failing_core)
    lent_before = argon2_kept.MEMORY.lent()
    with pytest.raises(argon2.exceptions.HashingError):
        argon2_kept.hash_secret(b"pw", b"saltsalt", 1, 8192, 2, 32, argon2.low_level.Type.ID)
    buffers = [data for ctype, data, init in recording.made if init == size]
    assert len(buffers) == 1
    assert argon2_kept.MEMORY.lent() == lent_before, "given back"
    assert not any(bytes(recording.real.buffer(buffers[0]))), "wiped"
    assert all(len(kept) != size for kept in argon2_kept.MEMORY.buffers())


def test_a_child_forked_while_a_thread_holds_the_lock_hashes() -> None:
    """A fork while another thread holds the module's lock: the child (which has no such
    thread to release it) hashes all the same instead of waiting for ever."""
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with argon2_kept.MEMORY._lock:
            held.set()
            done.wait(30)

    args = (b"pw", b"saltsalt", 1, 8192, 1, 32, argon2.low_level.Type.ID)
    expected = argon2.low_level.hash_secret(*args)
    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(10)
        pid = os.fork()
        if pid == 0:  # the child: its exit code says whether it hashed right
            code = 1
            try:
                code = 0 if argon2_kept.hash_secret(*args) == expected else 2
            finally:
                os._exit(code)
    finally:
        done.set()
        thread.join()
    deadline = time.monotonic() + 10
    while not (waited := os.waitpid(pid, os.WNOHANG))[0]:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child waits for ever for the lock")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(waited[1]) == 0
