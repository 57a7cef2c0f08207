"""Two journeys across the self-service pages and the consoles, in Chromium at phone width.

1. A registrant is blocked by a partial match (their date of birth conflicts with the record);
   the district's Directory Administrator signs in with password and authenticator code, finds the
   case in the queue, compares the two sides and, refused the correction of a date of birth typed
   into Create a Profile, escalates the case; customer service corrects the record; the
   registrant's next try is an exact match and reminds them of their User Name.
2. The Directory Administrator adds someone new to a school (a pre-created Profile), grants them
   MDCS, and the person finishes the Profile in the wizard, signs in and sees MDCS.

Every page along the way (error pages too) is checked with axe-core, for resources that fail to
load, and for registered personal data where the page may not show it."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from django.utils.dateformat import format as date_format
from playwright.sync_api import BrowserContext, Page, expect

from edgate.accounts.models import Profile, Status
from edgate.audit.models import AuditEvent, EventType
from edgate.directory.actions import do_add_staff
from edgate.directory.models import AccessGrant, StaffEntry
from edgate.matching.models import CaseOutcome, CaseStatus, MatchCase
from edgate.mfa.actions import do_provision_totp
from edgate.people.models import Person
from tests.backoffice import build_world
from tests.conftest import OWN_DATA_PAGES, PRIVILEGED_DOB_PAGES
from tests.factories import CTX, HINT_ANSWER, PASSWORD, Someone, on_file, someone, with_profile
from tests.pii import leaks
from tests.second_factor import current_code

from .conftest import assert_accessible, watch_resources
from .test_recovery_code import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_date_of_birth(page: Page, born: date) -> None:
    """The three boxes of a date of birth (month, day, year)."""
    group = page.get_by_test_id("date-of-birth")
    group.get_by_label("Month").select_option(str(born.month))
    group.get_by_label("Day").fill(str(born.day))
    group.get_by_label("Year").fill(str(born.year))


def check(page: Page) -> None:
    """axe finds nothing, and the page shows no registered SSN, password or hint answer (nor a
    date of birth outside the person's own form and the privileged console pages)."""
    assert_accessible(page)
    path = urlparse(page.url).path
    may_show_dob = path in OWN_DATA_PAGES or path.startswith(PRIVILEGED_DOB_PAGES)
    found = leaks(page.content(), allow=frozenset({"dob"}) if may_show_dob else frozenset())
    assert not found, f"personal data in {path}: {found}"


def fill_identity(page: Page, who: Someone) -> None:
    page.get_by_label("First or given name").fill(who.first_name)
    page.get_by_label("Last or family name").fill(who.last_name)
    page.get_by_label("Month").select_option(str(who.date_of_birth.month))
    page.get_by_label("Day").fill(str(who.date_of_birth.day))
    page.get_by_label("Year").fill(str(who.date_of_birth.year))
    page.get_by_label("Social Security Number").fill(f"{who.ssn[:3]}-{who.ssn[3:5]}-{who.ssn[5:]}")
    page.get_by_role("button", name="Continue").click()


def sign_in_with_code(page: Page, base: str, profile: Profile) -> None:
    """Password first, then (a wrong code, then) the authenticator app's current code."""
    device = do_provision_totp(profile=profile, ctx=CTX)
    page.goto(f"{base}/login/?next=/console/")
    check(page)
    page.get_by_label("User Name").fill(profile.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")
    console_link = page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Console"
    )
    expect(console_link).to_have_count(0)  # not before the second factor is passed
    check(page)
    wrong = f"{(int(current_code(device)) + 500_000) % 1_000_000:06d}"
    page.get_by_label("Code").fill(wrong)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("There is a problem")
    check(page)
    page.get_by_label("Code").fill(current_code(device))
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Console")
    expect(console_link).to_have_count(1)
    check(page)


def second_page(new_context) -> tuple[Page, list[str]]:  # type: ignore[no-untyped-def]
    """Another person's browser (its own cookies), watched for failed resources."""
    context: BrowserContext = new_context()
    other = context.new_page()
    return other, watch_resources(other)


def test_partial_match_escalated_by_the_administrator_corrected_by_customer_service_then_exact(
    page: Page,
    live_server,  # type: ignore[no-untyped-def]
    new_context,  # type: ignore[no-untyped-def]
    failed_resources: list[str],
) -> None:
    world = build_world()
    record = someone("Rosalind", "Achterberg", born=date(1979, 6, 14))
    person = on_file(record, phone="5552019988")
    profile = with_profile(person)
    do_add_staff(person=person, organization=world.school_a1, role_title="Teacher", ctx=CTX)
    # The registrant types their true date of birth; the record's day is wrong.
    typed = record.with_(date_of_birth=date(1979, 6, 23))
    base = live_server.url

    # The registrant: page 1, blocked by the partial match.
    page.goto(f"{base}/register/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Who you are")
    check(page)
    fill_identity(page, typed)
    # Asked once to check what they typed (it is right): they continue without changes.
    expect(page.get_by_role("heading", name="Please check what you entered")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Continue without changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not complete your Profile")
    expect(
        page.get_by_role("heading", name="Some of your information does not agree with our records")
    ).to_be_visible()
    # The school's own Directory Administrator is the one to call.
    expect(page.get_by_test_id("case-contacts")).to_contain_text("Sasha Highschool")
    check(page)
    screenshot(page, "journey1-partial")
    reference = page.get_by_test_id("case-reference").inner_text().strip()
    case = MatchCase.objects.get(reference=reference)
    assert case.person == person and case.status == CaseStatus.OPEN

    # The district's Directory Administrator, in their own browser.
    admin, admin_failures = second_page(new_context)
    sign_in_with_code(admin, base, world.da_a)
    screenshot(admin, "journey1-console-home")
    admin.get_by_role("link", name="Go to the case queue").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Match cases")
    check(admin)
    admin.get_by_label("Case reference").fill(reference)
    admin.get_by_role("button", name="Show").click()
    expect(admin.get_by_test_id("case-row")).to_have_count(1)
    check(admin)
    admin.get_by_role("link", name=reference).click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(f"Case {reference}")
    check(admin)

    # Field by field: the names and the SSN agree, the date of birth does not. A Directory
    # Administrator sees the levels and the record as they see their staff: nothing submitted,
    # no date of birth.
    rows = admin.get_by_test_id("side-by-side").locator("tbody tr")
    dob_row = rows.filter(has=admin.get_by_role("rowheader", name=re.compile("^Date of birth")))
    expect(dob_row.locator("td")).to_have_count(1)
    expect(dob_row.locator("td").nth(0)).to_have_text("Not shown to Directory Administrators")
    expect(dob_row).to_have_attribute("data-level", re.compile("^(close|differ)$"))
    ssn_row = rows.filter(has=admin.get_by_role("rowheader", name=re.compile("^Social Security Number")))
    expect(ssn_row.locator("td").nth(0)).to_have_text(f"***-**-{record.ssn[-4:]}")
    assert _shown(typed) not in admin.content() and _shown(record) not in admin.content()
    for agreeing in ("First name", "Last name", "Social Security Number"):
        row = rows.filter(has=admin.get_by_role("rowheader", name=re.compile(f"^{agreeing}")))
        expect(row).to_have_attribute("data-level", "agree")
    screenshot(admin, "journey1-side-by-side")

    # "Same person", the record's date of birth corrected, first without a reason.
    same_person = admin.get_by_role("radio", name=re.compile(r"^Same person"))
    admin.get_by_text(re.compile(r"^Same person:")).click()  # USWDS radios: the label is what shows
    expect(same_person).to_be_checked()
    fill_date_of_birth(admin, typed.date_of_birth)  # month, day and year: no order to guess
    admin.get_by_role("button", name="Resolve the case").click()
    expect(admin.get_by_role("alert").first).to_contain_text("There is a problem")
    expect(admin.get_by_text("Give the reason: it is kept with the case.").first).to_be_visible()
    check(admin)
    expect(same_person).to_be_checked()
    born = admin.get_by_test_id("date-of-birth")
    expect(born.get_by_role("group", name="Date of birth on the record")).to_be_visible()
    expect(born.get_by_label("Day")).to_have_value(str(typed.date_of_birth.day))
    expect(born.get_by_label("Year")).to_have_value(str(typed.date_of_birth.year))
    admin.get_by_label("Reason").fill("Checked the hiring file: the record's date of birth was mistyped")
    admin.get_by_role("button", name="Resolve the case").click()
    # A date of birth typed into Create a Profile is customer service's to correct: escalated.
    expect(admin.get_by_role("alert").first).to_contain_text("only customer service may correct")
    check(admin)
    admin.get_by_label("Note for customer service").fill("The hiring file has the date typed: correct it")
    admin.get_by_role("button", name="Escalate", exact=True).click()
    expect(admin.get_by_test_id("case-status")).to_have_text("Escalated to customer service")
    check(admin)

    # Customer service, in a third browser, corrects the record's date of birth.
    agent, agent_failures = second_page(new_context)
    sign_in_with_code(agent, base, world.service)
    agent.goto(f"{base}{reverse('backoffice:case', kwargs={'reference': reference})}")
    expect(agent.get_by_role("heading", level=1)).to_have_text(f"Case {reference}")
    agent.get_by_text(re.compile(r"^Same person:")).click()
    fill_date_of_birth(agent, typed.date_of_birth)
    agent.get_by_label("Reason", exact=True).fill(
        "Checked the hiring file: the record's date of birth was mistyped"
    )
    agent.get_by_role("button", name="Resolve the case").click()
    expect(agent.get_by_test_id("case-status")).to_have_text("Resolved")
    expect(agent.get_by_test_id("case-outcome")).to_contain_text("Same person")
    check(agent)
    screenshot(agent, "journey1-resolved")

    case.refresh_from_db()
    assert (case.status, case.outcome) == (CaseStatus.RESOLVED, CaseOutcome.SAME_PERSON)
    assert case.resolved_by == world.service
    assert Person.objects.get(pk=person.pk).date_of_birth == typed.date_of_birth
    changed = AuditEvent.objects.get(event_type=EventType.PERSON_UPDATED, target_id=str(person.pk))
    assert changed.actor_id == world.service.pk and changed.detail["fields"] == ["date_of_birth"]

    # The registrant, still on the partial-match page, looks the case up: resolved. They start
    # again at /register/ with the same data: an exact match, the User Name reminded.
    page.get_by_role("link", name="Look up the status of your case").click()
    check(page)
    page.get_by_label("Case reference").fill(reference.lower())
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_test_id("case-state")).to_have_attribute("data-state", "resolved")
    check(page)
    page.get_by_role("link", name="Register again").click()
    expect(page).to_have_url(re.compile(r"/register/(identity/)?(\?flow=[\w.-]+)?$"))
    check(page)
    fill_identity(page, typed)
    expect(page.get_by_role("heading", level=1)).to_have_text("You already have a Profile")
    expect(page.get_by_test_id("username")).to_have_text(profile.username)
    check(page)
    screenshot(page, "journey1-exact")
    assert Person.objects.filter(last_name="Achterberg").count() == 1
    assert admin_failures == [] and agent_failures == []


def _shown(who: Someone) -> str:
    """A date as Django's default DATE_FORMAT ("N j, Y") prints it."""
    return date_format(who.date_of_birth, "N j, Y")


def test_new_staff_member_granted_mdcs_claims_the_precreated_profile(
    page: Page,
    live_server,  # type: ignore[no-untyped-def]
    new_context,  # type: ignore[no-untyped-def]
    failed_resources: list[str],
) -> None:
    world = build_world()
    newcomer = someone("Ingrid", "Solvang-Mbeki")
    base = live_server.url
    a1 = world.school_a1

    # The district's Directory Administrator adds the newcomer to school A1.
    sign_in_with_code(page, base, world.da_a)
    page.get_by_role("link", name="Organizations", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organizations")
    check(page)
    page.get_by_role("link", name=a1.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(a1.name)
    check(page)
    page.get_by_role("link", name="Add a staff member", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a staff member")
    check(page)
    page.get_by_role("link", name="Add someone new").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add someone new")
    check(page)
    # First without a role title: the page says what is missing, and asks again for what it
    # never shows back (the date of birth and the SSN).
    page.get_by_label("First or given name").fill(newcomer.first_name)
    page.get_by_label("Last or family name").fill(newcomer.last_name)
    fill_date_of_birth(page, newcomer.date_of_birth)
    page.get_by_label("Social Security Number").fill(newcomer.ssn)
    page.get_by_label("Email address").fill("ingrid.solvang@example.org")
    page.get_by_label("Phone number").fill("(555) 201-3344")
    # The page's own checks, in the page's language (not the browser's "Please fill out this field").
    assert page.evaluate("document.querySelector('main form[method=post]').noValidate")
    page.get_by_role("button", name=f"Add to the staff of {a1.name}").click()
    expect(page.get_by_role("alert").first).to_contain_text("There is a problem")
    check(page)
    assert not Person.objects.filter(last_name=newcomer.last_name).exists()
    fill_date_of_birth(page, newcomer.date_of_birth)
    page.get_by_label("Social Security Number").fill(newcomer.ssn)
    page.get_by_label("Role title").fill("Data Manager")
    page.get_by_role("button", name=f"Add to the staff of {a1.name}").click()

    # None matched: the person is created with a Profile awaiting set-up.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{newcomer.first_name} {newcomer.last_name}")
    expect(page.get_by_text(f"is on the staff of {a1.name}")).to_be_visible()
    expect(page.get_by_text("Awaiting setup", exact=True)).to_be_visible()
    check(page)
    screenshot(page, "journey2-added")
    person = Person.objects.get(last_name=newcomer.last_name)
    precreated_profile = Profile.objects.get(person=person)
    assert precreated_profile.status == Status.AWAITING_SETUP
    entry = StaffEntry.objects.get(person=person, ended_at__isnull=True)
    assert (entry.organization, entry.role_title) == (a1, "Data Manager")

    # MDCS Submitter at school A1.
    page.get_by_label("Application and role").select_option(label="MDCS: Submitter")
    page.get_by_role("button", name="Grant", exact=True).click()
    expect(page.get_by_text("Access granted.")).to_be_visible()
    expect(page.get_by_role("rowheader", name="MDCS")).to_be_visible()
    check(page)
    screenshot(page, "journey2-granted")
    grant = AccessGrant.objects.get(profile=precreated_profile)
    assert (grant.role, grant.organization, grant.staff_entry) == (
        world.role("MDCS", "submitter"),
        a1,
        entry,
    )
    assert grant.revoked_at is None

    # Back on the school's staff list, the filter names the status as the list does.
    page.get_by_role("link", name="Back to the staff list").click()
    page.get_by_label("Profile status").select_option(label="Awaiting setup")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("1 staff member", exact=True)).to_be_visible()
    staff_row = page.get_by_role("main").locator("tbody tr")
    expect(staff_row).to_have_count(1)
    expect(staff_row).to_contain_text(f"{newcomer.last_name}, {newcomer.first_name}")
    expect(staff_row).to_contain_text("Awaiting setup")
    check(page)

    # The newcomer, in their own browser: page 1 finds the pre-created Profile.
    own, own_failures = second_page(new_context)
    own.goto(f"{base}/register/")
    check(own)
    fill_identity(own, newcomer)
    expect(own.get_by_role("heading", level=1)).to_contain_text("Finish setting up your Profile")
    check(own)
    screenshot(own, "journey2-setup")
    own.get_by_label("Password", exact=True).fill(PASSWORD)
    own.get_by_label("Type the password again").fill("a different password entirely")
    own.get_by_label("Password Hint Question").select_option(index=2)
    own.get_by_label("Answer").fill(HINT_ANSWER)
    own.get_by_role("button", name="Finish my Profile").click()
    expect(own.get_by_role("alert").first).to_contain_text("There is a problem")
    check(own)
    own.get_by_label("Password", exact=True).fill(PASSWORD)
    own.get_by_label("Type the password again").fill(PASSWORD)
    own.get_by_label("Answer").fill(HINT_ANSWER)
    own.get_by_role("button", name="Finish my Profile").click()
    expect(own.get_by_role("heading", level=1)).to_have_text("Your Profile is ready")
    check(own)
    username = own.get_by_test_id("username").inner_text().strip()
    assert username == precreated_profile.username
    screenshot(own, "journey2-username")

    own.get_by_role("link", name="Sign in").last.click()
    check(own)
    own.get_by_label("User Name").fill(username)
    own.get_by_label("Password").fill(PASSWORD)
    own.get_by_role("button", name="Sign in").click()
    expect(own.get_by_role("heading", level=1)).to_have_text("My applications")
    expect(own.get_by_role("heading", level=2, name="MDCS")).to_be_visible()
    expect(own.get_by_text(f"Submitter — {a1.name}")).to_be_visible()
    check(own)
    screenshot(own, "journey2-my-applications")
    precreated_profile.refresh_from_db()
    assert precreated_profile.status == Status.ACTIVE
    assert Person.objects.filter(last_name=newcomer.last_name).count() == 1
    assert own_failures == []
