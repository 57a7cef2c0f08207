"""Near (partial) matches counted per SSN and per matched record across registrations, so the
registrant's one chance to check what they typed (docs/matching.md §8) is once per SSN and once
per record, not once per wizard: a registrant who restarts the wizard after the check page meets
the case straight away (the record is the same; only the first near match to it in the window is
offered the check, the second opens the case). Only a near match that may be a slip is offered
the check and counted (`may_be_a_slip`): a prober who types a person's names and birth date with
a made-up SSN meets the case at once, and spends no one's check page.

A row per SSN, and a row per record, each keyed by a keyed hash under a purpose of its own (no
SSN or record id stored); a count that starts again after `WINDOW` without a near match (a real
person returning months later with another slip is offered the check again); `purge_expired`
for the hourly cleanup.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from edgate.core import crypto
from edgate.identity.engine import Decision

from .models import NearMatch

PURPOSE = "near-match"  # the typed SSN
RECORD_PURPOSE = "near-match-record"  # the record (Person) the typed identity was near to
WINDOW = timedelta(days=30)


def _note(key: str) -> int:
    now = timezone.now()
    with transaction.atomic():
        row, created = NearMatch.objects.select_for_update().get_or_create(
            ssn_key=key, defaults={"count": 1, "last_at": now}
        )
        if not created:
            row.count = 1 if row.last_at < now - WINDOW else row.count + 1
            row.last_at = now
            row.save(update_fields=["count", "last_at"])
    return row.count


@sensitive_variables()
def note(ssn: str) -> int:
    """Count one more near match for this SSN; how many there were within the window, this
    one included (1: the first)."""
    return _note(crypto.lookup_hash(PURPOSE, ssn))


def note_record(record_id: str) -> int:
    """Count one more near match to this record, whatever SSN was typed; how many within the
    window, this one included (1: the first)."""
    return _note(crypto.lookup_hash(RECORD_PURPOSE, record_id))


def may_be_a_slip(decision: Decision) -> bool:
    """Whether a partial match may be the registrant's own slip, the only kind offered the check
    page: the SSN typed is the record's or one keystroke from it (one digit wrong, two adjacent
    digits swapped: the matcher's own comparison, `compare.ssn`), or one side has no full SSN to
    compare. An SSN further off is no slip of the SSN, and with the full name and birth date agreeing
    (or the state ID) it is what a prober types who knows those and makes the SSN up: such a
    match opens or joins the case straight away, and is not counted here, so it spends no one's
    check page (docs/matching.md §8)."""
    ssn = decision.fields.get("ssn")
    return ssn is None or ssn.kind != "differ"


@sensitive_variables()
def is_first(ssn: str, record_id: str) -> bool:
    """Count this near match for the SSN typed and for the record it is near to (both, always:
    rows locked in that order, so two registrations cannot deadlock); True when it is the first
    within the window for both, the one near match offered the check page."""
    first_for_ssn = note(ssn) == 1
    first_for_record = note_record(record_id) == 1
    return first_for_ssn and first_for_record


def purge_expired() -> int:
    deleted, _ = NearMatch.objects.filter(last_at__lt=timezone.now() - WINDOW).delete()
    return deleted
