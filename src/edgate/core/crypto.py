"""Personal data at rest: Fernet (AES-128-CBC + HMAC, authenticated) and keyed lookup hashes.

Keys come from settings (environment in production). Several PII keys may be configured:
the first encrypts, all decrypt, so keys can be rotated without downtime.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from . import conf


class DecryptionError(Exception):
    """Ciphertext that no configured key opens (tampered, or the key was removed)."""


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in conf.get().pii_keys])


def encrypt(text: str) -> bytes:
    return _fernet().encrypt(text.encode())


def decrypt(token: bytes) -> str:
    try:
        return _fernet().decrypt(bytes(token)).decode()
    except InvalidToken as exc:
        raise DecryptionError("personal data could not be decrypted") from exc


def encrypt_json(value: dict[str, Any]) -> bytes:
    return encrypt(json.dumps(value, separators=(",", ":"), sort_keys=True))


def decrypt_json(token: bytes) -> dict[str, Any]:
    return json.loads(decrypt(token))


def lookup_hash(purpose: str, value: str) -> str:
    """Keyed hash used to find rows (and count attempts) without storing the value."""
    message = f"{purpose}\x1f{value}".encode()
    return hmac.new(conf.get().lookup_key, message, hashlib.sha256).hexdigest()


def reset() -> None:
    _fernet.cache_clear()
