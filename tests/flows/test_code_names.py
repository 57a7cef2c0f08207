"""One name for each code: customer service issues an "activation code" for a password (what the
person's page asks for), an "enrolment code" for a new authenticator app; "recovery codes" are
only the second factor's ten codes, and the Profile page says so."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.backoffice import build_world, console_client, person_with_profile

pytestmark = pytest.mark.django_db


def words(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_customer_service_and_the_person_call_the_password_code_the_same() -> None:
    world = build_world()
    _, target = person_with_profile("Ruth", "Forgetful")
    agent = console_client(world.service)
    url = reverse("backoffice:service_reset_recovery", kwargs={"profile": target.pk})
    confirm = words(agent.get(url).content.decode())
    assert "Issue an activation code" in confirm and "one-time activation code" in confirm
    issued = words(agent.post(url, {"reason": "Called, checked the license"}, follow=True).content.decode())
    assert "Activation code (shown only now)" in issued
    for page in (confirm, issued):
        assert "recovery code" not in page.lower() and "One-time code" not in page
    person = Client()
    asked = words(person.get(reverse("recovery:with_code"), follow=True).content.decode())
    assert "Activation code" in asked
    # The second factor's codes are named as such (on a Profile that must have one), and its
    # reset issues an enrolment code.
    profile = words(
        agent.get(reverse("backoffice:service_profile", kwargs={"profile": world.da_a.pk})).content.decode()
    )
    assert "second-factor recovery codes left" in profile
    reset = reverse("backoffice:service_reset_second_factor", kwargs={"profile": world.da_a.pk})
    enrol = words(
        console_client(world.security).post(reset, {"reason": "Lost phone"}, follow=True).content.decode()
    )
    assert "Enrolment code (shown only now)" in enrol and "One-time code" not in enrol
