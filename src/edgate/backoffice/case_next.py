"""What to tell the person after a case is decided, and the decision in the case's history.

The words follow what Create a Profile does next (registration/flows.py `_route`): after *same
person*, the record is the person's, so typing it as it now is matches it exactly — a Profile
never set up (or none yet) is finished on the set-up page, an active one is named by its User
Name; after *different people*, the same SSN, names and date of birth no longer conflict with
this record (matching/service.py `match`, `DistinctPair`), so the registrant goes on as a new
person.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from edgate.accounts.models import Profile, Status
from edgate.matching.models import CaseOutcome, MatchCase
from edgate.registration.flows import setup_code_required


def lower_first(text: object) -> str:
    """An outcome's label inside a sentence or brackets ("the person has their Profile"): only
    its first letter lowered, so "Profile" keeps its capital."""
    words = str(text)
    return words[:1].lower() + words[1:]


def resolved_label(outcome: str) -> str:
    """The history's name for a resolution, naming the decision."""
    if outcome not in CaseOutcome.values:
        return _("Match case resolved")
    return _("Match case resolved (%(outcome)s)") % {"outcome": lower_first(CaseOutcome(outcome).label)}


def next_step(case: MatchCase) -> str:
    """What to tell the person who typed what opened a decided case; '' for any other case."""
    if case.outcome == CaseOutcome.DIFFERENT_PEOPLE:
        return _(
            "Ask them to go to Create a Profile again and type the same details as before (the same "
            "SSN, names and date of birth): this record no longer stops them, so they go on as a new "
            "person, with their contact details, a password and a hint question, and are given the "
            "User Name of a Profile of their own."
        )
    if case.outcome != CaseOutcome.SAME_PERSON:
        return ""
    profile = Profile.objects.filter(person_id=case.person_id).first()
    ask = _(
        "Ask them to go to Create a Profile again and type their details exactly as on their license "
        "or school records, as the record now has them."
    )
    if profile is not None and profile.status != Status.AWAITING_SETUP:
        then = _(
            "They already have a Profile: they are shown its User Name, and may choose a new password "
            "by answering their hint question."
        )
    elif profile is not None and setup_code_required(profile):
        then = _(
            "They then finish setting up their Profile, which asks for a one-time set-up code besides "
            "a password and a hint question, and are given its User Name."
        )
    else:
        then = _(
            "They then finish setting up their Profile with a password and a hint question, and are "
            "given its User Name."
        )
    return f"{ask} {then}"
