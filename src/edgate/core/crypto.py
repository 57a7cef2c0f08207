"""Personal data at rest: Fernet (AES-128-CBC + HMAC, authenticated) and keyed lookup hashes.

Keys come from settings (environment in production). Several PII keys may be configured:
the first encrypts, all decrypt, so keys can be rotated without downtime.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.views.decorators.debug import sensitive_variables

from . import conf


class DecryptionError(Exception):
    """Ciphertext that no configured key opens (tampered, or the key was removed)."""


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in conf.get().pii_keys])


@sensitive_variables()
def encrypt(text: str) -> bytes:
    return _fernet().encrypt(text.encode())


@sensitive_variables()
def decrypt(token: bytes) -> str:
    try:
        return _fernet().decrypt(bytes(token)).decode()
    except InvalidToken as exc:
        raise DecryptionError("personal data could not be decrypted") from exc


@sensitive_variables()
def encrypt_json(value: dict[str, Any]) -> bytes:
    return encrypt(json.dumps(value, separators=(",", ":"), sort_keys=True))


@sensitive_variables()
def decrypt_json(token: bytes) -> dict[str, Any]:
    return json.loads(decrypt(token))


@cache
def _keyed(purpose: str) -> hmac.HMAC:
    # The key schedule and the purpose prefix are hashed once; each value copies this state.
    return hmac.new(conf.get().lookup_key, f"{purpose}\x1f".encode(), hashlib.sha256)


@sensitive_variables()
def lookup_hash(purpose: str, value: str) -> str:
    """Keyed hash used to find rows (and count attempts) without storing the value."""
    mac = _keyed(purpose).copy()
    mac.update(value.encode())
    return mac.hexdigest()


def reset() -> None:
    _fernet.cache_clear()
    _keyed.cache_clear()


@cache
def _random_table(alphabet: str) -> tuple[bytes, bytes]:
    """`bytes.translate`'s table and dropped bytes for drawing from `alphabet` without bias:
    each byte below the largest multiple of its length read as alphabet[b % length], the bytes
    at or above it (which would favour the first letters) dropped."""
    if not 1 < len(alphabet) <= 256 or not alphabet.isascii() or len(set(alphabet)) != len(alphabet):
        raise ValueError("an alphabet of 2 to 256 distinct ASCII characters")
    unbiased = 256 - 256 % len(alphabet)
    table = bytes(ord(alphabet[b % len(alphabet)]) if b < unbiased else 0 for b in range(256))
    return table, bytes(range(unbiased, 256))


def random_string(length: int, alphabet: str) -> str:
    """`length` characters drawn uniformly and independently from `alphabet`, from the system's
    random source (`secrets`), as Django's `get_random_string` draws them; but read a few dozen
    bytes at a time instead of once per character (a system call each: 64 for a new visitor's
    CSRF secret and mask) and mapped by one C call (`bytes.translate`) per read."""
    table, dropped = _random_table(alphabet)
    chars = b""
    while len(chars) < length:
        chars += secrets.token_bytes(length + 16).translate(table, dropped)
    return chars[:length].decode("ascii")


def csrf_string() -> str:
    """Django's CSRF secret or mask (`django.middleware.csrf._get_new_csrf_string`, replaced by
    this in `CoreConfig.ready`): the same 32 letters and digits, drawn by `random_string`."""
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

    return random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
