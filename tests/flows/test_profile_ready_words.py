"""uxpub 5: the "Your Profile is ready" pages (a new Profile, a pre-created one set up) do not
say their heading again in their first sentence ("Your Profile is created", "Your Profile is set
up"), nor that the User Name cannot be changed twice (the User Name's box says it)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from tests.factories import on_file, precreated, security_post, someone

from .helpers import landed, location, post_step, register_new, shows, start, step, url

pytestmark = pytest.mark.django_db


def words(page: str) -> tuple[str, str]:
    """The page's heading and its main text."""
    main = re.search(r"<main.*?</main>", page, re.S)
    assert main
    found = re.search(r"<h1[^>]*>(.*?)</h1>", main.group(0), re.S)
    assert found
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main.group(0))).split())
    return html.unescape(found.group(1)).strip(), text


def assert_says_it_once(page: str) -> None:
    heading, text = words(page)
    assert heading == "Your Profile is ready"
    assert text.count("Your Profile is") == 1, text  # the heading alone
    assert len(re.findall(r"cannot be changed|can never be changed", text)) == 1, text


def test_the_new_profile_page_says_its_heading_once() -> None:
    client = Client()
    register_new(client, someone("Noor", "Halvorsen"))
    page = client.get(url(client, "created")).content.decode()
    assert_says_it_once(page)
    assert shows(words(page)[1], "Your User Name was assigned automatically and cannot be changed.")


def test_the_set_up_page_says_its_heading_once() -> None:
    who = someone("Tove", "Lindgren")
    precreated(on_file(who))
    client = Client()
    start(client)
    assert location(post_step(client, "identity", who.identity_post())) == step("setup")
    done = post_step(client, "setup", security_post(), follow=True)
    assert landed(done) == step("setup_done")
    assert_says_it_once(done.content.decode())
    assert shows(words(done.content.decode())[1], "Your password and hint question are saved.")
