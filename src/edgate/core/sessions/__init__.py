"""EdGate's session stores: Django's, without work a new session does not need.

`edgate.core.sessions.db` (no REDIS_URL) and `edgate.core.sessions.cached` (REDIS_URL set: the
database row is the truth, Redis a read cache) both:

- do not ask the database whether a new random key is taken before using it: the first save of
  a new session is an INSERT that refuses a taken key (CreateError), and Django then draws
  another, so the question is one query per new session for nothing;
- at sign-in, rotate the key only of a session that exists: Django's `login()` calls
  `cycle_key()`, which for a visitor with no session yet made one (INSERT) only to save it again
  (UPDATE) at the end of the same request. A session without a key has no id anyone could have
  fixed: the save at the end of the request gives it a new random one. An existing session is
  rotated as before (a new key, the old row deleted).
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.base import VALID_KEY_CHARS

from ..crypto import random_string


class LeanSessionMixin:
    session_key: str | None
    modified: bool
    _session_cache: dict[str, Any]

    def _get_new_session_key(self) -> str:
        # Django's draw, one read of the random source rather than 32 (core/crypto.py).
        return random_string(32, VALID_KEY_CHARS)

    def cycle_key(self) -> None:
        if self.session_key is None:
            self._session_cache = self._session  # type: ignore[attr-defined]
            self.modified = True  # saved, under a new key, at the end of the request
            return
        super().cycle_key()  # type: ignore[misc]
