"""A browser that keeps no cookies: a posted form (sign-in, the language switch, a flow's page)
is refused by the CSRF check, and the page says cookies are needed, not "reload and try again",
which could never work."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from edgate.accounts.models import Profile
from tests.factories import PASSWORD, on_file, someone, with_profile
from tests.flows.helpers import start, step, url

pytestmark = pytest.mark.django_db
COOKIES_TITLE = "Your browser did not keep your place"


def test_sign_in_without_cookies_says_cookies_are_needed() -> None:
    profile: Profile = with_profile(on_file(someone("Rowan", "Kessler")))
    browser = Client(enforce_csrf_checks=True)
    login = reverse("accounts:login")
    response = browser.post(login, {"username": profile.username, "password": PASSWORD})
    page = response.content.decode()
    assert response.status_code == 403
    assert COOKIES_TITLE in page and "Your form expired" not in page and "reload the page" not in page
    assert f'href="{login}"' in page  # "Start again" shows the sign-in form afresh
    assert "_auth_user_id" not in browser.session


def test_the_language_switch_without_cookies_says_cookies_are_needed_and_leads_back() -> None:
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("core:set_language"), {"language": "es", "next": "/privacy/"})
    page = response.content.decode()
    assert response.status_code == 403 and COOKIES_TITLE in page and "Your form expired" not in page
    assert 'href="/privacy/"' in page
    elsewhere = browser.post(
        reverse("core:set_language"), {"language": "es", "next": "https://evil.example/"}
    )
    assert "evil.example" not in elsewhere.content.decode()


def test_a_flow_page_posted_without_cookies_says_cookies_are_needed() -> None:
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(step("identity"), someone().identity_post())
    assert response.status_code == 403 and COOKIES_TITLE in response.content.decode()


def test_an_expired_token_with_cookies_still_reads_as_an_expired_form() -> None:
    browser = Client(enforce_csrf_checks=True)
    start(browser)
    browser.get(url(browser, "identity"))  # the CSRF cookie and the session came back
    response = browser.post(url(browser, "identity"), {"csrfmiddlewaretoken": "x" * 64})
    page = response.content.decode()
    assert response.status_code == 403 and "Your form expired" in page and COOKIES_TITLE not in page
