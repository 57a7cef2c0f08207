"""Pages of a flow refused as attempts to get round it, in the audit log (ASVS V16.3.3).

core.flowview refuses them (a tampered flow id, another browser's or a forged one, a step the
flow has not reached) and says so with its `flow_refused` signal; this records the event. Core
cannot record it itself: the audit app builds on core, not the other way.

Nothing typed is recorded: the flow's kind, the reason, the method and path (never the query
string), and a keyed hash of the flow id, enough to tell one flow's refusals from another's
without the id that opens it; the actor when signed in and the client address, as every event.

Each event takes the audit chain's lock and writes a row, so a robot replaying forged ids would
turn each request into a write: an address gets at most one event a minute for each reason
(a marker in the throttle store, `throttle.first_in`; an IPv6 client counted by its network as
the per-address limits count it). The refusals in between are not recorded one by one.

Many addresses (a robot holding many IPv6 networks) could still each write one a minute, so the
whole site writes at most THROTTLES["flow_refused_site"] of these events a minute for each
reason (60 by default; `throttle.ceiling_count`): each reason its own budget, so that free
refusals (forged ids, which anyone can make up) cannot use up the minute and hide the ones
that matter (another session's flow, a skipped step). Beyond it they are counted, not
written; the first one beyond it in a minute writes a `security.throttle_alert` at once (the
limit and the reason), and their number is written once the minute is over, as one
`security.flow_refusals_suppressed` event with the count for each reason and how many
distinct addresses they came from (`throttle.count_once`: counted, never listed) — by the
next refusal to be recorded, or by the hourly `edgate cleanup` if none comes
(`report_suppressed`). So none is dropped without a trace, with one exception: the counts
live in the throttle store (Redis, else the database), and a minute counted in one store when
the site switches to the other (Redis going down or coming back) is not reported.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest

from edgate.core import crypto, throttle
from edgate.core.context import Ctx, ctx_from_request
from edgate.core.flow import Graph
from edgate.core.flowview import REFUSAL_REASONS

from .models import AuditEvent, EventType, Outcome
from .record import record_event, record_throttle_alert

COALESCE_SECONDS = 60
# Events a minute for the whole site and each reason (EDGATE["THROTTLES"]); the rest are counted
# and reported.
CEILING = "flow_refused_site"
SITE = "site"


def record_flow_refused(
    sender: Any,
    *,
    request: HttpRequest,
    graph: Graph,
    reason: str,
    flow_id: str,
    why: str = "",
    **kwargs: Any,
) -> None:
    ctx = ctx_from_request(request)
    address = throttle.address_ident(ctx.client_ip) if ctx.client_ip else ""
    if not throttle.first_in(f"flow_refused:{reason}", address, COALESCE_SECONDS):
        return
    report_suppressed()
    limit = throttle.named(CEILING)
    number = throttle.ceiling_count(limit, f"{SITE}:{reason}")
    if number > limit.limit:
        # Counted: the minute's numbers are reported once it is over (report_suppressed).
        throttle.count_once(limit, SITE, address)
        if number == limit.limit + 1:
            record_throttle_alert(ctx=ctx, limit=CEILING, attempts=number, reason=reason)
        return
    record_event(
        EventType.FLOW_REFUSED,
        ctx=ctx,
        outcome=Outcome.DENIED,
        detail={
            "flow": graph.kind,
            "reason": reason,
            "method": request.method,
            "path": request.path,
            "flow_id": crypto.lookup_hash("audit:flow_id", flow_id)[:16] if flow_id else "",
            **({"why": why} if why else {}),
        },
    )


def record_flow_adopted(
    sender: Any, *, request: HttpRequest, graph: Graph, flow_id: str, **kwargs: Any
) -> None:
    """Page 1's row handed to the session of the same browser's second click (core.flow.adopt):
    at most once a row, and rows are limited per address (THROTTLES["flow_start_address"])."""
    record_event(
        EventType.FLOW_ADOPTED,
        ctx=ctx_from_request(request),
        detail={"flow": graph.kind, "flow_id": crypto.lookup_hash("audit:flow_id", flow_id)[:16]},
    )


def report_suppressed() -> list[AuditEvent]:
    """The refusals past minutes did not record one by one because a reason's ceiling was
    reached: one event for each such minute, with the number for each reason and the number of
    distinct addresses (once, whoever asks first: the next refusal, or `edgate cleanup`); none
    when there is nothing to report. Not any one client's doing, so the event names no client
    address."""
    limit = throttle.named(CEILING)
    minutes: dict[tuple[datetime, datetime], dict[str, int]] = {}
    for reason in REFUSAL_REASONS:
        overflow = throttle.overflow_to_report(limit, f"{SITE}:{reason}")
        if overflow is not None:
            minutes.setdefault((overflow.start, overflow.end), {})[reason] = overflow.over
    return [
        record_event(
            EventType.FLOW_REFUSALS_SUPPRESSED,
            ctx=Ctx.system(),
            outcome=Outcome.DENIED,
            detail={
                "suppressed": sum(by_reason.values()),
                # audit details are flat: one key for each reason that went over
                **{f"suppressed_{reason}": number for reason, number in by_reason.items()},
                "addresses": throttle.counted_once(limit, SITE, start),
                "ceiling": limit.limit,
                "from": start.isoformat(),
                "until": end.isoformat(),
            },
        )
        for (start, end), by_reason in sorted(minutes.items())
    ]
