"""Whether the person on a match case's record has their Profile by now: a case left open
after the registrant it blocked got a Profile another way, which would otherwise look like
live work in the queue for ever.

Such a case is never closed on its own. Whoever typed what opened it may not be the record's
person (a prober who typed someone's SSN with other names leaves the same case), and closing it
unseen would hide the attempt. The consoles mark it instead (the queue and the case page) and
the case page offers a one-click close (`actions.do_close_case_has_profile`), a person's
decision with an audit event of its own.

**The person on a case's record has their Profile** (`profile_now`) when all of these hold:

* the case still waits for a decision (open or escalated);
* its record (`MatchCase.person` as it is now: a merge moves a duplicate's cases to the
  survivor) has a Profile whose status is active (locked, disabled or awaiting set-up is not a
  Profile its person can use);
* and after the case's **last attempt** (`ProfileNow.since`: when it was opened, or when a later
  conflicting submission was last counted on it, `MatchCase.last_attempt_at`), something tied
  that Profile to its person (`Evidence`):
  - **set up**: the Profile was set up (`Profile.activated_at`): its person finished it on
    Create a Profile's exact path, or with a set-up code from customer service or a Directory
    Administrator;
  - **merged**: customer service merged the record the case was on into this one (a
    `PersonMerge` not undone, with this record as its survivor, that moved this case: its
    snapshot lists it): who the person is was sorted out, and this is their Profile. A merge
    of some other record into the case's record says nothing about who typed what opened the
    case, and does not count;
  - **reminded**: Create a Profile matched the record exactly and showed the Profile's User
    Name (`registration.username_reminded`): whoever typed the record's data right, the blocked
    registrant coming back as a rule, was told it.

Counting from the last attempt, not from the opening: a later submission joins the open case
rather than opening one of its own, and an attempt made after the Profile was set up is live
work (had the case been closed already, it would have opened a new, unmarked case).

A reminder alone does not make the case closable in one click (`ProfileNow.closable`): with no
set up since the last attempt, the Profile was already active then, and the reminder is what its
owner typing their own record looks like, whoever made the attempt. The case page says that its
person was reminded; the person deciding uses the resolve form.

A Profile that was already active at the last attempt, with none of these since, is not enough:
that is what an attempt on the record of someone who has a Profile looks like. Signing in is not
counted either: the owner signs in whether or not they were the registrant.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from edgate.accounts.models import Profile, Status
from edgate.audit.models import AuditEvent, EventType
from edgate.matching.models import PENDING, MatchCase

from .models import PersonMerge


class Evidence(StrEnum):
    SET_UP = "set_up"
    REMINDED = "reminded"
    MERGED = "merged"


@dataclass(frozen=True)
class ProfileNow:
    """The record's active Profile, and what tied it to its person after the case's last attempt.
    `username` is for whoever may already see that Profile (`scope.profiles`): the caller
    decides."""

    profile_id: int
    username: str
    active_since: datetime | None  # Profile.activated_at
    since: datetime  # the case's last attempt: evidence counts after it (`last_attempt`)
    # Each kind of evidence that holds, with its first moment after `since`, in order.
    evidence: tuple[tuple[Evidence, datetime], ...]

    @property
    def kinds(self) -> list[str]:
        return [kind.value for kind, _at in self.evidence]

    @property
    def closable(self) -> bool:
        """Whether the case may be closed in one click: some evidence besides a reminder (with
        a reminder alone, the Profile was active before the last attempt: the module's notes)."""
        return any(kind != Evidence.REMINDED for kind, _at in self.evidence)


def last_attempt(case: MatchCase) -> datetime:
    """When the case was opened, or a later conflicting submission was last counted on it."""
    return max(case.created_at, case.last_attempt_at or case.created_at)


def _moved(cases: object, case_id: int) -> bool:
    """Whether a merge's snapshot ("cases": [{"id", "person_id": [old, new]}]) moved the case."""
    rows = cases if isinstance(cases, list) else []
    return any(isinstance(row, dict) and row.get("id") == case_id for row in rows)


def profiles_now(cases: Iterable[MatchCase]) -> dict[int, ProfileNow]:
    """Of these cases, those whose record's person has their Profile (the module's definition),
    by case id. Three queries, whatever the number of cases (a page of the queue)."""
    pending = [case for case in cases if case.status in PENDING]
    if not pending:
        return {}
    profiles = {
        profile.person_id: profile
        for profile in Profile.objects.filter(
            person_id__in={case.person_id for case in pending}, status=Status.ACTIVE
        ).only("pk", "username", "person_id", "activated_at")
    }
    pending = [case for case in pending if case.person_id in profiles]
    if not pending:
        return {}
    earliest = min(last_attempt(case) for case in pending)
    reminded: dict[int, list[datetime]] = defaultdict(list)
    for target_id, at in AuditEvent.objects.filter(
        event_type=EventType.USERNAME_REMINDED,
        target_type=Profile._meta.label_lower,
        target_id__in=[str(profiles[case.person_id].pk) for case in pending],
        at__gt=earliest,
    ).values_list("target_id", "at"):
        reminded[int(target_id)].append(at)
    merges: dict[int, list[tuple[datetime, object]]] = defaultdict(list)
    for survivor_id, at, moved in PersonMerge.objects.filter(
        survivor_id__in=[case.person_id for case in pending], undone_at__isnull=True, merged_at__gt=earliest
    ).values_list("survivor_id", "merged_at", "snapshot__cases"):
        merges[survivor_id].append((at, moved))
    found = {}
    for case in pending:
        profile = profiles[case.person_id]
        since = last_attempt(case)
        moments = {
            Evidence.SET_UP: [profile.activated_at] if profile.activated_at else [],
            Evidence.REMINDED: reminded[profile.pk],
            Evidence.MERGED: [at for at, moved in merges[case.person_id] if _moved(moved, case.pk)],
        }
        evidence = sorted(
            ((kind, min(after)) for kind, at in moments.items() if (after := [t for t in at if t > since])),
            key=lambda item: item[1],
        )
        if evidence:
            found[case.pk] = ProfileNow(
                profile.pk, profile.username, profile.activated_at, since, tuple(evidence)
            )
    return found


def profile_now(case: MatchCase) -> ProfileNow | None:
    """Whether the person on this case's record has their Profile (the module's definition)."""
    return profiles_now([case]).get(case.pk)
