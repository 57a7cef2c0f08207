from __future__ import annotations

from django.http import HttpRequest

from edgate.mfa.session import DUE


def console_link(request: HttpRequest) -> dict[str, bool]:
    """Whether the header links to the consoles: for a privileged Profile (its session is marked
    at sign-in, edgate.mfa.session, so ordinary pages ask nothing of the database) once the
    session has passed the second factor — before that, the consoles would not open."""
    session = getattr(request, "session", None)
    if session is None or not session.get(DUE):
        return {"console_link": False}
    user = getattr(request, "user", None)
    return {"console_link": bool(user is not None and user.is_verified())}
