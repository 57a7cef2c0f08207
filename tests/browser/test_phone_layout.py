"""The portal's layout as a person on a phone (390 px, and 320 px) or at a desk meets it, in
Chromium, in English and Spanish: what a screenshot would show, measured from the page's boxes.

- the date of birth's month, day and year on one line (USWDS wraps the year onto a line alone);
- the header's links on the line of the portal's name at desktop width, not at the header's foot;
- header and footer links 44 px tall or more (a thumb), the customer service number a link;
- the page that says cookies are needed has one primary button, not two.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Browser, Page

from tests.factories import PASSWORD, on_file, someone, with_profile

from .conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 900}
TAP = 44  # px: WCAG 2.5.5's target size, the one a phone needs


@pytest.fixture(params=["en", "es"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_page(browser: Browser, language: str) -> Iterator[object]:
    contexts = []

    def opener(url: str, viewport: dict[str, int]) -> Page:
        context = browser.new_context(locale=language, bypass_csp=True, viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        assert page.evaluate("document.documentElement.lang") == language
        return page

    yield opener
    for context in contexts:
        context.close()


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


@pytest.mark.parametrize("viewport", [PHONE, SMALL_PHONE], ids=["390px", "320px"])
def test_the_date_of_birth_is_on_one_line_on_a_phone(  # type: ignore[no-untyped-def]
    open_page, live_server, viewport: dict[str, int]
) -> None:
    page = open_page(f"{live_server.url}{reverse('registration:start')}", viewport)
    month, day, year = (box(page, f"#id_dob_{part}") for part in ("month", "day", "year"))
    assert month["y"] == day["y"] == year["y"], (month, day, year)
    assert month["x"] < day["x"] < year["x"]
    assert year["x"] + year["width"] <= viewport["width"]
    assert month["width"] >= 120, month  # the longest month's name still fits its list
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page)


def test_the_header_links_are_on_the_line_of_the_portals_name_at_a_desk(  # type: ignore[no-untyped-def]
    open_page, live_server
) -> None:
    page = open_page(f"{live_server.url}{reverse('core:home')}", DESKTOP)
    title = box(page, ".usa-logo__text a")
    middle = title["y"] + title["height"] / 2
    links = page.locator(".edgate-nav__list a, .edgate-nav__list button")
    assert links.count() >= 3
    for i in range(links.count()):
        link = links.nth(i).bounding_box()
        assert link is not None
        assert abs(link["y"] + link["height"] / 2 - middle) <= 3, (links.nth(i).inner_text(), link, title)


def test_header_and_footer_links_are_big_enough_to_tap(open_page, live_server) -> None:  # type: ignore[no-untyped-def]
    page = open_page(f"{live_server.url}{reverse('core:home')}", PHONE)
    targets = page.locator(".edgate-nav__list a, .edgate-nav__list button, footer a")
    assert targets.count() >= 5
    for i in range(targets.count()):
        target = targets.nth(i).bounding_box()
        assert target is not None
        assert target["height"] >= TAP, (targets.nth(i).inner_text(), target)
    assert page.locator("footer a[href^='tel:']").count() == 1


def test_the_cookies_page_has_one_primary_button_and_the_number_to_call(  # type: ignore[no-untyped-def]
    open_page, live_server, language: str
) -> None:
    # A page of a registration asked for with a flow but no session cookie: cookies refused.
    # (Page 2: page 1 is shown afresh whatever flow it names, since showing it writes nothing.)
    page = open_page(f"{live_server.url}{reverse('registration:step', args=['contact'])}?flow=x", PHONE)
    with translation.override(language):
        assert page.locator("h1").inner_text() == translation.gettext("Your browser did not keep your place")
    main = page.locator("main")
    assert main.locator(".usa-button[href*='register']").count() == 1  # start again: the way on
    primary = main.locator(".usa-button:not(.usa-button--outline):not(.usa-button--unstyled)")
    assert primary.count() == 1
    assert primary.get_attribute("href", timeout=1000).startswith(reverse("registration:start"))
    for i in range(main.locator(".usa-button").count()):
        button = main.locator(".usa-button").nth(i).bounding_box()
        assert button is not None and button["height"] >= TAP, button
    assert main.locator("a[href^='tel:']").count() == 1
    assert_accessible(page)


def test_links_on_a_line_of_their_own_are_big_enough_to_tap(open_page, live_server) -> None:  # type: ignore[no-untyped-def]
    """Stacked links a thumb must choose between: the sign-in page's "Forgot your password?" and
    "Create a Profile", and the error summary's links to each field at fault."""
    page = open_page(f"{live_server.url}{reverse('accounts:login')}", PHONE)
    stacked = page.locator("main ul a")
    assert stacked.count() == 2
    page.goto(f"{live_server.url}{reverse('registration:start')}")
    page.locator("main form button[type=submit]").first.click()
    summary = page.locator("#error-summary a")
    assert summary.count() >= 4  # first and last name, date of birth, SSN
    heading = box(page, "#error-summary-heading")
    for i in range(summary.count()):
        target = summary.nth(i).bounding_box()
        assert target is not None and target["height"] >= TAP, (summary.nth(i).inner_text(), target)
        assert target["x"] == heading["x"], (target, heading)  # under the heading, not indented
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    for i in range(stacked.count()):
        target = stacked.nth(i).bounding_box()
        assert target is not None and target["height"] >= TAP, (stacked.nth(i).inner_text(), target)
    assert_accessible(page)


def test_my_profiles_change_links_are_a_list_of_taps(open_page, live_server) -> None:  # type: ignore[no-untyped-def]
    profile = with_profile(on_file(someone("Rowan", "Achterberg")))
    page = open_page(f"{live_server.url}{reverse('accounts:login')}", PHONE)
    page.locator("#id_username").fill(profile.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.goto(f"{live_server.url}{reverse('accounts:profile')}")
    links = [
        page.locator(f"main a[href='{reverse(name)}']")
        for name in ("accounts:change_password", "accounts:change_hint")
    ]
    boxes = [link.bounding_box() for link in links]
    assert all(b is not None and b["height"] >= TAP for b in boxes), boxes
    assert boxes[1]["y"] >= boxes[0]["y"] + boxes[0]["height"]  # type: ignore[index] - one a line
    assert_accessible(page)


def test_the_review_pages_change_links_are_a_list_of_taps(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    """Page 4's three ways back (who you are, contact, password and hint): one a line, each a
    thumb's size, not three links run together with dots."""
    from tests.browser.test_back_reload_tabs import cont, fill_contact, fill_identity, fill_security

    page.goto(f"{live_server.url}{reverse('registration:start')}")
    fill_identity(page, someone("Odile", "Vantongeren"))
    cont(page)
    fill_contact(page, "odile.v@example.org")
    cont(page)
    fill_security(page)
    cont(page)
    links = page.get_by_test_id("review-changes").locator("a")
    assert links.count() == 3
    boxes = [links.nth(i).bounding_box() for i in range(3)]
    assert all(b is not None and b["height"] >= TAP for b in boxes), boxes
    for earlier, later in zip(boxes, boxes[1:], strict=False):
        assert later["y"] >= earlier["y"] + earlier["height"]  # type: ignore[index]
    assert_accessible(page)


def test_buttons_one_under_the_other_on_a_phone_have_a_gap(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    """The exact-match page's "Change my password" and "Sign in", full width one under the other
    on a phone: apart, not touching (page 2's Continue and Back too)."""
    from tests.browser.test_back_reload_tabs import cont, fill_identity

    who = someone("Perpetua", "Okonkwo-Lind")
    with_profile(on_file(who))
    page.goto(f"{live_server.url}{reverse('registration:start')}")
    fill_identity(page, who)
    cont(page)
    buttons = page.locator("main .usa-button")
    assert buttons.count() == 2, page.url
    upper, lower = (buttons.nth(i).bounding_box() for i in range(2))
    assert upper is not None and lower is not None
    assert lower["y"] - (upper["y"] + upper["height"]) >= 8, (upper, lower)
    assert_accessible(page)


def test_a_phone_number_is_not_broken_across_lines(open_page, live_server) -> None:  # type: ignore[no-untyped-def]
    """The case status page's "Questions? Call customer service at (555) 010-6600." on a phone:
    the number stays whole on one line (in Spanish the sentence put its hyphen at the line's end)."""
    page = open_page(f"{live_server.url}{reverse('registration:case_status')}", PHONE)
    for width in (390, 360, 320):
        page.set_viewport_size({"width": width, "height": 800})
        numbers = page.locator("a[href^='tel:']")
        assert numbers.count() >= 2  # the page's sentence and the footer
        for i in range(numbers.count()):
            lines = numbers.nth(i).evaluate("a => a.getClientRects().length")
            assert lines == 1, (width, numbers.nth(i).inner_text(), lines)
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_my_profiles_save_button_stands_clear_of_the_footer(open_page, live_server) -> None:  # type: ignore[no-untyped-def]
    """uxpub 5: on a phone, "Save contact details" (Spanish: "Guardar los datos de contacto")
    sat against the footer. The last button of a page's form keeps a clear gap before it."""
    profile = with_profile(on_file(someone("Rowan", "Achterberg")))
    page = open_page(f"{live_server.url}{reverse('accounts:login')}", PHONE)
    page.locator("#id_username").fill(profile.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.goto(f"{live_server.url}{reverse('accounts:profile')}")
    button, footer = box(page, "main form button[type=submit]"), box(page, "footer.usa-footer")
    above = box(page, "main form input[name=phone]")
    gaps = {
        "footer": footer["y"] - (button["y"] + button["height"]),
        "field": button["y"] - (above["y"] + above["height"]),
    }
    assert gaps["footer"] >= 48, gaps
    assert gaps["field"] >= 16, gaps
