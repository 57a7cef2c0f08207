"""The one entry point every caller uses: match a query against the database, open cases."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.debug import sensitive_variables

from edgate.audit.events import audited
from edgate.audit.models import AuditEvent, EventType
from edgate.audit.record import record_event
from edgate.core import conf, crypto
from edgate.core.context import Ctx
from edgate.identity import normalize
from edgate.identity.blocking import memo
from edgate.identity.compare import compare_all
from edgate.identity.engine import Decision, Matcher
from edgate.identity.records import Identity
from edgate.identity.rules import RULES
from edgate.people.models import Person, ssn_lookup

from .candidates import find_candidates, identity_of
from .models import PENDING, DistinctPair, LaterSubmission, MatchCase, new_reference


def matcher() -> Matcher:
    settings = conf.get()
    return import_string(settings.matcher)(hasher=ssn_lookup, rules=RULES[settings.match_rules])


@sensitive_variables()
def identity_key(query: Identity) -> str:
    """A keyed hash of who a registrant says they are (SSN, date of birth, first and last
    name, normalized): remembers a "different people" decision without keeping the data."""
    parts = [
        query.ssn,
        str(query.date_of_birth or ""),
        normalize.name_key(query.first_name),
        normalize.name_key(query.last_name),
    ]
    return crypto.lookup_hash("distinct-pair", "|".join(parts))


@sensitive_variables()
def submitted_identity(case: MatchCase) -> Identity:
    """What the registrant typed, decrypted (for the case page and the case's resolution)."""
    typed = crypto.decrypt_json(bytes(case.submitted_ciphertext))
    fields = {name: typed.get(name, "") for name in Identity.__dataclass_fields__ if name in typed}
    born = fields.pop("date_of_birth", "")
    unusable = frozenset(filter(None, fields.pop("unusable", "").split(",")))
    return Identity(**fields, date_of_birth=date.fromisoformat(born) if born else None, unusable=unusable)


@sensitive_variables()
def _submitted_json(query: Identity) -> dict[str, str]:
    out = {k: str(v) if v is not None else "" for k, v in vars(query).items()}
    out["unusable"] = ",".join(sorted(query.unusable))
    return out


# The entry point into the pure matcher, which sees the raw SSN: every frame below is hidden.
@sensitive_variables()
def match(query: Identity, *, setup_code_gate: bool = False) -> Decision:
    """`setup_code_gate`: the caller can hold an exact that rests on weak evidence (rules-4 E9,
    `Decision.needs_code`) behind a one-time set-up code — the registration wizard. For every
    other caller such an exact is partial (a human decides)."""
    hasher = memo(ssn_lookup)  # the SSN's 90 forms are hashed once, for blocking and comparing
    candidates = find_candidates(query, hasher)
    if candidates and query.ssn:
        # Records a case found to be someone else are no conflict for this registrant any
        # more: the matcher decides on the others (usually none, so a new record is made).
        distinct = {
            str(pk)
            for pk in DistinctPair.objects.filter(
                identity_key=identity_key(query), person_id__in=[c.record_id for c in candidates]
            ).values_list("person_id", flat=True)
        }
        candidates = [c for c in candidates if c.record_id not in distinct]
    decision = matcher().match(query, candidates, hasher=hasher)
    return decision if setup_code_gate else decision.gated()


@sensitive_variables()
def _submission_key(person: Person, query: Identity) -> str:
    parts = [
        str(person.pk),
        query.ssn,
        str(query.date_of_birth),
        normalize.name_key(query.first_name),
        normalize.name_key(query.last_name),
        # Every other field a registrant types that the match reads: the same case reference
        # goes only to the same submission (a stranger who types the names and birth date of a
        # case opened without an SSN gets a reference of their own, not the case's).
        normalize.name_key(query.middle_name),
        normalize.name_key(query.former_last_name),
        query.state_id.strip().upper(),
    ]
    if not query.ssn and not query.state_id.strip():
        # Nothing typed that a stranger could not know (names and a birth date): no later
        # submission is taken for the one that opened the case, so none is given its reference.
        parts.append(secrets.token_hex(16))
    return crypto.lookup_hash("match-case", "|".join(parts))


@sensitive_variables("query")
@audited(EventType.MATCH_CASE_OPENED, EventType.MATCH_CASE_REPEATED)
@transaction.atomic
@sensitive_variables()
def do_open_case(
    *,
    person: Person,
    query: Identity,
    decision: Decision,
    source: str,
    ctx: Ctx,
    not_to: Iterable[int] = (),
) -> MatchCase:
    """A conflict goes to the organizations linked to the record, and to customer service.
    `not_to`: organizations it must not go to (those of the Directory Administrator who typed
    the conflicting data, who is not the one to decide it).

    One open case per record and source: a repeated conflicting submission (a retry, or a
    probe of the same SSN with other names) is counted on it and audited, not queued again.

    The case returned carries `given`, the reference to give whoever submitted: the case's own
    for the submission that opened it (and for the very same data typed again), a fresh one of
    its own (`LaterSubmission`) for any other, so that a stranger learns neither that the
    record already had a case nor how it stands."""
    key = _submission_key(person, query)
    existing = (
        MatchCase.objects.select_for_update()
        .filter(person=person, source=source, status__in=PENDING)
        .order_by("created_at")
        .first()
    )
    if existing:
        MatchCase.objects.filter(pk=existing.pk).update(
            attempts=F("attempts") + 1, last_attempt_at=timezone.now()
        )
        existing.refresh_from_db(fields=["attempts", "last_attempt_at"])
        given = existing.reference
        if existing.submission_key != key:
            given = LaterSubmission.objects.create(case=existing, reference=_free_reference()).reference
        record_event(
            EventType.MATCH_CASE_REPEATED,
            ctx=ctx,
            target=existing,
            detail={
                "reference": existing.reference,
                "given": given,
                "attempts": existing.attempts,
                "source": source,
            },
        )
        existing.given = given
        return existing
    case = MatchCase.objects.create(
        person=person,
        source=source,
        submission_key=key,
        submitted_ciphertext=crypto.encrypt_json(_submitted_json(query)),
        explanation={
            "fields": decision.explanation(),
            "details": decision.details(),
            "score": decision.score,
            "rule": decision.rule,
            "matcher": matcher().version,
        },
    )
    excluded = set(not_to)
    orgs = [
        entry.organization_id
        for entry in person.staff_entries.filter(ended_at__isnull=True)
        if entry.organization_id not in excluded
    ]
    case.organizations.set(orgs)
    record_event(
        EventType.MATCH_CASE_OPENED,
        ctx=ctx,
        target=case,
        detail={"reference": case.reference, "organizations": len(orgs), "source": source},
    )
    case.given = case.reference
    return case


def _free_reference() -> str:
    """A reference no case and no later submission has (the status page looks in both)."""
    while True:
        reference = new_reference()
        if not (
            MatchCase.objects.filter(reference=reference).exists()
            or LaterSubmission.objects.filter(reference=reference).exists()
        ):
            return reference


def given_reference(reference: str) -> tuple[MatchCase | None, bool]:
    """The case a reference given to a submitter is about, and whether that submission opened
    it: (case, True) for a case's own reference, (case, False) for a later submission's."""
    case = MatchCase.objects.filter(reference=reference).first()
    if case is not None:
        return case, True
    later = LaterSubmission.objects.select_related("case").filter(reference=reference).first()
    return (later.case, False) if later is not None else (None, False)


@sensitive_variables()
def levels_now(case: MatchCase) -> dict[str, str]:
    """Each field's level (agree / close / differ / missing) comparing what was submitted with
    the record as it is now: after a correction, no longer what the case was opened with."""
    results = compare_all(submitted_identity(case), identity_of(case.person), ssn_lookup)
    return {name: result.level.value for name, result in results.items()}


def history(case: MatchCase) -> list[AuditEvent]:
    """The case's audit events, oldest first."""
    return list(
        AuditEvent.objects.filter(target_type=MatchCase._meta.label_lower, target_id=str(case.pk)).order_by(
            "at", "id"
        )
    )
