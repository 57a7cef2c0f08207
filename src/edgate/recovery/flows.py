"""Password recovery through the hint question (the seed's flow), with compensating controls.

* An unknown User Name gets a stable decoy question and the same hashing work, so the
  page does not say whether the account exists.
* Wrong answers are counted per Profile (5 in 24 h locks self-service recovery) and per
  client address; a locked Profile reads the same as a wrong answer plus a pointer to
  customer service.
* A reset ends every session of the Profile and signs nobody in.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from edgate.accounts import actions as account_actions
from edgate.accounts import hints
from edgate.accounts.models import Profile, Status
from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event
from edgate.core import crypto, flowstate, throttle
from edgate.core.context import Ctx
from edgate.core.models import Flow

from .steps import KIND, NEXT, State


class Locked(Exception):
    pass


def _move(flow: Flow, data: dict[str, Any], target: State) -> None:
    if target not in NEXT[State(flow.state)]:
        raise ValueError(f"{flow.state} cannot lead to {target}")
    flow.state = target
    flow.data = data
    flow.save()


def _recoverable(profile: Profile | None) -> bool:
    return profile is not None and profile.status == Status.ACTIVE and bool(profile.hint_answer_hash)


def _throttle_key(data: dict[str, Any]) -> str:
    return f"profile:{data['profile_id']}" if data.get("profile_id") else f"unknown:{data['decoy_key']}"


def start_for_profile(request: HttpRequest, profile: Profile, ctx: Ctx) -> Flow:
    """From the registration exact-match page: straight to the hint question."""
    flow = flowstate.start(request, kind=KIND, state=State.ANSWER, data=_data_for(profile, profile.username))
    record_event(EventType.RECOVERY_STARTED, ctx=ctx, target=profile, detail={"via": "exact_match"})
    return flow


def _data_for(profile: Profile | None, typed_username: str) -> dict[str, Any]:
    if _recoverable(profile):
        assert profile is not None
        return {"profile_id": profile.pk, "question": profile.hint_question}
    return {
        "profile_id": None,
        "question": hints.decoy_question(typed_username),
        "decoy_key": crypto.lookup_hash("recovery-decoy", typed_username.casefold()),
    }


def submit_username(flow: Flow, username: str, ctx: Ctx) -> State:
    profile = Profile.objects.filter(username__iexact=username.strip()).first()
    _move(flow, _data_for(profile, username.strip()), State.ANSWER)
    record_event(EventType.RECOVERY_STARTED, ctx=ctx, target=profile if _recoverable(profile) else None)
    return State.ANSWER


def is_locked(flow: Flow, ctx: Ctx) -> bool:
    return throttle.exceeded(throttle.named("hint_profile"), _throttle_key(flow.data)) or throttle.exceeded(
        throttle.named("hint_address"), ctx.client_ip
    )


@sensitive_variables()
def submit_answer(flow: Flow, answer: str, ctx: Ctx) -> bool:
    """True when the answer is right. Raises Locked when attempts are exhausted."""
    data = flow.data
    profile = Profile.objects.filter(pk=data.get("profile_id")).first() if data.get("profile_id") else None
    per_profile, per_address = throttle.named("hint_profile"), throttle.named("hint_address")
    if is_locked(flow, ctx):
        hints.check_answer(answer, None)  # same work as a real check
        record_event(EventType.RECOVERY_LOCKED, ctx=ctx, target=profile, outcome=Outcome.DENIED)
        raise Locked
    if hints.check_answer(answer, profile.hint_answer_hash if _recoverable(profile) else None):
        assert profile is not None
        _move(flow, data | {"passed": True}, State.PASSWORD)
        record_event(EventType.RECOVERY_HINT_PASSED, ctx=ctx, target=profile)
        return True
    throttle.hit(per_profile, _throttle_key(data))
    throttle.hit(per_address, ctx.client_ip)
    record_event(EventType.RECOVERY_HINT_FAILED, ctx=ctx, target=profile, outcome=Outcome.FAILURE)
    if is_locked(flow, ctx):
        record_event(EventType.RECOVERY_LOCKED, ctx=ctx, target=profile, outcome=Outcome.DENIED)
        raise Locked
    return False


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
