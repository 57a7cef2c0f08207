"""The console as its people use it, in Chromium at 1280 and 390 px, in English and Spanish: a
district's Directory Administrator with 300 staff reads the organization's activity (pages,
the User Name filter kept in the session, Clear), and a Directory Administrator and customer
service find a case by the reference a later submission was given. Each page checked with axe,
and nothing wider than the screen."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from edgate.audit.models import AuditEvent
from edgate.core.context import Ctx
from edgate.directory import actions as directory_actions
from edgate.identity.records import Identity
from edgate.matching import service
from tests.backoffice import World, build_world, console_client
from tests.factories import CTX, on_file, someone

from .conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAFF = 300
PAGE_SIZE = 50
WIDTHS = (1280, 390)
LANGUAGES = ("en", "es")


def words(english: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(english)


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def signed_in(page: Page, live_server, world_profile) -> None:  # type: ignore[no-untyped-def]
    session = console_client(world_profile).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def in_language(page: Page, live_server, language: str) -> None:  # type: ignore[no-untyped-def]
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


def ctx_of(profile) -> Ctx:  # type: ignore[no-untyped-def]
    return Ctx(client_ip="198.51.100.9", actor_id=profile.pk, actor_label=profile.username)


def staff_the_district(world: World) -> None:
    """300 staff across the district's two schools, a third added by the high school's own
    administrator, the rest by the district's."""
    for n in range(STAFF):
        person = on_file(
            someone(f"Staff{chr(65 + n % 26)}{chr(65 + n // 26 % 26)}", f"Member{chr(65 + n % 26)}")
        )
        directory_actions.do_add_staff(
            person=person,
            organization=world.school_a1 if n % 2 else world.school_a2,
            role_title="Teacher",
            ctx=ctx_of(world.da_school_a1 if n % 3 == 0 else world.da_a),
        )


def test_a_district_administrator_with_300_staff_reads_the_activity(  # type: ignore[no-untyped-def]
    page: Page, live_server, failed_resources: list[str]
) -> None:
    world = build_world()
    staff_the_district(world)
    district = world.district_a.code
    everything = AuditEvent.objects.filter(
        detail__organization__in=[district, world.school_a1.code, world.school_a2.code]
    ).count()
    by_school = world.da_school_a1.username
    theirs = AuditEvent.objects.filter(actor_label=by_school).count()
    assert everything > STAFF and theirs == STAFF // 3
    url = f"{live_server.url}{reverse('backoffice:org_activity', kwargs={'code': district})}"
    signed_in(page, live_server, world.da_a)
    for language in LANGUAGES:
        in_language(page, live_server, language)
        pages = -(-everything // PAGE_SIZE)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(url)
            rows = page.locator("main table tbody tr")
            expect(rows).to_have_count(PAGE_SIZE)
            # The pages above the list too (on a phone fifty events are many screens long), and
            # "Next" there at every width, a 44 px target (USWDS hides it below tablet width).
            top = page.get_by_role("navigation", name=words("Pages, above the list", language))
            expect(top).to_contain_text(words("Page %(n)s of %(total)s", language) % {"n": 1, "total": pages})
            expect(page.get_by_test_id("activity-count")).to_contain_text(str(everything))
            following = top.get_by_role("link", name=words("Next", language))
            expect(following).to_be_visible()
            assert following.bounding_box()["height"] >= 44  # type: ignore[index]
            # An event's detail in the page's words: "Organization: …", not the stored key.
            expect(rows.first).to_contain_text(f"{words('Organization', language)}: ")
            assert_accessible(page)
            assert fits_the_screen(page), (language, width)
            following.click()
            expect(page).to_have_url(re.compile(r"\?page=2$"))
            expect(rows).to_have_count(PAGE_SIZE)

            # The filter: POSTed, kept in the session; pages of the filtered list keep it.
            page.get_by_label(words("By (User Name)", language)).fill(by_school)
            page.get_by_role("button", name=words("Filter", language), exact=True).click()
            expect(page).to_have_url(url)
            expect(page.get_by_label(words("By (User Name)", language))).to_have_value(by_school)
            expect(top).to_contain_text(
                words("Page %(n)s of %(total)s", language) % {"n": 1, "total": -(-theirs // PAGE_SIZE)}
            )
            assert set(rows.locator("td").nth(0).all_inner_texts()) <= {by_school}
            assert_accessible(page)
            assert fits_the_screen(page), (language, width)
            following.click()
            expect(page).to_have_url(re.compile(r"\?page=2$"))
            expect(page.get_by_label(words("By (User Name)", language))).to_have_value(by_school)
            for row in rows.all():
                expect(row.locator("td").nth(0)).to_have_text(by_school)
            assert by_school not in page.url
            page.get_by_role("button", name=words("Clear", language)).click()
            expect(page.get_by_label(words("By (User Name)", language))).to_have_value("")
            expect(top).to_contain_text(words("Page %(n)s of %(total)s", language) % {"n": 1, "total": pages})


def test_staff_find_a_case_by_a_later_submissions_reference(  # type: ignore[no-untyped-def]
    page: Page, live_server, failed_resources: list[str]
) -> None:
    world = build_world()
    record = someone("Rowan", "Castellanos")
    person = on_file(record)
    directory_actions.do_add_staff(person=person, organization=world.school_a1, role_title="Teacher", ctx=CTX)
    first = Identity(
        first_name=record.first_name,
        last_name=record.last_name,
        date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 5),
        ssn=record.ssn,
    )
    case = service.do_open_case(
        person=person, query=first, decision=service.match(first), source="registration", ctx=CTX
    )
    # Someone else typed the record's SSN with other names: counted on the case, a reference of their own.
    other = Identity(
        first_name="Quinn", last_name="Marlowe", date_of_birth=first.date_of_birth, ssn=record.ssn
    )
    later = service.do_open_case(
        person=person, query=other, decision=service.match(other), source="registration", ctx=CTX
    )
    assert later.pk == case.pk and later.given != case.reference
    for who in (world.da_a, world.service):
        signed_in(page, live_server, who)
        for language in LANGUAGES:
            in_language(page, live_server, language)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(f"{live_server.url}{reverse('backoffice:cases')}")
                page.get_by_label(words("Case reference", language)).fill(later.given.lower())
                page.get_by_role("button", name=words("Show", language), exact=True).click()
                found = page.get_by_test_id("case-row")
                expect(found).to_have_count(1)
                counts = words("Open: %(open)s. Escalated: %(escalated)s.", language)
                expect(page.get_by_test_id("case-counts")).to_have_text(counts % {"open": 1, "escalated": 0})
                # The row says why a case with another reference was found.
                expect(found.get_by_test_id("found-by")).to_contain_text(later.given)
                assert_accessible(page)
                assert fits_the_screen(page), (who, language, width)
                found.get_by_role("link", name=case.reference).click()
                expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
                # At the top, the references given to later submissions (the caller quoted one).
                expect(page.get_by_test_id("later-references")).to_contain_text(later.given)
                expect(page.get_by_test_id("case-summary")).to_contain_text(words("a registration", language))
                # The matcher's reasons in the page's words, not its English.
                rule = words("the SSN agrees but other data conflicts", language)
                expect(page.get_by_test_id("case-rule")).to_have_text(rule[0].upper() + rule[1:])
                ssn = page.get_by_test_id("side-by-side").locator("tbody tr").nth(5)
                expect(ssn.get_by_test_id("level")).to_contain_text(f"({words('exact', language)})")
                # "Decide" heads the form; its question is not drawn bigger than the heading.
                size = "e => parseFloat(getComputedStyle(e).fontSize)"
                decide = page.locator("#resolve").evaluate(size)
                assert page.locator("#resolve ~ form legend").first.evaluate(size) < decide
                # What a Directory Administrator is not shown is said inside the screen.
                for withheld in page.get_by_test_id("withheld").all():
                    box = withheld.bounding_box()
                    assert box is not None and box["x"] + box["width"] <= width, (language, width, box)
                assert_accessible(page)
                assert fits_the_screen(page), (who, language, width)
                # Searching by the case's own reference says nothing more.
                page.goto(f"{live_server.url}{reverse('backoffice:cases')}")
                page.get_by_label(words("Case reference", language)).fill(case.reference)
                page.get_by_role("button", name=words("Show", language), exact=True).click()
                expect(found).to_have_count(1)
                expect(found.get_by_test_id("found-by")).to_have_count(0)
