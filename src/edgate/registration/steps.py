"""The registration wizard as data: its steps, the page each shows, and what may follow.

Run by the flow engine (core.flow, core.flowview). Drawn in flow.mermaid beside this file (and
docs/architecture.md). A flow row's `state` is the furthest step reached. A person may go back
to any earlier page of the no-match path; submitting an earlier page keeps the later pages'
answers unless the change invalidates them (page 1's identity changed: the match runs again,
and only a different outcome drops them). Terminal states cannot be left except by starting
over.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.debug import sensitive_variables

from edgate.accounts import hints
from edgate.accounts.forms import ContactForm
from edgate.accounts.passwords import PasswordContext
from edgate.core import conf
from edgate.core.flow import Action, Graph, Run, Step, TransitionError

from . import cases, flows
from .forms import IdentityForm, ReviewForm, SecurityForm
from .states import KIND, PAGES, UNCHANGED, State

__all__ = ["GRAPH", "KIND", "PAGES", "STEPS", "UNCHANGED", "State", "TransitionError"]

SSN_AGAIN = _lazy("Type your Social Security Number again: for your protection, it is not shown again.")
PASSWORD_AGAIN = _lazy("For your security, enter your password again.")
SSN_TO_CHECK = _lazy(
    "For your protection, your Social Security Number is not shown again: to check again, type it "
    "once more. To continue without changes, you need not type it."
)
HINT_ANSWER_AGAIN = _lazy("For your protection, your hint answer is not shown again: please type it again.")
CODE_AGAIN = _lazy("For your security, enter the activation code again.")
SECURITY_FIELDS = {
    "new_password": PASSWORD_AGAIN,
    "confirm_password": PASSWORD_AGAIN,
    "hint_answer": HINT_ANSWER_AGAIN,
}


@sensitive_variables()
def identity_initial(data: dict[str, Any]) -> dict[str, Any]:
    """Page 1 as it was typed, for going back to it; never the SSN (typed again)."""
    if "identity" not in data:
        return {}
    ident = dict(data["identity"])
    ident.pop("ssn", None)
    year, month, day = ident.pop("date_of_birth").split("-")
    return ident | {"dob_year": int(year), "dob_month": str(int(month)), "dob_day": int(day)}


def contact_initial(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data.get("contact", {}))


def security_initial(data: dict[str, Any]) -> dict[str, Any]:
    """Back on page 3: the question chosen (the password and answer are kept only as hashes,
    and must be typed again)."""
    question = data.get("security", {}).get("hint_question")
    if not question:
        return {}
    index = hints.suggested_index(question)
    if index is None:
        return {"hint_question_choice": hints.OWN_QUESTION, "own_question": question}
    return {"hint_question_choice": str(index)}


def security_kwargs(run: Run) -> dict[str, Any]:
    email = str(run.data.get("contact", {}).get("email") or "")
    return {"password_context": PasswordContext.from_identity(run.data.get("identity", {}), email=email)}


def _typed_words(identity: dict[str, Any]) -> tuple[str, ...]:
    """The names and birth date the person typed on page 1, as the meter is given them."""
    return tuple(PasswordContext.from_identity(identity).refused_words())


def setup_kwargs(run: Run) -> dict[str, Any]:
    profile = flows.profile_of(run.data)
    if profile is None:
        return {}
    require_code = bool(run.data.get("match", {}).get("code_required")) or flows.setup_code_required(profile)
    return {
        # The record's names and birth date for the server's checks; for the browser's meter only
        # the names and birth date the person typed (the page must not show what the record says), no reuse
        # check (a pre-created Profile has no password of its own).
        "password_context": PasswordContext.for_profile(
            profile, reuse=False, browser_words=_typed_words(run.data.get("identity", {}))
        ),
        "require_code": require_code,
        "confirm_ssn": require_code and flows.ssn_to_add(run.data, profile),
        "first_ssn": run.data.get("typed_ssn", ""),
    }


S = State
MATCHED = frozenset({S.SETUP, S.PARTIAL, S.EXACT})  # where a match other than none leads
# Where the no-match path goes on after a page: the next one not yet filled in (flows.resume).
RESUMED = frozenset({S.CONTACT, S.SECURITY, S.REVIEW})
IDENTITY_ACTION = Action(flows.submit_identity, prepare=flows.prepare_identity)
CHECK_ACTION = Action(flows.submit_check, prepare=flows.prepare_identity)
REVIEW_ACTION = Action(flows.complete_registration, prepare=flows.prepare_review)

STEPS: dict[str, Step] = {
    S.IDENTITY: Step(
        S.IDENTITY,
        _lazy("Who you are"),
        RESUMED | MATCHED | {S.CHECK},
        form=IdentityForm,
        submit=IDENTITY_ACTION,
        page=1,
        sensitive={"ssn": SSN_AGAIN},
        initial=identity_initial,
    ),
    # What page 1 said was near a record but not it: the registrant checks their own answers
    # (nothing about the record is shown) and submits them corrected, or unchanged (UNCHANGED),
    # and the match runs again; a second partial opens the case. Offered once per flow.
    S.CHECK: Step(
        S.CHECK,
        _lazy("Check what you entered"),
        RESUMED | MATCHED,
        form=IdentityForm,
        submit=CHECK_ACTION,
        buttons={UNCHANGED: CHECK_ACTION},
        page=1,
        sensitive={"ssn": SSN_TO_CHECK},
        initial=identity_initial,
    ),
    S.CONTACT: Step(
        S.CONTACT,
        _lazy("How to reach you"),
        frozenset({S.SECURITY, S.REVIEW}),
        form=ContactForm,
        submit=Action(flows.submit_contact),
        page=2,
        initial=contact_initial,
    ),
    S.SECURITY: Step(
        S.SECURITY,
        _lazy("Password and hint"),
        frozenset({S.REVIEW}),
        form=SecurityForm,
        submit=Action(flows.submit_security, prepare=flows.prepare_security),
        page=3,
        sensitive=SECURITY_FIELDS,
        kept="security",
        initial=security_initial,
        form_kwargs=security_kwargs,
    ),
    S.REVIEW: Step(
        S.REVIEW,
        _lazy("Review and confirm"),
        frozenset({S.CREATED}) | MATCHED,
        form=ReviewForm,
        submit=REVIEW_ACTION,
        page=4,
    ),
    S.SETUP: Step(
        S.SETUP,
        _lazy("Finish setting up your Profile"),
        frozenset({S.SETUP_DONE}),
        form=SecurityForm,
        submit=Action(flows.submit_setup, prepare=flows.prepare_setup),
        sensitive={"code": CODE_AGAIN, "ssn_again": SSN_AGAIN, **SECURITY_FIELDS},
        form_kwargs=setup_kwargs,
    ),
    S.CREATED: Step(S.CREATED, _lazy("Your Profile is ready")),
    S.SETUP_DONE: Step(S.SETUP_DONE, _lazy("Your Profile is ready")),
    S.PARTIAL: Step(S.PARTIAL, _lazy("We could not complete your Profile")),
    S.EXACT: Step(S.EXACT, _lazy("You already have a Profile")),
}
PAGE_TITLES = tuple(STEPS[s].title for s in PAGES)
EXPIRED = _lazy(
    "Your registration expired after a period without activity, so it was cleared. Please start again."
)
# Page 1 was sent twice (a double click): the registration went on with the second one, in
# another tab or window of this browser, or in the page it showed last (flow.held_elsewhere).
ELSEWHERE = _lazy(
    "Your registration continues in another tab or window of this browser. Continue it there, or "
    "start again here."
)


def page_context(step: Step, run: Run) -> dict[str, Any]:
    """What the wizard's pages show besides the form: the step indicator, the outcome."""
    match = run.data.get("match", {})
    context: dict[str, Any] = {
        "pages": [(i + 1, title, PAGES[i]) for i, title in enumerate(PAGE_TITLES)],
        "at_page": step.page,
        "profile": flows.profile_of(run.data),
        "match": match,
    }
    if step.name == S.SETUP:
        # A pre-created Profile's path has two pages: who you are, then this one.
        context["pages"] = [(1, STEPS[S.IDENTITY].title, S.IDENTITY), (2, step.title, S.SETUP)]
        context["at_page"] = 2
    if step.name == S.REVIEW:
        context["review"] = review(run.data)
    if step.name == S.PARTIAL:
        context["contacts"] = cases.case_contacts(
            match.get("case", ""), shown=bool(match.get("identity_shown"))
        )
    if step.name in (S.PARTIAL, S.SETUP, S.EXACT):
        context["customer_service_tel"] = cases.tel_uri(conf.get().customer_service_phone)
    if match.get("weak") and step.name in (S.SETUP, S.EXACT):
        # Matched on names and a birth date only (rules-4 E9): nothing of the Profile is shown
        # before the set-up code is redeemed — not its User Name, nor whom it is linked to.
        context["profile"] = None
    return context


@sensitive_variables()
def review(data: dict[str, Any]) -> dict[str, Any]:
    ident, contact = data.get("identity", {}), data.get("contact", {})
    return {
        "name": " ".join(
            p for p in (ident.get("first_name"), ident.get("middle_name"), ident.get("last_name")) if p
        ),
        "former_last_name": ident.get("former_last_name"),
        "date_of_birth": ident.get("date_of_birth"),
        "ssn_masked": f"***-**-{ident['ssn'][-4:]}" if ident.get("ssn") else "",
        "state_id": ident.get("state_id"),
        "contact": contact,
        "hint_question": hints.shown(data.get("security", {}).get("hint_question") or ""),
    }


GRAPH = Graph(
    kind=KIND,
    url_name="registration:step",
    first=S.IDENTITY,
    steps=STEPS,
    templates="registration",
    expired=EXPIRED,
    elsewhere=ELSEWHERE,
    pages=tuple(PAGES),
    context=page_context,
    create_on_submit=True,
)


def can_view(step: State, current: State) -> bool:
    """May the page of `step` be shown (GET) or submitted (POST) when the flow is at `current`?"""
    return GRAPH.can_view(step, current)


def check_transition(source: State, target: State) -> None:
    GRAPH.check(source, target)
