"""In Chromium: a Directory Administrator resets a forgotten password with a code from customer
service, and a person who keeps mistyping a password sees the wait. Each page checked with axe."""

from __future__ import annotations

import os
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from edgate.directory.actions import do_appoint_admin
from edgate.directory.models import Organization, OrgType
from tests.factories import CTX, on_file, someone, with_profile
from tests.pii import register_secret

from .conftest import assert_accessible, assert_styled, watch_resources

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW = register_secret("saffron glacier mailbox tandem")


def screenshot(page: Page, name: str) -> None:
    """Pictures for a person to look at, when EDGATE_SCREENSHOTS names a folder."""
    if folder := os.environ.get("EDGATE_SCREENSHOTS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_directory_administrator_resets_password_with_a_code(
    page: Page,
    live_server,
    failed_resources: list[str],  # type: ignore[no-untyped-def]
) -> None:
    admin = with_profile(on_file(someone("Priya", "Venkataraman")))
    district = Organization.objects.create(
        code="04560000", name="Riverside Regional", org_type=OrgType.DISTRICT
    )
    do_appoint_admin(profile=admin, organization=district, ctx=CTX)
    out = StringIO()
    call_command("activation", "issue", "--username", admin.username, stdout=out)
    code = register_secret(re.search(r"^code=(\S+)$", out.getvalue(), re.M).group(1))  # type: ignore[union-attr]

    page.goto(f"{live_server.url}/recover/")
    assert_styled(page)
    assert_accessible(page)
    page.get_by_role("link", name="use an activation code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password with an activation code")
    assert_accessible(page)
    page.get_by_label("User Name").fill(admin.username)
    page.get_by_label("Activation code").fill("0000-0000-0000-0000-0000-0000-00")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert").first).to_contain_text("There is a problem")
    expect(page.get_by_text("not valid for that User Name").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "code-error-phone")
    page.get_by_label("Activation code").fill(code.lower())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("Type the new password again").fill(NEW)
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password is changed")
    assert_accessible(page)


def test_the_wait_after_several_wrong_passwords_is_stated(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    # The refused sign-in page itself answers 429 (Too Many Requests) by design; every other
    # resource must still load.
    failures = watch_resources(page)
    profile = with_profile(on_file(someone("Tobias", "Lindgren")))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/")
    for _ in range(4):
        page.get_by_label("User Name").fill(profile.username)
        page.get_by_label("Password").fill("not my password at all")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(re.compile(r"Wait \d+ seconds, then sign in again")).first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "signin-wait-desktop")
    assert [f for f in failures if not f.startswith("429 ") or not f.endswith("/login/")] == []
    assert any(f.startswith("429 ") for f in failures)
