"""'Change who you are' from the review page reopens page 1 with the SSN blank (it is never kept
for showing): its field says to type it again, on the page as reopened and on the page refused
after it, and page 1's first visit says nothing of the kind."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from edgate.registration.steps import SSN_AGAIN
from tests.factories import CONTACT_POST, security_post, someone

from .helpers import location, post_step, start, step, url

pytestmark = pytest.mark.django_db


def ssn_hint(page: str) -> str:
    found = re.search(r'id="id_ssn_helptext"[^>]*>([^<]*)<', page)
    assert found
    return found.group(1)


def test_page_1_reopened_from_the_review_page_asks_for_the_ssn_again(client: Client) -> None:
    start(client)
    first = client.get(url(client, "identity")).content.decode()
    assert str(SSN_AGAIN) not in first
    who = someone("Tomas", "Verhoeven")
    assert location(post_step(client, "identity", who.identity_post())) == step("contact")
    assert location(post_step(client, "contact", CONTACT_POST)) == step("security")
    assert location(post_step(client, "security", security_post())) == step("review")
    review = client.get(url(client, "review")).content.decode()
    change = re.search(r'href="(/register/identity/\?flow=[^"]+)"[^>]*>Change who you are<', review)
    assert change
    reopened = client.get(change.group(1)).content.decode()
    assert ssn_hint(reopened).startswith("Type your Social Security Number again")
    assert 'value="Verhoeven"' in reopened
    # Changed, and sent without the SSN: refused, and the field still says why it is empty.
    refused = post_step(client, "identity", who.identity_post(ssn="", middle_name="J"), follow=True)
    page = refused.content.decode()
    assert "Enter your Social Security Number." in page
    assert ssn_hint(page).startswith("Type your Social Security Number again")
    assert page.count(str(SSN_AGAIN)) == 1
    # Typed again, the registration goes on where it was.
    assert location(post_step(client, "identity", who.identity_post(middle_name="J"))) == step("review")
