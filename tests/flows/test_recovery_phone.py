"""A recovery refusal that tells the person to call customer service gives the number, in the
page's language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.safestring import mark_safe

from edgate.core import conf
from edgate.core.templatetags.edgate_format import phone_links, tel
from tests.factories import on_file, someone, with_profile
from tests.pii import register_secret

from .helpers import recovery_at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_hint_lockout_gives_customer_services_number(language: str) -> None:
    profile = with_profile(on_file(someone("Noemi", "Castellanos")))
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.get(reverse("recovery:start"))
    client.post(recovery_at(client, "username"), {"username": profile.username})
    wrong = register_secret("not the answer at all")
    for _ in range(8):
        page = client.post(recovery_at(client, "answer"), {"answer": wrong}, follow=True)
        if page.status_code == 429:
            break
    assert page.status_code == 429
    phone = conf.get().customer_service_phone
    # The pause is said in the error summary, with customer service's number (the answer box
    # is gone: recovery.flows.paused_message), and the number is also a tel: link's text.
    summary = page.content.decode().split('data-testid="error-summary"', 1)
    assert len(summary) == 2, "the refusal is in the error summary"
    assert phone and phone in summary[1].split("</div>", 1)[0]
    assert "%(phone)s" not in page.content.decode()


def region(page: str, testid: str) -> str:
    """The element marked `data-testid=testid`, up to the end of its alert's body."""
    parts = page.split(f'data-testid="{testid}"', 1)
    assert len(parts) == 2, f"no {testid} on the page"
    return parts[1].split("</div>", 1)[0]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_paused_page_gives_the_number_as_a_tel_link(language: str) -> None:
    """As the footer does: the pause's own words carry the number, and it is a link to call it,
    in the error summary just after the pause and in the warning a later visit shows."""
    profile = with_profile(on_file(someone("Anselma", "Drummond")))
    phone = conf.get().customer_service_phone
    link = f'<a class="usa-link" href="{tel(phone)}">{phone}</a>'
    wrong = register_secret("not the answer either")

    def browser(address: str) -> Client:
        client = Client(REMOTE_ADDR=address)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        client.get(reverse("recovery:start"))
        client.post(recovery_at(client, "username"), {"username": profile.username})
        return client

    client = browser("198.51.100.21")
    for _ in range(5):
        page = client.post(recovery_at(client, "answer"), {"answer": wrong}, follow=True)
    assert page.status_code == 429
    assert link in region(page.content.decode(), "error-summary")
    fresh = browser("198.51.100.22")
    later = fresh.get(recovery_at(fresh, "answer"))
    assert link in region(later.content.decode(), "recovery-paused")


def with_phone(settings: object, number: str) -> None:
    settings.EDGATE = {**settings.EDGATE, "CUSTOMER_SERVICE_PHONE": number}  # type: ignore[attr-defined]
    conf.reset()


@pytest.mark.parametrize(
    ("number", "message", "shown"),
    [
        # review7: the number looked for in the escaped text broke its escapes.
        ("27", "It's 27 o'clock", 'It&#x27;s <a class="usa-link" href="tel:+27">27</a> o&#x27;clock'),
        ("(555) 010-6600", "<b>Call</b> (555) 010-6600", '&lt;b&gt;Call&lt;/b&gt; <a class="usa-link" '),
        (
            '555"><i>',
            'Call 555"><i> now',
            'Call <a class="usa-link" href="tel:+555">555&quot;&gt;&lt;i&gt;</a> now',
        ),
        # A number without digits: nothing to call, no link (was href="" inside "&amp;").
        ("amp", "Tom & Jerry amp", "Tom &amp; Jerry amp"),
        ("", "Tom & Jerry", "Tom &amp; Jerry"),
    ],
)
def test_phone_links_escapes_the_text_around_the_number(
    settings: object, number: str, message: str, shown: str
) -> None:
    with_phone(settings, number)
    assert shown in phone_links(message)
    assert "<i>" not in phone_links(message) and 'href=""' not in phone_links(message)


def test_phone_links_leaves_html_already_marked_safe_alone(settings: object) -> None:
    """Its text cannot be told from its markup: no link inside an attribute."""
    with_phone(settings, "(555) 010-6600")
    html = mark_safe('<span title="Call (555) 010-6600">(555) 010-6600</span>')  # noqa: S308 - a constant
    assert phone_links(html) == html
