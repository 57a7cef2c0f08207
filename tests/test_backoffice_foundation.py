"""The consoles' door: who reaches the front page, and how a privileged role becomes effective."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from edgate.mfa.session import DUE

from .backoffice import build_world, console_client
from .factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_front_page_by_role() -> None:
    world = build_world()
    home = reverse("backoffice:home")
    assert Client().get(home)["Location"].startswith(reverse("accounts:login"))
    assert console_client(world.educator).get(home).status_code == 403
    page = console_client(world.da_a).get(home)
    assert page.status_code == 200
    assert 'href="/console/"' in page.content.decode()  # the header links to the consoles
    assert world.school_a1.name in page.content.decode()
    assert world.district_b.name not in page.content.decode()
    assert console_client(world.service).get(home).status_code == 200
    assert console_client(world.security).get(home).status_code == 200


def test_a_privileged_role_needs_the_second_factor_in_this_session() -> None:
    world = build_world()
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": world.da_a.username, "password": PASSWORD})
    assert response.status_code == 302 and client.session.get(DUE)
    page = client.get(reverse("backoffice:home"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("mfa:verify"))
    # The header offers no console link on the code page, before the code is entered.
    assert 'href="/console/"' not in client.get(page["Location"]).content.decode()
    # Going on without privileges does not open the console either.
    client.post(reverse("mfa:skip"))
    page = client.get(reverse("backoffice:home"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("mfa:verify"))
