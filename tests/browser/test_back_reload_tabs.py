"""Back, Reload and two tabs in Chromium: after an error on any page of the wizard or of password
recovery, the page is a GET (Post/Redirect/Get), so the browser never offers to resubmit a
form; two tabs are two registrations, never one Profile made of two people."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from edgate.accounts.models import Profile
from tests.factories import HINT_ANSWER, PASSWORD, on_file, someone, with_profile

from .conftest import watch_resources

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def navigations(page: Page) -> list[str]:
    """Every document request the page makes, as "METHOD path"."""
    seen: list[str] = []
    page.on(
        "request",
        lambda r: seen.append(f"{r.method} {r.url.split('?')[0]}") if r.is_navigation_request() else None,
    )
    return seen


def assert_error_page_survives_reload_and_back(page: Page, seen: list[str], heading: str) -> None:
    """The page showing an error is a GET: Reload asks for it again with GET; Back and Forward
    show the pages before and after it, never the resubmission warning."""
    error_url = page.url
    expect(page.locator(".usa-alert--error").first).to_be_visible()
    seen.clear()
    page.reload()
    assert seen and all(s.startswith("GET ") for s in seen), seen
    assert page.url == error_url
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(page.locator(".usa-alert--error").first).to_be_visible()  # the error still said
    seen.clear()
    page.go_back()
    assert all(s.startswith("GET ") for s in seen), seen
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "ERR_CACHE_MISS" not in page.content() and "Confirm Form Resubmission" not in page.content()
    seen.clear()
    page.go_forward()
    assert all(s.startswith("GET ") for s in seen), seen
    assert page.url == error_url
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)


def fill_identity(page: Page, who, ssn: str | None = None) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("First or given name").fill(who.first_name)
    page.get_by_label("Last or family name").fill(who.last_name)
    page.get_by_label("Month").select_option(str(who.date_of_birth.month))
    page.get_by_label("Day").fill(str(who.date_of_birth.day))
    page.get_by_label("Year").fill(str(who.date_of_birth.year))
    page.get_by_label("Social Security Number").fill(ssn or f"{who.ssn[:3]}-{who.ssn[3:5]}-{who.ssn[5:]}")


def fill_contact(page: Page, email: str) -> None:
    page.get_by_label("Street address").fill("77 Harbor View Rd")
    page.get_by_label("City").fill("Lakeview")
    page.get_by_label("State", exact=True).select_option("MA")
    page.get_by_label("ZIP code").fill("02148")
    page.get_by_label("Email address").fill(email)


def fill_security(page: Page, again: str = PASSWORD) -> None:
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again").fill(again)
    page.get_by_label("Password Hint Question").select_option(index=2)
    page.get_by_label("Answer").fill(HINT_ANSWER)


def cont(page: Page) -> None:
    page.get_by_role("button", name="Continue").click()


def test_back_and_reload_after_an_error_on_every_wizard_page(
    page: Page, live_server, failed_resources: list[str]
) -> None:  # type: ignore[no-untyped-def]
    seen = navigations(page)
    who = someone("Lena", "Armitage")
    page.goto(f"{live_server.url}/register/")

    fill_identity(page, who, ssn="666-12-3456")  # an SSN never issued
    cont(page)
    assert_error_page_survives_reload_and_back(page, seen, "Who you are")
    fill_identity(page, who)
    cont(page)

    expect(page.get_by_role("heading", level=1)).to_contain_text("How to reach you")
    fill_contact(page, "not an email")
    cont(page)
    assert_error_page_survives_reload_and_back(page, seen, "How to reach you")
    fill_contact(page, "lena@example.org")
    cont(page)

    expect(page.get_by_role("heading", level=1)).to_contain_text("Password and hint")
    fill_security(page, again="something else entirely 42")
    cont(page)
    assert_error_page_survives_reload_and_back(page, seen, "Password and hint")
    fill_security(page)
    cont(page)

    expect(page.get_by_role("heading", level=1)).to_contain_text("Review and confirm")
    page.get_by_role("button", name="Create my Profile").click()  # the box not checked
    assert_error_page_survives_reload_and_back(page, seen, "Review and confirm")
    page.locator("label[for=id_confirm]").click()
    page.get_by_role("button", name="Create my Profile").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your Profile is ready")
    # Reload and Back on the outcome page: GETs too; the Profile is made once.
    seen.clear()
    page.reload()
    page.go_back()
    assert all(s.startswith("GET ") for s in seen), seen
    assert Profile.objects.count() == 1


def test_back_and_reload_after_an_error_on_every_recovery_page(
    page: Page, live_server, failed_resources: list[str]
) -> None:  # type: ignore[no-untyped-def]
    profile = with_profile(on_file(someone("Nils", "Ferreday")))
    seen = navigations(page)
    page.goto(f"{live_server.url}/recover/")
    cont(page)  # no User Name
    assert_error_page_survives_reload_and_back(page, seen, "Reset your password")
    page.get_by_label("User Name").fill(profile.username)
    cont(page)

    page.get_by_label("Answer").fill("not the answer")
    cont(page)
    assert_error_page_survives_reload_and_back(page, seen, "Answer your Password Hint Question")
    page.get_by_label("Answer").fill(HINT_ANSWER)
    cont(page)

    new = "saffron kettle mosaic harbor"
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_role("button", name="Change my password").click()  # not typed again
    assert_error_page_survives_reload_and_back(page, seen, "Choose a new password")
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("Type the new password again").fill(new)
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your password is changed")
    profile.refresh_from_db()
    assert profile.check_password(new)

    page.goto(f"{live_server.url}/recover/with-code/")
    page.get_by_label("User Name").fill(profile.username)
    page.get_by_label("Activation code").fill("0000-0000-0000-0000-0000-0000-00")
    cont(page)
    assert_error_page_survives_reload_and_back(page, seen, "activation code")


def test_two_tabs_register_two_people_without_mixing_them(
    page: Page, live_server, failed_resources: list[str]
) -> None:  # type: ignore[no-untyped-def]
    ana, ben = someone("Ana", "Tolliver"), someone("Ben", "Quarry")
    tab_a = page
    tab_b = page.context.new_page()
    failed_resources.extend(watch_resources(tab_b))
    tab_a.goto(f"{live_server.url}/register/")
    fill_identity(tab_a, ana)
    cont(tab_a)
    expect(tab_a.get_by_role("heading", level=1)).to_contain_text("How to reach you")
    # The second tab starts a registration of its own, and gets as far.
    tab_b.goto(f"{live_server.url}/register/")
    fill_identity(tab_b, ben)
    cont(tab_b)
    expect(tab_b.get_by_role("heading", level=1)).to_contain_text("How to reach you")
    for tab, email in ((tab_a, "ana@example.org"), (tab_b, "ben@example.org")):
        fill_contact(tab, email)
        cont(tab)
    for tab in (tab_a, tab_b):
        fill_security(tab)
        cont(tab)
    for tab, name in ((tab_a, "Ana Tolliver"), (tab_b, "Ben Quarry")):
        expect(tab.get_by_role("heading", level=1)).to_contain_text("Review and confirm")
        expect(tab.get_by_text(name)).to_be_visible()
        tab.locator("label[for=id_confirm]").click()
        tab.get_by_role("button", name="Create my Profile").click()
        expect(tab.get_by_role("heading", level=1)).to_contain_text("Your Profile is ready")
    people = {p.person.first_name: p.person for p in Profile.objects.select_related("person")}
    assert set(people) == {"Ana", "Ben"}
    assert people["Ana"].last_name == "Tolliver" and people["Ana"].email == "ana@example.org"
    assert people["Ben"].last_name == "Quarry" and people["Ben"].email == "ben@example.org"


def test_back_and_reload_after_an_error_on_the_setup_and_check_pages(
    page: Page, live_server, failed_resources: list[str]
) -> None:  # type: ignore[no-untyped-def]
    """The two pages outside the four-page path: a pre-created Profile's set-up, and page 1
    again when it was near a record."""
    from tests.factories import precreated

    seen = navigations(page)
    staff = someone("Orla", "Pennington")
    profile = precreated(on_file(staff))
    page.goto(f"{live_server.url}/register/")
    fill_identity(page, staff)
    cont(page)
    expect(page.get_by_test_id("setup-explained")).to_be_visible()
    fill_security(page, again="something else entirely 42")
    page.get_by_role("button", name="Finish my Profile").click()
    assert_error_page_survives_reload_and_back(page, seen, "Finish setting up your Profile")
    fill_security(page)
    page.get_by_role("button", name="Finish my Profile").click()
    expect(page.get_by_text(profile.username)).to_be_visible()

    near = someone("Tamsin", "Okereke")
    on_file(near)
    wrong = near.date_of_birth.replace(year=near.date_of_birth.year - 13)
    page.goto(f"{live_server.url}/register/")
    fill_identity(page, type(near)(**{**vars(near), "date_of_birth": wrong}))
    cont(page)
    expect(page.get_by_text("Please check what you entered")).to_be_visible()
    page.get_by_label("Social Security Number").fill("666-12-3456")  # an SSN never issued
    page.get_by_role("button", name="Check again").click()
    assert_error_page_survives_reload_and_back(page, seen, "Check what you entered")
