"""The database session store without REDIS_URL (see edgate.core.sessions)."""

from __future__ import annotations

from django.contrib.sessions.backends import db

from . import LeanSessionMixin


class SessionStore(LeanSessionMixin, db.SessionStore):
    pass
