"""A real person's journey in Chromium: the no-match path, every page checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from edgate.accounts.models import Profile
from edgate.directory.models import Application
from tests.factories import HINT_ANSWER, PASSWORD, someone

from .conftest import assert_accessible, assert_styled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_match_journey_then_sign_in(page: Page, live_server, failed_resources: list[str]) -> None:  # type: ignore[no-untyped-def]
    Application.objects.create(code="ELAR", name="ELAR — Licensure and job matching", open_to_all=True)
    who = someone("Maya", "Castañeda-Ruiz")
    page.goto(f"{live_server.url}/")
    assert_styled(page)
    assert_accessible(page)
    page.get_by_role("link", name="Create a Profile").first.click()

    # Page 1 — first try a mistake, to check the error summary and field messages too.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Who you are")
    assert_accessible(page)
    page.get_by_label("First or given name").fill(who.first_name)
    page.get_by_label("Last or family name").fill(who.last_name)
    page.get_by_label("Month").select_option(str(who.date_of_birth.month))
    page.get_by_label("Day").fill(str(who.date_of_birth.day))
    page.get_by_label("Year").fill(str(who.date_of_birth.year))
    page.get_by_label("Social Security Number").fill("666-12-3456")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert").first).to_contain_text("There is a problem")
    assert_accessible(page)
    page.get_by_label("Social Security Number").fill(f"{who.ssn[:3]}-{who.ssn[3:5]}-{who.ssn[5:]}")
    page.get_by_role("button", name="Continue").click()

    # Page 2
    expect(page.get_by_role("heading", level=1)).to_contain_text("How to reach you")
    assert_accessible(page)
    page.get_by_label("Street address").fill("77 Harbor View Rd")
    page.get_by_label("City").fill("Lakeview")
    page.get_by_label("State", exact=True).select_option("MA")
    page.get_by_label("ZIP code").fill("02148")
    page.get_by_label("Email address").fill("maya@example.org")
    page.get_by_role("button", name="Continue").click()

    # Page 3
    expect(page.get_by_role("heading", level=1)).to_contain_text("Password and hint")
    assert_accessible(page)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_label("Password Hint Question").select_option(index=2)
    page.get_by_label("Answer").fill(HINT_ANSWER)
    page.get_by_role("button", name="Continue").click()

    # Page 4
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review and confirm")
    assert_accessible(page)
    expect(page.get_by_text(f"***-**-{who.ssn[-4:]}")).to_be_visible()
    page.get_by_text("I have read the privacy statement").click()
    page.get_by_role("button", name="Create my Profile").click()

    # Done
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your Profile is ready")
    assert_accessible(page)
    username = page.get_by_test_id("username").inner_text().strip()
    assert username == "mcastanedaruiz" == Profile.objects.get().username

    page.get_by_role("link", name="Sign in").last.click()
    assert_accessible(page)
    page.get_by_label("User Name").fill(username.upper())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My applications")
    expect(page.get_by_text("ELAR — Licensure and job matching")).to_be_visible()
    assert_accessible(page)
