"""What each action records, declared; and events built before they are written.

`@audited(EventType.X)` puts the event types an action records on the action itself, so a test
can run every action and check that it writes what it declares. A `PendingEvent` is an event
built by the action that owns it: written at once by `record()`, or collected by a batch writer
(the bulk import) that must write exactly what the per-row action would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from django.db import connection, models
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from edgate.core.context import Ctx

from .chain import CONTENT_FIELDS, claim_chain, event_hash, head, target_hasher
from .models import AuditEvent, EventType, Outcome
from .record import _safe_detail, _safe_text, record_event

F = TypeVar("F", bound=Callable[..., Any])


def audited(*event_types: EventType) -> Callable[[F], F]:
    """Declare the event type(s) an action records (on the function, as `audit_events`)."""

    def declare(action: F) -> F:
        action.audit_events = frozenset(event_types)  # type: ignore[attr-defined]
        return action

    return declare


def declared_events(action: Callable[..., Any]) -> frozenset[EventType]:
    return getattr(action, "audit_events", frozenset())


@dataclass(frozen=True)
class PendingEvent:
    event_type: EventType
    ctx: Ctx
    target: models.Model | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    outcome: Outcome = Outcome.SUCCESS

    def record(self) -> AuditEvent:
        return record_event(
            self.event_type, ctx=self.ctx, target=self.target, outcome=self.outcome, detail=dict(self.detail)
        )

    def columns(self) -> dict[str, Any]:
        """The AuditEvent columns `record()` would write, for a writer that batches (no `at`, no id)."""
        return {
            "event_type": self.event_type.value,
            "outcome": Outcome(self.outcome).value,
            "actor_id": self.ctx.actor_id,
            "actor_label": _safe_label(self.ctx.actor_label),
            "target_type": self.target._meta.label_lower if self.target is not None else "",
            "target_id": str(self.target.pk) if self.target is not None else "",
            "client_ip": self.ctx.client_ip,
            "detail": _safe_detail(dict(self.detail)),
        }


@lru_cache(maxsize=64)
def _safe_label(label: str) -> str:
    """An actor's label as `record_event` stores it, worked out once per label: a batch writer
    (the bulk import) gives the same one to a million events."""
    return _safe_text(label, 150)


# The columns of a row built by chained_rows, for `COPY audit_auditevent (…)`.
COPY_COLUMNS = (*CONTENT_FIELDS, "chain", "seq", "prev_hash", "hash")


def chained_rows(events: Iterable[PendingEvent], *, at: datetime | None = None) -> list[tuple[Any, ...]]:
    """Rows (COPY_COLUMNS) for many events at once, linked into one chain, hashed in Python:
    exactly what `record()` would write for each, in one go.

    Claims a chain exactly as record_event does, so call it inside the transaction that
    writes the rows, and write every row it returns before that transaction commits.
    """
    pending = list(events)
    if not pending:
        return []
    if not connection.in_atomic_block:
        # Outside a transaction the chain lock would end before the rows are written.
        raise TransactionManagementError("chained_rows runs inside the transaction that writes its rows")
    chain = claim_chain()
    seq, prev = head(chain)
    when = at or timezone.now()
    rows: list[tuple[Any, ...]] = []
    for event in pending:
        seq += 1
        columns = event.columns() | {"at": when}
        columns["client_ip"] = columns["client_ip"] or None
        content = tuple(columns[name] for name in CONTENT_FIELDS)
        digest = event_hash(chain, seq, prev, content)
        rows.append((*content[:-1], json.dumps(columns["detail"]), chain, seq, prev, digest))
        prev = digest
    return rows


def chained_rows_for_targets(
    events: Sequence[PendingEvent], targets: Iterable[Sequence[str]], *, at: datetime | None = None
) -> list[tuple[Any, ...]]:
    """`chained_rows` of, for each item of `targets`, `events` again with only their targets'
    ids replaced by the item's (one id per event, in order): the rows of a batch writer whose
    events differ from row to row only by their targets (the bulk import: a Person, its Profile
    and its staff entry created, with the same detail for the whole file). Each event's columns,
    its detail's JSON and the canonical text around the ids are worked out once; the rows are
    `chained_rows`'s to the byte (tests compare the two). Same transaction rule as `chained_rows`."""
    if not connection.in_atomic_block:
        raise TransactionManagementError("chained_rows runs inside the transaction that writes its rows")
    chain: int | None = None
    rows: list[tuple[Any, ...]] = []
    for ids in targets:
        if chain is None:  # claimed only when there is a row to write, as chained_rows does
            chain = claim_chain()
            seq, prev = head(chain)
            kinds = [_kind(event, chain, at or timezone.now()) for event in events]
        for (before, after, detail, hash_of), target_id in zip(kinds, ids, strict=True):
            seq += 1
            digest = hash_of(seq, prev, target_id)
            rows.append((*before, target_id, *after, detail, chain, seq, prev, digest))
            prev = digest
    return rows


_TARGET = CONTENT_FIELDS.index("target_id")


def _kind(
    event: PendingEvent, chain: int, when: datetime
) -> tuple[tuple[Any, ...], tuple[Any, ...], str, Callable[[int, str, str], str]]:
    columns = event.columns() | {"at": when}
    columns["client_ip"] = columns["client_ip"] or None
    content = tuple(columns[name] for name in CONTENT_FIELDS)
    return (
        content[:_TARGET],
        content[_TARGET + 1 : -1],
        json.dumps(columns["detail"]),
        target_hasher(chain, content),
    )


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Old and new values of what changed, for an event's detail.

    {"fields": ["status"], "status_old": "active", "status_new": "locked"}. Only for values that
    are not personal data (status, privileges, configuration): person data records names only.
    """
    names = [name for name in after if before.get(name) != after[name]]
    detail: dict[str, Any] = {"fields": names}
    for name in names:
        detail[f"{name}_old"] = before.get(name)
        detail[f"{name}_new"] = after[name]
    return detail
