"""The agency's short name on Spanish pages, and the review page's error summary first in main."""

from __future__ import annotations

import html
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from django.utils import translation

from edgate.core import conf
from edgate.core.context_processors import totp_issuer
from tests.factories import CONTACT_POST, security_post, someone

from .helpers import location, post_step, refused, start, step
from .test_spanish import spanish_client, text_of

pytestmark = pytest.mark.django_db


def in_spanish(english: str) -> str:
    with translation.override("es"):
        return translation.gettext(english)


def test_spanish_pages_name_the_portal_with_the_spanish_short_name() -> None:
    """ "DOE" is the English initials: a Spanish page says "Portal de seguridad del DEE" in the
    header, the home page's heading and every window title, and the sentences that name customer
    service; the authenticator app's entry keeps the site's first language."""
    spanish = spanish_client().get(reverse("core:home")).content.decode()
    portal = in_spanish("%(agency_short_name)s Security Portal") % {"agency_short_name": "DEE"}
    assert portal == "Portal de seguridad del DEE"
    title = html.unescape(re.search(r"<title>(.*?)</title>", spanish, re.S).group(1))  # type: ignore[union-attr]
    assert title.strip().endswith(f"— {portal}")
    assert f"<h1>{portal}</h1>" in spanish and f">{portal}</a>" in spanish  # home page and header
    assert "DOE" not in text_of(spanish)
    for path in (reverse("accounts:login"), reverse("registration:start")):
        page = spanish_client().get(path, follow=True).content.decode()
        assert "DOE" not in text_of(page) and portal in page, path
    english = Client().get(reverse("core:home")).content.decode()
    assert "<h1>DOE Security Portal</h1>" in english and "DEE" not in text_of(english)  # not the CSRF token
    assert totp_issuer(None) == "DOE Security Portal"


def test_a_short_name_for_a_language_the_portal_does_not_have_stops_start_up(settings: object) -> None:
    settings.EDGATE = {**settings.EDGATE, "AGENCY_SHORT_NAME_TRANSLATIONS": {"fr": "MEN"}}  # type: ignore[attr-defined]
    conf.reset()
    try:
        with pytest.raises(ImproperlyConfigured, match="AGENCY_SHORT_NAME_TRANSLATIONS"):
            conf.get()
    finally:
        settings.EDGATE = {**settings.EDGATE, "AGENCY_SHORT_NAME_TRANSLATIONS": {}}  # type: ignore[attr-defined]
        conf.reset()


def test_the_review_pages_error_summary_is_first_in_main(client: Client) -> None:
    """The review page is long (the answers, then the privacy statement): its error summary comes
    first in main, before the step's heading, so a phone or a screen reader meets it at once."""
    start(client)
    assert location(post_step(client, "identity", someone("Ines", "Aldana").identity_post())) == step(
        "contact"
    )
    assert location(post_step(client, "contact", CONTACT_POST)) == step("security")
    assert location(post_step(client, "security", security_post())) == step("review")
    page = refused(client, "review", {}).content.decode()
    main = page.split('<main id="main-content"', 1)[1].split("</main>", 1)[0]
    summary = main.index(' id="error-summary"')
    assert summary < main.index("<h1") < main.index('id="id_confirm"')
    assert summary < main.index("usa-step-indicator")
    assert main.count(' id="error-summary"') == 1
    # The first thing in main's content: nothing but layout before it.
    assert not re.sub(r"<div[^>]*>|\s", "", main[main.index(">") + 1 : main.rindex("<div", 0, summary)])
