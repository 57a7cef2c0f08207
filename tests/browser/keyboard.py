"""Keyboard-only driving of a page, and the checks a keyboard user depends on.

`Keyboard` moves with Tab and Shift+Tab, types, and presses Enter or Space: it never clicks, and
`forbid_pointer` makes any mouse or touch event on the portal's pages fail the test. The checks:

- focus order: Tab from the top of the page visits every focusable element once, in the order of
  the document, which is also the visual reading order (top to bottom, left to right on a row):
  skip link first, then the header, the main content (form fields, then buttons), the footer;
- visible focus: every element that receives focus shows a focus indicator (an outline, or the
  USWDS checkbox's outline on its label) and is not hidden under anything (WCAG 2.4.7, 2.4.11).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

# Focus reaches an element only through Tab; a test that clicked would not be a keyboard test.
POINTER_GUARD = """
(() => {
  for (const type of ['pointerdown', 'mousedown', 'touchstart', 'wheel']) {
    window.addEventListener(type, (event) => {
      const seen = JSON.parse(sessionStorage.getItem('edgate-pointer') || '[]');
      seen.push(type + ' on ' + (event.target && event.target.tagName));
      sessionStorage.setItem('edgate-pointer', JSON.stringify(seen));
    }, true);
  }
})();
"""

# One description per element, the same whether it comes from the DOM walk or from focus.
DESCRIBE = """
el => {
  if (!el || el === document.body) return null;
  const region = el.closest('header, .usa-banner, .usa-skipnav') ? 'header'
    : el.closest('main') ? 'main' : el.closest('footer') ? 'footer' : 'other';
  const text = (el.getAttribute('aria-label') || el.innerText || el.value || '').trim();
  const where = el.getBoundingClientRect();
  return {
    key: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '')
      + (el.getAttribute('href') ? '[href=' + el.getAttribute('href') + ']' : '') + ' ' + text.slice(0, 40),
    text, name: el.name || '', tag: el.tagName.toLowerCase(), type: el.type || '', region,
    top: where.top + window.scrollY, left: where.left + window.scrollX,
  };
}
"""

TABBABLE = """
describe => {
  const selector = 'a[href], button, input, select, textarea, [tabindex], summary, [contenteditable]';
  const seenRadio = new Set();
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.tabIndex < 0 || el.disabled || el.closest('[inert]')) continue;
    if (el.type === 'hidden') continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    if (el.type === 'radio') {
      if (seenRadio.has(el.name)) continue;
      seenRadio.add(el.name);
    }
    out.push(describe(el));
  }
  return out;
}
"""

# The indicator of the focused element: its own outline or box shadow, or, for the USWDS
# checkbox and radio (the input is moved off screen), the outline drawn on its label's ::before.
FOCUS_VISIBLE = """
() => {
  const el = document.activeElement;
  const shows = (style) => (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
    || (style.boxShadow && style.boxShadow !== 'none');
  let target = el, style = getComputedStyle(el);
  if (/usa-(checkbox|radio)__input/.test(el.className)) {
    target = document.querySelector(`label[for="${el.id}"]`);
    style = getComputedStyle(target, '::before');
  }
  const box = target.getBoundingClientRect();
  const x = Math.min(Math.max(box.left + Math.min(box.width / 2, 8), 0), window.innerWidth - 1);
  const y = Math.min(Math.max(box.top + box.height / 2, 0), window.innerHeight - 1);
  const onTop = document.elementFromPoint(x, y);
  return {
    indicator: shows(style),
    inView: box.bottom > 0 && box.top < window.innerHeight && box.right > 0 && box.left < window.innerWidth,
    unobscured: !!onTop && (target.contains(onTop) || onTop.contains(target)
      || (onTop.tagName === 'LABEL' && onTop.htmlFor === el.id)),
  };
}
"""


@dataclass(frozen=True)
class Focus:
    key: str
    text: str
    name: str
    tag: str
    type: str
    region: str
    top: float
    left: float


class Keyboard:
    """Drives one page with the keyboard alone."""

    def __init__(self, page: Page) -> None:
        self.page = page

    # --- moving ------------------------------------------------------------------------

    def focused(self) -> Focus | None:
        found = self.page.evaluate(f"({DESCRIBE})(document.activeElement)")
        return Focus(**found) if found else None

    def from_top(self) -> None:
        """Put the sequential-focus starting point before the skip link, as on a fresh page."""
        self.page.evaluate(
            """() => {
              const start = document.createElement('span');
              start.tabIndex = -1;
              document.body.prepend(start);
              start.focus();
              start.addEventListener('blur', () => start.remove(), {once: true});
            }"""
        )

    def _step(self, key: str) -> tuple[Focus | None, dict[str, bool]]:
        self.page.keyboard.press(key)
        found, seen = self.page.evaluate(
            f"() => [({DESCRIBE})(document.activeElement), document.activeElement === document.body"
            f" ? {{}} : ({FOCUS_VISIBLE})()]"
        )
        return (Focus(**found) if found else None), seen

    def tab(self, *, back: bool = False) -> Focus:
        now, seen = self._step("Shift+Tab" if back else "Tab")
        assert now is not None, f"Tab left focus nowhere on {self.page.url}"
        self.assert_focus_visible(now, seen)
        return now

    def tab_to(self, *, name: str = "", text: str = "", back: bool = False, limit: int = 40) -> Focus:
        """Tab (or Shift+Tab) until the field `name`, or the link or button reading `text`,
        has focus, checking the focus indicator of everything passed on the way."""
        passed = []
        for _ in range(limit):
            now = self.tab(back=back)
            if (name and now.name == name) or (text and now.text.casefold() == text.casefold()):
                return now
            passed.append(now.key)
        raise AssertionError(f"{name or text!r} never received focus on {self.page.url}: {passed}")

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def choose(self, name: str, value: str) -> None:
        """Tab to the <select> `name` and move to the option `value` with the arrow keys (the
        way a keyboard user goes through a closed select, whatever the options read)."""
        self.tab_to(name=name)
        values = self.page.evaluate("[...document.activeElement.options].map(o => o.value)")
        self.press("Home")
        for _ in range(values.index(value)):
            self.press("ArrowDown")
        chosen = self.page.evaluate("document.activeElement.value")
        assert chosen == value, f"arrowed to {value!r} in {name}, the select shows {chosen!r}"

    def fill(self, name: str, text: str) -> None:
        self.tab_to(name=name)
        self.page.keyboard.press("Control+A")
        self.type(text)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def activate(self, text: str, *, back: bool = False) -> None:
        """Tab to the link or button reading `text`, press Enter, and wait for the next page."""
        self.tab_to(text=text, back=back)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")

    # --- checks ------------------------------------------------------------------------

    def assert_focus_visible(self, now: Focus, seen: dict[str, bool]) -> None:
        if not all(seen.values()):
            # The skip link slides into view (a short CSS transition): give it a moment.
            with contextlib.suppress(PlaywrightTimeout):
                self.page.wait_for_function(
                    f"() => Object.values(({FOCUS_VISIBLE})()).every(Boolean)", timeout=1000, polling=50
                )
            seen = self.page.evaluate(FOCUS_VISIBLE)
        assert seen["indicator"], f"no visible focus indicator on {now.key} ({self.page.url})"
        assert seen["inView"] and seen["unobscured"], (
            f"{now.key} focused but hidden: {seen} ({self.page.url})"
        )

    def tab_sequence(self) -> list[Focus]:
        """Every element Tab reaches from the top of the page, until focus leaves the page or
        comes back round."""
        self.from_top()
        sequence: list[Focus] = []
        for _ in range(80):
            now, seen = self._step("Tab")
            if now is None or (sequence and now.key == sequence[0].key):
                break
            self.assert_focus_visible(now, seen)
            sequence.append(now)
        return sequence

    def assert_focus_order(self, *fields: str) -> list[Focus]:
        """The Tab order is the document's, skip link first, header before main before footer,
        in reading order on the screen; `fields` (form field names) come in that order."""
        expected = [Focus(**f) for f in self.page.evaluate(f"({TABBABLE})({DESCRIBE})")]
        sequence = self.tab_sequence()
        url = self.page.url
        assert [f.key for f in sequence] == [f.key for f in expected], (
            f"Tab order differs from the document on {url}:\n"
            f" tabbed: {[f.key for f in sequence]}\n"
            f" in DOM: {[f.key for f in expected]}"
        )
        assert sequence and "usa-skipnav" in self.page.evaluate(
            "() => document.querySelector('.usa-skipnav').className"
        )
        assert sequence[0].key.startswith("a[href=#main-content]"), f"first stop is {sequence[0].key} ({url})"
        regions = [f.region for f in sequence]
        ranks = {"header": 0, "main": 1, "footer": 2}
        assert all(r in ranks for r in regions), f"focusable outside header/main/footer on {url}: {sequence}"
        assert regions == sorted(regions, key=ranks.__getitem__), f"regions out of order on {url}: {regions}"
        in_main = [f for f in sequence if f.region == "main"]
        for before, after in zip(in_main, in_main[1:], strict=False):
            reads_later = after.top > before.top + 1 or (
                abs(after.top - before.top) <= 1 and after.left > before.left
            )
            assert reads_later, f"{after.key} is focused after {before.key} but shown before it ({url})"
        names = [f.name for f in sequence if f.name in fields]
        assert names == list(fields), f"fields focused in the order {names}, expected {list(fields)} ({url})"
        if fields:
            last_field = max(i for i, f in enumerate(sequence) if f.name in fields)
            submits = [
                i
                for i, f in enumerate(sequence)
                if f.tag == "button" and f.type == "submit" and f.region == "main"
            ]
            assert submits and min(submits) > last_field, f"a button comes before the last field on {url}"
        return sequence

    def assert_shift_tab_mirrors(self, sequence: list[Focus]) -> None:
        """Shift+Tab from the last stop walks the same stops backwards."""
        self.page.evaluate(
            f"() => {{ const all = [...document.querySelectorAll('*')].filter(el => "
            f"({DESCRIBE})(el)?.key === {json.dumps(sequence[-1].key)}); all.at(-1).focus(); }}"
        )
        backwards = [self.tab(back=True).key for _ in sequence[:-1]]
        expected = [f.key for f in reversed(sequence[:-1])]
        assert backwards == expected, f"Shift+Tab order is not Tab's reversed on {self.page.url}: {backwards}"

    def assert_skip_link_works(self) -> None:
        self.from_top()
        first = self.tab()
        assert first.key.startswith("a[href=#main-content]"), first.key
        self.press("Enter")
        assert self.page.evaluate("document.activeElement.id") == "main-content"


def forbid_pointer(context: BrowserContext) -> None:
    context.add_init_script(POINTER_GUARD)


def pointer_events(page: Page) -> list[str]:
    return page.evaluate("JSON.parse(sessionStorage.getItem('edgate-pointer') || '[]')")
