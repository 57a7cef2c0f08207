"""Near (partial) matches counted per SSN across registrations, so the registrant's one chance
to check what they typed (docs/matching.md §8) is once per SSN, not once per wizard: a
registrant who restarts the wizard after the check page meets the case straight away.

A row per SSN keyed by a keyed hash under its own purpose (no SSN stored); a count that starts
again after `WINDOW` without a near match (a real person returning months later with another
slip is offered the check again); `purge_expired` for the hourly cleanup.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from edgate.core import crypto

from .models import NearMatch

PURPOSE = "near-match"
WINDOW = timedelta(days=30)


@sensitive_variables()
def note(ssn: str) -> int:
    """Count one more near match for this SSN; how many there were within the window, this
    one included (1: the first, which is offered the check page)."""
    now = timezone.now()
    with transaction.atomic():
        row, created = NearMatch.objects.select_for_update().get_or_create(
            ssn_key=crypto.lookup_hash(PURPOSE, ssn), defaults={"count": 1, "last_at": now}
        )
        if not created:
            row.count = 1 if row.last_at < now - WINDOW else row.count + 1
            row.last_at = now
            row.save(update_fields=["count", "last_at"])
    return row.count


@sensitive_variables()
def is_first(ssn: str) -> bool:
    """Count this near match; True when it is the SSN's first within the window."""
    return note(ssn) == 1


def purge_expired() -> int:
    deleted, _ = NearMatch.objects.filter(last_at__lt=timezone.now() - WINDOW).delete()
    return deleted
