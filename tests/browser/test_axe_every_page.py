"""axe-core on every page of the portal a person meets, and on every error state (each form sent
empty and with wrong values), at desktop (1280 px) and phone (390 px) width, in each language.

One browser context per language walks it all: register (the four outcomes), the case status
page, password recovery (hint question and activation code), sign-in, the signed-in pages, and
the error pages. Every state is checked at both widths: axe with the WCAG 2.0/2.1/2.2 A and AA
tags (conftest.AXE_TAGS), the page in the language asked for (`lang`), and nothing wider than
the screen at 390 px (reflow, WCAG 1.4.10). The violations of the whole walk are reported
together, so one run shows everything to fix.

Fields and buttons are found by their names and types, so the walk is the same in every language.
"""

from __future__ import annotations

import json
from base64 import b32decode
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_otp.oath import totp
from oauth2_provider.models import AccessToken
from playwright.sync_api import Browser, Page

from edgate.accounts import actions as account_actions
from edgate.accounts.models import Profile
from edgate.core.context_processors import portal_name
from edgate.directory import actions as directory_actions
from edgate.directory.models import Application
from edgate.people.models import Person
from edgate.sso import actions as sso_actions
from tests.backoffice import (
    World,
    build_world,
    console_client,
    district_case,
    person_with_profile,
    staff_pages,
)
from tests.factories import CTX, HINT_ANSWER, PASSWORD, on_file, precreated, someone, with_profile
from tests.oidc import signing_key
from tests.pii import register_secret

from .conftest import axe_violations, watch_resources

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})
NEW_PASSWORD = register_secret("juniper anchor meadow falcon")
# The portal's languages (settings.LANGUAGES, once the project declares its own).
LANGUAGES = [code for code, _name in settings.LANGUAGES] if settings.is_overridden("LANGUAGES") else ["en"]


@dataclass
class Walk:
    page: Page
    base: str
    language: str
    problems: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)

    def check(self, state: str) -> None:
        """axe, `lang` and reflow at both widths, for the page as it is now."""
        page = self.page
        page.wait_for_load_state()
        self.states.append(state)
        title = page.title()
        with translation.override(self.language):
            agency, error = f" — {portal_name()}", gettext("Error:")
        own = title.removesuffix(agency).removeprefix(error).strip()
        if not title.endswith(agency) or not own:
            self.problems.append(f"{state}: the window title {title!r} does not name the page (WCAG 2.4.2)")
        lang = page.evaluate("document.documentElement.lang")
        if lang.split("-")[0] != self.language:
            self.problems.append(f"{state}: <html lang={lang!r}>, asked for {self.language!r}")
        for size in WIDTHS:
            page.set_viewport_size(size)
            width = size["width"]
            for violation in axe_violations(page):
                self.problems.append(f"{state} at {width}px: {json.dumps(violation)}")
            if width < 400 and page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
                self.problems.append(f"{state} at {width}px: wider than the screen (scrolls sideways)")

    def go(self, path: str, *, redirects: bool = False) -> None:
        """Open `path`; unless it `redirects` (to the flow's current step), the page must be that
        very one, not a sign-in page or an error in its place."""
        response = self.page.goto(f"{self.base}{path}")
        if not redirects:
            assert response is not None and response.request.redirected_from is None, (
                f"{path} was redirected to {self.page.url}"
            )

    def fill(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            control = self.page.locator(f"main [name={name}]").first
            tag = control.evaluate("el => el.tagName")
            if tag == "SELECT":
                control.select_option(value)
            elif control.get_attribute("type") == "checkbox":
                control.evaluate("(el, on) => { el.checked = on; }", value == "on")
            else:
                control.fill(value)

    def submit(self, values: dict[str, str] | None = None, *, button: str = "") -> None:
        """Fill in `values` (by field name) and press the main form's first submit button."""
        self.fill(values or {})
        # The browser's own checks (required, type=email) would stop an empty form before the
        # portal answers; the portal's answer is what is tested.
        self.page.evaluate("document.querySelectorAll('form').forEach(f => { f.noValidate = true; })")
        target = button or "main form.usa-form button[type=submit]"
        with self.page.expect_navigation():
            self.page.locator(target).first.click()

    def expect_errors(self, state: str) -> None:
        """An error state: shown, and each message next to a field tied to it for a screen
        reader (the field is marked invalid and described by the message, WCAG 1.3.1, 3.3.1)."""
        if not self.page.locator("#error-summary, .usa-error-message").count():
            self.problems.append(f"{state}: no error shown")
        with translation.override(self.language):
            if not self.page.title().startswith(gettext("Error:")):
                self.problems.append(f"{state}: the window title {self.page.title()!r} does not say Error")
        for orphan in self.page.evaluate(UNTIED_ERRORS):
            self.problems.append(f"{state}: {orphan}")
        self.check(state)


# Every error message next to a field describes a control that is marked invalid.
UNTIED_ERRORS = """
() => [...document.querySelectorAll('main .usa-error-message')].flatMap(message => {
  if (!message.id) return [`error message without an id: ${message.innerText}`];
  const described = [...document.querySelectorAll('[aria-describedby]')].filter(
    el => el.getAttribute('aria-describedby').split(/\\s+/).includes(message.id));
  if (!described.length) return [`no field is described by the message ${message.id}`];
  return described.filter(el => el.getAttribute('aria-invalid') !== 'true')
    .map(el => `${el.name || el.id} is described by ${message.id} but not marked invalid`);
})
"""


def identity(who, **overrides: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return who.identity_post() | overrides


SECURITY = {
    "new_password": PASSWORD,
    "confirm_password": PASSWORD,
    "hint_question_choice": "2",
    "hint_answer": HINT_ANSWER,
}
SECURITY_WRONG = {
    "new_password": PASSWORD,
    "confirm_password": PASSWORD + " typo",
    "hint_question_choice": "own",
    "own_question": "Why?",
    "hint_answer": "ab",
}
BLANK_IDENTITY = {"dob_month": "", "dob_day": "", "dob_year": "", "ssn": ""}
WRONG_IDENTITY = {"dob_month": "2", "dob_day": "31", "dob_year": "85", "ssn": "12-34", "state_id": "abc"}


def register(walk: Walk) -> None:
    """Page by page: each empty, then with wrong values, then right; the no-match outcome."""
    walk.go(reverse("registration:start"), redirects=True)
    walk.check("register 1 who you are")
    who = someone("Oluwaseun", "Adeyemi-Lindqvist")
    walk.submit({"first_name": "", "last_name": "", **BLANK_IDENTITY})
    walk.expect_errors("register 1, empty")
    walk.submit(identity(who, **WRONG_IDENTITY))
    walk.expect_errors("register 1, wrong values")
    walk.submit(identity(who))
    walk.check("register 2 how to reach you")
    empty = {"street": "", "city": "", "state": "", "postcode": "", "email": "", "phone": ""}
    walk.submit(empty)
    walk.expect_errors("register 2, empty")
    walk.submit({"street": "1 Elm St", "city": "Northfield", "state": "MA", "postcode": "123",
                 "email": "not an address", "phone": "12"})  # fmt: skip
    walk.expect_errors("register 2, wrong values")
    walk.submit({"postcode": "01360", "email": "oluwaseun@example.org", "phone": "(413) 555-0142"})
    walk.check("register 3 password and hint")
    walk.submit()
    walk.expect_errors("register 3, empty")
    walk.submit(SECURITY_WRONG)
    walk.expect_errors("register 3, wrong values")
    walk.submit({"own_question": ""} | SECURITY)  # emptied while "write my own" still shows it
    walk.check("register 4 review")
    walk.submit({"confirm": "off"})
    walk.expect_errors("register 4, not confirmed")
    walk.submit({"confirm": "on"})
    walk.check("registered: Profile created")


def other_outcomes(walk: Walk) -> None:
    pre = someone("Mireille", "Fontaine")
    precreated(on_file(pre))
    walk.go(reverse("registration:start"), redirects=True)
    walk.submit(identity(pre))
    walk.check("pre-created: finish setting up your Profile")
    walk.submit()
    walk.expect_errors("pre-created, empty")
    walk.submit(SECURITY_WRONG)
    walk.expect_errors("pre-created, wrong values")
    walk.submit({"own_question": ""} | SECURITY)  # emptied while "write my own" still shows it
    walk.check("pre-created: Profile ready")

    record = someone("Bartholomew", "Okafor")
    with_profile(on_file(record))
    near = record.with_(date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 9))
    walk.go(reverse("registration:start"), redirects=True)
    walk.submit(identity(near))
    walk.check("partial: check what you entered")
    walk.submit({"first_name": "", "ssn": ""})
    walk.expect_errors("partial: check page, empty")
    walk.submit(button="main button[name=unchanged]")
    walk.check("partial: case reference")
    reference = walk.page.get_by_test_id("case-reference").inner_text().strip()

    walk.go(reverse("registration:case_status"))
    walk.check("case status")
    walk.submit({"reference": ""})
    walk.expect_errors("case status, empty")
    walk.submit({"reference": "ZZ-0000"})
    walk.expect_errors("case status, unknown reference")
    walk.submit({"reference": reference})
    walk.check("case status, open case")

    known = someone("Henrike", "Vasquez-Oduya")
    with_profile(on_file(known))
    walk.go(reverse("registration:start"), redirects=True)
    walk.submit(identity(known))
    walk.check("exact: you already have a Profile")

    # rules-4 E9: a record without an SSN, matched on its names and birth date only
    # (docs/matching.md): the pre-created Profile's set-up asks for a code, and an active
    # Profile's page offers sign-in or recovery without its User Name.
    for first, last, active in (("Ottilie", "Brandvold", False), ("Casimir", "Ndiaye-Holm", True)):
        record = on_file(someone(first, last))
        Person.objects.filter(pk=record.pk).update(ssn_hash=None, ssn_ciphertext=None, ssn_last4="")
        record = Person.objects.get(pk=record.pk)
        if active:
            with_profile(record)
        else:
            precreated(record)
        walk.go(reverse("registration:start"), redirects=True)
        walk.submit(identity(someone(first, last, born=record.date_of_birth)))
        if active:
            assert walk.page.get_by_test_id("weak-exact-options").count() == 1
            walk.check("exact on names and birth date: sign in or recover")
        else:
            assert walk.page.locator("input[name=code]").count() == 1
            walk.check("pre-created on names and birth date: a set-up code needed")
            walk.submit(SECURITY | {"code": "ZZZZ-ZZZZ-ZZZZ"})
            walk.expect_errors("pre-created on names and birth date, wrong code")


def recover(walk: Walk, username: str) -> None:
    walk.go(reverse("recovery:start"), redirects=True)
    walk.check("recover: User Name")
    walk.submit({"username": ""})
    walk.expect_errors("recover: User Name, empty")
    walk.submit({"username": username})
    walk.check("recover: hint question")
    walk.submit({"answer": ""})
    walk.expect_errors("recover: hint question, empty")
    walk.submit({"answer": "Not the answer"})
    walk.expect_errors("recover: hint question, wrong answer")
    walk.submit({"answer": HINT_ANSWER})
    walk.check("recover: new password")
    walk.submit()
    walk.expect_errors("recover: new password, empty")
    walk.submit({"new_password": NEW_PASSWORD, "confirm_password": "something else"})
    walk.expect_errors("recover: new password, not the same")
    walk.submit({"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    walk.check("recover: password changed")

    walk.go(reverse("recovery:with_code"), redirects=True)
    walk.check("recover with a code")
    walk.submit({"username": "", "code": ""})
    walk.expect_errors("recover with a code, empty")
    walk.submit({"username": username, "code": "0000-0000-0000-0000-0000-0000-00"})
    walk.expect_errors("recover with a code, wrong code")


def signed_in(walk: Walk, username: str) -> None:
    walk.go(reverse("accounts:login"))
    walk.check("sign in")
    walk.submit({"username": "", "password": ""})
    walk.expect_errors("sign in, empty")
    walk.submit({"username": username, "password": "not the password"})
    walk.expect_errors("sign in, wrong password")
    walk.submit({"username": username, "password": NEW_PASSWORD})
    walk.check("my applications")
    walk.go(reverse("accounts:profile"))
    walk.check("my Profile")
    walk.submit({"email": "", "postcode": "12"})
    walk.expect_errors("my Profile, wrong contact details")
    walk.go(reverse("sso:connected"))
    walk.check("connected applications")
    walk.submit(button="main form button[type=submit]")  # disconnect the one listed
    walk.check("connected applications, disconnected")
    walk.go(reverse("accounts:change_password"))
    walk.check("change password")
    walk.submit()
    walk.expect_errors("change password, empty")
    walk.submit({"current_password": "not it", "new_password": PASSWORD, "confirm_password": PASSWORD})
    walk.expect_errors("change password, wrong current password")
    walk.go(reverse("accounts:change_hint"))
    walk.check("change hint")
    walk.submit()
    walk.expect_errors("change hint, empty")


@pytest.fixture
def walk(browser: Browser, live_server, request: pytest.FixtureRequest) -> Iterator[Walk]:  # type: ignore[no-untyped-def]
    language = request.param
    context = browser.new_context(locale=language, bypass_csp=True, viewport=WIDTHS[0])
    page = context.new_page()
    failures = watch_resources(page)
    yield Walk(page, live_server.url, language)
    context.close()
    # Wrong sign-ins answer 401/429 and the 404 page answers 404 by design; nothing else may fail.
    assert [f for f in failures if not f.startswith(("401 ", "404 ", "429 "))] == []


@pytest.mark.parametrize("walk", LANGUAGES, indirect=True)
def test_every_page_and_error_state_passes_axe_at_both_widths(walk: Walk) -> None:
    elar = Application.objects.create(code="ELAR", name="ELAR — Licensure and job matching", open_to_all=True)
    walk.go("/")
    walk.check("home")
    walk.go(reverse("core:privacy"))
    walk.check("privacy statement")
    walk.go("/no-such-page/")
    walk.check("page not found")
    register(walk)
    other_outcomes(walk)
    member = with_profile(on_file(someone("Yusuf", "Karlsson")))
    recover(walk, member.username)  # its new password would end any token made before
    signing_key()  # a client signs its ID tokens with the provider's RSA key
    vendor = sso_actions.do_register_client(
        name="Vendor Files",
        application=elar,
        redirect_uris=["https://vendor.example.test/cb"],
        first_party=False,
        ctx=CTX,
    )
    AccessToken.objects.create(  # what a sign-in to the vendor leaves: Connected applications lists it
        user=member,
        application=vendor.client,
        token="axe-walk-access-token",
        expires=timezone.now() + timedelta(hours=1),
        scope="openid profile",
    )
    signed_in(walk, member.username)
    assert len(walk.states) >= 50, walk.states
    assert not walk.problems, f"{len(walk.problems)} problems in {len(walk.states)} states:\n" + "\n".join(
        walk.problems
    )


def sign_in_as(walk: Walk, profile: Profile) -> None:
    """The signed-in session of `profile`, second factor passed (the console's own tests drive
    the sign-in itself)."""
    session = console_client(profile).cookies[settings.SESSION_COOKIE_NAME].value
    walk.page.context.clear_cookies()
    walk.page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": walk.base}]
    )


def directory_console(walk: Walk, world: World) -> None:
    made = staff_pages(world, teacher=("Leocadia", "Brightwater"), waiting=("Ottokar", "Fernsby"))
    entry, grant, pending = made.entry, made.grant, made.pending
    reference = district_case(world)

    sign_in_as(walk, world.da_a)
    district, a1 = world.district_a.code, world.school_a1.code
    for name, args in [
        ("backoffice:home", []),
        ("backoffice:orgs", []),
        ("backoffice:org", [district]),
        ("backoffice:org_activity", [district]),
        ("backoffice:org_add", [district]),
        ("backoffice:org_add_known", [a1]),
        ("backoffice:org_entry", [a1, entry.pk]),
        ("backoffice:org_edit", [a1, entry.pk]),
        ("backoffice:org_end", [a1, entry.pk]),
        ("backoffice:org_revoke", [a1, grant.pk]),
        ("backoffice:org_code", [a1, pending.pk]),
        ("backoffice:cases", []),
    ]:
        walk.go(reverse(name, args=args))
        walk.check(f"console {name}")
    walk.go(reverse("backoffice:org_add_pick", args=[a1]))
    walk.submit({"q": "brightwater"})  # the search is POSTed
    walk.check("console: pick someone on my staff")
    walk.go(reverse("backoffice:org_add_new", args=[a1]))
    walk.check("console: add someone new")
    walk.submit(button="main form[method=post] button[type=submit]")
    walk.expect_errors("console: add someone new, empty")
    walk.go(reverse("backoffice:case", kwargs={"reference": reference}))
    walk.check("console: a case")
    walk.submit(
        button=f"main form[action$='{reverse('backoffice:case_resolve', kwargs={'reference': reference})}'] button"
    )
    walk.expect_errors("console: a case, resolved with nothing chosen")


def service_console(walk: Walk, world: World) -> None:
    person, target = person_with_profile("Marisol", "Quintanilla-Obi")
    directory_actions.do_add_staff(person=person, organization=world.school_a1, role_title="Teacher", ctx=CTX)
    sign_in_as(walk, world.service)
    walk.go(reverse("backoffice:service"))
    walk.check("service: find a Profile")
    walk.submit({"ssn_last4": "12x"})
    walk.expect_errors("service: find a Profile, wrong SSN digits")
    walk.go(reverse("backoffice:service"))
    walk.submit({"name": "quintanilla"})
    walk.check("service: search results")
    walk.go(reverse("backoffice:service_profile", kwargs={"profile": target.pk}))
    walk.check("service: a Profile")
    walk.go(reverse("backoffice:service_disable", kwargs={"profile": target.pk}))
    walk.check("service: disable a Profile")
    walk.submit()
    walk.expect_errors("service: disable a Profile, no reason")
    walk.go(reverse("backoffice:service_appoint", kwargs={"profile": target.pk}))
    walk.check("service: appoint a Directory Administrator")
    walk.submit()
    walk.expect_errors("service: appoint, empty")
    walk.go(reverse("backoffice:service_merge"))
    walk.check("service: merge two records")
    walk.submit()
    walk.expect_errors("service: merge, empty")


def second_factor(walk: Walk) -> None:
    """A privileged Profile's second step, through its own sign-in: setting up the app (and its
    errors), the recovery codes, then the code page (and its errors)."""
    staff = with_profile(on_file(someone("Ingrid", "Vasquez-Lund")))
    account_actions.do_set_privileges(profile=staff, is_staff=True, is_superuser=False, groups=[], ctx=CTX)
    walk.page.context.clear_cookies()
    walk.go(reverse("accounts:login"))
    walk.submit({"username": staff.username, "password": PASSWORD})
    assert reverse("mfa:enrol") in walk.page.url, walk.page.url
    walk.check("second factor: set up the app")
    walk.submit()
    walk.expect_errors("second factor: set up the app, empty")
    walk.submit({"enrolment_code": "0000-0000-0000", "code": "000000"})
    walk.expect_errors("second factor: set up the app, wrong codes")
    secret = walk.page.locator("#totp-secret").inner_text().replace(" ", "")
    out = StringIO()
    call_command("activation", "issue", "--username", staff.username, "--purpose", "enrol", stdout=out)
    enrolment = register_secret(
        next(line[5:] for line in out.getvalue().splitlines() if line.startswith("code="))
    )
    walk.submit({"enrolment_code": enrolment, "code": f"{totp(b32decode(secret)):06d}"})
    assert walk.page.locator(".edgate-recovery-codes li").count() == 10
    walk.check("second factor: recovery codes")
    walk.page.context.clear_cookies()
    walk.go(reverse("accounts:login"))
    walk.submit({"username": staff.username, "password": PASSWORD})
    assert reverse("mfa:verify") in walk.page.url, walk.page.url
    walk.check("second factor: enter a code")
    walk.submit({"code": ""})
    walk.expect_errors("second factor: enter a code, empty")
    walk.submit({"code": "000000"})
    walk.expect_errors("second factor: enter a code, wrong code")


@pytest.mark.parametrize("walk", LANGUAGES, indirect=True)
def test_every_console_page_and_error_state_passes_axe_at_both_widths(walk: Walk) -> None:
    world = build_world()
    directory_console(walk, world)
    service_console(walk, world)
    second_factor(walk)
    assert len(walk.states) >= 25, walk.states
    assert not walk.problems, f"{len(walk.problems)} problems in {len(walk.states)} states:\n" + "\n".join(
        walk.problems
    )
