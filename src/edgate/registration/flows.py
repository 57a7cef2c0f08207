"""What each wizard step does when submitted. Views call these; these call actions.

Flow data sections (encrypted in the flow row, whitelisted here):
  identity  — page 1 as typed (names, date of birth, SSN digits, state ID)
  contact   — page 2
  security  — page 3, already hashed: password hash, hint question, hint answer hash
  match     — outcome, person id, profile id, case reference
  checked   — the check page was offered (once per flow: a later partial opens the case)
"""

from __future__ import annotations

import zlib
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from edgate.accounts import actions as account_actions
from edgate.accounts import hints
from edgate.accounts.models import ActivationCode, CodePurpose, Profile, Status
from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event, record_throttle_alert
from edgate.core import throttle
from edgate.core.context import Ctx
from edgate.core.models import Flow
from edgate.identity.engine import Decision
from edgate.identity.engine import Outcome as MatchOutcome
from edgate.identity.records import Identity
from edgate.matching import near_matches, service
from edgate.people.actions import PersonData, do_create_person
from edgate.people.models import Person, ssn_lookup
from edgate.recovery.policy import is_privileged

from .steps import STEPS, State, can_view, check_transition

IDENTITY_FIELDS = ("first_name", "middle_name", "last_name", "former_last_name", "ssn", "state_id")
CONTACT_FIELDS = ("street", "city", "state", "postcode", "email", "phone")


class CodeRefused(Exception):
    """The activation code a privileged pre-created Profile needs was wrong, or too many were."""

    def __init__(self, *, locked: bool = False, retry_after: int = 0) -> None:
        super().__init__("activation code refused")
        self.locked = locked
        self.retry_after = retry_after  # when locked: seconds before a code is examined again


class Throttled(Exception):
    """Too many identity matches for this SSN, from this address or in this registration
    (or completed registrations from this address); `retry_after` seconds until one is allowed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("throttled")
        self.retry_after = retry_after


def setup_code_required(profile: Profile) -> bool:
    """Whether finishing this pre-created Profile needs a one-time set-up code: always for a
    Profile with administrator access; for any other, once customer service or a Directory
    Administrator has issued one (unused and unexpired) — its owner was handed the code, so a
    name, a birth date and an SSN alone no longer finish it."""
    return is_privileged(profile) or (
        ActivationCode.objects.filter(
            profile=profile,
            purpose=CodePurpose.SETUP,
            used_at__isnull=True,
            withdrawn_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).exists()
    )


def move(flow: Flow, data: dict[str, Any], target: State) -> None:
    check_transition(State(flow.state), target)
    flow.state = target
    flow.data = data
    flow.save()


def clear_for(step: State, data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in STEPS[step].clears}


@sensitive_variables()
def query_from(identity: dict[str, Any]) -> Identity:
    return Identity(
        first_name=identity["first_name"],
        middle_name=identity.get("middle_name", ""),
        last_name=identity["last_name"],
        former_last_name=identity.get("former_last_name", ""),
        date_of_birth=date.fromisoformat(identity["date_of_birth"]),
        ssn=identity["ssn"],
        state_id=identity.get("state_id", ""),
    )


@sensitive_variables()
def _route(flow: Flow, data: dict[str, Any], decision: Decision, query: Identity, ctx: Ctx) -> State:
    """Turn a match decision into the next state, doing the outcome's writes."""
    if decision.outcome == MatchOutcome.NONE:
        return State.CONTACT
    person = Person.objects.get(pk=decision.candidate_id)
    if decision.outcome == MatchOutcome.PARTIAL:
        case = service.do_open_case(
            person=person, query=query, decision=decision, source="registration", ctx=ctx
        )
        data["match"] = {"outcome": "partial", "case": case.reference}
        return State.PARTIAL
    profile = Profile.objects.filter(person=person).first()
    if profile is None:  # on file (e.g. licensed before) but never given a Profile
        profile = account_actions.do_precreate_profile(person=person, ctx=ctx)
    data["match"] = {"outcome": "exact", "profile_id": profile.pk}
    if profile.status == Status.AWAITING_SETUP:
        data["match"]["code_required"] = setup_code_required(profile)
        return State.SETUP
    record_event(EventType.USERNAME_REMINDED, ctx=ctx, target=profile)
    return State.EXACT


def _count_or_refuse(ctx: Ctx, *pairs: tuple[throttle.Limit, str | None]) -> None:
    """Count the attempt against every limit first, then refuse if any is over. The first
    refusal in a window raises an alert for customer service: one SSN probed from many
    addresses, or one address probing many SSNs, is someone mining the registration page."""
    attempts = throttle.attempt_all(*pairs)
    refused = [a for a in attempts if not a.allowed]
    if not refused:
        return
    record_event(
        EventType.MATCH_THROTTLED, ctx=ctx, outcome=Outcome.DENIED, detail={"limit": refused[0].limit.name}
    )
    for tripped in (a for a in refused if a.tripped):
        record_throttle_alert(ctx=ctx, limit=tripped.limit.name, attempts=tripped.number)
    raise Throttled(throttle.retry_after(*refused))


@sensitive_variables()
def submit_identity(flow: Flow, cleaned: dict[str, Any], ctx: Ctx) -> State:
    """Page 1 submitted (first time, or again from a later page)."""
    return _submit_identity(flow, _typed(cleaned), ctx, at=State.IDENTITY)


@sensitive_variables()
def submit_check(flow: Flow, cleaned: dict[str, Any], ctx: Ctx) -> State:
    """The check page submitted: page 1's answers as the registrant corrected them."""
    return _submit_identity(flow, _typed(cleaned), ctx, at=State.CHECK)


@sensitive_variables()
def submit_unchanged(flow: Flow, ctx: Ctx) -> State:
    """The check page's "Continue without changes": page 1's answers as they were, matched
    again (and counted like any other attempt), so a still-partial match opens the case."""
    return _submit_identity(flow, dict(flow.data["identity"]), ctx, at=State.CHECK)


@sensitive_variables()
def _typed(cleaned: dict[str, Any]) -> dict[str, str]:
    typed = {k: cleaned.get(k) or "" for k in IDENTITY_FIELDS}
    typed["date_of_birth"] = cleaned["date_of_birth"].isoformat()
    return typed


@sensitive_variables()
def _submit_identity(flow: Flow, typed: dict[str, str], ctx: Ctx, *, at: State) -> State:
    identity_key = ssn_lookup(typed["ssn"])
    _count_or_refuse(
        ctx,
        (throttle.named("match_identity"), identity_key),
        (throttle.named("match_address"), ctx.client_ip),
        (throttle.named("match_flow"), flow.pk),
    )
    with transaction.atomic():
        flow = Flow.objects.select_for_update().get(pk=flow.pk)
        if not can_view(at, State(flow.state)):
            # Moved on meanwhile (a double submit, another tab): a double click on page 1
            # must not spend the check page and open a case.
            return State(flow.state)
        return _match_identity(flow, typed, ctx, at=at)


@sensitive_variables()
def _match_identity(flow: Flow, typed: dict[str, str], ctx: Ctx, *, at: State) -> State:
    data = clear_for(at, flow.data)
    data["identity"] = typed
    query = query_from(data["identity"])
    decision = service.match(query)
    record_event(
        EventType.MATCH_OUTCOME,
        ctx=ctx,
        detail={"outcome": decision.outcome.value, "source": "registration", "rule": decision.rule},
    )
    # Submitting page 1 again from a later page re-runs the match from the top.
    flow.state = at
    first_near = decision.outcome == MatchOutcome.PARTIAL and near_matches.is_first(query.ssn)
    if first_near and not data.get("checked"):
        # Near a record, for the first time for this SSN in any flow (matching.near_matches:
        # restarting the wizard buys no second check) and in this one: before a case is opened,
        # the registrant checks their own answers (docs/matching.md §8).
        data["checked"] = True
        target = State.CHECK
    else:
        target = _route(flow, data, decision, query, ctx)
    if target not in (State.CONTACT, State.CHECK):
        data = {"match": data["match"]}  # an outcome page needs nothing of what was typed
    move(flow, data, target)
    return target


def submit_contact(flow: Flow, cleaned: dict[str, Any], ctx: Ctx) -> State:
    data = clear_for(State.CONTACT, flow.data)
    data["contact"] = {k: cleaned.get(k) or "" for k in CONTACT_FIELDS}
    flow.state = State.CONTACT
    move(flow, data, State.SECURITY)
    return State.SECURITY


@sensitive_variables()
def hashed_security(cleaned: dict[str, Any]) -> dict[str, str]:
    """Only hashes are kept in the flow: the plain password never leaves the request."""
    return {
        "password_hash": account_actions.hash_password(cleaned["new_password"]),
        "hint_question": cleaned["hint_question"],
        "hint_answer_hash": hints.hash_answer(cleaned["hint_answer"]),
    }


@sensitive_variables()
def submit_security(flow: Flow, cleaned: dict[str, Any], ctx: Ctx) -> State:
    data = clear_for(State.SECURITY, flow.data)
    data["security"] = hashed_security(cleaned)
    flow.state = State.SECURITY
    move(flow, data, State.REVIEW)
    return State.REVIEW


def _lock_identity(ssn_hash: str) -> None:
    """Serialize completions for one SSN across nodes (PostgreSQL); SQLite serializes writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [0x6567, zlib.crc32(ssn_hash.encode()) - 2**31],
            )


@sensitive_variables()
def complete_registration(flow_id: str, ctx: Ctx) -> State:
    """Page 4 confirmed. Idempotent: a double submit finds the flow already completed."""
    if Flow.objects.filter(pk=flow_id, state=State.REVIEW).exists():
        _count_or_refuse(ctx, (throttle.named("register_address"), ctx.client_ip))
    with transaction.atomic():
        flow = Flow.objects.select_for_update().get(pk=flow_id)
        if flow.state != State.REVIEW:
            return State(flow.state)
        data = flow.data
        query = query_from(data["identity"])
        _lock_identity(ssn_lookup(query.ssn))
        # Re-match under the lock: someone may have registered (or been added) meanwhile.
        decision = service.match(query)
        if decision.outcome != MatchOutcome.NONE:
            target = _route(flow, data, decision, query, ctx)
            move(flow, {"match": data["match"]}, target)
            return target
        ident, contact, security = data["identity"], data["contact"], data["security"]
        try:
            with transaction.atomic():
                person = do_create_person(
                    data=PersonData(
                        first_name=ident["first_name"],
                        middle_name=ident["middle_name"],
                        last_name=ident["last_name"],
                        former_last_name=ident["former_last_name"],
                        date_of_birth=query.date_of_birth,
                        ssn=query.ssn,
                        **contact,
                    ),
                    source="registration",
                    ctx=ctx,
                )
                profile = account_actions.do_create_profile(
                    person=person,
                    password_hash=security["password_hash"],
                    hint_question=security["hint_question"],
                    hint_answer_hash=security["hint_answer_hash"],
                    ctx=ctx,
                )
        except IntegrityError:
            # Lost a race on SQLite or without the lock: the SSN is on file now. Route as a match.
            decision = service.match(query)
            if decision.outcome == MatchOutcome.NONE:
                raise
            target = _route(flow, data, decision, query, ctx)
            move(flow, {"match": data["match"]}, target)
            return target
        # Keep only what the last page needs; the SSN and hashes leave the flow row.
        move(flow, {"match": {"outcome": "none", "profile_id": profile.pk}}, State.CREATED)
        return State.CREATED


@sensitive_variables()
def submit_setup(flow: Flow, cleaned: dict[str, Any], ctx: Ctx) -> State:
    """The pre-created Profile path: hint question and answer plus a password, and when
    `setup_code_required` the one-time code that was issued (counted before checking)."""
    profile_id = flow.data["match"]["profile_id"]
    # Asked again here: the Profile may have been given administrator access, or a code, since page 1.
    code_required = bool(flow.data["match"].get("code_required")) or setup_code_required(
        Profile.objects.get(pk=profile_id)
    )
    limits = (
        (throttle.named("code_profile"), f"setup:{profile_id}"),
        (throttle.named("code_address"), ctx.client_ip),
    )
    if code_required:
        mine, address = throttle.attempt_all(*limits)
        if not (mine.allowed and address.allowed):
            raise CodeRefused(locked=True, retry_after=throttle.retry_after(mine, address))
    security = hashed_security(cleaned)  # the slow hashes, before any lock is taken
    with transaction.atomic():
        flow = Flow.objects.select_for_update().get(pk=flow.pk)
        if flow.state != State.SETUP:
            return State(flow.state)
        profile = Profile.objects.get(pk=profile_id)
        if code_required and not account_actions.do_redeem_activation_code(
            profile=profile, purpose=CodePurpose.SETUP, typed=cleaned.get("code", ""), ctx=ctx
        ):
            refused = True  # leave the transaction normally: the failure's audit event stays
        else:
            refused = False
            account_actions.do_complete_setup(profile=profile, ctx=ctx, **security)
            move(flow, {"match": flow.data["match"]}, State.SETUP_DONE)
    if refused:
        raise CodeRefused
    if code_required:
        for limit, ident in limits:
            throttle.undo(limit, ident)
    return State.SETUP_DONE


def profile_of(flow: Flow) -> Profile | None:
    profile_id = flow.data.get("match", {}).get("profile_id")
    return Profile.objects.filter(pk=profile_id).select_related("person").first() if profile_id else None
