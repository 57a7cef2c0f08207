"""In Chromium at phone width: the customer-service console's pages pass axe and fit the screen
(search with results, a Profile page, an action's confirmation, the merge comparison)."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from edgate.directory import actions as directory_actions
from edgate.people.models import Person
from tests.backoffice import build_world, console_client, person_with_profile
from tests.factories import CTX, on_file, someone

from .conftest import assert_accessible
from .test_second_factor import fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_service_console_pages_are_accessible_on_a_phone(
    page: Page, live_server, failed_resources: list[str]
) -> None:  # type: ignore[no-untyped-def]
    world = build_world()
    person, target = person_with_profile("Marisol", "Quintanilla")
    directory_actions.do_add_staff(person=person, organization=world.school_a1, role_title="Teacher", ctx=CTX)
    directory_actions.do_grant_access(
        profile=target, role=world.role("MDCS", "submitter"), organization=world.school_a1, ctx=CTX
    )
    duplicate = on_file(someone("Marisol", "Quintanilla"))
    Person.objects.filter(pk=duplicate.pk).update(ssn_hash=None, ssn_ciphertext=None, ssn_last4="")
    client = console_client(world.service)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )

    page.goto(f"{live_server.url}/console/service/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a Profile")
    page.get_by_label("Last four digits of the SSN").fill("12x")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert").first).to_contain_text("There is a problem")
    assert "ssn" not in page.url
    assert_accessible(page)
    page.get_by_label("Last four digits of the SSN").fill("")
    page.get_by_label("Name", exact=True).fill("quintanilla")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=target.username)).to_be_visible()
    assert_accessible(page)
    assert fits_the_screen(page)

    page.get_by_role("link", name=target.username).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Profile {target.username}")
    assert_accessible(page)
    assert fits_the_screen(page)

    page.get_by_role("link", name="Disable").click()
    page.get_by_role("button", name="Disable this Profile").click()
    expect(page.get_by_role("alert").first).to_contain_text("There is a problem")
    assert_accessible(page)

    page.goto(f"{live_server.url}/console/service/merge/")
    page.get_by_label("Survivor: User Name or state educator ID").fill(target.username)
    page.get_by_label("Duplicate: User Name or state educator ID").fill(duplicate.state_id)
    page.get_by_role("button", name="Compare the two records").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the merge")
    assert_accessible(page)
    assert fits_the_screen(page)
