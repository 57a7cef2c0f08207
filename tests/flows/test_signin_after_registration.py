"""After "Your Profile is ready" (or the exact match's User Name reminder), the sign-in page its
"Sign in" button leads to has the User Name the person was just shown filled in: carried in the
session (not in the URL, nor a cookie of its own), once, for that browser only; the password box
stays empty."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import on_file, precreated, security_post, someone, with_profile

from .helpers import location, post_step, register_new, start, step, url
from .test_registration_setup_code import _colleague, _record_without_ssn

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def username_box(response) -> str:  # type: ignore[no-untyped-def]
    """The value in the sign-in page's User Name box ('' when empty)."""
    page = response.content.decode()
    box = re.search(r'<input[^>]*name="username"[^>]*>', page)
    assert box, page
    value = re.search(r'value="([^"]*)"', box.group(0))
    return value.group(1) if value else ""


def password_box(response) -> str:  # type: ignore[no-untyped-def]
    box = re.search(r'<input[^>]*name="password"[^>]*>', response.content.decode())
    assert box
    return box.group(0)


def test_the_sign_in_page_after_a_new_profile_has_its_user_name_once() -> None:
    Client().get(LOGIN)  # the empty form, as every visitor gets it, kept rendered (fragments)
    browser = Client()
    username = register_new(browser, someone("Idris", "Vantongeren"))
    ready = browser.get(url(browser, "created"))
    sign_in_link = re.search(r'<a class="usa-button" href="([^"]*)">', ready.content.decode())
    assert sign_in_link and sign_in_link.group(1) == LOGIN  # nothing of the person in the link
    assert all(username not in morsel.value for morsel in browser.cookies.values())

    page = browser.get(LOGIN)
    assert page.status_code == 200 and username_box(page) == username
    assert "value=" not in password_box(page) and "autofocus" in password_box(page)
    assert username_box(browser.get(LOGIN)) == ""  # once
    assert username_box(Client().get(LOGIN)) == ""  # and for no other browser


def test_the_sign_in_page_after_a_pre_created_profile_is_set_up() -> None:
    browser = Client()
    who = someone("Rosalind", "Achterberg")
    profile = precreated(on_file(who))
    start(browser)
    assert location(post_step(browser, "identity", who.identity_post())) == step("setup")
    assert location(post_step(browser, "setup", security_post())) == step("setup_done")
    assert browser.get(url(browser, "setup_done")).status_code == 200
    assert username_box(browser.get(LOGIN)) == profile.username


def test_the_sign_in_page_after_the_exact_match_reminder_has_its_user_name_once() -> None:
    """The reminder of an exact match shows the User Name as "Your Profile is ready" does: its
    "Sign in" button leads to a sign-in page with it filled in, by the same means."""
    who = someone("Leocadia", "Fairbrother")
    profile = with_profile(on_file(who))
    browser = Client()
    start(browser)
    assert location(post_step(browser, "identity", who.identity_post())) == step("exact")
    reminder = browser.get(url(browser, "exact")).content.decode()
    assert profile.username in reminder
    sign_in_link = re.search(r'<a class="usa-button usa-button--outline" href="([^"]*)">', reminder)
    assert sign_in_link and sign_in_link.group(1) == LOGIN  # nothing of the person in the link
    assert all(profile.username not in morsel.value for morsel in browser.cookies.values())

    page = browser.get(LOGIN)
    assert username_box(page) == profile.username and "autofocus" in password_box(page)
    assert username_box(browser.get(LOGIN)) == ""  # once
    assert username_box(Client().get(LOGIN)) == ""  # and for no other browser


def test_not_after_an_exact_match_on_names_and_birth_date_only() -> None:
    """That page shows no User Name (rules-4 E9), and the sign-in page is given none."""
    person, _profile = _record_without_ssn(active=True)
    browser = Client()
    start(browser)
    assert location(post_step(browser, "identity", _colleague(person).identity_post())) == step("exact")
    assert 'data-testid="weak-exact-options"' in browser.get(url(browser, "exact")).content.decode()
    assert username_box(browser.get(LOGIN)) == ""


def test_only_soon_after() -> None:
    """Not for a sign-in page asked for long after (the session still alive)."""
    soon, later = Client(), Client()
    username = register_new(soon, someone("Odile", "Marchetti"))
    register_new(later, someone("Anselm", "Marchetti"))
    with time_machine.travel(timezone.now() + timedelta(minutes=9)):
        assert username_box(soon.get(LOGIN)) == username
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert username_box(later.get(LOGIN)) == ""
        assert later.session.get("_auth_user_id") is None and later.session.keys()  # still a session
