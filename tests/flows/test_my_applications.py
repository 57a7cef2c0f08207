"""My applications: every card leads somewhere (its link, or what to do when the portal has
none), and each name reads in the page's language: the Spanish name on a Spanish page when the
application has one, else the name as written, marked lang="en"."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from edgate.directory import actions as directory
from tests.factories import CTX, PASSWORD, on_file, someone, with_profile

pytestmark = pytest.mark.django_db
NO_LINK = (
    "There is no link to this application here. Open it from your agency's website, or ask your "
    "school's or district's Directory Administrator how to reach it."
)


@pytest.fixture
def signed_in() -> Client:
    directory.do_save_application(
        code="ELAR",
        name="ELAR — Licensure",
        name_es="ELAR — Licencias",
        description="Apply for licenses.",
        description_es="Solicite licencias.",
        open_to_all=True,
        ctx=CTX,
    )
    directory.do_save_application(
        code="FILES", name="Files Hub", url="https://files.example.org/", open_to_all=True, ctx=CTX
    )
    profile = with_profile(on_file(someone("Lucia", "Ferreira")))
    client = Client()
    client.post(reverse("accounts:login"), {"username": profile.username, "password": PASSWORD})
    return client


def cards(page: str) -> dict[str, str]:
    """Each card's heading (as HTML) to its footer (as HTML)."""
    found = re.findall(
        r'<h2 class="usa-card__heading">(.*?)</h2>.*?<div class="usa-card__footer">(.*?)</div>', page, re.S
    )
    return {heading: footer for heading, footer in found}


def test_a_card_without_a_link_says_what_to_do_instead(signed_in: Client) -> None:
    page = html.unescape(signed_in.get(reverse("directory:applications")).content.decode())
    found = cards(page)
    assert set(found) == {"ELAR — Licensure", "Files Hub"}
    assert NO_LINK in found["ELAR — Licensure"] and "<a" not in found["ELAR — Licensure"]
    assert 'href="https://files.example.org/"' in found["Files Hub"] and NO_LINK not in found["Files Hub"]


def test_on_a_spanish_page_a_spanish_name_is_used_else_the_name_in_its_own_language(
    signed_in: Client,
) -> None:
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = html.unescape(signed_in.get(reverse("directory:applications")).content.decode())
    found = cards(page)
    assert set(found) == {"ELAR — Licencias", '<span lang="en">Files Hub</span>'}
    assert "Solicite licencias." in page and "Apply for licenses." not in page
    with translation.override("es"):
        no_link = translation.gettext(NO_LINK)
    assert no_link != NO_LINK and no_link in found["ELAR — Licencias"]
    assert 'Abrir <span lang="en">Files Hub</span>' in found['<span lang="en">Files Hub</span>']
