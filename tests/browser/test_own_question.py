"""uxpub 6: "Your own question" on page 3 of Create a Profile is shown only once "I will write my
own question" is chosen (it was always there, beside a listed question), hidden again for a
listed one, shown with its error after a refused submission; and without JavaScript it is always
there to type in (progressive enhancement: the server sends it; a script served from the portal's
own files hides it, under the page's CSP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.factories import HINT_ANSWER, PASSWORD, someone

from .test_back_reload_tabs import cont, fill_contact, fill_identity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWN = "I will write my own question"


def to_page_three(page: Page, url: str, who_last: str) -> None:
    page.goto(f"{url}/register/")
    fill_identity(page, someone("Hedda", who_last))
    cont(page)
    fill_contact(page, f"h.{who_last.lower()}@example.org")
    cont(page)
    expect(page.get_by_label("Password Hint Question")).to_be_visible()


@pytest.fixture
def page_under_csp(browser: Browser) -> Iterator[Page]:
    """A page whose CSP is enforced (the suite's `page` bypasses it to inject axe-core)."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_your_own_question_shows_only_for_write_my_own(
    page_under_csp: Page, browser: Browser, live_server
) -> None:  # type: ignore[no-untyped-def]
    page = page_under_csp
    to_page_three(page, live_server.url, "Vestergaard")
    own = page.get_by_label("Your own question")
    expect(own).to_be_hidden()
    page.get_by_label("Password Hint Question").select_option(label=OWN)
    expect(own).to_be_visible()
    page.get_by_label("Password Hint Question").select_option(index=2)
    expect(own).to_be_hidden()
    # "Write my own" with too short a question: refused, and the box is there with its error.
    page.get_by_label("Password Hint Question").select_option(label=OWN)
    own.fill("Short?")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_label("Answer").fill(HINT_ANSWER)
    cont(page)
    expect(
        page.locator(".usa-error-message", has_text="Write a question of at least 10 characters.")
    ).to_be_visible()
    expect(page.get_by_label("Your own question")).to_be_visible()
    # Without JavaScript, always there to type in.
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        to_page_three(page, live_server.url, "Lindahl")
        expect(page.get_by_label("Your own question")).to_be_visible()
    finally:
        context.close()
