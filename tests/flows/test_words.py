"""Issue 11's wording: page titles on every page, dates and phones as people write them, the
seed's words on the outcome pages and page 3 with the agency's name and phone from settings."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from edgate.accounts.actions import do_set_privileges
from edgate.core import conf
from edgate.core.context_processors import portal_name
from edgate.core.templatetags.edgate_format import day, person_date, phone, tel, when
from edgate.directory.actions import do_add_staff
from edgate.directory.models import Organization, OrgType
from edgate.mfa import session as mfa_session
from edgate.registration.steps import EXPIRED, STEPS, State
from tests.backoffice import World, build_world, console_client
from tests.factories import (
    CONTACT_POST,
    CTX,
    PASSWORD,
    on_file,
    precreated,
    security_post,
    someone,
    with_profile,
)

from .helpers import flow_id, open_case, post_step, start, url

pytestmark = pytest.mark.django_db

AGENCY = "Commonwealth Board of Teaching"
PHONE = "(617) 555-0142"


@pytest.fixture
def branded(settings):  # type: ignore[no-untyped-def]
    """The agency's name and phone as a deployment sets them: the pages must use these."""
    settings.EDGATE = settings.EDGATE | {
        "AGENCY_NAME": AGENCY,
        "AGENCY_SHORT_NAME": "CBT",
        # As the environment gives it to a deployment that renames the agency (settings/base.py).
        "AGENCY_SHORT_NAME_TRANSLATIONS": {"es": ""},
        "CUSTOMER_SERVICE_PHONE": PHONE,
    }
    conf.reset()
    yield
    conf.reset()


def title_of(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found, "no <title>"
    return " ".join(html.unescape(found.group(1)).split())


def assert_titled(page: str, where: str) -> str:
    title = title_of(page)
    portal = portal_name()
    assert title.endswith(f" — {portal}"), (where, title)
    own = title.removesuffix(f" — {portal}").strip()
    assert own and not own.startswith(("|", "—", ":")), (where, title)
    return own


# --- Page titles ------------------------------------------------------------------------------


def plain_urls() -> list[str]:
    """Every page of the URL conf that takes no argument (the admin site and the OpenID
    endpoints, which answer JSON or Django's own pages, aside)."""
    found: list[str] = []

    def walk(patterns: list, prefix: str) -> None:  # type: ignore[type-arg]
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and "<" not in route and "(?P" not in route:
                found.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(u for u in set(found) if not u.startswith(("/admin", "/o/", "/.well-known", "/static")))


def check_every_page(client: Client, who: str) -> int:
    checked = 0
    for address in plain_urls():
        response = client.get(address, follow=True)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            assert_titled(response.content.decode(), f"{who} {address}")
            checked += 1
    return checked


def test_every_page_has_a_title_of_its_own(client: Client) -> None:
    world: World = build_world()
    assert check_every_page(client, "anonymous") >= 5
    assert check_every_page(console_client(world.educator), "educator") >= 5
    assert check_every_page(console_client(world.security), "security administrator") >= 10


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("accounts:login", []),
        ("recovery:start", []),
        ("recovery:with_code", []),
        ("registration:case_status", []),
    ],
)
def test_sign_in_and_recovery_pages_are_named(client: Client, name: str, args: list[str]) -> None:
    own = assert_titled(client.get(reverse(name, args=args), follow=True).content.decode(), name)
    assert "Security Portal" not in own


def test_the_wizard_says_which_step_in_the_title(client: Client) -> None:
    start(client)
    page = client.get(url(client, "identity")).content.decode()
    expected = "Step 1 of 4: {} — {}".format(STEPS[State.IDENTITY].title, gettext("Create a Profile"))
    assert assert_titled(page, "identity") == expected
    post_step(client, "identity", someone().identity_post())
    title = title_of(client.get(url(client, "contact")).content.decode())
    assert title == f"Step 2 of 4: How to reach you — Create a Profile — {portal_name()}"
    post_step(client, "contact", CONTACT_POST)
    assert title_of(client.get(url(client, "security")).content.decode()).startswith("Step 3 of 4: ")
    post_step(client, "security", security_post())
    assert title_of(client.get(url(client, "review")).content.decode()).startswith("Step 4 of 4: ")
    # A page with errors says so first.
    refused = post_step(client, "review", {}, follow=True).content.decode()
    assert title_of(refused).startswith(gettext("Error:") + " Step 4 of 4: ")
    created = post_step(client, "review", {"confirm": "on"}, follow=True).content.decode()
    assert assert_titled(created, "created").endswith(gettext("Create a Profile"))


def test_account_and_recovery_form_pages_are_titled(client: Client) -> None:
    profile = with_profile(on_file(someone("Quinn", "Abernathy")))
    client.get(reverse("recovery:start"))
    username = f"{reverse('recovery:step', args=['username'])}?flow={flow_id(client, 'recovery')}"
    page = client.post(username, {"username": profile.username}, follow=True)
    assert assert_titled(page.content.decode(), "answer") == gettext("Answer your Password Hint Question")
    client.force_login(profile)
    for name, title in [
        ("accounts:change_password", "Change my password"),
        ("accounts:change_hint", "Change my Password Hint Question and Answer"),
        ("accounts:profile", "My Profile"),
    ]:
        assert assert_titled(client.get(reverse(name)).content.decode(), name) == gettext(title)


# --- Dates and phones -------------------------------------------------------------------------


def test_formats() -> None:
    with translation.override("en"):
        assert person_date(date(1991, 2, 17)) == "February 17, 1991"
        assert person_date("1991-02-17") == "February 17, 1991"
        assert phone("4135550199") == "(413) 555-0199"
        assert phone("") == "" and phone("+44 20 7946 0958") == "+44 20 7946 0958"
        assert tel("(555) 010-6600") == "tel:+15550106600"
        moment = timezone.localtime(datetime(2026, 11, 30, 19, 5, tzinfo=UTC))
        assert when(moment) == "Nov 30, 2026, 2:05 PM EST"  # settings.TIME_ZONE: America/New_York
        assert day(moment) == "Nov 30, 2026"


def test_review_page_shows_the_date_of_birth_and_phone_as_written(client: Client) -> None:
    who = someone(born=date(1991, 2, 17))
    start(client)
    post_step(client, "identity", who.identity_post())
    post_step(client, "contact", CONTACT_POST | {"phone": "413-555-0199"})
    post_step(client, "security", security_post())
    page = client.get(url(client, "review")).content.decode()
    assert 'data-testid="review-dob">February 17, 1991<' in page
    assert 'data-testid="review-phone">(413) 555-0199<' in page
    assert "1991-02-17" not in page and "4135550199" not in page


def test_console_times_are_shown_with_their_time_zone() -> None:
    world = build_world()
    client = console_client(world.security)
    profile = world.educator
    page = client.get(reverse("backoffice:service_profile", args=[profile.pk])).content.decode()
    zone = timezone.localtime().strftime("%Z")  # EST or EDT, from settings.TIME_ZONE
    assert re.search(rf"\w{{3}} \d{{1,2}}, \d{{4}}, \d{{1,2}}:\d{{2}}(:\d{{2}})? ?[AP]?M? {zone}", page), page


# --- The seed's words ---------------------------------------------------------------------------


def test_page_three_says_why_the_hint_question(client: Client, branded: None) -> None:
    start(client)
    post_step(client, "identity", someone().identity_post())
    post_step(client, "contact", CONTACT_POST)
    page = html.unescape(client.get(url(client, "security")).content.decode())
    assert "helps prevent unauthorized log in" in page


def test_no_match_page_names_the_agency(client: Client, branded: None) -> None:
    start(client)
    post_step(client, "identity", someone().identity_post())
    post_step(client, "contact", CONTACT_POST)
    post_step(client, "security", security_post())
    page = html.unescape(post_step(client, "review", {"confirm": "on"}, follow=True).content.decode())
    assert "assigned automatically and cannot be changed" in page
    assert f"stored for {AGENCY} identification and administrative purposes only" in page


def test_pre_created_page_in_the_seeds_words(client: Client, branded: None) -> None:
    who = someone("Morgan", "Okafor")
    precreated(on_file(who))
    start(client)
    post_step(client, "identity", who.identity_post())
    page = html.unescape(client.get(url(client, "setup")).content.decode())
    assert f"administrator or the {AGENCY} may have created a Profile for you" in page
    assert "helps prevent unauthorized log in" in page


def test_partial_match_page_in_the_seeds_words(client: Client, branded: None) -> None:
    record = someone("Riley", "Haddad")
    person = on_file(record)
    with_profile(person)
    district = Organization.objects.create(
        code="01230000", name="Northfield Public Schools", org_type=OrgType.DISTRICT
    )
    do_add_staff(person=person, organization=district, role_title="Teacher", ctx=CTX)
    registrant = record.with_(date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 5))
    start(client)
    open_case(client, registrant)
    page = html.unescape(client.get(url(client, "partial")).content.decode())
    assert "Some of your information does not agree with our records" in page
    assert "partial match" not in page.lower()  # the matcher's word, not the public's
    assert f"matches {AGENCY} records" in page
    assert "usually supplied to us by a Directory Administrator" in page
    assert "CBT Customer Service Representative at" in page and PHONE in page
    assert 'href="tel:+16175550142"' in page


def test_exact_match_page_in_the_seeds_words(client: Client, branded: None) -> None:
    who = someone("Skyler", "Brandt")
    profile = with_profile(on_file(who))
    start(client)
    post_step(client, "identity", who.identity_post())
    page = html.unescape(client.get(url(client, "exact")).content.decode())
    assert f"Our records show you already have a Profile with the {AGENCY}" in page
    assert "exact match" not in page.lower() and profile.username in page  # no matcher jargon
    assert "change your password after answering your Password Hint Question" in page
    assert PHONE in page  # the footer, from settings too


def test_the_portal_calls_itself_by_one_name(client: Client, branded: None) -> None:
    """The walkthrough found "DOE Security Portal" in the header and the agency's name in the
    window titles, and "EdGate" in the authenticator app: one name now, from AGENCY_SHORT_NAME."""
    home = html.unescape(client.get(reverse("core:home")).content.decode())
    assert title_of(home) == "Home — CBT Security Portal"
    assert "<h1>CBT Security Portal</h1>" in home and "CBT Security Portal</a>" in home  # + header
    login = html.unescape(client.get(reverse("accounts:login")).content.decode())
    assert title_of(login).endswith(" — CBT Security Portal")
    assert f"An official website of the {AGENCY}" in login  # the agency behind it keeps its name
    with translation.override("es"):
        spanish = html.unescape(client.get(reverse("core:home"), HTTP_ACCEPT_LANGUAGE="es").content.decode())
    assert '<span lang="en">CBT</span>' in spanish
    # The authenticator app's entry, and the pages that tell the person to look for it.
    staff = with_profile(on_file(someone("Morgan", "Brandt")))
    do_set_privileges(profile=staff, is_staff=True, is_superuser=True, groups=[], ctx=CTX)
    client.post(reverse("accounts:login"), {"username": staff.username, "password": PASSWORD})
    enrol = html.unescape(client.get(reverse("mfa:enrol")).content.decode())
    assert "Add CBT Security Portal to the app" in enrol and "EdGate" not in enrol
    uri = TOTPDevice(user=staff, key=client.session[mfa_session.ENROL_KEY]).config_url
    assert (
        uri.startswith("otpauth://totp/CBT%20Security%20Portal") and "issuer=CBT%20Security%20Portal" in uri
    )


# --- "Expired" only when a flow did expire --------------------------------------------------------


def test_a_first_visit_to_a_later_step_is_sent_to_the_start_without_expired(client: Client) -> None:
    response = client.get(reverse("registration:step", args=["review"]), follow=True)
    page = html.unescape(response.content.decode())
    assert response.redirect_chain[-1][0].split("?")[0] == reverse("registration:step", args=["identity"])
    assert str(EXPIRED) not in page and "expired" not in page.lower()


def test_a_flow_that_expired_is_said_to_have_expired(client: Client) -> None:
    start(client)
    post_step(client, "identity", someone().identity_post())
    contact = url(client, "contact")
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        page = html.unescape(client.get(contact, follow=True).content.decode())
    assert str(EXPIRED) in page
