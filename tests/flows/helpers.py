from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.factories import CONTACT_POST, Someone, security_post


def step(name: str) -> str:
    return reverse("registration:step", args=[name])


def flow_tag(client: Client, name: str) -> str:
    response = client.get(step(name))
    assert response.status_code == 200, f"{name} page: {response.status_code}"
    return response.context["flow_tag"]


def post_step(client: Client, name: str, data: dict[str, str], *, follow: bool = False):  # type: ignore[no-untyped-def]
    return client.post(step(name), {"flow": flow_tag(client, name), **data}, follow=follow)


def start(client: Client) -> None:
    assert client.get(reverse("registration:start")).status_code == 302


def open_case(client: Client, who: Someone):  # type: ignore[no-untyped-def]
    """Page 1 near a record: the check page, then "Continue without changes", which opens the
    case — or the case straight away when this SSN was offered the check already (once per
    SSN, matching.near_matches). Returns the response of the post that opened it (a redirect to
    the partial-match page)."""
    response = post_step(client, "identity", who.identity_post())
    if response["Location"] == step("partial"):
        return response
    assert response["Location"] == step("check")
    return post_step(client, "check", {"unchanged": "1"})


def register_new(client: Client, who: Someone, *, password: str | None = None) -> str:
    """Walk all four pages; return the User Name shown on the last page."""
    start(client)
    assert post_step(client, "identity", who.identity_post())["Location"] == step("contact")
    assert post_step(client, "contact", CONTACT_POST)["Location"] == step("security")
    sec = security_post(password) if password else security_post()
    assert post_step(client, "security", sec)["Location"] == step("review")
    response = post_step(client, "review", {"confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == step("created")
    return response.context["profile"].username
