"""The single helper every action records through, and its batch form for COPY."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from edgate.core.context import Ctx

from .chain import CONTENT_FIELDS, claim_chain, event_hash, head
from .models import AuditEvent, EventType, Outcome

Scalar = str | int | float | bool | None

# The columns of a row built by chained_rows, for `COPY audit_auditevent (…)`.
COPY_COLUMNS = (*CONTENT_FIELDS, "chain", "seq", "prev_hash", "hash")


def _safe_text(value: str, limit: int = 200) -> str:
    # CR/LF and other control characters could forge lines in a text export of the log.
    cleaned = "".join(ch if ch.isprintable() else "\ufffd" for ch in value)
    return cleaned[:limit]


def _safe_detail(detail: dict[str, Any]) -> dict[str, Scalar | list[Scalar]]:
    safe: dict[str, Scalar | list[Scalar]] = {}
    for key, value in detail.items():
        if isinstance(value, str):
            safe[_safe_text(str(key))] = _safe_text(value)
        elif isinstance(value, (list, tuple)):
            safe[_safe_text(str(key))] = [_safe_text(v) if isinstance(v, str) else v for v in value]
        elif value is None or isinstance(value, (bool, int, float)):
            safe[_safe_text(str(key))] = value
        else:
            raise TypeError(f"audit detail {key!r} must be a scalar, not {type(value).__name__}")
    return safe


def record_event(
    event_type: EventType,
    *,
    ctx: Ctx,
    target: models.Model | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        event_type=event_type,
        outcome=outcome,
        actor_id=ctx.actor_id,
        actor_label=_safe_text(ctx.actor_label, 150),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        client_ip=ctx.client_ip,
        detail=_safe_detail(detail or {}),
    )
    # A transaction of its own when called outside one (the chain lock lives until commit);
    # otherwise part of the caller's, without a savepoint: an event that cannot be written
    # leaves the action it records unable to commit.
    with transaction.atomic(savepoint=False):
        chain = claim_chain()
        seq, prev = head(chain)
        event.at = timezone.now()
        event.chain, event.seq, event.prev_hash = chain, seq + 1, prev
        event.hash = event_hash(chain, seq + 1, prev, [getattr(event, name) for name in CONTENT_FIELDS])
        event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class PendingEvent:
    """One event for chained_rows: record_event's arguments, with the target as type and id."""

    event_type: EventType
    target_type: str = ""
    target_id: str = ""
    outcome: Outcome = Outcome.SUCCESS
    detail: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None  # now, when the chain is claimed, unless given


def chained_rows(events: Iterable[PendingEvent], *, ctx: Ctx) -> list[tuple[Any, ...]]:
    """Rows (COPY_COLUMNS) for many events at once, linked into one chain, hashed in Python.

    Claims a chain exactly as record_event does, so call it inside the transaction that
    writes the rows, and write every row it returns before that transaction commits.
    """
    pending = list(events)
    if not pending:
        return []
    if not connection.in_atomic_block:
        # Outside a transaction the chain lock would end before the rows are written.
        raise TransactionManagementError("chained_rows runs inside the transaction that writes its rows")
    label = _safe_text(ctx.actor_label, 150)
    chain = claim_chain()
    seq, prev = head(chain)
    now = timezone.now()
    rows: list[tuple[Any, ...]] = []
    for event in pending:
        seq += 1
        detail = _safe_detail(event.detail)
        content = (
            event.at or now,
            str(event.event_type),
            str(event.outcome),
            ctx.actor_id,
            label,
            event.target_type,
            event.target_id,
            ctx.client_ip or None,
            detail,
        )
        digest = event_hash(chain, seq, prev, content)
        rows.append((*content[:-1], json.dumps(detail), chain, seq, prev, digest))
        prev = digest
    return rows
