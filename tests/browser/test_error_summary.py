"""The error summary in Chromium: it has focus when the refused page opens (with and without
JavaScript), a link in it moves focus to its field, and the page's title says there is an error."""

from __future__ import annotations

import re

import pytest
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page, expect

from edgate.registration import forms as registration_forms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def refused_page_one(page: Page, url: str) -> None:
    page.goto(f"{url}/register/")
    page.get_by_label(gettext("First or given name")).fill("Maya")
    page.get_by_label(gettext("Month")).select_option("2")
    page.get_by_label(gettext("Day")).fill("17")
    page.get_by_label(gettext("Year")).fill("85")
    page.get_by_role("button", name=gettext("Continue")).click()
    expect(page.locator("#error-summary")).to_be_visible()


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
