"""Writes to a match case after it is opened (`service.do_open_case` opens it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from edgate.audit.events import audited, changes
from edgate.audit.models import EventType
from edgate.audit.record import record_event
from edgate.core.context import Ctx
from edgate.directory.models import Organization
from edgate.people.actions import do_update_person
from edgate.people.models import ssn_lookup

from . import service
from .models import DECISIONS, PENDING, CaseOutcome, CaseStatus, DistinctPair, MatchCase

# What a "same person" resolution may correct on the record (the fields a registrant types).
CORRECTABLE_FIELDS = ("first_name", "middle_name", "last_name", "former_last_name", "date_of_birth")


class CaseClosed(Exception):
    """The case is no longer in a status the caller may act on: already resolved (a double
    submit, or someone else was quicker), or escalated while a Directory Administrator looked."""


class EscalationRefused(Exception):
    """The agency's own staff (customer service, a security administrator) escalated a case:
    escalating hands a case to them, and they decide it instead."""


# The customer-service permission (accounts.models.CUSTOMER_SERVICE_PERMISSION: matching does
# not import accounts) and, with a security administrator, the agency's staff
# (backoffice.scope.AGENCY_ROLES), to whom an escalation hands a case.
CUSTOMER_SERVICE_PERMISSION = "accounts.serve_customers"


def _agency_staff(actor_id: int | None) -> bool:
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id is not None else None
    if actor is None or not actor.is_active:
        return False
    return actor.has_perm(CUSTOMER_SERVICE_PERMISSION) or (actor.is_superuser and actor.is_staff)


class SharedSSN(Exception):
    """ "Different people" refused: the registrant typed the record's SSN, so one of them is
    wrong and a second record with that SSN cannot exist."""


@audited(EventType.MATCH_CASE_STATUS_CHANGED)
@transaction.atomic
def do_set_case_status(*, case: MatchCase, status: str, ctx: Ctx) -> MatchCase:
    """Resolve a case (by whom and when is kept on the case) or reopen it."""
    if status not in CaseStatus.values:
        raise ValueError(f"unknown case status {status!r}")
    case = MatchCase.objects.select_for_update().get(pk=case.pk)
    if case.status == status:
        return case
    before = {"status": case.status}
    case.status = status
    resolved = status == CaseStatus.RESOLVED
    case.resolved_at = timezone.now() if resolved else None
    case.resolved_by_id = ctx.actor_id if resolved else None
    case.save(update_fields=["status", "resolved_at", "resolved_by"])
    detail = {"reference": case.reference} | changes(before, {"status": status})
    record_event(EventType.MATCH_CASE_STATUS_CHANGED, ctx=ctx, target=case, detail=detail)
    return case


@audited(EventType.MATCH_CASE_ROUTED)
@transaction.atomic
def do_route_case(
    *, case: MatchCase, organizations: Iterable[Organization], ctx: Ctx, note: str = ""
) -> MatchCase:
    """Change which organizations' queues the case is in (customer service always sees it);
    `note` is the reason customer service gives for reassigning it. (The security admin's
    admin site may reroute a case it resolves in the same save.)"""
    case = MatchCase.objects.select_for_update().get(pk=case.pk)
    new = list(set(organizations))
    before = {"organizations": sorted(case.organizations.values_list("code", flat=True))}
    after = {"organizations": sorted(org.code for org in new)}
    if before == after:
        return case
    case.organizations.set(new)
    detail = {"reference": case.reference} | changes(before, after)
    if note:
        detail["note"] = note
    record_event(EventType.MATCH_CASE_ROUTED, ctx=ctx, target=case, detail=detail)
    return case


@audited(EventType.MATCH_CASE_RESOLVED, EventType.PERSON_UPDATED)
@transaction.atomic
def do_resolve_case(
    *,
    case: MatchCase,
    outcome: str,
    note: str,
    ctx: Ctx,
    corrections: Mapping[str, object] | None = None,
    allowed: Iterable[str] = PENDING,
) -> MatchCase:
    """Decide an open or escalated case, with the resolver's reason.

    * same person — the record is corrected where it was wrong (`corrections`, an audited
      person update naming the fields that changed; the resolution's `corrected` names every
      field given) or the registrant mistyped; registering again with the
      record's data then matches it exactly.
    * different people — the registrant's identity is remembered against this record
      (`DistinctPair`), so it never blocks them again; refused when they typed the record's
      SSN (`SharedSSN`): one of the two is wrong.

    `allowed` are the statuses the caller may decide in (a Directory Administrator: open only;
    customer service: open or escalated), checked on the locked row: raises `CaseClosed`
    otherwise — a case already resolved, or escalated meanwhile — with no event."""
    if outcome not in DECISIONS:
        raise ValueError(f"not a decision about the registrant: {outcome!r}")
    if not note.strip():
        raise ValueError("a resolution needs a reason")
    case = MatchCase.objects.select_for_update().select_related("person").get(pk=case.pk)
    if case.status == CaseStatus.RESOLVED or case.status not in set(allowed):
        raise CaseClosed(case.reference)
    corrected: list[str] = []
    if outcome == CaseOutcome.SAME_PERSON:
        fixes = dict(corrections or {})
        unknown = set(fixes) - set(CORRECTABLE_FIELDS)
        if unknown:
            raise ValueError(f"not correctable here: {sorted(unknown)}")
        # Named in the resolution as given, changed or not: a Directory Administrator types a
        # date of birth they are not shown, and the case's history must not tell them whether
        # it was the record's (the person's own update event names only what changed).
        corrected = [name for name in CORRECTABLE_FIELDS if name in fixes]
        if any(getattr(case.person, name) != fixes[name] for name in corrected):
            do_update_person(
                person=case.person, changes={n: fixes[n] for n in corrected}, source="match_case", ctx=ctx
            )
    else:
        typed = service.submitted_identity(case)
        if typed.ssn and case.person.ssn_hash and ssn_lookup(typed.ssn) == case.person.ssn_hash:
            raise SharedSSN(case.reference)
        DistinctPair.objects.get_or_create(
            person=case.person, identity_key=service.identity_key(typed), defaults={"case": case}
        )
    before = {"status": case.status}
    case.status = CaseStatus.RESOLVED
    case.outcome = outcome
    case.resolution_note = note
    case.resolved_at = timezone.now()
    case.resolved_by_id = ctx.actor_id
    case.save(update_fields=["status", "outcome", "resolution_note", "resolved_at", "resolved_by"])
    detail = {"reference": case.reference} | changes(before, {"status": CaseStatus.RESOLVED.value})
    detail |= {"outcome": outcome, "note": note, "corrected": corrected}
    record_event(EventType.MATCH_CASE_RESOLVED, ctx=ctx, target=case, detail=detail)
    return case


@audited(EventType.MATCH_CASE_ESCALATED)
@transaction.atomic
def do_escalate_case(*, case: MatchCase, note: str, ctx: Ctx) -> MatchCase:
    """Hand an open case to customer service with a note: Directory Administrators still see
    it but no longer act on it. Raises `CaseClosed` unless the case is open, and
    `EscalationRefused` when the actor is customer service or a security administrator: the
    case would go to them, who decide it instead."""
    if not note.strip():
        raise ValueError("an escalation needs a note")
    if _agency_staff(ctx.actor_id):
        raise EscalationRefused(case.reference)
    case = MatchCase.objects.select_for_update().get(pk=case.pk)
    if case.status != CaseStatus.OPEN:
        raise CaseClosed(case.reference)
    case.status = CaseStatus.ESCALATED
    case.escalation_note = note
    case.save(update_fields=["status", "escalation_note"])
    detail = {"reference": case.reference, "note": note}
    detail |= changes({"status": CaseStatus.OPEN.value}, {"status": case.status})
    record_event(EventType.MATCH_CASE_ESCALATED, ctx=ctx, target=case, detail=detail)
    return case
