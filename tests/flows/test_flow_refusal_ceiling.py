"""Refused flow pages have a ceiling for the whole site (review finding L2).

Each client address writes at most one `security.flow_refused` a minute per reason, but a robot
holding many addresses (an IPv6 /64 each is cheap) could still write one per network per minute,
each taking the audit chain's lock. So the site writes at most THROTTLES["flow_refused_site"]
a minute; the refusals beyond it are counted and their number written once the minute is over,
as one `security.flow_refusals_suppressed` event: by the next refusal recorded, or by
`edgate cleanup` when none comes. With Redis, with the database store, and with Redis down.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from edgate.audit.models import AuditEvent, EventType, Outcome
from edgate.core import conf
from edgate.core.outage import REDIS
from tests.factories import someone
from tests.unit.test_throttle import use_redis

from .helpers import post_step, start, step, url

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["database", "redis", "redis down"])
def store(request: pytest.FixtureRequest, settings):  # type: ignore[no-untyped-def]
    REDIS.reset()
    if request.param == "redis":
        use_redis(settings)
    elif request.param == "redis down":
        settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens: the database counts
    edgate = copy.deepcopy(settings.EDGATE)
    edgate["THROTTLES"]["flow_refused_site"] = (3, 60)
    settings.EDGATE = edgate
    conf.reset()
    yield request.param
    REDIS.reset()


def events(event_type: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def robots(first: int, count: int) -> None:
    """`count` robots, each from an IPv6 network of its own, each asking for a page of a flow
    under an id this site never issued (each one its address's first refusal of the minute)."""
    for n in range(first, first + count):
        robot = Client(REMOTE_ADDR=f"2001:db8:{n:x}::1")
        assert robot.get(f"{step('security')}?flow=not-an-id").status_code in (200, 303)


def begun(client: Client, last: str) -> None:
    """A registration of the client's own, past page 1."""
    start(client)
    post_step(client, "identity", someone("Quinn", last).identity_post())


def test_many_networks_write_at_most_the_ceiling_a_minute_and_the_number_beyond_it(store: str) -> None:
    minute = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=2)
    with time_machine.travel(minute + timedelta(seconds=5), tick=False):
        robots(0, 8)
    assert len(events(EventType.FLOW_REFUSED)) == 3
    assert events(EventType.FLOW_REFUSALS_SUPPRESSED) == []  # the minute is not over

    # The next minute's first refusal writes the last one's number, then its own event.
    with time_machine.travel(minute + timedelta(seconds=70), tick=False):
        robots(100, 5)
    [summary] = events(EventType.FLOW_REFUSALS_SUPPRESSED)
    assert summary.outcome == Outcome.DENIED and summary.client_ip is None and summary.actor_id is None
    assert summary.detail == {
        "suppressed": 5,
        "suppressed_forged_id": 5,
        "addresses": 5,
        "ceiling": 3,
        "from": minute.isoformat(),
        "until": (minute + timedelta(minutes=1)).isoformat(),
    }
    assert len(events(EventType.FLOW_REFUSED)) == 6

    # Nobody comes after that minute: the hourly cleanup writes its number, once.
    with time_machine.travel(minute + timedelta(minutes=50), tick=False):
        out = StringIO()
        call_command("cleanup", stdout=out)
        assert "Recorded 2 refusal events beyond the site's ceiling" in out.getvalue()
        call_command("cleanup", stdout=StringIO())
        robots(200, 1)
    assert [e.detail["suppressed"] for e in events(EventType.FLOW_REFUSALS_SUPPRESSED)] == [5, 2]
    assert len(events(EventType.FLOW_REFUSED)) == 7
    # The first refusal beyond the ceiling in each minute raised an alert at once.
    assert [(e.detail["limit"], e.detail["reason"]) for e in events(EventType.THROTTLE_ALERT)] == [
        ("flow_refused_site", "forged_id"),
        ("flow_refused_site", "forged_id"),
    ]


def test_free_refusals_do_not_use_up_the_budget_of_the_ones_that_matter(store: str) -> None:
    """Review M2: forged ids cost nothing to make up; with one ceiling for every reason, a robot
    filled the minute with them and another session's flow asked for, or a skipped step, went
    unrecorded. Each reason has its own budget; the summary counts each reason and the distinct
    addresses (one address refused for two reasons is one)."""
    minute = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=2)
    with time_machine.travel(minute + timedelta(seconds=5), tick=False):
        robots(0, 8)
        owner = Client(REMOTE_ADDR="198.51.100.40")
        begun(owner, "Ledger")
        for n in range(5):  # robots with sessions of their own, each asking for the owner's flow
            thief = Client(REMOTE_ADDR=f"2001:db8:{n:x}::1")  # the first 5 forgers' networks
            begun(thief, f"Thief{n}")
            thief.get(url(owner, "contact"))
        assert [e.detail["reason"] for e in events(EventType.FLOW_REFUSED)] == ["forged_id"] * 3 + [
            "not_this_session"
        ] * 3
    with time_machine.travel(minute + timedelta(seconds=70), tick=False):
        owner.get(url(owner, "review"))  # a skipped step, next minute: writes the summary first
    [summary] = events(EventType.FLOW_REFUSALS_SUPPRESSED)
    assert (summary.detail["suppressed_forged_id"], summary.detail["suppressed_not_this_session"]) == (5, 2)
    assert summary.detail["suppressed"] == 7 and summary.detail["addresses"] == 5
    assert events(EventType.FLOW_REFUSED)[-1].detail["reason"] == "step_skipped"


def test_a_quiet_site_writes_no_summary(store: str) -> None:
    minute = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=2)
    with time_machine.travel(minute + timedelta(seconds=5), tick=False):
        robots(0, 3)
    with time_machine.travel(minute + timedelta(minutes=5), tick=False):
        call_command("cleanup", stdout=StringIO())
        robots(10, 1)
    assert len(events(EventType.FLOW_REFUSED)) == 4
    assert events(EventType.FLOW_REFUSALS_SUPPRESSED) == []
