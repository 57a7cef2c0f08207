"""The console's menu in Chromium, English and Spanish: on a phone (390 px) the person meets the
page's heading and content first and the menu after them, in what is shown, in what a screen
reader reads and in Tab order; at a desk (1280 px) the menu stays the column on the left, first.
The skip link leads past the header in both."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Browser, Page, expect

from tests.backoffice import build_world, console_client

from .conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Where the visible console menu is, and the page's h1, in document order and on the screen;
# the elements of main a screen reader or Tab reaches (hidden ones are neither).
LAYOUT = """() => {
  const shown = el => el.checkVisibility();
  const menus = [...document.querySelectorAll('main nav')].filter(shown);
  const h1 = document.querySelector('main h1');
  const box = el => { const r = el.getBoundingClientRect(); return {x: r.left, y: r.top + scrollY}; };
  const focusable = [...document.querySelectorAll('main a[href], main button, main input, main select')]
    .filter(shown).map(el => el.closest('nav') ? 'menu' : 'page');
  return {
    menus: menus.length,
    menuAfterHeading: !!(h1.compareDocumentPosition(menus[0]) & Node.DOCUMENT_POSITION_FOLLOWING),
    menu: box(menus[0]), h1: box(h1), focusable,
  };
}"""


def console_page(browser: Browser, live_server, language: str, viewport: dict[str, int]) -> Page:  # type: ignore[no-untyped-def]
    world = build_world()
    session = console_client(world.da_a).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(locale=language, bypass_csp=True, viewport=viewport)
    context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )
    page = context.new_page()
    page.goto(live_server.url + reverse("backoffice:org", kwargs={"code": world.district_a.code}))
    assert page.evaluate("document.documentElement.lang") == language
    return page


@pytest.mark.parametrize("language", ["en", "es"])
def test_on_a_phone_the_heading_and_page_come_before_the_menu(  # type: ignore[no-untyped-def]
    browser: Browser, live_server, language: str
) -> None:
    page = console_page(browser, live_server, language, PHONE)
    layout = page.evaluate(LAYOUT)
    assert layout["menus"] == 1, layout
    assert layout["menuAfterHeading"] and layout["menu"]["y"] > layout["h1"]["y"], layout
    # Every field and button of the page before the menu's links.
    focusable = layout["focusable"]
    assert focusable.index("menu") > 0 and "page" not in focusable[focusable.index("menu") :], focusable
    with translation.override(language):
        expect(page.get_by_role("navigation", name=translation.gettext("Console menu"))).to_be_visible()
    # The skip link, then Tab: the page's first field, not the menu.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    page.keyboard.press("Tab")
    assert page.evaluate("!document.activeElement.closest('nav') && !!document.activeElement.closest('main')")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_at_a_desk_the_menu_stays_the_column_on_the_left(  # type: ignore[no-untyped-def]
    browser: Browser, live_server, language: str
) -> None:
    page = console_page(browser, live_server, language, DESKTOP)
    layout = page.evaluate(LAYOUT)
    assert layout["menus"] == 1, layout
    assert not layout["menuAfterHeading"], layout
    assert layout["menu"]["x"] < layout["h1"]["x"] and abs(layout["menu"]["y"] - layout["h1"]["y"]) < 40, (
        layout
    )
    assert layout["focusable"][0] == "menu", layout
    with translation.override(language):
        expect(
            page.get_by_role("navigation", name=translation.gettext("Console"), exact=True)
        ).to_be_visible()
    assert_accessible(page)
    page.context.close()
