"""Attempt counters shared by every node: Redis when REDIS_URL is set, the database otherwise.

Count first, then decide: `attempt()` increments the counter in one atomic step of the store
(Redis `INCR`; `INSERT … ON CONFLICT DO UPDATE … RETURNING` in the database) and the caller
decides on the number the store returned. Checking first and counting after the 50–250 ms of
hashing let a burst of simultaneous guesses all be examined; counting first means that of N
simultaneous attempts exactly `limit` get a number within the limit, on every node.

A sliding-window estimate over two fixed windows (the current one and the previous one,
weighted by how much of it still overlaps) so a burst at a window boundary cannot double
the limit. Keys are keyed hashes: no User Name, address or SSN is stored in a counter.
Time comes from django.utils.timezone.now so tests can move the clock.

Counters must be incremented outside any transaction that could roll back (and on
PostgreSQL, outside a long transaction that would hold the counter's row lock): a count
that a rollback undoes is a free guess.

Redis unreachable: the limits fall back to the database store, never to no limit
(`FallbackStore`). A call that fails to connect or times out (1 s) goes to the database, and for
the next 5 seconds this process does not try Redis (core.outage); then it tries again. The
database's counters are separate from Redis's, so across a switch a window may allow up to
twice its limit (what was counted in one store, then the limit again in the other), never more,
and the counters left in the database expire and are removed by `edgate cleanup` as usual. If
the database is unreachable too, the request fails with the 503 page (core.views.server_error).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Protocol

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone

from . import conf, crypto
from .conf import Limit
from .models import ThrottleCounter
from .outage import REDIS, UNREACHABLE

# Limits whose identity is a client address end in this (settings: EDGATE["THROTTLES"]).
ADDRESS_SUFFIX = "_address"

# The identity counted when there is none (no client address: a unix-socket peer that is not a
# declared proxy, core/proxies.py). Every such request shares it, so a misconfigured node refuses
# beyond each limit instead of letting everything through; never an address itself.
UNKNOWN_ADDRESS = "unknown"

# Delay markers share the counter table; this window start marks their rows.
_MARKER_WINDOW = datetime(1970, 1, 1, tzinfo=UTC)


# One attempt to count: the key, its current and previous windows' starts, the counter's life.
Counting = tuple[str, datetime, datetime, timedelta]


class Store(Protocol):
    def incr(self, key: str, window_start: datetime, ttl: timedelta, amount: int = 1) -> int: ...
    def get(self, key: str, window_start: datetime) -> int: ...
    def count_in(
        self, key: str, current: datetime, previous: datetime, ttl: timedelta
    ) -> tuple[int, int]: ...
    def count_in_all(self, counts: list[Counting]) -> list[tuple[int, int]]: ...
    def clear(self, key: str, window_starts: list[datetime]) -> None: ...
    def set_until(self, key: str, until: datetime) -> None: ...
    def claim_until(self, key: str, until: datetime, now: datetime) -> datetime | None: ...
    def get_until(self, key: str) -> datetime | None: ...
    def clear_until(self, key: str) -> None: ...
    def settle(
        self,
        clear: tuple[str, list[datetime]],
        until: str | None,
        undo: tuple[str, datetime, timedelta] | None,
    ) -> None: ...


_TABLE = ThrottleCounter._meta.db_table


class DatabaseStore:
    """One row per (key, window). The upsert is a single statement, atomic on PostgreSQL and
    SQLite alike; its RETURNING gives this attempt's own number."""

    def incr(self, key: str, window_start: datetime, ttl: timedelta, amount: int = 1) -> int:
        ops = connection.ops
        table, key_col, start_col, count_col, expires_col = (
            ops.quote_name(name) for name in (_TABLE, "key", "window_start", "count", "expires_at")
        )
        larger = "GREATEST" if connection.vendor == "postgresql" else "MAX"
        sql = (  # fixed identifiers only; every value is a parameter
            f"INSERT INTO {table} ({key_col}, {start_col}, {count_col}, {expires_col}) "  # noqa: S608
            f"VALUES (%s, %s, %s, %s) ON CONFLICT ({key_col}, {start_col}) "
            f"DO UPDATE SET {count_col} = {larger}({table}.{count_col} + %s, 0) RETURNING {count_col}"
        )
        params = [
            key,
            ops.adapt_datetimefield_value(window_start),
            max(amount, 0),
            ops.adapt_datetimefield_value(window_start + ttl),
            amount,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.fetchone()[0])

    def get(self, key: str, window_start: datetime) -> int:
        row = ThrottleCounter.objects.filter(key=key, window_start=window_start).first()
        return row.count if row else 0

    def count_in(self, key: str, current: datetime, previous: datetime, ttl: timedelta) -> tuple[int, int]:
        """This attempt's number in the current window, and the previous window's count."""
        return self.incr(key, current, ttl), self.get(key, previous)

    def count_in_all(self, counts: list[Counting]) -> list[tuple[int, int]]:
        return [self.count_in(*counting) for counting in counts]

    def clear(self, key: str, window_starts: list[datetime]) -> None:
        ThrottleCounter.objects.filter(key=key, window_start__in=window_starts).delete()

    def set_until(self, key: str, until: datetime) -> None:
        ThrottleCounter.objects.update_or_create(
            key=key, window_start=_MARKER_WINDOW, defaults={"count": 1, "expires_at": until}
        )

    def claim_until(self, key: str, until: datetime, now: datetime) -> datetime | None:
        """Set the marker to `until` unless one is in force: one statement, so of simultaneous
        claims exactly one wins. Returns None when claimed, else the marker in force."""
        ops = connection.ops
        table, key_col, start_col, count_col, expires_col = (
            ops.quote_name(name) for name in (_TABLE, "key", "window_start", "count", "expires_at")
        )
        sql = (  # fixed identifiers only; every value is a parameter
            f"INSERT INTO {table} ({key_col}, {start_col}, {count_col}, {expires_col}) "  # noqa: S608
            f"VALUES (%s, %s, 1, %s) ON CONFLICT ({key_col}, {start_col}) "
            f"DO UPDATE SET {expires_col} = EXCLUDED.{expires_col} WHERE {table}.{expires_col} <= %s "
            f"RETURNING {expires_col}"
        )
        params = [
            key,
            ops.adapt_datetimefield_value(_MARKER_WINDOW),
            ops.adapt_datetimefield_value(until),
            ops.adapt_datetimefield_value(now),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.fetchone() is not None:
                return None
        held = self.get_until(key)
        return held if held is not None and held > now else None

    def get_until(self, key: str) -> datetime | None:
        row = ThrottleCounter.objects.filter(key=key, window_start=_MARKER_WINDOW).first()
        return row.expires_at if row else None

    def clear_until(self, key: str) -> None:
        ThrottleCounter.objects.filter(key=key, window_start=_MARKER_WINDOW).delete()

    def settle(
        self,
        clear: tuple[str, list[datetime]],
        until: str | None,
        undo: tuple[str, datetime, timedelta] | None,
    ) -> None:
        self.clear(*clear)
        if until is not None:
            self.clear_until(until)
        if undo is not None:
            self.incr(*undo, amount=-1)


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


class RedisStore:
    """INCR is atomic; EXPIREAT in the same MULTI makes the key expire with its window."""

    # Taking back an attempt never goes below zero (the key may have expired meanwhile).
    _DECREMENT = (
        "local v = redis.call('GET', KEYS[1]) "
        "if v and tonumber(v) > 0 then return redis.call('DECR', KEYS[1]) end return 0"
    )

    def __init__(self, url: str) -> None:
        self.client = _redis(url)

    @staticmethod
    def _key(key: str, window_start: datetime) -> str:
        return f"edgate:throttle:{key}:{int(window_start.timestamp())}"

    def incr(self, key: str, window_start: datetime, ttl: timedelta, amount: int = 1) -> int:
        name = self._key(key, window_start)
        if amount < 0:
            return int(self.client.eval(self._DECREMENT, 1, name))
        pipe = self.client.pipeline(transaction=True)
        pipe.incrby(name, amount)
        pipe.expireat(name, int((window_start + ttl).timestamp()) + 1)
        value, _ = pipe.execute()
        return int(value)

    def get(self, key: str, window_start: datetime) -> int:
        return max(int(self.client.get(self._key(key, window_start)) or 0), 0)

    def count_in(self, key: str, current: datetime, previous: datetime, ttl: timedelta) -> tuple[int, int]:
        """INCR and the previous window's GET in one round trip (one MULTI)."""
        name = self._key(key, current)
        pipe = self.client.pipeline(transaction=True)
        pipe.incrby(name, 1)
        pipe.expireat(name, int((current + ttl).timestamp()) + 1)
        pipe.get(self._key(key, previous))
        value, _, before = pipe.execute()
        return int(value), max(int(before or 0), 0)

    def count_in_all(self, counts: list[Counting]) -> list[tuple[int, int]]:
        """count_in() of several keys in one round trip (one MULTI): a sign-in's two limits."""
        pipe = self.client.pipeline(transaction=True)
        for key, current, previous, ttl in counts:
            name = self._key(key, current)
            pipe.incrby(name, 1)
            pipe.expireat(name, int((current + ttl).timestamp()) + 1)
            pipe.get(self._key(key, previous))
        replies = pipe.execute()
        return [(int(replies[i]), max(int(replies[i + 2] or 0), 0)) for i in range(0, len(replies), 3)]

    def clear(self, key: str, window_starts: list[datetime]) -> None:
        self.client.delete(*[self._key(key, start) for start in window_starts])

    def set_until(self, key: str, until: datetime) -> None:
        self.client.set(f"edgate:until:{key}", until.timestamp(), exat=int(until.timestamp()) + 1)

    # Compare-and-set in one step: the marker is taken only when none is in force (by the
    # application's clock, which tests move; the key's own expiry only tidies up).
    _CLAIM = (
        "local v = redis.call('GET', KEYS[1]) "
        "if v and tonumber(v) > tonumber(ARGV[1]) then return v end "
        "redis.call('SET', KEYS[1], ARGV[2], 'EXAT', ARGV[3]) return false"
    )

    def claim_until(self, key: str, until: datetime, now: datetime) -> datetime | None:
        held = self.client.eval(
            self._CLAIM,
            1,
            f"edgate:until:{key}",
            now.timestamp(),
            until.timestamp(),
            int(until.timestamp()) + 1,
        )
        return datetime.fromtimestamp(float(held), tz=UTC) if held else None

    def get_until(self, key: str) -> datetime | None:
        value = self.client.get(f"edgate:until:{key}")
        return datetime.fromtimestamp(float(value), tz=UTC) if value else None

    def clear_until(self, key: str) -> None:
        self.client.delete(f"edgate:until:{key}")

    def settle(
        self,
        clear: tuple[str, list[datetime]],
        until: str | None,
        undo: tuple[str, datetime, timedelta] | None,
    ) -> None:
        """clear(), clear_until() and the taking back of one attempt, in one round trip."""
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(*[self._key(clear[0], start) for start in clear[1]])
        if until is not None:
            pipe.delete(f"edgate:until:{until}")
        if undo is not None:
            pipe.eval(self._DECREMENT, 1, self._key(undo[0], undo[1]))
        pipe.execute()


class FallbackStore:
    """Redis while it answers, the database store while it does not (see the module's notes)."""

    def __init__(self, url: str) -> None:
        self.redis, self.database = RedisStore(url), DatabaseStore()

    def _call(self, method: str, *args: object) -> Any:
        if not REDIS.down():
            try:
                result = getattr(self.redis, method)(*args)
            except UNREACHABLE as exc:
                REDIS.failed(exc)
            else:
                REDIS.answered()
                return result
        return getattr(self.database, method)(*args)

    def incr(self, key: str, window_start: datetime, ttl: timedelta, amount: int = 1) -> int:
        return int(self._call("incr", key, window_start, ttl, amount))

    def get(self, key: str, window_start: datetime) -> int:
        return int(self._call("get", key, window_start))

    def count_in(self, key: str, current: datetime, previous: datetime, ttl: timedelta) -> tuple[int, int]:
        return self._call("count_in", key, current, previous, ttl)  # type: ignore[no-any-return]

    def count_in_all(self, counts: list[Counting]) -> list[tuple[int, int]]:
        return self._call("count_in_all", counts)  # type: ignore[no-any-return]

    def clear(self, key: str, window_starts: list[datetime]) -> None:
        self._call("clear", key, window_starts)

    def set_until(self, key: str, until: datetime) -> None:
        self._call("set_until", key, until)

    def claim_until(self, key: str, until: datetime, now: datetime) -> datetime | None:
        return self._call("claim_until", key, until, now)  # type: ignore[no-any-return]

    def get_until(self, key: str) -> datetime | None:
        return self._call("get_until", key)  # type: ignore[no-any-return]

    def clear_until(self, key: str) -> None:
        self._call("clear_until", key)

    def settle(
        self,
        clear: tuple[str, list[datetime]],
        until: str | None,
        undo: tuple[str, datetime, timedelta] | None,
    ) -> None:
        self._call("settle", clear, until, undo)


def store() -> Store:
    url = getattr(settings, "REDIS_URL", "")
    return FallbackStore(url) if url else DatabaseStore()


def _windows(limit: Limit, now: datetime) -> tuple[datetime, datetime, float]:
    size = limit.window.total_seconds()
    epoch = now.timestamp()
    current = datetime.fromtimestamp(math.floor(epoch / size) * size, tz=now.tzinfo)
    previous = current - limit.window
    overlap = 1.0 - (epoch - current.timestamp()) / size
    return current, previous, overlap


def address_ident(address: str) -> str:
    """What a per-address limit counts for a client address: an IPv4 address as it is (an
    IPv4-mapped IPv6 address as its IPv4 address), an IPv6 address as its network of
    THROTTLE_IPV6_PREFIX bits (64 by default), since one host commonly holds a whole /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{conf.get().ipv6_prefix}", strict=False))
    return str(ip)


def _key(limit: Limit, ident: str) -> str:
    if limit.name.endswith(ADDRESS_SUFFIX):
        ident = address_ident(ident)
    return crypto.lookup_hash(f"throttle:{limit.name}", ident)


@dataclass(frozen=True)
class Attempt:
    """This attempt's number within the sliding window, and what it means."""

    limit: Limit
    number: int
    # The first refusal for this identity in a window's time: the moment to raise an alert.
    # Decided by an atomic marker, not by the number (a sliding estimate can skip or repeat it).
    tripped: bool = False
    # Whole seconds until the next attempt would be within the limit (0: it would be now);
    # what a refusal's Retry-After says.
    retry_after: int = 0

    @property
    def allowed(self) -> bool:
        return self.number <= self.limit.limit


def _seconds_until_allowed(limit: Limit, current: int, previous: int, now: datetime) -> int:
    """When the next attempt's number (current + 1 + ceil(previous × overlap)) is within the
    limit again, if no other attempt comes meanwhile. The previous window's weight falls as
    the current one goes by; once the current window is over, its count becomes the previous."""
    size = limit.window.total_seconds()
    elapsed = now.timestamp() % size
    room = limit.limit - 1 - current  # what the previous window may still weigh in this one
    if room >= 0:
        if previous <= room:
            return 0
        # previous × (1 - x) <= room, x the fraction of the window gone by
        return max(0, math.ceil(size * (1 - room / previous) - elapsed))
    # Not in this window: in the next, this window's count fades the same way.
    fade = 1 - (limit.limit - 1) / current if current > 0 else 0.0
    return max(1, math.ceil(size - elapsed + size * max(fade, 0.0)))


def _known(ident: str | None) -> str:
    """None (no client address) is counted under one identity shared by all such requests."""
    return UNKNOWN_ADDRESS if ident is None else ident


def attempt(limit: Limit, ident: str | None) -> Attempt:
    """Count this attempt and return its number. No identity (no client address) is counted
    under one shared identity, `UNKNOWN_ADDRESS`, so it is refused beyond the limit like any."""
    return attempt_all((limit, ident))[0]


@dataclass(frozen=True)
class Standing:
    """Where an identity stands against a limit, read without counting anything: what a page
    says before the next attempt (how long a pause lasts, or that the next try is the last)."""

    limit: Limit
    counted: int  # the attempts counted in the sliding window now
    wait: int  # seconds until the next attempt would be within the limit (0: it would be now)
    wait_after_next: int  # the same, were the next attempt counted now (> 0: it is the last)

    @property
    def paused(self) -> bool:
        return self.wait > 0

    @property
    def next_is_last(self) -> bool:
        return not self.paused and self.wait_after_next > 0


def standing(limit: Limit, ident: str) -> Standing:
    """`attempt`'s reading of the window for `ident`, without counting an attempt."""
    now = timezone.now()
    current, previous, overlap = _windows(limit, now)
    key, backend = _key(limit, ident), store()
    in_current, in_previous = backend.get(key, current), backend.get(key, previous)
    return Standing(
        limit,
        in_current + math.ceil(in_previous * overlap),
        _seconds_until_allowed(limit, in_current, in_previous, now),
        _seconds_until_allowed(limit, in_current + 1, in_previous, now),
    )


def first_in(purpose: str, ident: str, seconds: int) -> bool:
    """True for the first call for (`purpose`, `ident`) in `seconds`, False for the others: an
    atomic marker in the store (Redis, else the database), keyed by a keyed hash, so of calls at
    once on every node exactly one is first. For work done at most once a period per identity,
    such as an audit event coalesced per client address (not counted: no limit, no alert)."""
    now = timezone.now()
    key = crypto.lookup_hash(f"once:{purpose}", ident)
    return store().claim_until(key, now + timedelta(seconds=seconds), now) is None


# --- a ceiling on work done for the whole site, whose excess is reported, not lost -----------

# How long a window's count and its "went over" marker are kept for its report: far longer than
# the hourly `edgate cleanup` that reports a window nobody came after.
REPORT_WITHIN = timedelta(days=1)


@dataclass(frozen=True)
class Overflow:
    """A past window of a ceiling that went over it: when it began and ended, and how many
    were beyond the ceiling (not done one by one, so to be reported once as a number)."""

    start: datetime
    end: datetime
    over: int


def ceiling_count(limit: Limit, ident: str) -> int:
    """Count one against a ceiling of `limit.limit` per fixed window of `limit.window` (not a
    sliding estimate: the windows are what `overflow_to_report` reports); this one's number in
    its window (within the ceiling while <= limit.limit; limit.limit + 1 is the first over it).
    The first one over it in a window marks the window, so that its excess is reported once, by
    whichever later call of `overflow_to_report` comes first. One atomic increment in the store
    (Redis, else the database), shared by every node; a store that fails raises, as for every
    limit here, so nothing is let through uncounted."""
    now = timezone.now()
    current = _windows(limit, now)[0]
    key, backend = _key(limit, ident), store()
    number = backend.incr(key, current, limit.window + REPORT_WITHIN)
    if number == limit.limit + 1:
        # The marker's time is the window's end, pushed on by REPORT_WITHIN so that it outlives
        # the window (a marker expires at its time): see overflow_to_report.
        backend.set_until(f"over:{key}", current + limit.window + REPORT_WITHIN)
    return number


def within_ceiling(limit: Limit, ident: str) -> bool:
    """`ceiling_count`, True within the ceiling."""
    return ceiling_count(limit, ident) <= limit.limit


def count_once(limit: Limit, ident: str, member: str) -> None:
    """Count `member` (an address, say) once in the current window of `limit` for `ident`: how
    many distinct members a window saw, read by `counted_once`. Only the number is kept; each
    member only as a keyed hash in a marker that lapses with the window's report."""
    now = timezone.now()
    current = _windows(limit, now)[0]
    key, backend = _key(limit, ident), store()
    until = current + limit.window + REPORT_WITHIN
    seen = crypto.lookup_hash("throttle:seen", f"{key}:{int(current.timestamp())}:{member}")
    if backend.claim_until(f"seen:{seen}", until, now) is None:
        backend.incr(f"distinct:{key}", current, limit.window + REPORT_WITHIN)


def counted_once(limit: Limit, ident: str, start: datetime) -> int:
    """The distinct members `count_once` counted in the window of `limit` that began at `start`."""
    return store().get(f"distinct:{_key(limit, ident)}", start)


def overflow_to_report(limit: Limit, ident: str) -> Overflow | None:
    """The last window of `within_ceiling(limit, ident)` that went over the ceiling, once it has
    ended, to the first caller only (an atomic claim in the store); None otherwise. Callers ask
    this before they count, so a later window can mark itself only after its own first call has
    asked, and so claimed the earlier one: each window that went over is reported once. (Across
    a switch between Redis and the database, a window marked in the store left behind is not.)"""
    now = timezone.now()
    key, backend = _key(limit, ident), store()
    marked = backend.get_until(f"over:{key}")
    if marked is None:
        return None
    end = marked - REPORT_WITHIN
    if end > now:
        return None  # still going on
    start = end - limit.window
    if backend.claim_until(f"reported:{key}:{int(start.timestamp())}", marked, now) is not None:
        return None  # reported already
    over = backend.get(key, start) - limit.limit
    return Overflow(start, end, over) if over > 0 else None


def retry_after(*attempts: Attempt) -> int:
    """Seconds until every one of these limits would let the next attempt through."""
    return max((a.retry_after for a in attempts), default=0)


def too_many(response: HttpResponse, seconds: int) -> HttpResponse:
    """A refusal by a limit: 429 Too Many Requests with Retry-After, whatever page it shows."""
    response.status_code = 429
    response.reason_phrase = "Too Many Requests"
    response["Retry-After"] = str(max(1, int(seconds)))
    return response


def attempt_all(*pairs: tuple[Limit, str | None]) -> list[Attempt]:
    """Count one attempt against several limits at once (every one is counted, none skipped,
    so a refused attempt still uses up the others), in one round trip to Redis. No identity
    (no client address) is counted under `UNKNOWN_ADDRESS`, shared by every such request: a
    node that cannot tell its clients apart refuses beyond the limit, never lets all through."""
    now = timezone.now()
    keyed = [(limit, _key(limit, _known(ident)), *_windows(limit, now)) for limit, ident in pairs]
    backend = store()
    counts = backend.count_in_all(
        [(key, current, previous, limit.window * 2) for limit, key, current, previous, _ in keyed]
    )
    attempts = []
    for (limit, key, _current, _previous, overlap), (in_current, in_previous) in zip(
        keyed, counts, strict=True
    ):
        # Rounded up: the estimate assumes the previous window's attempts were spread evenly;
        # for a security limit, err towards counting one too many rather than one too few.
        number = in_current + math.ceil(in_previous * overlap)
        tripped = (
            number > limit.limit and backend.claim_until(f"alert:{key}", now + limit.window, now) is None
        )
        attempts.append(
            Attempt(limit, number, tripped, _seconds_until_allowed(limit, in_current, in_previous, now))
        )
    return attempts


def undo(limit: Limit, ident: str | None) -> None:
    """Take back one attempt that turned out to be legitimate (a right password from an
    office's shared address must not use up that address's allowance)."""
    current, _previous, _ = _windows(limit, timezone.now())
    store().incr(_key(limit, _known(ident)), current, limit.window * 2, amount=-1)


def count(limit: Limit, ident: str) -> float:
    current, previous, overlap = _windows(limit, timezone.now())
    key = _key(limit, ident)
    backend = store()
    return backend.get(key, current) + math.ceil(backend.get(key, previous) * overlap)


def clear(limit: Limit, ident: str) -> None:
    current, previous, _ = _windows(limit, timezone.now())
    store().clear(_key(limit, ident), [current, previous])


def succeeded(limit: Limit, ident: str, *, release_hold: bool, address: tuple[Limit, str | None]) -> None:
    """A right password: clear(limit, ident), release(limit, ident) when `release_hold`, and
    undo() of the attempt counted against `address` — one round trip to Redis (one MULTI)
    instead of three; the same statements as before on the database store."""
    current, previous, _ = _windows(limit, timezone.now())
    address_limit, address_ident = address
    window = _windows(address_limit, timezone.now())[0]
    undo_key = (_key(address_limit, _known(address_ident)), window, address_limit.window * 2)
    store().settle(
        (_key(limit, ident), [current, previous]),
        _key(limit, f"hold:{ident}") if release_hold else None,
        undo_key,
    )


# --- progressive delay -------------------------------------------------------------------


def delay_for(failures: int) -> timedelta:
    """The wait imposed after the n-th counted attempt: none for the first few, then doubling."""
    policy = conf.get().sign_in_delay
    if failures < policy.free_attempts or policy.first_delay.total_seconds() <= 0:
        return timedelta(0)
    doubled = policy.first_delay * 2 ** (failures - policy.free_attempts)
    return min(doubled, policy.max_delay)


def in_flight_allowance() -> timedelta:
    """How long a claimed turn holds other attempts off while it is examined (a hash takes
    tens of milliseconds; this only matters if a worker dies mid-attempt). None when the
    progressive delay is turned off."""
    return timedelta(seconds=10) if conf.get().sign_in_delay.first_delay.total_seconds() > 0 else timedelta(0)


def take_turn(limit: Limit, ident: str, in_flight: timedelta) -> int:
    """Claim the right to examine the next attempt for `ident`, atomically: 0 when claimed
    (the marker now holds others off for `in_flight`, until the caller sets the real wait with
    hold()), else the whole seconds left of the wait in force. Of simultaneous attempts exactly
    one gets the turn, so a burst cannot slip several guesses past a wait together."""
    if in_flight.total_seconds() <= 0:
        return 0
    now = timezone.now()
    held = store().claim_until(_key(limit, f"hold:{ident}"), now + in_flight, now)
    return 0 if held is None else max(1, math.ceil((held - now).total_seconds()))


def hold(limit: Limit, ident: str, wait: timedelta) -> None:
    """No attempt for `ident` under `limit` is examined before `wait` has passed (none: the
    marker goes). Enforced by time (a marker with an expiry), never by sleeping in a worker."""
    if wait.total_seconds() > 0:
        store().set_until(_key(limit, f"hold:{ident}"), timezone.now() + wait)
    else:
        release(limit, ident)


def held_for(limit: Limit, ident: str) -> int:
    """Whole seconds left before the next attempt may be examined (0 when none)."""
    until = store().get_until(_key(limit, f"hold:{ident}"))
    if until is None:
        return 0
    return max(0, math.ceil((until - timezone.now()).total_seconds()))


def release(limit: Limit, ident: str) -> None:
    store().clear_until(_key(limit, f"hold:{ident}"))


def named(name: str) -> Limit:
    return conf.get().limit(name)


def purge_expired() -> int:
    deleted, _ = ThrottleCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
