"""What each wizard step does when submitted: the handlers that steps.py declares and the flow
engine (core.flow) runs — `prepare_*` before the flow's row is locked, `submit_*` inside its
transaction, editing `run.data` and returning the next state, which the engine checks against
the graph and saves. These call actions.

Flow data sections (encrypted in the flow row, whitelisted here):
  identity  — page 1 as typed (names, date of birth, SSN digits, state ID)
  contact   — page 2
  security  — page 3, already hashed: password hash, hint question, hint answer hash
  match     — outcome, person id, profile id, case reference
  typed_ssn — a set-up held behind a one-time code (rules-4/5 E9): the SSN page 1 typed, added to
              the record once the code is redeemed (`people.actions.do_add_ssn`)
  checked   — the check page was offered (once per flow: a later partial opens the case)
  _page     — the engine's: a refused submission's errors and non-sensitive values
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.debug import sensitive_variables

from edgate.accounts import actions as account_actions
from edgate.accounts import hints
from edgate.accounts.models import ActivationCode, CodePurpose, Profile, Status
from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event, record_throttle_alert
from edgate.core import throttle
from edgate.core.context import Ctx
from edgate.core.flow import Refused, Run, Stay
from edgate.identity.engine import Decision
from edgate.identity.engine import Outcome as MatchOutcome
from edgate.identity.records import Identity
from edgate.matching import near_matches, service
from edgate.people.actions import PersonData, do_add_ssn, do_create_person
from edgate.people.models import Person, ssn_lookup
from edgate.recovery.policy import is_privileged

from . import cases
from .states import State

IDENTITY_FIELDS = ("first_name", "middle_name", "last_name", "former_last_name", "ssn", "state_id")
CONTACT_FIELDS = ("street", "city", "state", "postcode", "email", "phone")


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


def resume(data: dict[str, Any]) -> State:
    """Where the no-match path goes on: the first page after page 1 with nothing kept, or the
    review page when every page is. Going back to change one page keeps the others."""
    if "contact" not in data:
        return State.CONTACT
    if "security" not in data:
        return State.SECURITY
    return State.REVIEW


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


THROTTLED = _lazy(
    "We cannot check your information right now because of too many attempts. "
    "Try again in an hour, or call customer service."
)
CODE_REFUSED = _lazy(
    "That code is not valid for this Profile, or it has expired or was already used. "
    "Check it and try again, or ask whoever gave you the code (your Directory Administrator or "
    "customer service) for a new one."
)
CODE_LOCKED = _lazy(
    "There have been too many attempts. For your security, codes are not accepted for a while. "
    "Call customer service for help."
)


@sensitive_variables()
def _route(data: dict[str, Any], decision: Decision, query: Identity, ctx: Ctx) -> State:
    """Turn a match decision into the next state, doing the outcome's writes."""
    if decision.outcome == MatchOutcome.NONE:
        return resume(data)
    person = Person.objects.get(pk=decision.candidate_id)
    if decision.outcome == MatchOutcome.PARTIAL:
        case = service.do_open_case(
            person=person, query=query, decision=decision, source="registration", ctx=ctx
        )
        # Whom to call is decided by this submission's own levels (registration/cases.py).
        shown = cases.identity_shown(decision.explanation())
        # The reference given is this submission's own (another registrant's open case about
        # the record is not named to this one: matching/service.py do_open_case).
        data["match"] = {"outcome": "partial", "case": case.given, "identity_shown": shown}
        return State.PARTIAL
    profile = Profile.objects.filter(person=person).first()
    if profile is None:  # on file (e.g. licensed before) but never given a Profile
        profile = account_actions.do_precreate_profile(person=person, ctx=ctx)
    data["match"] = {"outcome": "exact", "profile_id": profile.pk}
    handed = handover(decision, profile)
    if handed.weak:
        data["match"]["weak"] = True
    if handed.setup:
        data["match"]["code_required"] = handed.code_required
        return State.SETUP
    if not handed.weak:
        record_event(EventType.USERNAME_REMINDED, ctx=ctx, target=profile)
    return State.EXACT


@dataclass(frozen=True)
class Handover:
    """What Create a Profile does with an exact match (`_route`). The consoles' "what to tell the
    person" after a case is decided reads the same (backoffice/case_next.py)."""

    # The set-up page (a Profile awaiting setup, or none yet: one is pre-created); otherwise the
    # exact match's page, which names an active (or locked, or disabled) Profile.
    setup: bool
    # Exact on names and a birth date only (rules-4 E9): what a colleague or a relative may know.
    # The Profile is handed over to the holder of a one-time set-up code from outside the wizard,
    # never to page 1; an active Profile's User Name is not shown (docs/matching.md §3.1 E9).
    weak: bool
    # The set-up page asks for a one-time set-up code.
    code_required: bool


def handover(decision: Decision, profile: Profile | None) -> Handover:
    """`profile`: the matched record's, None when it has none yet (`_route` pre-creates one)."""
    setup = profile is None or profile.status == Status.AWAITING_SETUP
    weak = decision.needs_code
    code = setup and (weak or (profile is not None and setup_code_required(profile)))
    return Handover(setup=setup, weak=weak, code_required=code)


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
    raise Refused(THROTTLED, retry_after=throttle.retry_after(*refused))


# --- page 1 and the check page ---


@sensitive_variables()
def _typed(cleaned: dict[str, Any]) -> dict[str, str]:
    typed = {k: cleaned.get(k) or "" for k in IDENTITY_FIELDS}
    typed["date_of_birth"] = cleaned["date_of_birth"].isoformat()
    return typed


@sensitive_variables()
def _unchanged(run: Run, typed: dict[str, str]) -> bool:
    """Page 1 submitted again, from further on, exactly as it was: nothing to match again."""
    return run.state in (State.CONTACT, State.SECURITY, State.REVIEW) and run.data.get("identity") == typed


@sensitive_variables()
def prepare_identity(run: Run, cleaned: dict[str, Any] | None) -> None:
    """Counted before the match (and before the flow's lock): per SSN, per address, per flow."""
    typed = _typed(cleaned) if cleaned is not None else dict(run.data["identity"])
    run.prepared = typed
    if cleaned is not None and _unchanged(run, typed):
        return
    _count_or_refuse(
        run.ctx,
        (throttle.named("match_identity"), ssn_lookup(typed["ssn"])),
        (throttle.named("match_address"), run.ctx.client_ip),
        (throttle.named("match_flow"), run.flow_id),
    )


@sensitive_variables()
def submit_identity(run: Run, cleaned: dict[str, Any] | None) -> State:
    """Page 1 submitted (first time, or again from a later page)."""
    return _match_identity(run, run.prepared, at=State.IDENTITY)


@sensitive_variables()
def submit_check(run: Run, cleaned: dict[str, Any] | None) -> State:
    """The check page submitted: page 1's answers as the registrant corrected them, or — its
    "Continue without changes" button, `cleaned` None — as they were, matched again (and
    counted like any other attempt), so a still-partial match opens the case."""
    return _match_identity(run, run.prepared, at=State.CHECK)


@sensitive_variables()
def _match_identity(run: Run, typed: dict[str, str], *, at: State) -> State:
    data = run.data
    if at == State.IDENTITY and _unchanged(run, typed):
        return resume(data)
    data["identity"] = typed
    query = query_from(typed)
    decision = service.match(query, setup_code_gate=True)
    first_near = False
    if decision.outcome == MatchOutcome.PARTIAL and near_matches.may_be_a_slip(decision):
        assert decision.candidate_id is not None  # a partial match is near one record
        first_near = near_matches.is_first(query.ssn, decision.candidate_id)
    check = first_near and not data.get("checked")
    detail = {"outcome": decision.outcome.value, "source": "registration", "rule": decision.rule}
    if check:
        detail["check_page"] = "offered"
    # The record matched is the event's target (its Profile's page in the customer-service
    # console lists it), the client's address its own: whose check page was spent, and from where.
    # (A `none` decision may name the nearest candidate: no record was matched.)
    matched = Person(pk=decision.candidate_id) if decision.outcome != MatchOutcome.NONE else None
    record_event(EventType.MATCH_OUTCOME, ctx=run.ctx, target=matched, detail=detail)
    if check:
        # Near a record, with an SSN that may be a slip (not one made up: matching.near_matches),
        # for the first time for this SSN and for this record in any flow (restarting the
        # wizard, or the same answers with another SSN a keystroke off, buys no second check)
        # and in this one: before a case is opened, the registrant checks their own answers
        # (docs/matching.md §8).
        data["checked"] = True
        return State.CHECK
    # Still no match: pages 2-4, if already filled in, are kept (the hashes of page 3 too).
    target = _route(data, decision, query, run.ctx)
    if decision.outcome != MatchOutcome.NONE:
        run.data = _kept(data, target, query)  # an outcome page needs nothing of what was typed
    return target


@sensitive_variables()
def _kept(data: dict[str, Any], target: State, query: Identity) -> dict[str, Any]:
    """What the flow keeps past an outcome: the match; and for a pre-created Profile's set-up held
    behind a one-time code (E9: the record has no SSN), the SSN typed, which the set-up adds to
    the record once the code is redeemed — or the record would stay without one, and its owner
    would meet E9 (and need a code) again."""
    kept: dict[str, Any] = {"match": data["match"]}
    if target == State.SETUP and data["match"].get("weak"):
        kept["typed_ssn"] = query.ssn
    return kept


# --- pages 2 and 3 ---


def submit_contact(run: Run, cleaned: dict[str, Any] | None) -> State:
    assert cleaned is not None
    run.data["contact"] = {k: cleaned.get(k) or "" for k in CONTACT_FIELDS}
    return resume(run.data)


@sensitive_variables()
def hashed_security(cleaned: dict[str, Any]) -> dict[str, str]:
    """Only hashes are kept in the flow: the plain password never leaves the request."""
    return {
        "password_hash": account_actions.hash_password(cleaned["new_password"]),
        "hint_question": cleaned["hint_question"],
        "hint_answer_hash": hints.hash_answer(cleaned["hint_answer"]),
    }


@sensitive_variables()
def prepare_security(run: Run, cleaned: dict[str, Any] | None) -> None:
    """The slow hashes, before the flow's lock is taken."""
    assert cleaned is not None
    run.prepared = hashed_security(cleaned)


def submit_security(run: Run, cleaned: dict[str, Any] | None) -> State:
    run.data["security"] = run.prepared
    return State.REVIEW


# --- page 4 ---


def _lock_identity(ssn_hash: str) -> None:
    """Serialize completions for one SSN across nodes (PostgreSQL); SQLite serializes writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [0x6567, zlib.crc32(ssn_hash.encode()) - 2**31],
            )


def prepare_review(run: Run, cleaned: dict[str, Any] | None) -> None:
    if run.state == State.REVIEW:  # a double submit finds the flow completed: not counted
        _count_or_refuse(run.ctx, (throttle.named("register_address"), run.ctx.client_ip))


@sensitive_variables()
def complete_registration(run: Run, cleaned: dict[str, Any] | None) -> State:
    """Page 4 confirmed, inside the flow's transaction (the engine has checked the flow is at
    the review page, so a double submit finds it completed and does nothing)."""
    data, ctx = run.data, run.ctx
    query = query_from(data["identity"])
    _lock_identity(ssn_lookup(query.ssn))
    # Re-match under the lock: someone may have registered (or been added) meanwhile.
    decision = service.match(query, setup_code_gate=True)
    if decision.outcome != MatchOutcome.NONE:
        return _outcome(run, decision, query)
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
        decision = service.match(query, setup_code_gate=True)
        if decision.outcome == MatchOutcome.NONE:
            raise
        return _outcome(run, decision, query)
    # Keep only what the last page needs; the SSN and hashes leave the flow row.
    run.data = {"match": {"outcome": "none", "profile_id": profile.pk}}
    return State.CREATED


@sensitive_variables()
def _outcome(run: Run, decision: Decision, query: Identity) -> State:
    target = _route(run.data, decision, query, run.ctx)
    run.data = _kept(run.data, target, query)
    return target


# --- the pre-created Profile ---


@sensitive_variables()
def prepare_setup(run: Run, cleaned: dict[str, Any] | None) -> None:
    """When `setup_code_required`, the attempt is counted before the code is examined; then the
    slow hashes, before the flow's lock is taken."""
    assert cleaned is not None
    profile_id = run.data["match"]["profile_id"]
    # Asked again here: the Profile may have been given administrator access, or a code, since page 1.
    code_required = bool(run.data["match"].get("code_required")) or setup_code_required(
        Profile.objects.get(pk=profile_id)
    )
    limits = (
        (throttle.named("code_profile"), f"setup:{profile_id}"),
        (throttle.named("code_address"), run.ctx.client_ip),
    )
    if code_required:
        mine, address = throttle.attempt_all(*limits)
        if not (mine.allowed and address.allowed):
            field = "code" if "code" in cleaned else None  # None: access granted since page 1
            raise Refused(CODE_LOCKED, field=field, retry_after=throttle.retry_after(mine, address))
    run.prepared = {"code_required": code_required, "limits": limits, "security": hashed_security(cleaned)}


@sensitive_variables()
def submit_setup(run: Run, cleaned: dict[str, Any] | None) -> State | Stay:
    """The pre-created Profile path: hint question and answer plus a password, and the
    one-time code that was issued when one is required."""
    assert cleaned is not None
    prepared = run.prepared
    profile = Profile.objects.get(pk=run.data["match"]["profile_id"])
    if prepared["code_required"] and not account_actions.do_redeem_activation_code(
        profile=profile, purpose=CodePurpose.SETUP, typed=cleaned.get("code", ""), ctx=run.ctx
    ):
        # Stay, not an exception: the transaction ends normally, so the failure's audit event stays.
        return Stay(CODE_REFUSED, field="code" if "code" in cleaned else None)
    account_actions.do_complete_setup(profile=profile, ctx=run.ctx, **prepared["security"])
    typed_ssn = run.data.get("typed_ssn")
    if prepared["code_required"] and typed_ssn and profile.person_id is not None:
        # The code proved the person (E9): the SSN they typed joins their record, so next time it
        # is an ordinary exact — if they typed it the same twice (the code proves the person, not
        # the digits). Held by another record meanwhile: not added, the event says so.
        do_add_ssn(
            person=profile.person,
            ssn=typed_ssn,
            typed_again=cleaned.get("ssn_again", ""),
            source="registration",
            ctx=run.ctx,
        )
    if prepared["code_required"]:
        for limit, ident in prepared["limits"]:
            throttle.undo(limit, ident)
    run.data = {"match": run.data["match"]}
    return State.SETUP_DONE


def ssn_to_add(data: dict[str, Any], profile: Profile) -> bool:
    """Does the set-up page ask for the SSN again: one was typed on page 1 (kept for an E9
    set-up) and the record has none to keep (people.actions.do_add_ssn)."""
    return bool(data.get("typed_ssn")) and profile.person is not None and not profile.person.ssn_hash


def profile_of(data: dict[str, Any]) -> Profile | None:
    profile_id = data.get("match", {}).get("profile_id")
    return Profile.objects.filter(pk=profile_id).select_related("person").first() if profile_id else None
