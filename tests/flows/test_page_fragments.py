"""The parts of every page kept rendered per language (core/base.html, the "fragments" cache):
the same for everyone, so nothing about the person or the request may be in them, and they
follow the language and the agency's names."""

from __future__ import annotations

import pickle  # noqa: S403 - reads back what LocMemCache itself pickled in this process

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import translation

from edgate.core import conf
from tests.factories import PASSWORD, on_file, someone, with_profile

pytestmark = pytest.mark.django_db


def _gettext(english: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(english)


def _fragments() -> list[str]:
    store = caches["fragments"]
    return [pickle.loads(value) for value in store._cache.values()]  # type: ignore[attr-defined]  # noqa: S301


@pytest.fixture(autouse=True)
def _empty_fragments() -> None:
    caches["fragments"].clear()


def test_chrome_follows_the_language_and_the_signed_in_state() -> None:
    anonymous = Client()
    english = anonymous.get(reverse("accounts:login")).content.decode()
    assert 'href="{}"'.format(reverse("registration:start")) in english
    assert _gettext("Privacy statement", "en") in english
    anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    spanish = anonymous.get(reverse("accounts:login")).content.decode()
    for words in ("Skip to main content", "Create a Profile", "Privacy statement"):
        assert _gettext(words, "es") != words
        assert _gettext(words, "es") in spanish
        assert _gettext(words, "es") not in english

    profile = with_profile(on_file(someone("Fragment", "Reader")))
    signed_in = Client()
    signed_in.post(reverse("accounts:login"), {"username": profile.username, "password": PASSWORD})
    page = signed_in.get(reverse("directory:applications")).content.decode()
    assert _gettext("Sign out", "en") in page
    assert 'href="{}"'.format(reverse("registration:start")) not in page  # not the anonymous links


def test_nothing_of_the_person_or_the_request_is_kept() -> None:
    profile = with_profile(on_file(someone("Fragment", "Keeper")))
    client = Client()
    client.get(reverse("accounts:login") + "?next=/applications/")
    client.post(reverse("accounts:login"), {"username": profile.username, "password": PASSWORD})
    client.get(reverse("directory:applications"))
    kept = _fragments()
    assert kept, "base.html keeps its fragments"
    for text in kept:
        assert "csrfmiddlewaretoken" not in text
        assert profile.username not in text
        assert 'value="/applications/"' not in text  # the `next` the sign-in page was asked with
    # The signed-in links are kept (the same for everyone signed in), the sign-out form's token not.
    assert any('href="{}"'.format(reverse("directory:applications")) in text for text in kept)


def test_a_new_agency_name_is_shown(settings: object) -> None:
    Client().get(reverse("accounts:login"))
    settings.EDGATE = {**settings.EDGATE, "AGENCY_NAME": "Board of Learning", "AGENCY_SHORT_NAME": "BOL"}  # type: ignore[attr-defined]
    conf.reset()
    page = Client().get(reverse("accounts:login")).content.decode()
    assert "An official website of the Board of Learning" in page
    assert "BOL Security Portal</a>" in page
    assert page.count("Board of Learning") >= 2  # banner, footer
    assert page.count("BOL Security Portal") >= 2  # window title, header


def test_empty_forms_are_kept_rendered_and_a_typed_one_never() -> None:
    """The sign-in form and registration page 1, as a first visitor sees them, are kept per
    language; a refused sign-in (the User Name typed) and a refused page 1 are drawn anew."""
    first = Client().get(reverse("accounts:login")).content.decode()
    assert any('name="username"' in text and 'name="password"' in text for text in _fragments())
    assert Client().get(reverse("accounts:login")).content.decode().count('name="username"') == 1
    client = Client()
    refused = client.post(reverse("accounts:login"), {"username": "kept.fragment.probe", "password": "x"})
    assert 'value="kept.fragment.probe"' in refused.content.decode()
    assert "error-summary" in refused.content.decode() and "error-summary" not in first
    page1 = Client().get(reverse("registration:step", args=["identity"])).content.decode()
    assert 'name="last_name"' in page1
    assert any('name="last_name"' in text for text in _fragments())
    for text in _fragments():
        assert "kept.fragment.probe" not in text and "usa-input--error" not in text
        assert "csrfmiddlewaretoken" not in text and 'name="flow"' not in text
