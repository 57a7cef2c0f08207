"""The hash chains that make the audit log tamper-evident.

Every event belongs to a chain and has a place in it (`seq` = 1, 2, 3, …). It stores the
hash of the event before it (`prev_hash`) and its own `hash`: an HMAC, under a key derived
from LOOKUP_KEY, of a canonical serialisation of its fields, its chain, seq and prev_hash.
Someone with access to the database alone can neither edit an event nor delete one without
breaking the chain (content changed, link broken or sequence gap) because they cannot
recompute the HMACs; only cutting off the end of a chain needs an anchor kept elsewhere
(`edgate audit verify` prints one per chain).

Why several chains. One chain would make every audited write of the portal queue behind one
lock until its transaction commits. On PostgreSQL a transaction claims one of CHAINS chains
with `pg_try_advisory_xact_lock`, first the chain its connection used last, then the others
in random order, so it never waits for a chain that someone else holds while a free one
exists. Once it holds a chain the lock is re-entrant, so every event of one transaction goes
to that chain, and the lock is held until commit: the next holder reads the committed head.
When all CHAINS are taken it does not wait either (waiting would deadlock as soon as a
holder waits for a row this transaction has locked): it opens an overflow chain, the first
free number above CHAINS. Each transaction holds at most one chain, so overflow chains are
bounded by the number of concurrent transactions; `verify` walks whatever chains exist. A
lock taken in a savepoint that rolls back is released with the events written under it.
SQLite has one writer at a time; one chain is enough there.

Assumes READ COMMITTED (Django's default on PostgreSQL): the head is read after the lock is
granted, by a statement that sees what the previous holder committed.
"""

from __future__ import annotations

import ipaddress
import json
import random
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from edgate.core import crypto

from .models import AuditEvent

CHAINS = 32  # on PostgreSQL; beyond this many concurrent audited transactions, overflow chains
MAX_CHAIN = 32767  # the column is a smallint
LOCK_NAMESPACE = 0x6561  # first key of pg_advisory_xact_lock(ns, chain); see usernames.py for others
FORMAT = 1  # version of the canonical serialisation, part of what is hashed
PURPOSE = "audit-chain"  # domain separation from the other lookup_hash uses of LOOKUP_KEY

# What an event says, in the order the canonical serialisation lists it after chain, seq, prev_hash.
CONTENT_FIELDS = (
    "at",
    "event_type",
    "outcome",
    "actor_id",
    "actor_label",
    "target_type",
    "target_id",
    "client_ip",
    "detail",
)

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)

# Django connections are per thread: the chain "this connection used last" lives here.
_last = threading.local()


# --- canonical serialisation ----------------------------------------------------------------
def _plain(value: Any) -> Any:
    """`value` as both databases give it back, for json.dumps(sort_keys=True) (jsonb reorders keys).

    PostgreSQL keeps `detail` as jsonb, whose numbers are decimals: 1e16 comes back as the
    integer 10000000000000000, -0.0 as 0, 2.0 as 2.0. Integral floats therefore become the
    exact integer their shortest repr denotes; other floats keep their repr, which reads back
    to the same float. Keys become strings, as in any JSON.
    """
    if isinstance(value, float):
        return int(Decimal(repr(value))) if value.is_integer() else value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int):  # bool is an int
        return value
    raise TypeError(f"cannot serialise {type(value).__name__} in an audit event")


@lru_cache(maxsize=64)
def _timestamp(at: datetime) -> str:
    # Both databases keep microseconds; PostgreSQL returns UTC, SQLite naive UTC made aware.
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@lru_cache(maxsize=1024)
def _address(value: str | None) -> str | None:
    # Empty means unknown (stored as NULL); PostgreSQL's inet prints IPv6 its own way.
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return str(value)


def canonical(chain: int, seq: int, prev_hash: str, content: Sequence[Any]) -> str:
    """The text that is hashed: `content` holds the values of CONTENT_FIELDS, in that order."""
    head, target_id, tail = _parts(content)
    return _ENCODER.encode([FORMAT, chain, seq, prev_hash, *head, target_id or "", *tail])


def _parts(content: Sequence[Any]) -> tuple[tuple[Any, ...], Any, tuple[Any, ...]]:
    """`content` as the hashed text has it: the values before the target's id, the id, the
    values after it (shared by `canonical` and `target_hasher`, so the two cannot drift)."""
    at, event_type, outcome, actor_id, actor_label, target_type, target_id, client_ip, detail = content
    head = (_timestamp(at), str(event_type), str(outcome), actor_id, actor_label or "", target_type or "")
    tail = (_address(client_ip), _plain(detail if detail is not None else {}))
    return head, target_id, tail


def event_hash(chain: int, seq: int, prev_hash: str, content: Sequence[Any]) -> str:
    """HMAC-SHA256 under LOOKUP_KEY (crypto.lookup_hash): a database dump alone cannot forge it."""
    return crypto.lookup_hash(PURPOSE, canonical(chain, seq, prev_hash, content))


def target_hasher(chain: int, content: Sequence[Any]) -> Callable[[int, str, str], str]:
    """`event_hash` of events that differ from `content` only in their target's id, as a function
    of (seq, prev_hash, target_id): the canonical text around those three is encoded once. A
    batch writer (the bulk import) hashes the same event for a million targets. JSON of a list
    is its items' JSON joined by the separator, so the text is `canonical`'s to the byte (tests
    compare the two)."""
    head, _target_id, tail = _parts(content)
    encode = _ENCODER.encode
    start = f"[{encode(FORMAT)},{encode(chain)},"
    middle = ",".join(encode(value) for value in head)
    end = ",".join(encode(value) for value in tail) + "]"

    def hash_of(seq: int, prev_hash: str, target_id: str) -> str:
        if type(seq) is not int:  # JSON of anything else (a bool) is not its str()
            raise TypeError("seq must be an int")
        text = f"{start}{seq},{encode(prev_hash)},{middle},{encode(target_id or '')},{end}"
        return crypto.lookup_hash(PURPOSE, text)

    return hash_of


# --- claiming a chain -----------------------------------------------------------------------
def claim_chain() -> int:
    """Take a chain for the current transaction (call inside transaction.atomic)."""
    table = _table()
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            # Take SQLite's write lock before reading the head, so that a concurrent writer
            # (deferred transactions) cannot read the same head in between: this no-op
            # UPDATE touches no row (the append-only trigger is per row) but locks for writing.
            cursor.execute(f"UPDATE {table} SET seq = seq WHERE 0")  # noqa: S608 - fixed name
            return 0
        preferred = getattr(_last, "chain", None)
        if preferred is None:
            preferred = random.randrange(CHAINS)  # noqa: S311 - spreading load, not a secret
        others = [c for c in range(CHAINS) if c != preferred]
        random.shuffle(others)
        for chain in [preferred, *others]:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, chain])
            if cursor.fetchone()[0]:
                _last.chain = chain
                return chain
        # Every regular chain is held by a running transaction: open an overflow chain rather
        # than wait. Each transaction holds one chain at most, so a free one comes quickly.
        for chain in range(CHAINS, MAX_CHAIN + 1):
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, chain])
            if cursor.fetchone()[0]:
                _last.chain = chain
                return chain
    raise RuntimeError("no free audit chain")  # more concurrent transactions than chain numbers


def head(chain: int) -> tuple[int, str]:
    """(seq, hash) of the last event of `chain`, (0, "") for an empty chain; uses (chain, seq)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seq, hash FROM {_table()} WHERE chain = %s ORDER BY seq DESC LIMIT 1",  # noqa: S608
            [chain],
        )
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else (0, "")


def _table() -> str:
    return connection.ops.quote_name(AuditEvent._meta.db_table)


# --- events written before the chain existed ---------------------------------------------
def backfill(model: type[Model], db: BaseDatabaseWrapper, *, batch: int = 2000) -> int:
    """Append the events that have no chain yet (ordered by id) to chain 0; return how many.

    Used by the migration that introduced the chain, with the historical model: it reads
    through the ORM (so values come back exactly as `verify` will read them) and writes
    with plain UPDATEs, which the migration allows by dropping the append-only triggers
    around it.
    """
    manager = model._default_manager.db_manager(db.alias)
    last = manager.filter(chain=0).order_by("-seq").values_list("seq", "hash").first()
    seq, prev = (int(last[0]), str(last[1])) if last else (0, "")
    after, total = 0, 0
    table = db.ops.quote_name(model._meta.db_table)
    while True:
        rows = list(
            manager.filter(chain__isnull=True, pk__gt=after)
            .order_by("pk")
            .values_list("pk", *CONTENT_FIELDS)[:batch]
        )
        if not rows:
            return total
        updates = []
        for pk, *content in rows:
            seq += 1
            digest = event_hash(0, seq, prev, content)
            updates.append((0, seq, prev, digest, pk))
            prev = digest
        with db.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET chain = %s, seq = %s, prev_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
                updates,
            )
        after, total = rows[-1][0], total + len(rows)
