"""Attempt counters shared by every node: Redis when REDIS_URL is set, the database otherwise.

A sliding-window estimate over two fixed windows (the current one and the previous one,
weighted by how much of it still overlaps) so a burst at a window boundary cannot double
the limit. Keys are keyed hashes: no User Name, address or SSN is stored in a counter.
Time comes from django.utils.timezone.now so tests can move the clock.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import conf, crypto
from .conf import Limit
from .models import ThrottleCounter


class Store(Protocol):
    def incr(self, key: str, window_start: datetime, ttl: timedelta) -> None: ...
    def get(self, key: str, window_start: datetime) -> int: ...
    def clear(self, key: str, window_starts: list[datetime]) -> None: ...


class DatabaseStore:
    def incr(self, key: str, window_start: datetime, ttl: timedelta) -> None:
        expires = window_start + ttl
        updated = ThrottleCounter.objects.filter(key=key, window_start=window_start).update(
            count=F("count") + 1
        )
        if updated:
            return
        try:
            with transaction.atomic():
                ThrottleCounter.objects.create(
                    key=key, window_start=window_start, count=1, expires_at=expires
                )
        except IntegrityError:  # another node created it first
            ThrottleCounter.objects.filter(key=key, window_start=window_start).update(count=F("count") + 1)

    def get(self, key: str, window_start: datetime) -> int:
        row = ThrottleCounter.objects.filter(key=key, window_start=window_start).first()
        return row.count if row else 0

    def clear(self, key: str, window_starts: list[datetime]) -> None:
        ThrottleCounter.objects.filter(key=key, window_start__in=window_starts).delete()


class CacheStore:
    """Redis through Django's cache: add + incr are atomic there."""

    @staticmethod
    def _key(key: str, window_start: datetime) -> str:
        return f"throttle:{key}:{int(window_start.timestamp())}"

    def incr(self, key: str, window_start: datetime, ttl: timedelta) -> None:
        cache_key = self._key(key, window_start)
        cache.add(cache_key, 0, timeout=int(ttl.total_seconds()))
        try:
            cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=int(ttl.total_seconds()))

    def get(self, key: str, window_start: datetime) -> int:
        return int(cache.get(self._key(key, window_start), 0))

    def clear(self, key: str, window_starts: list[datetime]) -> None:
        cache.delete_many([self._key(key, start) for start in window_starts])


def store() -> Store:
    return CacheStore() if getattr(settings, "REDIS_URL", "") else DatabaseStore()


def _windows(limit: Limit, now: datetime) -> tuple[datetime, datetime, float]:
    size = limit.window.total_seconds()
    epoch = now.timestamp()
    current = datetime.fromtimestamp(math.floor(epoch / size) * size, tz=now.tzinfo)
    previous = current - limit.window
    overlap = 1.0 - (epoch - current.timestamp()) / size
    return current, previous, overlap


def _key(limit: Limit, ident: str) -> str:
    return crypto.lookup_hash(f"throttle:{limit.name}", ident)


def count(limit: Limit, ident: str) -> float:
    current, previous, overlap = _windows(limit, timezone.now())
    key = _key(limit, ident)
    backend = store()
    # Rounded up: the estimate assumes the previous window's attempts were spread evenly;
    # for a security limit, err towards counting one too many rather than one too few.
    return backend.get(key, current) + math.ceil(backend.get(key, previous) * overlap)


def exceeded(limit: Limit, ident: str | None) -> bool:
    return ident is not None and count(limit, ident) >= limit.limit


def hit(limit: Limit, ident: str | None) -> None:
    if ident is None:
        return
    current, _previous, _ = _windows(limit, timezone.now())
    store().incr(_key(limit, ident), current, limit.window * 2)


def clear(limit: Limit, ident: str) -> None:
    current, previous, _ = _windows(limit, timezone.now())
    store().clear(_key(limit, ident), [current, previous])


def named(name: str) -> Limit:
    return conf.get().limit(name)


def purge_expired() -> int:
    deleted, _ = ThrottleCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
