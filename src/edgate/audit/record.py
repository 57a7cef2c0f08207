"""The single helper every action records through (its batch form is audit.events.chained_rows)."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from edgate.core.context import Ctx

from .chain import CONTENT_FIELDS, claim_chain, event_hash, head
from .models import AuditEvent, EventType, Outcome

Scalar = str | int | float | bool | None


# A detail's text is kept up to this many characters: a console reason or note (at most
# backoffice.case_forms.REASON_MAX, 1000) is kept whole. Keys and labels stay shorter.
DETAIL_TEXT_MAX = 1000


def _safe_text(value: str, limit: int = 200) -> str:
    # CR/LF and other control characters could forge lines in a text export of the log.
    cleaned = "".join(ch if ch.isprintable() else "\ufffd" for ch in value)
    return cleaned[:limit]


def _safe_detail(detail: dict[str, Any]) -> dict[str, Scalar | list[Scalar]]:
    safe: dict[str, Scalar | list[Scalar]] = {}
    for key, value in detail.items():
        if isinstance(value, str):
            safe[_safe_text(str(key))] = _safe_text(value, DETAIL_TEXT_MAX)
        elif isinstance(value, (list, tuple)):
            safe[_safe_text(str(key))] = [
                _safe_text(v, DETAIL_TEXT_MAX) if isinstance(v, str) else v for v in value
            ]
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


def record_throttle_alert(
    *, ctx: Ctx, limit: str, attempts: int, target: models.Model | None = None, reason: str = ""
) -> AuditEvent:
    """The first refusal of a limit in a window's time, for customer service to look at (with
    `reason` for a limit counted per reason: flow_refused_site)."""
    return record_event(
        EventType.THROTTLE_ALERT,
        ctx=ctx,
        target=target,
        outcome=Outcome.DENIED,
        detail={"limit": limit, "attempts": attempts, **({"reason": reason} if reason else {})},
    )
