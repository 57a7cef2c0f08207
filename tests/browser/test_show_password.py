""" "Show password" under every password box, in Chromium: sign-in, page 3 of the wizard, change
password and recovery. It shows and hides the typing, says so to a screen reader, is a 44 px
target, speaks Spanish on a Spanish page, masks the box again before the form is sent, and is
not there at all without JavaScript (the boxes stay plain password fields)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page, expect

from edgate.directory.actions import do_appoint_admin
from edgate.directory.models import Organization, OrgType
from tests.factories import CTX, PASSWORD, on_file, someone, with_profile
from tests.pii import register_secret

from .conftest import assert_accessible
from .test_back_reload_tabs import cont, fill_contact, fill_identity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TYPED = register_secret("copper meadow lantern ninety")


def toggles(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("[data-show-password] button")


def assert_toggles_every_box(page: Page, language: str = "en") -> None:
    """Each password box on the page has its own button, and the button works as it should."""
    with translation.override(language):
        show, hide = gettext("Show password"), gettext("Hide password")
        visible, hidden = gettext("Your password is visible."), gettext("Your password is hidden.")
    boxes = page.locator("input[type=password]")
    count = boxes.count()
    assert count >= 1 and toggles(page).count() == count
    # Each button is named for its own box (three on the change-password page), and only the
    # box answers to its label.
    labels = []
    for i in range(count):
        box_id = toggles(page).nth(i).get_attribute("aria-controls")
        label = " ".join(page.locator(f'label[for="{box_id}"]').inner_text().split())
        labels.append(label)
        # (Chromium puts a space before the hidden words: they are positioned off screen.)
        named = re.compile(rf"^{re.escape(show)}\s*:\s*{re.escape(label)}$")
        expect(page.get_by_role("button", name=named)).to_have_count(1)
        expect(page.get_by_label(label, exact=True)).to_have_count(1)
        assert page.locator(f"#{box_id}").get_attribute("autocorrect") == "off"
    assert len(set(labels)) == count, labels
    for index in range(count):
        button = toggles(page).nth(index)
        box = page.locator(f"#{button.get_attribute('aria-controls')}")
        expect(button).to_be_visible()
        expect(button).to_have_text(f"{show}: {labels[index]}")
        size = button.bounding_box()
        assert size is not None and size["height"] >= 44 and size["width"] >= 44, size
        box.fill(TYPED)
        button.click()
        expect(box).to_have_attribute("type", "text")
        expect(box).to_have_value(TYPED)
        expect(button).to_have_text(f"{hide}: {labels[index]}")
        expect(page.locator("[data-show-password] [aria-live=polite]").nth(index)).to_have_text(visible)
        assert button.get_attribute("aria-pressed") is None  # its words say the state
        button.click()
        expect(box).to_have_attribute("type", "password")
        expect(button).to_have_text(f"{show}: {labels[index]}")
        expect(page.locator("[data-show-password] [aria-live=polite]").nth(index)).to_have_text(hidden)
        box.fill("")
    assert_accessible(page)


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}{reverse('accounts:login')}")
    page.get_by_label("User Name").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def test_every_password_box_has_a_working_show_password_button(  # type: ignore[no-untyped-def]
    page: Page, live_server, failed_resources: list[str]
) -> None:
    profile = with_profile(on_file(someone("Rowan", "Achterberg")))
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}{reverse('accounts:login')}")
        assert_toggles_every_box(page)

    # Shown, then sent: the box is a password box again before the form goes (the browser's
    # password manager sees a password; the page the back button restores starts masked).
    page.get_by_label("User Name").fill(profile.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    toggles(page).first.click()
    page.evaluate(
        """() => document.querySelector("main form[method=post]").addEventListener("submit", () => {
            window.sessionStorage.setItem("typeAtSubmit", document.getElementById("id_password").type); })"""
    )
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))
    assert page.evaluate("window.sessionStorage.getItem('typeAtSubmit')") == "password"

    page.goto(f"{live_server.url}{reverse('accounts:change_password')}")
    assert_toggles_every_box(page)  # current, new and again

    # Spanish.
    page.context.add_cookies([{"name": "django_language", "value": "es", "url": live_server.url}])
    page.goto(f"{live_server.url}{reverse('accounts:change_password')}")
    assert_toggles_every_box(page, "es")


def test_page_3_and_recovery_have_it_too(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}{reverse('registration:start')}")
    fill_identity(page, someone("Marisol", "Quintanilla"))
    cont(page)
    fill_contact(page, "marisol.q@example.org")
    cont(page)
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    assert_toggles_every_box(page)  # the password and the password again

    admin = with_profile(on_file(someone("Priya", "Venkataraman")))
    district = Organization.objects.create(
        code="04560000", name="Riverside Regional", org_type=OrgType.DISTRICT
    )
    do_appoint_admin(profile=admin, organization=district, ctx=CTX)
    out = StringIO()
    call_command("activation", "issue", "--username", admin.username, stdout=out)
    code = register_secret(re.search(r"^code=(\S+)$", out.getvalue(), re.M).group(1))  # type: ignore[union-attr]
    page.goto(f"{live_server.url}{reverse('recovery:with_code')}")
    page.get_by_label("User Name").fill(admin.username)
    page.get_by_label("Activation code").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    assert_toggles_every_box(page)


def test_without_javascript_no_button_and_plain_password_boxes(  # type: ignore[no-untyped-def]
    browser: Browser, live_server
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{reverse('accounts:login')}")
        box = page.get_by_label("Password", exact=True)
        expect(box).to_have_attribute("type", "password")
        assert toggles(page).count() == 1  # in the page, and hidden
        expect(toggles(page)).to_be_hidden()
        expect(page.get_by_role("button", name="Show password")).to_have_count(0)
    finally:
        context.close()
