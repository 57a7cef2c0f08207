"""The session store when REDIS_URL is set: the database row is the truth, Redis a short read cache.

Django's `cached_db` backend, with three changes:

- Redis is only ever a cache of at most `CACHE_SECONDS` (60 s) per entry, whatever the
  session's expiry, so a cached copy that outlived a write it missed (Redis unreachable at that
  moment) is gone within a minute; the database row says when a session expires and whether it
  exists at all.
- Redis being unreachable is not an error: reads go to the database (and skip Redis for a few
  seconds, core.outage), writes go to the database and try Redis each time (a sign-out must
  remove the cached copy whenever Redis can be reached).
- a sign-out whose cached copy could not be removed (Redis unreachable at that moment, or
  from this node only) would leave that copy usable for up to a minute once Redis answers
  again, to anyone holding the old cookie. So `flush()` then sends `cached_copy_kept` with the
  signed-in Profile's id, and accounts ends every session of that Profile (its session epoch,
  part of the session's auth hash that Django checks on every request against the user row it
  reads anyway): the stale copy fails that check. Failing closed costs the person their other
  sessions, only during a Redis outage.
- no `exists()` question before a new key is used (core.sessions.LeanSessionMixin).
- Redis holds the session as the database does: Django's signed JSON (`encode()`), never a
  pickle (Django's Redis cache pickles whatever is not an integer, and unpickling what Redis
  returns would run code for anyone able to write to it). `TextSerializer` below stores only
  text; a cached copy that fails its signature check reads as no session.

Why not the `cache` backend (Redis alone)? A Redis restart or eviction would sign everyone out
and end every registration in progress, and with Redis down nobody could sign in. Why not the
plain database backend? Every request read the row; now a busy session costs one Redis read per
request and one database write a minute (core.middleware.IdleSessionMiddleware), not a
database read and write per request.

SESSION_ENGINE = "edgate.core.sessions.cached" (settings/base.py, when REDIS_URL is set).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.dispatch import Signal

from ..outage import REDIS, UNREACHABLE
from . import LeanSessionMixin

CACHE_SECONDS = 60

# Sent by flush() when the cached copy of a signed-in session could not be removed from Redis;
# `user_pk` is the signed-in Profile's id (a string, as the session holds it).
cached_copy_kept = Signal()


class TextSerializer:
    """CACHES["default"]["OPTIONS"]["serializer"]: text (and integers) only, never pickle."""

    def dumps(self, obj: object) -> bytes | int:
        if type(obj) is int:
            return obj
        if not isinstance(obj, str):
            raise TypeError(f"the cache stores text only, not {type(obj).__name__}")
        return obj.encode()

    def loads(self, data: bytes) -> str:
        return data.decode() if isinstance(data, bytes) else str(data)


class SessionStore(LeanSessionMixin, cached_db.SessionStore):
    cache_key_prefix = "edgate.session:"

    def _ttl(self, expiry: datetime | None = None) -> int:
        age = self.get_expiry_age(expiry=expiry) if expiry else self.get_expiry_age()
        return max(1, min(CACHE_SECONDS, age))

    def _redis(self, method: str, *args: Any, always: bool = False) -> Any:
        if not always and REDIS.down():
            return None
        try:
            result = getattr(self._cache, method)(*args)
        except UNREACHABLE as exc:
            REDIS.failed(exc)
            return None
        REDIS.answered()
        return result

    def load(self) -> dict[str, Any]:
        cached = self._redis("get", self.cache_key)
        if cached is not None:
            return self.decode(cached)  # type: ignore[no-any-return]
        row = self._get_session_from_db()
        if row is None:
            return {}
        self._redis("set", self.cache_key, row.session_data, self._ttl(row.expire_date))
        return self.decode(row.session_data)  # type: ignore[no-any-return]

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()  # which saves (once) under a new key
        DBStore.save(self, must_create)
        self._redis("set", self.cache_key, self.encode(self._session), self._ttl(), always=True)
        return None

    def delete(self, session_key: str | None = None) -> None:
        DBStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        if self._redis("delete", self.cache_key_prefix + session_key, always=True) is None:
            self._copy_kept = True  # the cache answers True or False; None is "unreachable"

    def flush(self) -> None:
        user_pk = self.get(SESSION_KEY)
        self._copy_kept = False
        super().flush()
        if self._copy_kept and user_pk is not None:
            cached_copy_kept.send(sender=type(self), user_pk=user_pk)
