"""Forgot password: User Name → hint question and answer → new password → done (no sign-in).

Or, with a one-time activation code from customer service (the only way for privileged
Profiles): User Name and code → new password → done. The graph is declared in steps.py."""

from enum import StrEnum

KIND = "recovery"


class State(StrEnum):
    USERNAME = "username"
    ANSWER = "answer"
    CODE = "activation-code"
    PASSWORD = "password"  # noqa: S105 - a step name
    DONE = "done"
