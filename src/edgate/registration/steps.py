"""The registration wizard as data: its states, the page each shows, and what may follow.

Drawn in flow.mermaid beside this file (and docs/architecture.md). A flow row's `state` is
the furthest step reached. A person may go back to any earlier page of the no-match path;
submitting an earlier page clears the pages after it. Terminal states cannot be left except
by starting over.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

KIND = "registration"


class State(StrEnum):
    IDENTITY = "identity"  # page 1: who you are → matched
    CHECK = "check"  # page 1 again, offered once when it is near a record (partial): check it
    CONTACT = "contact"  # page 2 (no match)
    SECURITY = "security"  # page 3: password, hint question and answer
    REVIEW = "review"  # page 4: review, privacy statement, confirm
    CREATED = "created"  # terminal: Profile created, User Name shown
    SETUP = "setup"  # pre-created Profile: "we need additional information"
    SETUP_DONE = "setup_done"  # terminal: User Name shown
    PARTIAL = "partial"  # terminal: blocked, case reference
    EXACT = "exact"  # terminal: User Name reminder, path to change the password


@dataclass(frozen=True)
class Step:
    state: State
    title: str
    page: int | None  # position in the 4-page step indicator
    next: frozenset[State]
    clears: tuple[str, ...] = ()  # flow data sections dropped when this step is submitted

    @property
    def terminal(self) -> bool:
        return not self.next


S = State
STEPS: dict[State, Step] = {
    S.IDENTITY: Step(
        S.IDENTITY,
        _("Who you are"),
        1,
        frozenset({S.CONTACT, S.CHECK, S.SETUP, S.PARTIAL, S.EXACT}),
        clears=("identity", "contact", "security", "match"),
    ),
    # What page 1 said was near a record but not it: the registrant checks their own answers
    # (nothing about the record is shown) and submits them corrected, or unchanged (UNCHANGED),
    # and the match runs again; a second partial opens the case. Offered once per flow.
    S.CHECK: Step(
        S.CHECK,
        _("Check what you entered"),
        1,
        frozenset({S.CONTACT, S.SETUP, S.PARTIAL, S.EXACT}),
        clears=("identity", "contact", "security", "match"),
    ),
    S.CONTACT: Step(
        S.CONTACT, _("How to reach you"), 2, frozenset({S.SECURITY}), clears=("contact", "security")
    ),
    S.SECURITY: Step(S.SECURITY, _("Password and hint"), 3, frozenset({S.REVIEW}), clears=("security",)),
    S.REVIEW: Step(S.REVIEW, _("Review and confirm"), 4, frozenset({S.CREATED, S.SETUP, S.PARTIAL, S.EXACT})),
    S.SETUP: Step(S.SETUP, _("We need additional information"), None, frozenset({S.SETUP_DONE})),
    S.CREATED: Step(S.CREATED, _("Your Profile is ready"), None, frozenset()),
    S.SETUP_DONE: Step(S.SETUP_DONE, _("Your Profile is ready"), None, frozenset()),
    S.PARTIAL: Step(S.PARTIAL, _("We could not complete your Profile"), None, frozenset()),
    S.EXACT: Step(S.EXACT, _("You already have a Profile"), None, frozenset()),
}

# The check page's second button: "Continue without changes" (the answers as they were).
UNCHANGED = "unchanged"

# The no-match path, in page order: the only steps one may go back along.
PAGES = (S.IDENTITY, S.CONTACT, S.SECURITY, S.REVIEW)
PAGE_TITLES = tuple(STEPS[s].title for s in PAGES)


class TransitionError(Exception):
    pass


def can_view(step: State, current: State) -> bool:
    """May the page of `step` be shown (GET) or submitted (POST) when the flow is at `current`?"""
    if step == current:
        return True
    return step in PAGES and current in PAGES and PAGES.index(step) < PAGES.index(current)


def check_transition(source: State, target: State) -> None:
    if target not in STEPS[source].next:
        raise TransitionError(f"{source} cannot lead to {target}")
