"""Forgot password: User Name → hint question and answer → new password → done (no sign-in)."""

from enum import StrEnum

KIND = "recovery"


class State(StrEnum):
    USERNAME = "username"
    ANSWER = "answer"
    PASSWORD = "password"  # noqa: S105 - a step name
    DONE = "done"


NEXT: dict[State, frozenset[State]] = {
    State.USERNAME: frozenset({State.ANSWER}),
    State.ANSWER: frozenset({State.PASSWORD}),
    State.PASSWORD: frozenset({State.DONE}),
    State.DONE: frozenset(),
}
