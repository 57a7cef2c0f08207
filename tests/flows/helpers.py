from __future__ import annotations

import re

from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from tests.factories import CONTACT_POST, Someone, security_post


def step(name: str) -> str:
    """A registration step's path (without the flow: see `url`)."""
    return reverse("registration:step", args=[name])


def flow_id(client: Client, kind: str = "registration") -> str:
    """The flow this client's session started last (the one its tab is in): for a registration
    begun by `start` and not yet submitted, the pending id its page 1 carries (the row is made
    when page 1 is first posted)."""
    ids = client.session.get(f"edgate.flows.{kind}", [])
    pending = getattr(client, "pending_flow", "") if kind == "registration" else ""
    if pending and pending not in ids:
        return pending
    return ids[-1]


def url(client: Client, name: str) -> str:
    """A registration step's page in the client's current flow."""
    return f"{step(name)}?flow={flow_id(client)}"


def recovery_step(name: str) -> str:
    """A password recovery step's path (without the flow: see `recovery_at`)."""
    return reverse("recovery:step", args=[name])


def recovery_at(client: Client, name: str) -> str:
    """A recovery step's page in the client's current recovery (the flow travels in the URL)."""
    return f"{recovery_step(name)}?flow={flow_id(client, 'recovery')}"


def location(response: HttpResponse) -> str:
    """Where a response sends the browser, without the flow (`?flow=`)."""
    return response["Location"].split("?")[0]


def landed(response: HttpResponse) -> str:
    """The path a followed response ended on, without the flow."""
    return response.redirect_chain[-1][0].split("?")[0]


def flow_tag(client: Client, name: str) -> str:
    response = client.get(url(client, name))
    assert response.status_code == 200, f"{name} page: {response.status_code}"
    return response.context["flow_id"]


def post_step(client: Client, name: str, data: dict[str, str], *, follow: bool = False):  # type: ignore[no-untyped-def]
    return client.post(url(client, name), {"flow": flow_tag(client, name), **data}, follow=follow)


def start(client: Client) -> None:
    """Create a Profile: page 1 under a new pending id (nothing is written until it is posted)."""
    response = client.get(reverse("registration:start"))
    assert response.status_code == 303
    client.pending_flow = response["Location"].split("?flow=")[1]  # type: ignore[attr-defined]


def open_case(client: Client, who: Someone):  # type: ignore[no-untyped-def]
    """Page 1 near a record: the check page, then "Continue without changes", which opens the
    case — or the case straight away when this SSN or this record was offered the check
    already (once per SSN and per record, matching.near_matches). Returns the response of the post that opened it (a redirect to
    the partial-match page)."""
    response = post_step(client, "identity", who.identity_post())
    if location(response) == step("partial"):
        return response
    assert location(response) == step("check")
    return post_step(client, "check", {"unchanged": "1"})


def register_new(client: Client, who: Someone, *, password: str | None = None) -> str:
    """Walk all four pages; return the User Name shown on the last page."""
    start(client)
    assert location(post_step(client, "identity", who.identity_post())) == step("contact")
    assert location(post_step(client, "contact", CONTACT_POST)) == step("security")
    sec = security_post(password) if password else security_post()
    assert location(post_step(client, "security", sec)) == step("review")
    response = post_step(client, "review", {"confirm": "on"}, follow=True)
    assert landed(response) == step("created")
    return response.context["profile"].username


def refused(client: Client, name: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    """Post a page that is refused: the answer is a 303 back to the same page (Post/Redirect/Get),
    whose GET shows the errors. Returns that GET."""
    response = post_step(client, name, data)
    assert response.status_code == 303 and location(response) == step(name), response
    return client.get(response["Location"])


def shows(page: str, text: str) -> bool:
    """TEXT appears in PAGE as a whole (not inside a longer run of letters and digits): a random
    CSRF token in the page can contain "Ivy" or "1979", and an absence check must not fail on it."""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(text)}(?![A-Za-z0-9])", page) is not None
