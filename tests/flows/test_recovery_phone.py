"""A recovery refusal that tells the person to call customer service gives the number, in the
page's language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from edgate.core import conf
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
