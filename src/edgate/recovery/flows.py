"""Password recovery through the hint question (the seed's flow), with compensating controls.

* An unknown User Name gets a stable decoy question and the same hashing work, so the
  page does not say whether the account exists.
* Wrong answers are counted per Profile (5 in 24 h pause self-service recovery) and per
  client address. The page warns before the last try; once paused it says for how long and
  whom to call, hides the answer box and judges no answer (an unknown User Name's decoy is
  counted and paused by the same rule, so the pause says nothing about whether it exists).
* A reset ends every session of the Profile and signs nobody in.
* Privileged Profiles (agency staff, superusers, anyone in an administrative group, Directory
  Administrators) never recover by hint question: for them the path behaves exactly like the
  decoy (same question page, same hashing, every answer wrong). Their hint would be the weakest
  door to the most powerful accounts; they recover with a one-time activation code that
  customer service issues (accounts.codes).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.utils import dateformat, timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.debug import sensitive_variables

from edgate.accounts import actions as account_actions
from edgate.accounts import hints
from edgate.accounts.models import CodePurpose, Profile, Status
from edgate.accounts.usernames import canonical
from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event, record_throttle_alert
from edgate.core import conf, crypto, throttle
from edgate.core.context import Ctx
from edgate.core.flow import Run, Stay, TransitionError

from .policy import is_privileged
from .states import State

WRONG_ANSWER = _lazy("That answer does not match. Check it and try again.")


def _with_phone(message: Promise) -> Promise:
    """The message in the language it is read in, with customer service's number
    (EDGATE_CUSTOMER_SERVICE_PHONE) filled in: a person told to call is told where."""
    return lazy(lambda: str(message) % {"phone": conf.get().customer_service_phone}, str)()


def wait_words(seconds: int) -> str:
    """A pause's length in words, in the page's language: minutes under an hour and a half,
    else whole hours ("about 23 hours")."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 90:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = round(minutes / 60)
    return ngettext("about %(n)d hour", "about %(n)d hours", hours) % {"n": hours}


def resume_words(seconds: int) -> str:
    """When a pause of `seconds` from now ends, on the agency's clock (TIME_ZONE), in the page's
    language: "you can try again after 11:48 PM" (or "tomorrow after 9:05 AM"). The minute is
    rounded up, so "after" holds."""
    at = timezone.localtime(timezone.now() + timedelta(seconds=seconds))
    if at.second or at.microsecond:
        at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    # A time of day as the page's language writes it (Django's date format characters).
    time = dateformat.time_format(at, pgettext("time of day, Django date format", "g:i A"))
    if at.date() == timezone.localdate():
        return gettext("you can try again after %(time)s") % {"time": time}
    return gettext("you can try again tomorrow after %(time)s") % {"time": time}


def _pause_words(seconds: int) -> dict[str, str]:
    return {
        "wait": wait_words(seconds),
        "resume": resume_words(seconds),
        "phone": conf.get().customer_service_phone,
    }


def paused_message(seconds: int) -> str:
    """Recovery is paused for whoever's flow this is (a real Profile or an unknown User Name's
    decoy alike): how long, until when on the agency's clock, and whom to call. Nothing about
    the answer just typed, if any: while paused, no answer is compared."""
    return gettext(
        "There have been too many attempts. For your security, password recovery is paused for "
        "this Profile for %(wait)s: %(resume)s. Call customer service at %(phone)s for help."
    ) % _pause_words(seconds)


def pausing_message(seconds: int) -> str:
    """The last answer allowed was wrong: said, and that recovery is paused from now. Shown by
    the page that answers it only (Stay.once): a reload shows the plain `paused_message`."""
    return gettext(
        "That answer does not match, and there have been too many attempts. For your security, "
        "password recovery is now paused for this Profile for %(wait)s: %(resume)s. Call customer "
        "service at %(phone)s for help."
    ) % _pause_words(seconds)


def last_try_message(seconds: int) -> str:
    """Before the last answer allowed: what a wrong one would cost."""
    return gettext(
        "You have one more try. If that answer does not match either, password recovery is paused "
        "for %(wait)s."
    ) % {"wait": wait_words(seconds)}


def answer_standing(data: dict[str, Any]) -> throttle.Standing:
    """Where this flow's Profile (or an unknown User Name's decoy: the same rule, the same
    words) stands against the per-Profile limit of hint answers, counting nothing."""
    return throttle.standing(throttle.named("hint_profile"), _throttle_key(data))


def recovery_paused_until(profile: Profile) -> datetime | None:
    """Until when wrong hint answers have paused this Profile's self-service recovery (the
    customer-service page says so beside its status), or None."""
    standing = throttle.standing(throttle.named("hint_profile"), _throttle_key({"profile_id": profile.pk}))
    return timezone.now() + timedelta(seconds=standing.wait) if standing.paused else None


ADDRESS_LOCKED = _with_phone(
    _lazy(
        "Too many password-recovery attempts have come from your network. Try again in an hour, "
        "or call customer service at %(phone)s."
    )
)
CODE_REFUSED = _with_phone(
    _lazy(
        "That code is not valid for that User Name, or it has expired or was already used. "
        "Check both and try again, or call customer service at %(phone)s for a new code."
    )
)
NO_LONGER_RECOVERABLE = _with_phone(
    _lazy(
        "The password of this Profile can no longer be changed here. Call customer service at "
        "%(phone)s for help."
    )
)


def recoverable(profile: Profile | None) -> bool:
    """Whether its owner may choose a new password by answering its hint question (a decoy
    question otherwise, every answer wrong). The consoles' "what to tell the person" after a case
    is decided says so only then (backoffice/case_next.py)."""
    return (
        profile is not None
        and profile.status == Status.ACTIVE
        and bool(profile.hint_answer_hash)
        and not is_privileged(profile)
    )


def _throttle_key(data: dict[str, Any]) -> str:
    return f"profile:{data['profile_id']}" if data.get("profile_id") else f"unknown:{data['decoy_key']}"


def data_for_profile(profile: Profile, ctx: Ctx) -> dict[str, Any]:
    """From the registration exact-match page: a recovery that starts at the hint question."""
    target = profile if recoverable(profile) else None
    record_event(EventType.RECOVERY_STARTED, ctx=ctx, target=target, detail={"via": "exact_match"})
    return _data_for(profile, profile.username)


def _data_for(profile: Profile | None, typed_username: str) -> dict[str, Any]:
    if recoverable(profile):
        assert profile is not None
        return {"profile_id": profile.pk, "question": profile.hint_question}
    return {
        "profile_id": None,
        # The canonical form, as for the lookup: spellings of one User Name (case, fullwidth
        # letters) must get one question, as they would for a real account.
        "question": hints.decoy_question(canonical(typed_username)),
        "decoy_key": crypto.lookup_hash("recovery-decoy", canonical(typed_username)),
    }


# In a recovery flow's data once a wrong answer was given in it (steps.page_context).
ANSWERED = "answered"


def submit_username(run: Run, cleaned: dict[str, Any] | None) -> State:
    assert cleaned is not None
    username = cleaned["username"]
    profile = Profile.objects.find_by_username(username)
    run.data = _data_for(profile, username)
    record_event(EventType.RECOVERY_STARTED, ctx=run.ctx, target=profile if recoverable(profile) else None)
    return State.ANSWER


@sensitive_variables()
def prepare_answer(run: Run, cleaned: dict[str, Any] | None) -> None:
    """The hint answer's attempt is counted, then the answer hashed, before the flow's row is
    locked and outside its transaction: the counter's row (database store) is written and
    committed at once, so of a burst of simultaneous answers every one is counted before any is
    compared, and at most the limit's number are ever compared with the real one."""
    assert cleaned is not None
    answer, data, ctx = cleaned["answer"], run.data, run.ctx
    profile = Profile.objects.filter(pk=data.get("profile_id")).first() if data.get("profile_id") else None
    per_profile, per_address = throttle.named("hint_profile"), throttle.named("hint_address")
    key = _throttle_key(data)
    mine, address = throttle.attempt_all((per_profile, key), (per_address, ctx.client_ip))
    if not (mine.allowed and address.allowed):
        hints.check_answer(answer, None)  # same work as a real check
        passed = False
    else:
        # Re-read: the Profile may have become privileged, locked or disabled since the question.
        passed = hints.check_answer(answer, profile.hint_answer_hash if recoverable(profile) else None)
    run.prepared = {"mine": mine, "address": address, "key": key, "passed": passed}


def submit_answer(run: Run, cleaned: dict[str, Any] | None) -> State | Stay:
    """The hint answer's outcome, inside the flow's transaction (a wrong answer's audit event
    is kept). Counting and hashing were done by `prepare_answer`."""
    data, ctx, prepared = run.data, run.ctx, run.prepared
    mine, address = prepared["mine"], prepared["address"]
    profile = Profile.objects.filter(pk=data.get("profile_id")).first() if data.get("profile_id") else None
    per_profile, per_address = throttle.named("hint_profile"), throttle.named("hint_address")
    if not (mine.allowed and address.allowed):
        record_event(EventType.RECOVERY_LOCKED, ctx=ctx, target=profile, outcome=Outcome.DENIED)
        if mine.tripped or address.tripped:
            tripped = mine if mine.tripped else address
            record_throttle_alert(ctx=ctx, limit=tripped.limit.name, attempts=tripped.number, target=profile)
        # The address's limit says nothing about the Profile and must not read as if it did.
        # Paused: the answer was not compared, and the page says nothing about it.
        if mine.allowed is False:
            return Stay(
                paused_message(mine.retry_after), retry_after=throttle.retry_after(mine, address), once=True
            )
        return Stay(ADDRESS_LOCKED, field="answer", retry_after=throttle.retry_after(mine, address))
    # Asked again under the lock: the answer was right for a Profile that must still be recoverable.
    if prepared["passed"] and recoverable(profile):
        assert profile is not None
        throttle.undo(per_profile, prepared["key"])
        throttle.undo(per_address, ctx.client_ip)
        run.data = data | {"passed": True}
        record_event(EventType.RECOVERY_HINT_PASSED, ctx=ctx, target=profile)
        return State.PASSWORD
    record_event(EventType.RECOVERY_HINT_FAILED, ctx=ctx, target=profile, outcome=Outcome.FAILURE)
    # This flow has answered: only its own page warns of the last try (steps.page_context), so a
    # browser that has just typed the User Name is not told of wrong answers given elsewhere.
    run.data = data | {ANSWERED: True}
    if not mine.allowed or mine.number >= per_profile.limit:
        record_event(EventType.RECOVERY_LOCKED, ctx=ctx, target=profile, outcome=Outcome.DENIED)
        return Stay(pausing_message(mine.retry_after), retry_after=mine.retry_after, once=True)
    return Stay(WRONG_ANSWER, field="answer")


@sensitive_variables()
def submit_code(run: Run, cleaned: dict[str, Any] | None) -> State | Stay:
    """A one-time code from customer service instead of the hint question. Counted before it is
    checked, per address (refused beyond it); a right code is used up at once.

    Never refused per User Name: a code is 130 bits, so a per-User-Name limit protects nothing,
    while it let anyone who knew a User Name keep its owner from recovering, even with a fresh
    code customer service issued (5 wrong codes a day). Wrong codes for a Profile that exists are
    still counted (`code_profile`, under a key of this purpose's own: `recovery:<id>`), to raise
    an alert for customer service once they pass its limit. Not per typed text: a made-up User
    Name raised alerts without end, and the text "setup:<id>" counted on the set-up page's own
    key for that Profile and blocked its owner's set-up code (registration.flows)."""
    assert cleaned is not None
    ctx = run.ctx
    key = canonical(cleaned["username"])
    per_name, per_address = throttle.named("code_profile"), throttle.named("code_address")
    address = throttle.attempt(per_address, ctx.client_ip)
    profile = Profile.objects.find_by_username(key)
    if not address.allowed:
        record_event(EventType.RECOVERY_LOCKED, ctx=ctx, target=profile, outcome=Outcome.DENIED)
        return Stay(ADDRESS_LOCKED, field="code", retry_after=address.retry_after)
    counted = f"recovery:{profile.pk}" if profile is not None else ""
    if counted:
        tried = throttle.attempt(per_name, counted)
        if tried.tripped:
            record_throttle_alert(ctx=ctx, limit=per_name.name, attempts=tried.number, target=profile)
    usable = profile if profile is not None and profile.status == Status.ACTIVE else None
    redeemed = account_actions.do_redeem_activation_code(
        profile=usable, purpose=CodePurpose.RECOVERY, typed=cleaned["code"], ctx=ctx
    )
    if redeemed is None:
        return Stay(CODE_REFUSED, field="code")
    assert profile is not None
    throttle.undo(per_name, counted)
    throttle.undo(per_address, ctx.client_ip)
    run.data = {"profile_id": profile.pk, "passed": True, "via": "code"}
    return State.PASSWORD


@sensitive_variables()
def submit_password(run: Run, cleaned: dict[str, Any] | None) -> State | Stay:
    assert cleaned is not None
    if not run.data.get("passed"):  # the graph reaches this page only through a passed step
        raise TransitionError("recovery: a new password without a passed answer or code")
    profile = Profile.objects.get(pk=run.data["profile_id"])
    # Checked again: customer service may have disabled the Profile, or it may have been given
    # administrator access, since the hint was answered (the code path: still active).
    usable = profile.status == Status.ACTIVE if run.data.get("via") == "code" else recoverable(profile)
    if not usable:
        record_event(EventType.RECOVERY_LOCKED, ctx=run.ctx, target=profile, outcome=Outcome.DENIED)
        return Stay(NO_LONGER_RECOVERABLE)
    account_actions.do_change_password(
        profile=profile, new_password=cleaned["new_password"], ctx=run.ctx, via_recovery=True
    )
    run.data = {}
    return State.DONE


def profile_for(data: dict[str, Any]) -> Profile | None:
    profile_id = data.get("profile_id")
    return Profile.objects.filter(pk=profile_id).select_related("person").first() if profile_id else None
