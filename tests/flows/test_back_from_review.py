"""Back from the review page to page 3: the question chosen is still chosen (the password and the
answer are kept only as hashes, so they are typed again), and a page with several mistakes says
every one of them at once. Pages asking for the SSN again say so once."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from edgate.accounts import hints
from edgate.registration.steps import SSN_AGAIN, SSN_TO_CHECK
from tests.factories import CONTACT_POST, on_file, security_post, someone, with_profile
from tests.pii import register_secret

from .helpers import location, post_step, refused, start, step, url

pytestmark = pytest.mark.django_db


def at_review(client: Client, **security: str) -> None:
    start(client)
    assert location(post_step(client, "identity", someone("Ines", "Carvalho").identity_post())) == step(
        "contact"
    )
    assert location(post_step(client, "contact", CONTACT_POST)) == step("security")
    assert location(post_step(client, "security", security_post() | security)) == step("review")


def selected(page: str) -> str:
    found = re.search(r'<select name="hint_question_choice".*?</select>', page, re.S)
    assert found
    option = re.search(r'<option value="([^"]*)" selected>', found.group(0))
    return option.group(1) if option else ""


def test_back_from_review_keeps_the_suggested_question_chosen(client: Client) -> None:
    at_review(client)
    page = client.get(url(client, "security")).content.decode()
    assert selected(page) == security_post()["hint_question_choice"]
    assert 'name="new_password"' in page and 'value="' not in re.search(
        r'<input[^>]*name="new_password"[^>]*>', page
    ).group(0)  # type: ignore[union-attr]
    assert "enter your password again" in page and "please type it again" in page


def test_back_from_review_keeps_a_question_of_ones_own(client: Client) -> None:
    own = "Which lake did we swim across in 1999?"
    at_review(client, hint_question_choice=hints.OWN_QUESTION, own_question=own)
    page = client.get(url(client, "security")).content.decode()
    assert selected(page) == hints.OWN_QUESTION
    assert f'value="{own}"' in page


def test_page_3_reports_every_mistake_at_once(client: Client) -> None:
    at_review(client)
    short = register_secret("violet short")
    page = refused(
        client,
        "security",
        {
            "new_password": short,
            "confirm_password": register_secret("something else entirely"),
            "hint_question_choice": "2",
            "hint_answer": "q7",  # too short: refused before it is hashed
        },
    )
    errors = page.context["form"].errors
    assert set(errors) == {"new_password", "confirm_password", "hint_answer"}, errors
    assert "do not match" in " ".join(errors["confirm_password"])


def test_the_answer_equal_to_a_refused_password_is_reported_too(client: Client) -> None:
    at_review(client)
    same = register_secret("walnut ferry")
    page = refused(
        client,
        "security",
        {"new_password": same, "confirm_password": same, "hint_question_choice": "2", "hint_answer": same},
    )
    assert set(page.context["form"].errors) == {"new_password", "hint_answer"}


def test_the_ssn_note_is_said_once_on_page_1_and_the_check_page(client: Client) -> None:
    record = someone("Riley", "Ashworth")
    with_profile(on_file(record))
    near = record.with_(date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 5))
    start(client)
    back_on_1 = refused(client, "identity", near.identity_post() | {"dob_year": "1800"}).content.decode()
    assert back_on_1.count(str(SSN_AGAIN)) == 1 and "never shown back" not in back_on_1
    assert "123-45-6789" in back_on_1
    assert location(post_step(client, "identity", near.identity_post())) == step("check")
    check = client.get(url(client, "check")).content.decode()
    assert check.count(str(SSN_TO_CHECK)) == 1 and "never shown back" not in check
    fresh = Client()
    start(fresh)
    first = fresh.get(url(fresh, "identity")).content.decode()
    assert "never shown back" in first and str(SSN_AGAIN) not in first
