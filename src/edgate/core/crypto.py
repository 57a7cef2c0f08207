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
