"""The password strength meter in Chromium: live with JavaScript, the server's verdict without."""

from __future__ import annotations

import base64

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from edgate.accounts.passwords import MESSAGES
from edgate.core.forms import PasswordStrengthInput
from tests.factories import PASSWORD, on_file, someone, with_profile
from tests.pii import register_secret

from .conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEAK = register_secret("aaaaaaaaaaaaaaaa")
STRONG = register_secret("walnut ferry ochre lamp quietly")


# USWDS's colours (edgate.css): error-dark for a refused password, the grey track for nothing yet.
REFUSED_RED = (181, 9, 9)
TRACK_GREY = (223, 225, 226)


def bar_colours(page: Page) -> list[tuple[int, int, int]]:
    """The colours the strength bar is drawn in, read from its pixels (a screenshot of the bar put
    on a canvas): at a tenth, the middle and nine tenths of its width."""
    png = page.locator("meter").screenshot(animations="disabled")
    return [
        tuple(rgb)
        for rgb in page.evaluate(
            """async b64 => {
                const img = new Image(); img.src = "data:image/png;base64," + b64; await img.decode();
                const c = document.createElement("canvas"); c.width = img.width; c.height = img.height;
                const g = c.getContext("2d"); g.drawImage(img, 0, 0);
                const y = Math.floor(img.height / 2);
                return [0.1, 0.5, 0.9].map(f => Array.from(g.getImageData(Math.floor(img.width * f), y, 1, 1).data.slice(0, 3)));
            }""",
            base64.b64encode(png).decode(),
        )
    ]


def assert_drawn_refused(page: Page) -> None:
    """A refused password reads as refused: the whole bar in error red (not an empty grey bar),
    and the words beside it say so in bold error red as well (not colour alone)."""
    assert bar_colours(page) == [REFUSED_RED] * 3, bar_colours(page)
    text = page.locator("#id_new_password_strength_text")
    assert text.evaluate("t => getComputedStyle(t).color") == "rgb(181, 9, 9)"
    assert int(text.evaluate("t => getComputedStyle(t).fontWeight")) >= 700
    assert text.inner_text() in (str(PasswordStrengthInput.REFUSED), str(PasswordStrengthInput.PERSONAL))


def assert_said_once(page: Page) -> None:
    """ "Password strength" reaches a screen reader once: in the verdict's words, not also as the
    bar's label (the bar is drawn for the eye, aria-hidden)."""
    spoken = page.locator(".edgate-strength").aria_snapshot()
    assert spoken.count(str(PasswordStrengthInput.LABELS[0]).split(":")[0]) == 1, spoken


def sign_in_and_open_change_password(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}{reverse('accounts:login')}")
    page.get_by_label("User Name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}{reverse('accounts:change_password')}")


def test_the_meter_follows_the_typing_in_a_polite_live_region(  # type: ignore[no-untyped-def]
    page: Page, live_server, failed_resources: list[str]
) -> None:
    profile = with_profile(on_file(someone("Rowan", "Achterberg")))
    sign_in_and_open_change_password(page, live_server.url, profile.username)
    meter = page.locator("meter")
    live = page.locator("#id_new_password_strength_text")
    expect(meter).to_be_visible()
    assert live.get_attribute("aria-live") == "polite"
    assert_accessible(page)

    page.get_by_label("New password", exact=True).fill("short")
    expect(live).to_contain_text("15")
    page.get_by_label("New password", exact=True).fill(WEAK)
    expect(live).to_have_text(str(PasswordStrengthInput.LABELS[0]))
    assert meter.evaluate("m => m.value") == 0
    assert_said_once(page)
    # "Very weak" is drawn (a red sliver at the start), never a bar as empty as before any typing.
    assert bar_colours(page)[0] not in (TRACK_GREY, REFUSED_RED) and bar_colours(page)[2] == TRACK_GREY
    page.get_by_label("New password", exact=True).fill(STRONG)
    expect(live).to_have_text(str(PasswordStrengthInput.LABELS[4]))
    assert meter.evaluate("m => m.value") == 4
    assert_accessible(page)


def test_without_javascript_the_server_gives_its_verdict_after_submit(  # type: ignore[no-untyped-def]
    browser: Browser, live_server
) -> None:
    profile = with_profile(on_file(someone("Rowan", "Achterberg")))
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in_and_open_change_password(page, live_server.url, profile.username)
        expect(page.locator("meter")).to_be_hidden()  # nothing to say before a submit
        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_label("New password", exact=True).fill(WEAK)
        page.get_by_label("Type the new password again").fill(WEAK)
        page.get_by_role("button").filter(has_text="password").last.click()
        expect(page.get_by_text(str(MESSAGES["password_repeat"])).first).to_be_visible()
        expect(page.locator("#id_new_password_strength_text")).to_have_text(
            str(PasswordStrengthInput.REFUSED)
        )
        expect(page.locator("meter")).to_be_visible()
        assert_drawn_refused(page)
        assert_said_once(page)
    finally:
        context.close()


def test_page_3_meter_does_not_praise_a_password_with_the_persons_name_or_birth_date(  # type: ignore[no-untyped-def]
    page: Page, live_server
) -> None:
    """zxcvbn alone calls a passphrase with the person's surname in it very strong; the server
    refuses it. The meter is given the words the server checks and says so before the submit."""
    from tests.browser.test_back_reload_tabs import cont, fill_contact, fill_identity

    who = someone("Marisol", "Quintanilla")
    page.goto(f"{live_server.url}{reverse('registration:start')}")
    fill_identity(page, who)
    cont(page)
    fill_contact(page, "marisol.q@example.org")
    cont(page)
    live = page.locator("#id_new_password_strength_text")
    box = page.get_by_label("Password", exact=True)
    # The meter's script shows the meter once it listens; typing before that is not measured.
    expect(page.locator("meter")).to_be_visible()
    box.fill(STRONG)
    expect(live).to_have_text(str(PasswordStrengthInput.LABELS[4]))
    with_name = register_secret("walnut ferry quintanilla lamp quietly")
    box.fill(with_name)
    expect(live).to_have_text(str(PasswordStrengthInput.PERSONAL))
    assert page.locator("meter").evaluate("m => m.value") == -1
    assert_drawn_refused(page)
    born = who.date_of_birth
    box.fill(register_secret(f"walnut ferry ochre {born.month:02d}/{born.day:02d}/{born.year} lamp"))
    expect(live).to_have_text(str(PasswordStrengthInput.PERSONAL))
    box.fill(STRONG)
    expect(live).to_have_text(str(PasswordStrengthInput.LABELS[4]))
    assert_accessible(page)
    # The server agrees: the same password is refused for the name.
    box.fill(with_name)
    page.get_by_label("Type the password again").fill(with_name)
    cont(page)
    expect(page.get_by_text(str(MESSAGES["password_last_name"])).first).to_be_visible()
