"""Writes to a match case after it is opened (`service.do_open_case` opens it)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from edgate.audit.events import audited, changes
from edgate.audit.models import EventType
from edgate.audit.record import record_event
from edgate.core.context import Ctx
from edgate.directory.models import Organization

from .models import CaseStatus, MatchCase


@audited(EventType.MATCH_CASE_STATUS_CHANGED)
@transaction.atomic
def do_set_case_status(*, case: MatchCase, status: str, ctx: Ctx) -> MatchCase:
    """Resolve a case (by whom and when is kept on the case) or reopen it."""
    if status not in CaseStatus.values:
        raise ValueError(f"unknown case status {status!r}")
    case = MatchCase.objects.select_for_update().get(pk=case.pk)
    if case.status == status:
        return case
    before = {"status": case.status}
    case.status = status
    resolved = status == CaseStatus.RESOLVED
    case.resolved_at = timezone.now() if resolved else None
    case.resolved_by_id = ctx.actor_id if resolved else None
    case.save(update_fields=["status", "resolved_at", "resolved_by"])
    detail = {"reference": case.reference} | changes(before, {"status": status})
    record_event(EventType.MATCH_CASE_STATUS_CHANGED, ctx=ctx, target=case, detail=detail)
    return case


@audited(EventType.MATCH_CASE_ROUTED)
@transaction.atomic
def do_route_case(*, case: MatchCase, organizations: Iterable[Organization], ctx: Ctx) -> MatchCase:
    """Change which organizations' queues the case is in (customer service always sees it)."""
    case = MatchCase.objects.select_for_update().get(pk=case.pk)
    new = list(set(organizations))
    before = {"organizations": sorted(case.organizations.values_list("code", flat=True))}
    after = {"organizations": sorted(org.code for org in new)}
    if before == after:
        return case
    case.organizations.set(new)
    detail = {"reference": case.reference} | changes(before, after)
    record_event(EventType.MATCH_CASE_ROUTED, ctx=ctx, target=case, detail=detail)
    return case
