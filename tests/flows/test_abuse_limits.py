"""Requests that write rows without end, refused: a browser that refuses cookies, a robot starting
flows from one address, and a signed-in Profile walking console pages beyond its access."""

from __future__ import annotations

import copy

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from edgate.audit.models import AuditEvent, EventType
from edgate.core import conf
from edgate.core.models import Flow

from ..backoffice import build_world, console_client
from .helpers import step

COOKIES = "Your browser did not keep your place"
STARTS = "Too many new starts from your network"

pytestmark = pytest.mark.django_db


def limit(settings, name: str, value: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    edgate = copy.deepcopy(settings.EDGATE)
    edgate["THROTTLES"][name] = value
    settings.EDGATE = edgate
    conf.reset()


def follow_without_cookies(path: str, hops: int = 6) -> list:  # type: ignore[type-arg]
    """Fetch `path` and follow its redirects as a browser that never sends a cookie back."""
    client, responses = Client(), []
    for _ in range(hops):
        client.cookies.clear()
        response = client.get(path)
        responses.append(response)
        if response.status_code not in (301, 302, 303):
            break
        path = response["Location"]
    return responses


def first_post(address: str) -> int:
    """A new visitor from `address` opens Create a Profile and posts page 1 (empty): the post
    that makes the registration's flow row. Its status."""
    client = Client(REMOTE_ADDR=address)
    page1 = client.get(reverse("registration:start"))
    assert page1.status_code == 303, page1.status_code
    location = page1["Location"]
    return client.post(location, {"flow": location.split("?flow=")[1]}).status_code


def test_page_one_shown_without_cookies_writes_nothing_and_its_post_says_cookies_are_needed() -> None:
    responses = follow_without_cookies(reverse("registration:start"))
    # Page 1 of a registration is shown under a pending id: no flow row, no session, nothing
    # to loop on. Posting it without cookies is refused by the CSRF check, which says why.
    assert [r.status_code for r in responses] == [303, 200]
    assert responses[-1].context["step"].name == "identity"
    assert Flow.objects.count() == 0 and Session.objects.count() == 0
    browser = Client(enforce_csrf_checks=True)
    posted = browser.post(responses[0]["Location"], {"flow": responses[-1].context["flow_id"]})
    assert posted.status_code == 403 and COOKIES in posted.content.decode()
    assert Flow.objects.count() == 0 and Session.objects.count() == 0


@pytest.mark.parametrize("start", ["recovery:start"])
def test_a_browser_that_refuses_cookies_is_told_so_and_nothing_is_started_again(start: str) -> None:
    responses = follow_without_cookies(reverse(start))
    # The entry starts one flow and sends the browser to it; the browser comes back without
    # the session that owns it: the page says so, instead of starting another flow (which
    # used to loop until the browser gave up, writing a flow and a session at every turn).
    assert [r.status_code for r in responses] == [303, 200]
    assert Flow.objects.count() == 1
    assert Session.objects.count() == 1
    body = responses[-1].content.decode()
    assert COOKIES in body and "allow them for this site" in body
    # "Start again" opens the flow's first page (which starts one flow, at a person's pace).
    first_page = responses[0]["Location"].split("?")[0]
    assert f'href="{first_page}"' in body


def test_a_browser_with_cookies_whose_flow_has_gone_starts_again() -> None:
    client = Client()
    page1 = client.get(reverse("registration:start"))["Location"]
    assert client.post(page1, {"flow": page1.split("?flow=")[1]}).status_code == 303  # the row, the session
    Flow.objects.all().delete()
    response = client.get(f"{step('identity')}?flow=gone", follow=True)
    assert response.status_code == 200
    assert COOKIES not in response.content.decode()
    assert response.redirect_chain[-1][0].startswith(step("identity") + "?flow=")


def test_flow_starts_per_address_are_limited(settings) -> None:  # type: ignore[no-untyped-def]
    limit(settings, "flow_start_address", (3, 3600))
    # A registration's page 1 writes nothing and counts nothing until it is posted.
    for _ in range(5):
        assert Client(REMOTE_ADDR="203.0.113.9").get(step("identity")).status_code == 200
    assert [first_post("203.0.113.9") for _ in range(3)] == [303, 303, 303]
    assert Flow.objects.count() == 3
    # The fourth start from that address, by any door (a page 1 posted, the recovery flow),
    # is refused before anything is written.
    client = Client(REMOTE_ADDR="203.0.113.9")
    page1 = client.get(reverse("registration:start"))["Location"]
    refusals = [
        client.post(page1, {"flow": page1.split("?flow=")[1]}),
        Client(REMOTE_ADDR="203.0.113.9").get(reverse("recovery:start")),
    ]
    for response in refusals:
        assert response.status_code == 429
        assert STARTS in response.content.decode()
        assert 0 < int(response["Retry-After"]) <= 2 * 3600
    assert Flow.objects.count() == 3
    # Another address is not affected.
    assert first_post("203.0.113.10") == 303


def test_console_refusals_are_audited_up_to_a_limit_then_answered_429(settings) -> None:  # type: ignore[no-untyped-def]
    limit(settings, "console_refused_profile", (3, 3600))
    world = build_world()
    client = console_client(world.educator)
    page = reverse("backoffice:service")
    assert [client.get(page).status_code for _ in range(3)] == [403, 403, 403]
    refused = AuditEvent.objects.filter(event_type=EventType.CONSOLE_REFUSED, actor_id=world.educator.pk)
    assert refused.count() == 3
    over = [client.get(page) for _ in range(5)]
    assert [r.status_code for r in over] == [429] * 5
    assert "Too many refused pages" in over[0].content.decode()
    assert int(over[0]["Retry-After"]) > 0
    # Beyond the limit nothing more is written per request: one alert, at the first refusal over.
    assert refused.count() == 3
    alerts = AuditEvent.objects.filter(event_type=EventType.THROTTLE_ALERT, actor_id=world.educator.pk)
    assert [a.detail["limit"] for a in alerts] == ["console_refused_profile"]
    # Someone else's refusals are counted apart.
    assert console_client(world.da_b).get(page).status_code == 403


def test_per_address_limits_count_an_ipv6_client_by_its_64_network(settings) -> None:  # type: ignore[no-untyped-def]
    """One host commonly holds a whole /64: every address in it is one client to the limits."""
    limit(settings, "flow_start_address", (3, 3600))
    same_host = ["2001:db8:7:1::1", "2001:db8:7:1::2", "2001:db8:7:1:ffff:ffff:ffff:fffe"]
    assert [first_post(a) for a in same_host] == [303] * 3
    refused = Client(REMOTE_ADDR="2001:db8:7:1:abcd::9").get(reverse("recovery:start"))
    assert refused.status_code == 429 and STARTS in refused.content.decode()
    assert first_post("2001:db8:7:1:abcd::9") == 429
    # The next /64 is another client.
    assert first_post("2001:db8:7:2::1") == 303


def test_an_ipv4_mapped_address_counts_as_its_ipv4_address(settings) -> None:  # type: ignore[no-untyped-def]
    limit(settings, "flow_start_address", (2, 3600))
    assert first_post("198.51.100.77") == 303
    assert first_post("::ffff:198.51.100.77") == 303
    assert first_post("198.51.100.77") == 429
