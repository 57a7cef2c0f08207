"""The error summary in Chromium: it has focus when the refused page opens (with and without
JavaScript), a link in it moves focus to its field, the page's title says there is an error, and
on the wizard's pages it comes first in main."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page, expect

from edgate.registration import forms as registration_forms
from tests.backoffice import build_world, console_client
from tests.factories import someone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def refused_page_one(page: Page, url: str) -> None:
    page.goto(f"{url}/register/")
    page.get_by_label(gettext("First or given name")).fill("Maya")
    page.get_by_label(gettext("Month")).select_option("2")
    page.get_by_label(gettext("Day")).fill("17")
    page.get_by_label(gettext("Year")).fill("85")
    page.get_by_role("button", name=gettext("Continue")).click()
    expect(page.locator("#error-summary")).to_be_visible()
    # The summary's links move focus by error-summary.js (deferred): on a busy runner the
    # refused page could show before its scripts ran, and a link pressed then only scrolled.
    page.wait_for_load_state("load")


def test_summary_takes_focus_and_links_move_focus_to_the_field(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    refused_page_one(page, live_server.url)
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.title().startswith(gettext("Error:"))
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text(str(registration_forms.DOB_YEAR))
    summary.get_by_role("link", name=str(registration_forms.DOB_YEAR)).press("Enter")
    expect(page.locator("#id_dob_year")).to_be_focused()
    summary.get_by_role("link", name=gettext("Enter your last name.")).click()
    expect(page.locator("#id_last_name")).to_be_focused()
    expect(page.locator("#id_last_name")).to_have_class(re.compile(r"\busa-input--error\b"))


def test_summary_takes_focus_without_javascript(browser: Browser, live_server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        refused_page_one(page, live_server.url)
        expect(page.locator("#error-summary")).to_be_focused()  # autofocus alone
    finally:
        context.close()


def assert_summary_first_and_focused(page: Page) -> None:
    """The summary is the first thing in main (before the step indicator and the heading), has
    focus, is on screen at the top of a phone's page, and its problems stand apart."""
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    first = page.evaluate(
        """() => {
          const main = document.querySelector('main');
          const walker = document.createTreeWalker(main, NodeFilter.SHOW_ELEMENT);
          for (let el = walker.nextNode(); el; el = walker.nextNode()) {
            if (el.tagName !== 'DIV' || el.id) return el.id || el.tagName;
          }
          return null;
        }"""
    )
    assert first == "error-summary", first
    top = summary.bounding_box()
    heading = page.get_by_role("heading", level=1).bounding_box()
    assert top is not None and heading is not None and top["y"] < heading["y"]
    assert top["y"] < 844 / 2, top  # in the first half of a phone's screen
    # Each problem apart from the next (a two-line message touched the one under it).
    gaps = page.evaluate(
        """() => [...document.querySelectorAll('#error-summary li')].map(li => li.getBoundingClientRect())
             .map((box, i, all) => i ? box.top - all[i - 1].bottom : null).slice(1)"""
    )
    assert all(gap >= 4 for gap in gaps), gaps


def test_wizard_pages_one_to_three_put_the_summary_first_in_main(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    """As the review page does: a refused page 1, 2 or 3 opens on the error summary, above the
    step indicator, the heading and the step's words."""
    who = someone("Maya", "Castañeda-Ruiz")
    refused_page_one(page, live_server.url)  # page 1
    assert_summary_first_and_focused(page)
    page.get_by_label(gettext("Last or family name")).fill(who.last_name)
    page.get_by_label(gettext("Year")).fill(str(who.date_of_birth.year))
    page.get_by_label(gettext("Month")).select_option(str(who.date_of_birth.month))
    page.get_by_label(gettext("Day")).fill(str(who.date_of_birth.day))
    page.get_by_label(gettext("Social Security Number")).fill(who.ssn)
    page.get_by_role("button", name=gettext("Continue")).click()
    expect(page.get_by_label(gettext("Street address"))).to_be_visible()  # page 2
    page.get_by_role("button", name=gettext("Continue")).click()
    assert_summary_first_and_focused(page)
    page.get_by_label(gettext("Street address")).fill("77 Harbor View Rd")
    page.get_by_label(gettext("City")).fill("Lakeview")
    page.get_by_label(gettext("State"), exact=True).select_option("MA")
    page.get_by_label(gettext("ZIP code")).fill("02148")
    page.get_by_label(gettext("Email address")).fill("maya@example.org")
    page.get_by_role("button", name=gettext("Continue")).click()
    expect(page.get_by_label(gettext("Type the password again"))).to_be_visible()  # page 3
    page.get_by_role("button", name=gettext("Continue")).click()
    assert_summary_first_and_focused(page)


@pytest.mark.parametrize("path", ["/login/", "/recover/"])
def test_sign_in_and_recovery_put_the_summary_first_in_main(page: Page, live_server, path: str) -> None:  # type: ignore[no-untyped-def]
    """The pages built on core/form_page.html (sign-in, password recovery, second factor, change
    password …) as the wizard: a refused page opens on the summary, above the heading and intro."""
    page.goto(f"{live_server.url}{path}")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_summary_first_and_focused(page)


@pytest.mark.parametrize("width", [390, 1280])
def test_console_form_pages_put_the_summary_first_in_main(page: Page, live_server, width: int) -> None:  # type: ignore[no-untyped-def]
    """The console's form pages as the wizard's: a refused page opens on the summary, above the
    console's menu (a column on the left at a desk), the heading and the page's words, and it
    has focus."""
    world = build_world()
    session = console_client(world.da_a).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"{live_server.url}{reverse('backoffice:org_add_new', args=[world.school_a1.code])}")
    page.locator("main form[method=post] button[type=submit]").first.click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert_summary_first_and_focused(page)
    menu = page.locator("nav[aria-label='Console']").bounding_box()
    summary = page.locator("#error-summary").bounding_box()
    if width >= 640:
        assert menu is not None and summary is not None and summary["y"] < menu["y"]
