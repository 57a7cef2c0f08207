from __future__ import annotations

from django.http import HttpRequest

from edgate.mfa.session import DUE


def console_link(request: HttpRequest) -> dict[str, bool]:
    """Whether the header links to the consoles: sessions of privileged Profiles are marked at
    sign-in (edgate.mfa.session), so ordinary pages ask nothing of the database."""
    session = getattr(request, "session", None)
    return {"console_link": bool(session is not None and session.get(DUE))}
