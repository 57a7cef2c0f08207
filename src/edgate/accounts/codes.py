"""One-time activation codes: issued by customer service, redeemed once, then gone.

A code is 128 bits from `secrets`, written as 26 characters of Crockford's base32 in groups
of four (no I, L, O or U: nothing to misread on the phone). What the person types is
normalized the same way (case, spaces, dashes, and the look-alikes O→0, I/L→1).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event
from edgate.core import conf, crypto
from edgate.core.context import Ctx

from .models import ActivationCode, CodePurpose, Profile

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
    return settings.recovery_code_ttl if purpose == CodePurpose.RECOVERY else settings.activation_code_ttl


def purge_spent(*, older_than: timedelta = timedelta(days=30)) -> int:
    """Codes used, withdrawn or expired more than `older_than` ago: their story is in the
    audit log, and the rows have no further use."""
    cutoff = timezone.now() - older_than
    spent = models.Q(used_at__lt=cutoff) | models.Q(withdrawn_at__lt=cutoff) | models.Q(expires_at__lt=cutoff)
    deleted, _ = ActivationCode.objects.filter(spent).delete()
    return deleted


@sensitive_variables("code")
@transaction.atomic
def do_issue_activation_code(
    *, profile: Profile, purpose: CodePurpose, ctx: Ctx
) -> tuple[str, ActivationCode]:
    """A new code for the Profile; any earlier unused code for the same purpose is withdrawn.
    Returns the code itself, which is shown once and never stored."""
    now = timezone.now()
    ActivationCode.objects.filter(
        profile=profile, purpose=purpose, used_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=now)
    code = new_code()
    row = ActivationCode.objects.create(
        profile=profile,
        purpose=purpose,
        code_hash=code_hash(code),
        expires_at=now + lifetime(purpose),
        issued_by_id=ctx.actor_id,
    )
    record_event(
        EventType.ACTIVATION_CODE_ISSUED,
        ctx=ctx,
        target=profile,
        detail={"purpose": str(purpose), "expires_at": row.expires_at.isoformat()},
    )
    return code, row


@sensitive_variables("typed")
@transaction.atomic
def do_redeem_activation_code(
    *, profile: Profile | None, purpose: CodePurpose, typed: str, ctx: Ctx
) -> ActivationCode | None:
    """Uses the code up if it is the Profile's current, unexpired code for the purpose.
    A wrong, used, withdrawn or expired code (or no Profile) gives None and an audit event."""
    row = None
    if profile is not None:
        row = (
            ActivationCode.objects.select_for_update()
            .filter(
                profile=profile,
                purpose=purpose,
                code_hash=code_hash(typed),
                used_at__isnull=True,
                withdrawn_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
    if row is None:
        record_event(
            EventType.ACTIVATION_CODE_FAILED,
            ctx=ctx,
            target=profile,
            outcome=Outcome.FAILURE,
            detail={"purpose": str(purpose)},
        )
        return None
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    record_event(
        EventType.ACTIVATION_CODE_REDEEMED, ctx=ctx, target=profile, detail={"purpose": str(purpose)}
    )
    return row
