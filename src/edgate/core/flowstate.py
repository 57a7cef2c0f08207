"""Start, find and end server-side flows; the browser's session holds only the flow id."""

from __future__ import annotations

from enum import Enum
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from . import conf
from .models import Flow


class Lookup(Enum):
    FOUND = "found"
    MISSING = "missing"
    EXPIRED = "expired"


def _session_key(kind: str) -> str:
    return f"edgate.flow.{kind}"


def start(request: HttpRequest, *, kind: str, state: str, data: dict[str, Any] | None = None) -> Flow:
    end(request, kind=kind)
    flow = Flow(kind=kind, state=state, expires_at=timezone.now() + conf.get().flow_ttl)
    flow.data = data or {}
    flow.save()
    request.session[_session_key(kind)] = flow.pk
    return flow


def find(request: HttpRequest, *, kind: str, for_update: bool = False) -> tuple[Lookup, Flow | None]:
    flow_id = request.session.get(_session_key(kind))
    if not flow_id:
        return Lookup.MISSING, None
    rows = Flow.objects.select_for_update() if for_update else Flow.objects
    flow = rows.filter(pk=flow_id, kind=kind).first()
    if flow is None:
        request.session.pop(_session_key(kind), None)
        return Lookup.MISSING, None
    if flow.is_expired:
        flow.delete()
        request.session.pop(_session_key(kind), None)
        return Lookup.EXPIRED, None
    return Lookup.FOUND, flow


def touch(flow: Flow) -> None:
    """Each step taken extends the flow's life by the TTL."""
    flow.expires_at = timezone.now() + conf.get().flow_ttl
    flow.save()


def end(request: HttpRequest, *, kind: str) -> None:
    flow_id = request.session.pop(_session_key(kind), None)
    if flow_id:
        Flow.objects.filter(pk=flow_id).delete()


def purge_expired() -> int:
    deleted, _ = Flow.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
