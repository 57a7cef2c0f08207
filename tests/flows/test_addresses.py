"""An address on one line, as the Postal Service writes it, with no comma for a missing part:
customer service's Profile page and the review page."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from edgate.people.models import Person
from tests.backoffice import World, build_world, console_client
from tests.factories import CONTACT_POST, security_post, someone

from .helpers import location, post_step, start, step, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def address_on_service_page(world: World) -> str:
    page = console_client(world.service).get(
        reverse("backoffice:service_profile", kwargs={"profile": world.educator.pk})
    )
    text = html.unescape(page.content.decode())
    start = text.index(">Address</dt>")
    return text[start:].split("<dd", 1)[1].split(">", 1)[1].split("</dd>", 1)[0].strip()


def test_the_console_writes_an_address_without_stray_commas(world: World) -> None:
    person = world.educator.person
    Person.objects.filter(pk=person.pk).update(street="", city="Northfield", state="MA", postcode="01360")
    assert address_on_service_page(world) == "Northfield, MA 01360"
    Person.objects.filter(pk=person.pk).update(street="12 Juniper Ct")
    assert address_on_service_page(world) == "12 Juniper Ct, Northfield, MA 01360"
    Person.objects.filter(pk=person.pk).update(street="", city="", state="", postcode="")
    assert address_on_service_page(world) == "—"


def test_the_review_page_writes_the_address_the_same_way(client) -> None:  # type: ignore[no-untyped-def]
    start(client)
    assert location(post_step(client, "identity", someone("Ines", "Carvalho").identity_post())) == step(
        "contact"
    )
    post_step(client, "contact", CONTACT_POST)
    post_step(client, "security", security_post())
    review = html.unescape(client.get(url(client, "review")).content.decode())
    expected = f"{CONTACT_POST['street']}, {CONTACT_POST['city']}, {CONTACT_POST['state']} {CONTACT_POST['postcode']}"
    assert f"<dd>{expected}</dd>" in review
