"""The keyboard and error-message checks fail on pages that break them (a check that cannot
fail is a defect): a jumbled Tab order, a hidden focus outline, a field shown out of reading
order, an error message tied to no field."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .keyboard import Keyboard
from .test_axe_every_page import UNTIED_ERRORS

pytestmark = [pytest.mark.browser]

PAGE = """<!DOCTYPE html><html lang="en"><head><style>
  :focus {{ outline: 3px solid #2491ff; }} .usa-skipnav {{ position: absolute; top: -3rem; }} .usa-skipnav:focus {{ top: 0; }}
  {style}
</style></head><body>
<a class="usa-skipnav" href="#main-content">Skip to main content</a>
<header><a href="/">Home</a></header>
<main id="main-content" tabindex="-1"><form>
  <label for="a">A</label><input id="a" name="a"{a}>
  <label for="b">B</label><input id="b" name="b">
  <button type="submit">Continue</button>
</form></main>
<footer><a href="/privacy/">Privacy</a></footer>
</body></html>"""


def keyboard_on(page: Page, *, style: str = "", a: str = "") -> Keyboard:
    page.set_content(PAGE.format(style=style, a=a))
    return Keyboard(page)


def test_a_sound_page_passes(page: Page) -> None:
    keyboard_on(page).assert_focus_order("a", "b")


def test_a_positive_tabindex_breaks_the_order(page: Page) -> None:
    with pytest.raises(AssertionError, match="Tab order differs from the document"):
        keyboard_on(page, a=' tabindex="1"').assert_focus_order("a", "b")


def test_fields_in_the_wrong_order_are_reported(page: Page) -> None:
    with pytest.raises(AssertionError, match="fields focused in the order"):
        keyboard_on(page).assert_focus_order("b", "a")


def test_a_field_shown_above_the_one_before_it_is_reported(page: Page) -> None:
    moved = "form { display: flex; flex-direction: column-reverse; }"
    with pytest.raises(AssertionError, match="but shown before it"):
        keyboard_on(page, style=moved).assert_focus_order("a", "b")


def test_a_hidden_focus_outline_is_reported(page: Page) -> None:
    with pytest.raises(AssertionError, match="no visible focus indicator on input#b"):
        keyboard_on(page, style="#b:focus { outline: none; }").assert_focus_order("a", "b")


def test_an_error_message_tied_to_no_field_is_reported(page: Page) -> None:
    page.set_content(
        '<main><span class="usa-error-message" id="e1">Enter A</span>'
        '<input name="a" aria-describedby="e1">'
        '<span class="usa-error-message" id="e2">Enter B</span><input name="b"></main>'
    )
    assert page.evaluate(UNTIED_ERRORS) == [
        "a is described by e1 but not marked invalid",
        "no field is described by the message e2",
    ]
