"""Password recovery through the hint question (the seed's flow), with compensating controls.

* An unknown User Name gets a stable decoy question and the same hashing work, so the
  page does not say whether the account exists.
* Wrong answers are counted per Profile (5 in 24 h locks self-service recovery) and per
  client address; a locked Profile reads the same as a wrong answer plus a pointer to
  customer service.
* A reset ends every session of the Profile and signs nobody in.
* Privileged Profiles (agency staff, superusers, anyone in an administrative group, Directory
  Administrators) never recover by hint question: for them the path behaves exactly like the
  decoy (same question page, same hashing, every answer wrong). Their hint would be the weakest
  door to the most powerful accounts; they recover with a one-time activation code that
  customer service issues (accounts.codes).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from edgate.accounts import actions as account_actions
from edgate.accounts import hints
from edgate.accounts.models import CodePurpose, Profile, Status
from edgate.accounts.usernames import canonical
from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event, record_throttle_alert
from edgate.core import crypto, flowstate, throttle
from edgate.core.context import Ctx
from edgate.core.models import Flow

from .policy import is_privileged
from .steps import KIND, NEXT, State


class Locked(Exception):
    """Attempts exhausted: for this Profile (or User Name), or — `from_address` — from the
    client's address, which says nothing about the Profile and must not read as if it did."""

    def __init__(self, *, from_address: bool = False, retry_after: int = 0) -> None:
        super().__init__("recovery attempts exhausted")
        self.from_address = from_address
        self.retry_after = retry_after  # seconds until an attempt would be examined again


def _move(flow: Flow, data: dict[str, Any], target: State) -> None:
    if target not in NEXT[State(flow.state)]:
        raise ValueError(f"{flow.state} cannot lead to {target}")
    flow.state = target
    flow.data = data
    flow.save()


def _recoverable(profile: Profile | None) -> bool:
    return (
        profile is not None
        and profile.status == Status.ACTIVE
        and bool(profile.hint_answer_hash)
        and not is_privileged(profile)
    )


def _throttle_key(data: dict[str, Any]) -> str:
    return f"profile:{data['profile_id']}" if data.get("profile_id") else f"unknown:{data['decoy_key']}"


def start_for_profile(request: HttpRequest, profile: Profile, ctx: Ctx) -> Flow:
    """From the registration exact-match page: straight to the hint question."""
    flow = flowstate.start(request, kind=KIND, state=State.ANSWER, data=_data_for(profile, profile.username))
    target = profile if _recoverable(profile) else None
    record_event(EventType.RECOVERY_STARTED, ctx=ctx, target=target, detail={"via": "exact_match"})
    return flow


def _data_for(profile: Profile | None, typed_username: str) -> dict[str, Any]:
    if _recoverable(profile):
        assert profile is not None
        return {"profile_id": profile.pk, "question": profile.hint_question}
    return {
        "profile_id": None,
        # The canonical form, as for the lookup: spellings of one User Name (case, fullwidth
        # letters) must get one question, as they would for a real account.
        "question": hints.decoy_question(canonical(typed_username)),
        "decoy_key": crypto.lookup_hash("recovery-decoy", canonical(typed_username)),
    }


def submit_username(flow: Flow, username: str, ctx: Ctx) -> State:
    profile = Profile.objects.find_by_username(username)
    _move(flow, _data_for(profile, username), State.ANSWER)
    record_event(EventType.RECOVERY_STARTED, ctx=ctx, target=profile if _recoverable(profile) else None)
    return State.ANSWER


@sensitive_variables()
def submit_answer(flow: Flow, answer: str, ctx: Ctx) -> bool:
    """True when the answer is right. Raises Locked when attempts are exhausted.

    The attempt is counted before the answer is hashed: of a burst of simultaneous answers,
    at most the limit's number are ever compared with the real one."""
    data = flow.data
    profile = Profile.objects.filter(pk=data.get("profile_id")).first() if data.get("profile_id") else None
    per_profile, per_address = throttle.named("hint_profile"), throttle.named("hint_address")
    key = _throttle_key(data)
    mine, address = throttle.attempt_all((per_profile, key), (per_address, ctx.client_ip))
    if not (mine.allowed and address.allowed):
        hints.check_answer(answer, None)  # same work as a real check
        record_event(EventType.RECOVERY_LOCKED, ctx=ctx, target=profile, outcome=Outcome.DENIED)
        if mine.tripped or address.tripped:
            tripped = mine if mine.tripped else address
            record_throttle_alert(ctx=ctx, limit=tripped.limit.name, attempts=tripped.number, target=profile)
        raise Locked(from_address=mine.allowed, retry_after=throttle.retry_after(mine, address))
    # Re-read: the Profile may have become privileged, locked or disabled since the question.
    if hints.check_answer(answer, profile.hint_answer_hash if _recoverable(profile) else None):
        assert profile is not None
        throttle.undo(per_profile, key)
        throttle.undo(per_address, ctx.client_ip)
        _move(flow, data | {"passed": True}, State.PASSWORD)
        record_event(EventType.RECOVERY_HINT_PASSED, ctx=ctx, target=profile)
        return True
    record_event(EventType.RECOVERY_HINT_FAILED, ctx=ctx, target=profile, outcome=Outcome.FAILURE)
    if not mine.allowed or mine.number >= per_profile.limit:
        record_event(EventType.RECOVERY_LOCKED, ctx=ctx, target=profile, outcome=Outcome.DENIED)
        raise Locked(retry_after=mine.retry_after)
    return False


@sensitive_variables()
def submit_code(flow: Flow, username: str, code: str, ctx: Ctx) -> bool:
    """A one-time code from customer service instead of the hint question. Counted before it is
    checked, per User Name and per address; a right code is used up at once."""
    key = canonical(username)
    per_profile, per_address = throttle.named("code_profile"), throttle.named("code_address")
    mine, address = throttle.attempt_all((per_profile, key), (per_address, ctx.client_ip))
    profile = Profile.objects.find_by_username(key)
    if not (mine.allowed and address.allowed):
        record_event(EventType.RECOVERY_LOCKED, ctx=ctx, target=profile, outcome=Outcome.DENIED)
        raise Locked(from_address=mine.allowed, retry_after=throttle.retry_after(mine, address))
    usable = profile if profile is not None and profile.status == Status.ACTIVE else None
    redeemed = account_actions.do_redeem_activation_code(
        profile=usable, purpose=CodePurpose.RECOVERY, typed=code, ctx=ctx
    )
    if redeemed is None:
        return False
    assert profile is not None
    throttle.undo(per_profile, key)
    throttle.undo(per_address, ctx.client_ip)
    _move(flow, {"profile_id": profile.pk, "passed": True, "via": "code"}, State.PASSWORD)
    return True


@sensitive_variables()
def submit_password(flow: Flow, password: str, ctx: Ctx) -> State:
    with transaction.atomic():
        flow = Flow.objects.select_for_update().get(pk=flow.pk)
        if flow.state != State.PASSWORD or not flow.data.get("passed"):
            return State(flow.state)
        profile = Profile.objects.get(pk=flow.data["profile_id"])
        account_actions.do_change_password(profile=profile, new_password=password, ctx=ctx, via_recovery=True)
        _move(flow, {}, State.DONE)
    return State.DONE


def profile_for(flow: Flow) -> Profile | None:
    profile_id = flow.data.get("profile_id")
    return Profile.objects.filter(pk=profile_id).select_related("person").first() if profile_id else None
