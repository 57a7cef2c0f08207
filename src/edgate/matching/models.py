"""Match cases: a registration (or import row) that conflicts with a record, for a human."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from edgate.directory.models import Organization
from edgate.people.models import Person

REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY3469"  # no look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B)


def new_reference() -> str:
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"EG-{body[:4]}-{body[4:]}"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class MatchCase(models.Model):
    reference = models.CharField(max_length=16, unique=True, default=new_reference, editable=False)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    source = models.CharField(max_length=40, default="registration")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="match_cases")
    organizations = models.ManyToManyField(Organization, blank=True, related_name="match_cases")
    # What the registrant submitted, encrypted (it holds their SSN and date of birth).
    submitted_ciphertext = models.BinaryField()
    # Keyed hash of the first submission.
    submission_key = models.CharField(max_length=64, db_index=True)
    # Every further conflicting submission for the same record and source (the registrant
    # retrying, or someone probing an SSN) is counted on this open case instead of opening
    # another, so a prober cannot flood a Directory Administrator's queue.
    attempts = models.PositiveIntegerField(default=1)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # Per-field agree / close / differ / missing, the score, the rule and matcher version.
    explanation = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference
