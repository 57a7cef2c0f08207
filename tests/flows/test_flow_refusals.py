"""Pages of a flow refused as attempts to get round it are audit events (ASVS V16.3.2,
V16.3.3): a skipped step, a flow id this browser does not own, a tampered page. Nothing typed
is recorded, the flow id only as a keyed hash; at most one event a minute per address and
reason, so replaying refused pages cannot turn each request into an audit write."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edgate.audit.models import AuditEvent, EventType, Outcome
from edgate.core import flow as engine
from tests.factories import CONTACT_POST, someone

from .helpers import flow_id, location, post_step, start, step, url

pytestmark = pytest.mark.django_db
COOKIES = "Your browser did not keep your place"


def refusals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.FLOW_REFUSED).order_by("id"))


def begun(client: Client, last: str) -> str:
    """A registration past page 1 (at "contact"); its flow id."""
    start(client)
    who = someone("Quinn", last)
    post_step(client, "identity", who.identity_post())
    return flow_id(client)


def test_a_skipped_step_is_audited_once_a_minute_per_address(client: Client) -> None:
    flow = begun(client, "Harlow")
    for _ in range(5):
        assert location(client.get(url(client, "review"))) == step("contact")
    [event] = refusals()
    assert event.outcome == Outcome.DENIED and event.client_ip == "127.0.0.1" and event.actor_id is None
    assert event.detail == {
        "flow": "registration",
        "reason": "step_skipped",
        "method": "GET",
        "path": step("review"),
        "flow_id": event.detail["flow_id"],
    }
    hashed = event.detail["flow_id"]
    assert len(hashed) == 16 and hashed not in flow and flow not in json.dumps(event.detail)
    assert "Harlow" not in json.dumps(event.detail)
    # Back to a page already answered is not a skip; the page the flow is on neither.
    client.get(url(client, "identity"))
    post_step(client, "contact", CONTACT_POST)
    client.get(url(client, "contact"))
    assert len(refusals()) == 1
    # A minute later the next skip is recorded again, with the same flow's hash.
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert location(client.post(url(client, "review"), {"flow": flow, "confirm": "on"})) == step(
            "security"
        )
    later = refusals()[1]
    assert (later.detail["reason"], later.detail["method"], later.detail["flow_id"]) == (
        "step_skipped",
        "POST",
        hashed,
    )
    # Another address is counted on its own.
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")
    begun(elsewhere, "Okafor")
    elsewhere.get(url(elsewhere, "review"))
    assert [e.client_ip for e in refusals()] == ["127.0.0.1", "127.0.0.1", "203.0.113.7"]


def test_another_browsers_flow_id_is_audited(client: Client) -> None:
    begun(client, "Lindgren")
    stolen = url(client, "contact")
    # A browser with a session of its own, not the owner's: refused, and recorded.
    robot = Client(REMOTE_ADDR="203.0.113.20")
    begun(robot, "Pryce")
    for _ in range(3):
        assert location(robot.get(stolen)) == step("identity")  # a page 1 of its own
    [event] = refusals()
    assert (event.client_ip, event.detail["reason"], event.detail["path"]) == (
        "203.0.113.20",
        "not_this_session",
        step("contact"),
    )
    # Without any session cookie, from elsewhere: told that cookies are needed (what a browser
    # that blocks cookies is told: next test), and recorded apart (review M1: a script dropped
    # its session cookie to go unrecorded).
    cookieless = Client(REMOTE_ADDR="203.0.113.22")
    assert COOKIES in cookieless.get(stolen).content.decode()
    assert [(e.client_ip, e.detail["reason"]) for e in refusals()][1:] == [("203.0.113.22", "no_session")]
    # An id this site never issued, posted on page 1 by a browser with a session of its own.
    other = Client(REMOTE_ADDR="203.0.113.21")
    begun(other, "Marsh")
    forged = engine.pending_id()[:-2] + "AA"
    other.post(
        f"{step('identity')}?flow={forged}", {"flow": forged, **someone("Ada", "Marsh").identity_post()}
    )
    assert [(e.client_ip, e.detail["reason"]) for e in refusals()][2:] == [("203.0.113.21", "forged_id")]
    # A well-formed id of no flow reads as one that ended or expired: not recorded. An id in no
    # form this site issues is.
    robot.get(f"{step('security')}?flow={'A' * 43}")
    assert len(refusals()) == 3
    # An id in no form this site issues is, with a session or without (no browser makes one up).
    cookieless.get(f"{step('security')}?flow=not-an-id")
    assert [(e.client_ip, e.detail["reason"]) for e in refusals()][3:] == [("203.0.113.22", "forged_id")]


def test_a_browser_that_blocks_cookies_is_told_so_and_not_audited() -> None:
    """Review finding L1: a browser that keeps no cookie was audited as `not_this_session`
    (another session's flow) once a minute: a person's browser setting read as an attack."""
    path, seen = reverse("recovery:start"), []
    browser = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(3):  # the entry starts a flow and sends the browser to it, which comes back
        browser.cookies.clear()
        response = browser.get(path)
        seen.append(response.status_code)
        if response.status_code != 303:
            break
        path = response["Location"]
    assert seen == [303, 200]
    body = response.content.decode()
    assert COOKIES in body and "allow them for this site" in body
    assert refusals() == []
    # The same flow id sent by a browser that has a session of its own is still recorded.
    other = Client(REMOTE_ADDR="198.51.100.10")
    other.get(reverse("recovery:start"))
    other.get(path)
    assert [(e.client_ip, e.detail["flow"], e.detail["reason"]) for e in refusals()] == [
        ("198.51.100.10", "recovery", "not_this_session")
    ]
    # The cookie-blocking browser coming back for it a minute later: recorded, as "no_session"
    # (a person's setting, or a script; not the other session's flow, which `not_this_session` is).
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        browser.cookies.clear()
        assert COOKIES in browser.get(path).content.decode()
    assert [e.detail["reason"] for e in refusals()][1:] == ["no_session"]


def test_a_script_that_drops_its_session_cookie_is_still_audited() -> None:
    """Review M1: with no session cookie (but a CSRF cookie), another session's live flow was
    not recorded at all, so a script only had to drop `sessionid` to go unnoticed. Recorded as
    "no_session" unless the flow was made a moment ago by this same browser from this address."""
    owner = Client(REMOTE_ADDR="198.51.100.30")
    begun(owner, "Vasquez")
    stolen = url(owner, "contact")
    csrf = owner.cookies["csrftoken"].value
    # The same address (a shared network), a CSRF cookie of its own, no session.
    script = Client(REMOTE_ADDR="198.51.100.30")
    script.get(step("identity"))
    assert "csrftoken" in script.cookies and "sessionid" not in script.cookies
    assert COOKIES in script.get(stolen).content.decode()
    # The owner's own CSRF cookie, from elsewhere.
    copied = Client(REMOTE_ADDR="203.0.113.31")
    copied.cookies["csrftoken"] = csrf
    copied.post(stolen, {"flow": flow_id(owner), **CONTACT_POST})
    assert [(e.client_ip, e.detail["reason"]) for e in refusals()] == [
        ("198.51.100.30", "no_session"),
        ("203.0.113.31", "no_session"),
    ]


def test_a_tampered_page_is_audited_and_an_expired_flow_is_not(client: Client) -> None:
    flow = begun(client, "Sato")
    response = client.post(url(client, "contact"), {"flow": "forged", **CONTACT_POST})
    assert location(response) == step("contact")
    [event] = refusals()
    assert event.detail["reason"] == "flow_mismatch" and event.detail["method"] == "POST"
    assert event.detail["flow_id"] != "forged"
    # The person's own flow, expired (their session with it): an accident, not recorded.
    with time_machine.travel(timezone.now() + engine.ttl() + timedelta(minutes=2)):
        client.get(f"{step('contact')}?flow={flow}", follow=True)
    assert len(refusals()) == 1
