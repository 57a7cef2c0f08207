"""The case counts the console's side navigation and front page show ("Cases (3 open)")."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Count, Q

from edgate.matching.models import CaseStatus

from .. import case_next, scope

register = template.Library()


@register.simple_tag(takes_context=True)
def case_counts(context: template.Context) -> dict[str, Any] | None:
    """Open and escalated cases in the actor's scope; None when the page has no console actor."""
    request = context.get("request")
    actor = scope.actor_for(request) if request is not None and request.user.is_authenticated else None
    if actor is None or not actor.has_any(scope.DIRECTORY):
        return None
    counts = scope.cases(actor).aggregate(
        open=Count("pk", filter=Q(status=CaseStatus.OPEN)),
        escalated=Count("pk", filter=Q(status=CaseStatus.ESCALATED)),
    )
    return {**counts, "agency": actor.is_agency}


@register.filter
def lower_first(value: object) -> str:
    """A case's outcome inside brackets: "Resolved (the person has their Profile)"."""
    return case_next.lower_first(value)
