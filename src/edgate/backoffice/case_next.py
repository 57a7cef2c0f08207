"""What to tell the person after a case is decided, and the decision in the case's history.

The words follow what Create a Profile does next, from the same functions the wizard decides
with: after *same person*, the person is asked to type the record as it now is, so the page asks
the matcher about exactly that (`matching.service.match`, as page 1 does, with the SSN they typed)
and reads its answer as the wizard does (`registration.flows.handover`: the set-up page, with or
without a one-time set-up code, or the exact match's page, with or without the User Name), and
whether the hint question lets them choose a new password (`recovery.flows.recoverable`). An SSN
that differed from the record's stays as it was (a decision corrects names and the date of birth
only, and nothing else in EdGate replaces an SSN on file: `people.actions.do_add_ssn` only adds
one to a record without). After *different people*, the same SSN, names and date of birth no
longer conflict with this record (matching/service.py `match`, `DistinctPair`), so the registrant
goes on as a new person.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from edgate.accounts.models import Profile, Status
from edgate.identity.engine import Decision
from edgate.identity.engine import Outcome as MatchOutcome
from edgate.identity.records import Identity
from edgate.matching import service
from edgate.matching.models import CaseOutcome, MatchCase
from edgate.people.models import Person
from edgate.recovery.flows import recoverable
from edgate.recovery.policy import is_privileged
from edgate.registration.flows import handover

from . import scope
from .scope import Actor


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


@sensitive_variables()
def _retyped(case: MatchCase, record: Person) -> Decision:
    """What Create a Profile decides for what the person is asked to type: the record's names,
    date of birth and state ID as they now are, with the SSN they typed (the wizard's own call)."""
    typed = service.submitted_identity(case)
    query = Identity(
        first_name=record.first_name,
        middle_name=record.middle_name,
        last_name=record.last_name,
        former_last_name=record.former_last_name,
        date_of_birth=record.date_of_birth,
        ssn=typed.ssn,
        state_id=record.state_id,
    )
    return service.match(query, setup_code_gate=True)


def next_step(case: MatchCase, actor: Actor) -> str:
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
    ask = _(
        "Ask them to go to Create a Profile again and type their details exactly as on their license "
        "or school records, as the record now has them."
    )
    record = Person.objects.get(pk=case.person_id)
    ssn = service.levels_now(case).get("ssn")
    if ssn in ("close", "differ"):
        return " ".join((ask, *_ssn_differs(actor, close=ssn == "close")))
    decision = _retyped(case, record)
    if decision.outcome != MatchOutcome.EXACT:
        return " ".join((ask, *_still_partial(actor)))
    matched = Person.objects.get(pk=decision.candidate_id)  # this record, or the one it was merged into
    profile = Profile.objects.filter(person=matched).first()
    handed = handover(decision, profile)
    if handed.setup:
        return " ".join((ask, *_setup(actor, matched, profile, weak=handed.weak, code=handed.code_required)))
    assert profile is not None
    return " ".join((ask, *_has_profile(actor, matched, profile, weak=handed.weak)))


def _ssn_differs(actor: Actor, *, close: bool) -> tuple[str, ...]:
    said = [
        _(
            "The Social Security Number they typed is one keystroke from the record's: if it was a "
            "slip, they type the number on their Social Security card, and it matches."
        )
        if close
        else _(
            "The Social Security Number they typed is not the record's: if it was a mistake, they "
            "type the number on their Social Security card, and it matches."
        ),
        _(
            "Deciding the case did not change the record's SSN, and no page of EdGate can (neither "
            "the consoles nor the admin site): typed again, the same number opens another case."
        ),
    ]
    if actor.is_agency:
        said.append(
            _(
                "If their card shows the number they typed, the record's SSN is wrong: refer the record "
                "to a security administrator, and do not decide another case about it as the same person "
                "until it is corrected."
            )
        )
    else:
        said.append(_("If their card shows the number they typed, ask them to call customer service."))
    return tuple(said)


def _still_partial(actor: Actor) -> tuple[str, ...]:
    said = _(
        "Even typed as the record now has them, with the SSN they typed, their details do not match "
        "this record on their own (another record has the same names and date of birth, or that SSN): "
        "Create a Profile opens another case."
    )
    if actor.is_agency:
        return said, _("Look for another record of this person, a duplicate to merge.")
    return said, _("Ask them to call customer service.")


def _code_from(actor: Actor, person: Person, profile: Profile | None) -> str:
    """Where the person gets a set-up code, for this actor to say."""
    if actor.is_agency:
        if profile is None:
            return _(
                "Once they have typed their details (which prepares their Profile), issue the code with "
                "“Issue a set-up code” on the Profile's page in the customer service console."
            )
        return _(
            "Issue the code with “Issue a set-up code” on the Profile's page in the customer service console."
        )
    if profile is not None and not is_privileged(profile) and scope.setup_code_problem(actor, person) is None:
        return _(
            "Print the code from their staff entry (“Print a one-time activation code”) and hand it to them."
        )
    return _("Customer service issues the code: ask them to call customer service.")


def _setup(
    actor: Actor, person: Person, profile: Profile | None, *, weak: bool, code: bool
) -> tuple[str, ...]:
    if weak:
        return (
            _(
                "The record has no Social Security Number, so their name and date of birth alone do not "
                "prove who they are: finishing their Profile asks for a one-time set-up code, their SSN "
                "a second time (added to the record), a password and a hint question, and then they are "
                "given its User Name."
            ),
            _code_from(actor, person, profile),
        )
    if code:
        return (
            _(
                "They then finish setting up their Profile, which asks for a one-time set-up code besides "
                "a password and a hint question, and are given its User Name."
            ),
            _("If they do not have the code: %(where)s") % {"where": _code_from(actor, person, profile)},
        )
    return (
        _(
            "They then finish setting up their Profile with a password and a hint question, and are "
            "given its User Name."
        ),
    )


def _has_profile(actor: Actor, person: Person, profile: Profile, *, weak: bool) -> tuple[str, ...]:
    said: list[str] = []
    if weak:
        said.append(
            _(
                "They already have a Profile, but Create a Profile does not show its User Name: the record "
                "has no Social Security Number, so their name and date of birth alone do not prove who "
                "they are."
            )
        )
        if actor.is_agency:
            said.append(
                _("Once you have checked who they are, tell them the User Name on the Profile's page.")
            )
        elif scope.people(actor).filter(pk=person.pk).exists():
            said.append(
                _("Once you have checked who they are, tell them the User Name on their staff entry.")
            )
        else:
            said.append(_("Customer service can tell them, once it has checked who they are."))
    if recoverable(profile):
        if weak:
            said.append(_("They may choose a new password by answering their hint question."))
        else:
            said.append(
                _(
                    "They already have a Profile: they are shown its User Name, and may choose a new "
                    "password by answering their hint question."
                )
            )
        return tuple(said)
    if not weak:
        said.append(_("They already have a Profile: they are shown its User Name."))
    said.append(_cannot_recover(actor, profile))
    return tuple(said)


def _cannot_recover(actor: Actor, profile: Profile) -> str:
    """The hint question does not let them choose a new password (recovery.flows.recoverable)."""
    if not actor.is_agency:
        return _(
            "They cannot choose a new password by answering a hint question: if they cannot sign in, "
            "ask them to call customer service."
        )
    if profile.status == Status.LOCKED:
        return _(
            "The Profile is locked, so answering the hint question does not let them choose a new "
            "password: unlock it on the Profile's page, once you have checked who they are."
        )
    if profile.status == Status.DISABLED:
        return _(
            "The Profile is disabled, so they can neither sign in nor choose a new password: enable "
            "it on the Profile's page if it should be, once you have checked who they are."
        )
    return _(
        "Answering a hint question does not let them choose a new password (the Profile has "
        "administrator access, or no hint answer): if they cannot sign in, use “Reset recovery” on "
        "the Profile's page, once you have checked who they are."
    )
