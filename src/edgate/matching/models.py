"""Match cases: a registration (or import row) that conflicts with a record, for a human."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from edgate.directory.models import Organization
from edgate.people.models import Person

REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY3469"  # no look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B)


def new_reference() -> str:
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"EG-{body[:4]}-{body[4:]}"


class CaseStatus(models.TextChoices):
    OPEN = "open", gettext_lazy("Open")
    # Handed to customer service: Directory Administrators still see it but no longer act on it.
    ESCALATED = "escalated", gettext_lazy("Escalated to customer service")
    RESOLVED = "resolved", gettext_lazy("Resolved")


# Statuses in which a case is still waiting for a decision.
PENDING = (CaseStatus.OPEN, CaseStatus.ESCALATED)


class CaseOutcome(models.TextChoices):
    SAME_PERSON = "same_person", gettext_lazy("Same person")
    DIFFERENT_PEOPLE = "different_people", gettext_lazy("Different people")
    # Closed without deciding who the registrant was: the person on the record has their Profile
    # by now (backoffice.case_profile), so the case was no longer anyone's work.
    HAS_PROFILE = "has_profile", gettext_lazy("The person has their Profile")


# The outcomes of a decision about who the registrant is (`actions.do_resolve_case`).
DECISIONS = (CaseOutcome.SAME_PERSON, CaseOutcome.DIFFERENT_PEOPLE)


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
    # How it was resolved and why (the reason the resolver gave); the escalation's note.
    outcome = models.CharField(max_length=20, choices=CaseOutcome.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    escalation_note = models.TextField(blank=True)

    # Not a column: set by `service.do_open_case` on the case it returns, the reference to give
    # whoever submitted (this case's, or a `LaterSubmission`'s).
    given = ""

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference


class LaterSubmission(models.Model):
    """A conflicting submission counted on a case that another submission opened
    (`service.do_open_case`), with a reference of its own to give whoever typed it.

    Every conflicting submission about a record lands on the record's one open case. Handing
    out that case's reference would tell a stranger who typed someone's SSN, or their names
    and birth date, that the person has a case open and, through the status page, how it
    stands. So a later submission gets a reference that looks like any other, and the status
    page tells it only open or resolved (`registration/cases.py case_state`). Nothing of the
    submission is kept: the case compares the first one with the record."""

    reference = models.CharField(max_length=16, unique=True, default=new_reference, editable=False)
    case = models.ForeignKey(MatchCase, on_delete=models.CASCADE, related_name="later_submissions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.reference


class DistinctPair(models.Model):
    """A record and a registrant found to be different people (a resolved case): that record
    is no longer a conflict for that registrant's identity (`service.match`).

    `identity_key` is a keyed hash of the registrant's SSN, date of birth and normalized first
    and last names (`service.identity_key`): no personal data is stored."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="distinct_pairs")
    identity_key = models.CharField(max_length=64, db_index=True)
    case = models.ForeignKey(MatchCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "identity_key"], name="one_distinct_pair")]

    def __str__(self) -> str:
        return f"person {self.person_id} is not {self.identity_key[:8]}…"


class NearMatch(models.Model):
    """Partial matches counted per SSN and per matched record across registrations
    (`near_matches`): the check page is offered for the first one only, so neither restarting the
    wizard nor typing a new SSN beside the same names and birth date buys another check.

    `ssn_key` is a keyed hash of the SSN, or of the matched record's id, each under a purpose of
    its own (the column keeps its first name): no personal data is stored, and the value cannot
    be joined with `Person.ssn_hash`."""

    ssn_key = models.CharField(max_length=64, unique=True)
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.count} near matches for {self.ssn_key[:8]}…"
