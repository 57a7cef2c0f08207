"""One-time activation codes: issued by customer service, redeemed once, then gone.
The actions that issue and redeem them are in accounts.actions.

A code is 128 bits from `secrets`, written as 26 characters of Crockford's base32 in groups
of four (no I, L, O or U: nothing to misread on the phone). What the person types is
normalized the same way (case, spaces, dashes, and the look-alikes O→0, I/L→1).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import models
from django.utils import timezone

from edgate.core import conf, crypto

from .models import ActivationCode, CodePurpose

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
LENGTH = 26  # 26 × 5 bits = 130 bits ≥ 128


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(body[i : i + 4] for i in range(0, LENGTH, 4))


def normalize(typed: str) -> str:
    return "".join(ch for ch in typed.upper().translate(_LOOK_ALIKES) if ch in ALPHABET)


def code_hash(typed: str) -> str:
    return crypto.lookup_hash("activation-code", normalize(typed))


def lifetime(purpose: CodePurpose) -> timedelta:
    settings = conf.get()
    return settings.activation_code_ttl if purpose == CodePurpose.SETUP else settings.recovery_code_ttl


def purge_spent(*, older_than: timedelta = timedelta(days=30)) -> int:
    """Codes used, withdrawn or expired more than `older_than` ago: their story is in the
    audit log, and the rows have no further use."""
    cutoff = timezone.now() - older_than
    spent = models.Q(used_at__lt=cutoff) | models.Q(withdrawn_at__lt=cutoff) | models.Q(expires_at__lt=cutoff)
    deleted, _ = ActivationCode.objects.filter(spent).delete()
    return deleted
