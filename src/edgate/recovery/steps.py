"""Forgot password as data, run by the flow engine (core.flow): User Name → hint question and
answer → new password → done (no sign-in); or, with a one-time activation code from customer
service (the only way for privileged Profiles): User Name and code → new password → done.

Each step shows only its own page: there is no going back inside a recovery (a new one starts
at /recover/)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _lazy

from edgate.accounts import hints
from edgate.core.flow import Action, Graph, Run, Step

from . import flows
from .forms import AnswerForm, CodeForm, ResetPasswordForm, UsernameForm
from .states import KIND, State

__all__ = ["GRAPH", "KIND", "State"]

ANSWER_AGAIN = _lazy("For your security, enter your answer again.")
CODE_AGAIN = _lazy("For your security, enter the activation code again.")
PASSWORD_AGAIN = _lazy("For your security, enter your new password again.")


def password_kwargs(run: Run) -> dict[str, Any]:
    return {"user": flows.profile_for(run.data)}


def page_context(step: Step, run: Run) -> dict[str, Any]:
    context: dict[str, Any] = {
        "state": step.name,
        # A suggested question in the page's language, the decoy's too (hints.shown).
        "question": hints.shown(run.data.get("question", "")),
    }
    if step.name == State.ANSWER:
        # Paused: the page says so and for how long, without the answer box; before the last
        # try, what a wrong answer would cost — only to a flow that has answered wrongly itself
        # (a browser that has just typed a User Name is not told of wrong answers given in
        # another). A decoy (unknown User Name) reads the same.
        standing = flows.answer_standing(run.data)
        if standing.paused:
            context["paused"] = flows.paused_message(standing.wait)
        elif standing.next_is_last and run.data.get(flows.ANSWERED):
            context["last_try"] = flows.last_try_message(standing.wait_after_next)
    return context


S = State
STEPS: dict[str, Step] = {
    S.USERNAME: Step(
        S.USERNAME,
        _lazy("Reset your password"),
        frozenset({S.ANSWER}),
        form=UsernameForm,
        submit=Action(flows.submit_username),
    ),
    S.ANSWER: Step(
        S.ANSWER,
        _lazy("Answer your Password Hint Question"),
        frozenset({S.PASSWORD}),
        form=AnswerForm,
        submit=Action(flows.submit_answer, prepare=flows.prepare_answer),
        sensitive={"answer": ANSWER_AGAIN},
    ),
    S.CODE: Step(
        S.CODE,
        _lazy("Reset your password with an activation code"),
        frozenset({S.PASSWORD}),
        form=CodeForm,
        submit=Action(flows.submit_code),
        sensitive={"code": CODE_AGAIN},
    ),
    S.PASSWORD: Step(
        S.PASSWORD,
        _lazy("Choose a new password"),
        frozenset({S.DONE}),
        form=ResetPasswordForm,
        submit=Action(flows.submit_password),
        sensitive={"new_password": PASSWORD_AGAIN, "confirm_password": PASSWORD_AGAIN},
        form_kwargs=password_kwargs,
    ),
    S.DONE: Step(S.DONE, _lazy("Your password is changed")),
}

GRAPH = Graph(
    kind=KIND,
    url_name="recovery:step",
    first=S.USERNAME,
    steps=STEPS,
    templates="recovery",
    expired=_lazy("Your password reset expired after a period without activity. Please start again."),
    context=page_context,
)
