"""What each action records, declared; and events built before they are written.

`@audited(EventType.X)` puts the event types an action records on the action itself, so a test
can run every action and check that it writes what it declares. A `PendingEvent` is an event
built by the action that owns it: written at once by `record()`, or collected by a batch writer
(the bulk import) that must write exactly what the per-row action would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models

from edgate.core.context import Ctx

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
            "actor_label": _safe_text(self.ctx.actor_label, 150),
            "target_type": self.target._meta.label_lower if self.target is not None else "",
            "target_id": str(self.target.pk) if self.target is not None else "",
            "client_ip": self.ctx.client_ip,
            "detail": _safe_detail(dict(self.detail)),
        }


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
