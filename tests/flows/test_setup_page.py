"""The pre-created Profile's page says what it is (finishing the Profile an administrator made)
and where the person is: page 2 of 2, after "Who you are"."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from edgate.registration.steps import STEPS, State
from tests.factories import on_file, precreated, someone

from .helpers import location, post_step, start, step, url

pytestmark = pytest.mark.django_db


def at_setup(client: Client) -> str:
    who = someone("Dara", "Okonkwo")
    precreated(on_file(who))
    start(client)
    assert location(post_step(client, "identity", who.identity_post())) == step("setup")
    return html.unescape(client.get(url(client, "setup")).content.decode())


def test_the_setup_page_is_titled_for_what_it_is_with_a_step_indicator(client: Client) -> None:
    page = at_setup(client)
    title = "Finish setting up your Profile"
    assert str(STEPS[State.SETUP].title) == title
    assert re.search(rf'<span class="usa-step-indicator__heading-text">{title}</span>', page)
    assert "additional information" not in page
    assert '<span class="usa-step-indicator__current-step">2</span>' in page
    assert re.search(r'usa-step-indicator__total-steps">of 2<', page)
    segments = re.findall(r'<li class="usa-step-indicator__segment[^"]*"[^>]*>\s*<span[^>]*>([^<]*)', page)
    assert [s.strip() for s in segments] == [str(STEPS[State.IDENTITY].title), title]
    assert re.search(r'segment--current" aria-current="step">\s*<span[^>]*>' + title, page)
    assert re.search(r"<title>[^<]*Step 2 of 2: " + title, page)


def test_in_spanish_too(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = at_setup(client)
    with translation.override("es"):
        title = translation.gettext("Finish setting up your Profile")
        first = translation.gettext("Who you are")
    assert title != "Finish setting up your Profile"
    assert f'<span class="usa-step-indicator__heading-text">{title}</span>' in page
    assert re.search(rf"<title>[^<]*Paso 2 de 2: {title}", page) and first in page
