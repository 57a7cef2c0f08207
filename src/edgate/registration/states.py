"""The registration wizard's states (the graph that joins them is declared in steps.py)."""

from __future__ import annotations

from enum import StrEnum

KIND = "registration"


class State(StrEnum):
    IDENTITY = "identity"  # page 1: who you are → matched
    CHECK = "check"  # page 1 again, offered once when it is near a record (partial): check it
    CONTACT = "contact"  # page 2 (no match)
    SECURITY = "security"  # page 3: password, hint question and answer
    REVIEW = "review"  # page 4: review, privacy statement, confirm
    CREATED = "created"  # terminal: Profile created, User Name shown
    SETUP = "setup"  # pre-created Profile: "finish setting up your Profile"
    SETUP_DONE = "setup_done"  # terminal: User Name shown
    PARTIAL = "partial"  # terminal: blocked, case reference
    EXACT = "exact"  # terminal: User Name reminder, path to change the password


# The no-match path, in page order: the only steps one may go back along.
PAGES = (State.IDENTITY, State.CONTACT, State.SECURITY, State.REVIEW)

# The check page's second button: "Continue without changes" (the answers as they were).
UNCHANGED = "unchanged"
