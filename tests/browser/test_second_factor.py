"""In Chromium at phone width: a staff member enrols an authenticator app after the password
(QR code and text key), keeps the recovery codes, and reaches the admin. Each page checked with axe."""

from __future__ import annotations

import re
from base64 import b32decode
from io import StringIO

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from edgate.accounts.actions import do_set_privileges
from tests.factories import CTX, PASSWORD, on_file, someone, with_profile
from tests.pii import register_secret

from .conftest import assert_accessible
from .test_recovery_code import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_enrolment_on_a_phone(page: Page, live_server, failed_resources: list[str]) -> None:  # type: ignore[no-untyped-def]
    staff = with_profile(on_file(someone("Noor", "Haddad")))
    do_set_privileges(profile=staff, is_staff=True, is_superuser=True, groups=[], ctx=CTX)
    page.goto(f"{live_server.url}/login/?next=/admin/")
    page.get_by_label("User Name").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    assert_accessible(page)
    qr = page.get_by_role("img", name="QR code that adds DOE Security Portal to an authenticator app")
    expect(qr).to_be_visible()
    box = qr.locator("svg").bounding_box()
    assert box is not None and 150 <= box["width"] <= 390  # scannable, and within the phone's width
    assert fits_the_screen(page)
    screenshot(page, "enrol-phone")
    key = page.locator("#totp-secret").inner_text()
    out = StringIO()
    call_command("activation", "issue", "--username", staff.username, "--purpose", "enrol", stdout=out)
    enrolment_code = register_secret(re.search(r"^code=(\S+)$", out.getvalue(), re.M).group(1))  # type: ignore[union-attr]
    page.get_by_label("Enrolment code from customer service").fill(enrolment_code)
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert").first).to_contain_text("There is a problem")
    assert_accessible(page)
    page.get_by_label("Enrolment code from customer service").fill(enrolment_code)
    page.get_by_label("Code from the app").fill(f"{totp(b32decode(key.replace(' ', ''))):06d}")
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator(".edgate-recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    assert fits_the_screen(page)
    screenshot(page, "recovery-codes-phone")
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Site administration")
