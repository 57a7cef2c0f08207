"""Keyboard alone, no mouse: the four registration outcomes, password recovery by hint question,
and sign-in, in Chromium. On every page the Tab order is checked (skip link, header, the form's
fields in order, its buttons, footer; the order seen on the screen) and so is the visible focus
of everything Tab reaches. Any mouse or touch event fails the test (keyboard.forbid_pointer).

Links, buttons and headings are found by their translation, form fields by their names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import BrowserContext, Page, expect

from edgate.accounts.models import Profile
from edgate.directory.models import Application
from edgate.matching.models import MatchCase
from tests.factories import HINT_ANSWER, PASSWORD, on_file, precreated, someone, with_profile
from tests.pii import register_secret

from .conftest import assert_accessible, watch_resources
from .keyboard import Keyboard, forbid_pointer, pointer_events

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = register_secret("marigold ferry quartz lantern")
IDENTITY = (
    "first_name",
    "middle_name",
    "last_name",
    "former_last_name",
    "dob_month",
    "dob_day",
    "dob_year",
    "ssn",
    "state_id",
)
CONTACT = ("street", "city", "state", "postcode", "email", "phone")
# "Your own question" is hidden (out of the tab order) until "I will write my own question" is
# chosen (own-question.js).
PASSWORD_AND_HINT = (
    "new_password",
    "confirm_password",
    "hint_question_choice",
    "hint_answer",
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def keys(context: BrowserContext, page: Page) -> Iterator[Keyboard]:
    forbid_pointer(context)
    failures = watch_resources(page)
    yield Keyboard(page)
    assert pointer_events(page) == [], "a keyboard journey used the mouse"
    assert failures == [], f"page resources failed to load: {failures}"


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(text)


def type_identity(keys: Keyboard, who, *, ssn: str | None = None) -> None:  # type: ignore[no-untyped-def]
    keys.from_top()
    keys.fill("first_name", who.first_name)
    keys.fill("last_name", who.last_name)
    keys.choose("dob_month", str(who.date_of_birth.month))
    keys.fill("dob_day", str(who.date_of_birth.day))
    keys.fill("dob_year", str(who.date_of_birth.year))
    keys.fill("ssn", ssn if ssn is not None else f"{who.ssn[:3]}-{who.ssn[3:5]}-{who.ssn[5:]}")


def type_password_and_hint(keys: Keyboard, password: str = PASSWORD) -> None:
    keys.from_top()
    keys.fill("new_password", password)
    keys.fill("confirm_password", password)
    keys.choose("hint_question_choice", "2")
    keys.fill("hint_answer", HINT_ANSWER)


def assert_error_takes_focus(keys: Keyboard, field: str) -> None:
    """After a refused submit the error summary has focus (USWDS pattern); its link for `field`
    takes focus to that field."""
    page = keys.page
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    assert page.evaluate("document.activeElement.closest('#error-summary') !== null"), (
        f"focus is on {keys.focused()} after an error, not the error summary ({page.url})"
    )
    field_id = page.locator(f"[name={field}]").first.get_attribute("id")
    keys.tab_to(text=page.locator(f"#error-summary a[href='#{field_id}']").inner_text().strip())
    keys.press("Enter")
    assert page.evaluate("document.activeElement.name") == field, (
        f"the summary link left focus on {keys.focused()}"
    )


def open_registration(keys: Keyboard, live_server) -> None:  # type: ignore[no-untyped-def]
    keys.page.goto(f"{live_server.url}/")
    keys.assert_focus_order()
    keys.assert_skip_link_works()
    keys.from_top()
    keys.activate(_("Create a Profile"))
    heading(keys.page, _("Who you are"))


def sign_in(keys: Keyboard, username: str, password: str) -> None:
    heading(keys.page, _("Sign in"))
    keys.assert_focus_order("username", "password")
    keys.from_top()
    keys.fill("username", username)
    keys.fill("password", password)
    keys.activate(_("Sign in"))
    heading(keys.page, _("My applications"))


def test_no_match_creates_a_profile_then_signs_in(keys: Keyboard, live_server) -> None:  # type: ignore[no-untyped-def]
    Application.objects.create(code="ELAR", name="ELAR — Licensure and job matching", open_to_all=True)
    page, who = keys.page, someone("Imani", "Okonkwo-Baptiste")
    page.set_viewport_size(DESKTOP)
    open_registration(keys, live_server)

    keys.assert_shift_tab_mirrors(keys.assert_focus_order(*IDENTITY))
    type_identity(keys, who, ssn="000-12-3456")  # never issued: refused
    keys.activate(_("Continue"))
    assert_error_takes_focus(keys, "ssn")
    keys.assert_focus_order(*IDENTITY)
    type_identity(keys, who)
    keys.activate(_("Continue"))

    heading(page, _("How to reach you"))
    keys.assert_focus_order(*CONTACT)
    keys.from_top()
    keys.fill("street", "9 Larkspur Row")
    keys.fill("city", "Northfield")
    keys.choose("state", "MA")
    keys.fill("postcode", "01360")
    keys.fill("email", "imani@example.org")
    keys.activate(_("Continue"))

    heading(page, _("Password and hint"))
    keys.assert_focus_order(*PASSWORD_AND_HINT)
    type_password_and_hint(keys)
    keys.activate(_("Continue"))

    heading(page, _("Review and confirm"))
    keys.assert_focus_order("confirm")
    keys.from_top()
    keys.tab_to(text=_("Create my Profile"))  # past the box, then back to it
    keys.tab_to(name="confirm", back=True)
    keys.press("Space")
    assert page.evaluate("document.activeElement.checked")
    keys.activate(_("Create my Profile"))

    heading(page, _("Your Profile is ready"))
    keys.assert_focus_order()
    username = page.get_by_test_id("username").inner_text().strip()
    assert Profile.objects.get().username == username
    keys.from_top()
    keys.tab_to(name="", text=_("Sign in"))  # the header's link
    keys.activate(_("Sign in"))  # the page's button, after it
    sign_in(keys, username, PASSWORD)
    expect(page.get_by_text("ELAR — Licensure and job matching")).to_be_visible()
    keys.assert_focus_order()


def test_precreated_profile_is_finished_from_the_keyboard(keys: Keyboard, live_server) -> None:  # type: ignore[no-untyped-def]
    who = someone("Tomasz", "Wróblewski")
    profile = precreated(on_file(who))
    page = keys.page
    page.set_viewport_size(PHONE)
    open_registration(keys, live_server)
    type_identity(keys, who)
    keys.activate(_("Continue"))

    heading(page, _("Finish setting up your Profile"))
    keys.assert_focus_order(*PASSWORD_AND_HINT)
    keys.from_top()
    keys.activate(_("Finish my Profile"))
    assert_error_takes_focus(keys, "new_password")
    type_password_and_hint(keys)
    keys.activate(_("Finish my Profile"))

    heading(page, _("Your Profile is ready"))
    keys.assert_focus_order()
    expect(page.get_by_test_id("username")).to_have_text(profile.username)


def test_partial_match_reaches_the_case_reference(keys: Keyboard, live_server) -> None:  # type: ignore[no-untyped-def]
    record = someone("Anneliese", "Brandt")
    with_profile(on_file(record))
    registrant = record.with_(date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 7))
    page = keys.page
    page.set_viewport_size(PHONE)
    open_registration(keys, live_server)
    type_identity(keys, registrant)
    keys.activate(_("Continue"))

    heading(page, _("Check what you entered"))
    keys.assert_focus_order(*IDENTITY)
    keys.from_top()
    keys.activate(_("Continue without changes"))

    heading(page, _("We could not complete your Profile"))
    keys.assert_focus_order()
    expect(page.get_by_test_id("case-reference")).to_have_text(MatchCase.objects.get().reference)
    keys.from_top()
    keys.activate(_("Look up the status of your case"))
    keys.assert_focus_order("reference")
    keys.from_top()
    keys.activate(_("Look up"))
    expect(page.get_by_test_id("case-state")).to_be_visible()


def test_exact_match_shows_the_user_name_and_resets_by_hint(keys: Keyboard, live_server) -> None:  # type: ignore[no-untyped-def]
    who = someone("Kwame", "Asante")
    profile = with_profile(on_file(who))
    page = keys.page
    page.set_viewport_size(DESKTOP)
    open_registration(keys, live_server)
    type_identity(keys, who)
    keys.activate(_("Continue"))

    heading(page, _("You already have a Profile"))
    keys.assert_focus_order()
    expect(page.get_by_test_id("username")).to_have_text(profile.username)
    keys.from_top()
    keys.activate(_("Change my password"))

    heading(page, _("Answer your Password Hint Question"))
    keys.assert_focus_order("answer")
    keys.from_top()
    keys.fill("answer", HINT_ANSWER)
    keys.activate(_("Continue"))
    choose_new_password(keys)
    keys.from_top()
    keys.activate(_("Sign in"))  # the header's link comes first; both lead to the sign-in page
    sign_in(keys, profile.username, NEW_PASSWORD)


def choose_new_password(keys: Keyboard) -> None:
    heading(keys.page, _("Choose a new password"))
    keys.assert_focus_order("new_password", "confirm_password")
    keys.from_top()
    keys.fill("new_password", NEW_PASSWORD)
    keys.fill("confirm_password", NEW_PASSWORD)
    keys.activate(_("Change my password"))
    heading(keys.page, _("Your password is changed"))
    keys.assert_focus_order()


def test_forgotten_password_recovered_by_hint_from_the_sign_in_page(keys: Keyboard, live_server) -> None:  # type: ignore[no-untyped-def]
    profile = with_profile(on_file(someone("Sunniva", "Haugland")))
    page = keys.page
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    keys.assert_focus_order("username", "password")
    keys.from_top()
    keys.fill("username", profile.username)
    keys.fill("password", "not the password")
    keys.activate(_("Sign in"))
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)
    keys.from_top()
    keys.activate(_("Forgot your password?"))

    heading(page, _("Reset your password"))
    keys.assert_focus_order("username")
    keys.from_top()
    keys.fill("username", profile.username)
    keys.activate(_("Continue"))

    heading(page, _("Answer your Password Hint Question"))
    keys.from_top()
    keys.fill("answer", "Wrong Street")
    keys.activate(_("Continue"))
    assert_error_takes_focus(keys, "answer")
    keys.assert_focus_order("answer")
    keys.from_top()
    keys.fill("answer", HINT_ANSWER)
    keys.activate(_("Continue"))
    choose_new_password(keys)
    keys.from_top()
    keys.activate(_("Sign in"))
    sign_in(keys, profile.username, NEW_PASSWORD)
