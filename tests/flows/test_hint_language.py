"""A suggested hint question is shown in the page's language, whichever language it was chosen
in; a question the person wrote is shown as typed."""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from edgate.accounts import hints
from edgate.accounts.models import Profile
from tests.factories import CONTACT_POST, security_post, someone

from .helpers import landed, location, post_step, recovery_at, start, step
from .helpers import url as step_url

pytestmark = pytest.mark.django_db
CHOICE = 4  # security_post's question


def in_language(code: str, index: int = CHOICE) -> str:
    with translation.override(code):
        return str(hints.SUGGESTED_QUESTIONS[index])


def client_in(code: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    return client


def register(client: Client, who, **security: str) -> Profile:  # type: ignore[no-untyped-def]
    start(client)
    assert location(post_step(client, "identity", who.identity_post())) == step("contact")
    assert location(post_step(client, "contact", CONTACT_POST)) == step("security")
    assert location(post_step(client, "security", security_post() | security)) == step("review")
    assert landed(post_step(client, "review", {"confirm": "on"}, follow=True)) == step("created")
    return Profile.objects.get(person__last_name=who.last_name)


def question_page(client: Client, username: str) -> str:
    client.get(reverse("recovery:start"))
    page = client.post(recovery_at(client, "username"), {"username": username}, follow=True)
    return html.unescape(page.content.decode())


@pytest.mark.parametrize(("chosen_in", "shown_in"), [("es", "en"), ("en", "es")])
def test_a_suggested_question_follows_the_page_language(chosen_in: str, shown_in: str) -> None:
    profile = register(
        client_in(chosen_in), someone("Ximena", "Albarrán" if chosen_in == "es" else "Albright")
    )
    assert in_language(chosen_in) != in_language(shown_in)
    page = question_page(client_in(shown_in), profile.username)
    assert in_language(shown_in) in page and in_language(chosen_in) not in page


def test_the_review_page_follows_a_language_switch() -> None:
    client = client_in("en")
    start(client)
    post_step(client, "identity", someone("Ines", "Carvalho").identity_post())
    post_step(client, "contact", CONTACT_POST)
    post_step(client, "security", security_post())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = html.unescape(client.get(step_url(client, "review")).content.decode())
    assert in_language("es") in page and in_language("en") not in page


def test_a_question_of_ones_own_stays_as_typed() -> None:
    own = "Where did we camp in the summer of the flood?"
    profile = register(
        client_in("en"),
        someone("Tobin", "Marsh"),
        hint_question_choice=hints.OWN_QUESTION,
        own_question=own,
    )
    assert own in question_page(client_in("es"), profile.username)


def test_an_unknown_user_names_decoy_question_follows_a_language_switch_too() -> None:
    """The decoy reads like a real Profile's question: chosen in English, shown in Spanish after
    the switch, like the others."""
    client = client_in("en")
    english = question_page(client, "nobody-at-all-here")
    index = next(i for i in range(len(hints.SUGGESTED_QUESTIONS)) if in_language("en", i) in english)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    spanish = html.unescape(client.get(recovery_at(client, "answer")).content.decode())
    assert in_language("es", index) in spanish and in_language("en", index) not in spanish
