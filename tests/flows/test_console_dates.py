"""The console's date fields in English and Spanish. A date of birth is three boxes (month, day,
year), as on the wizard's page 1: no order to guess, so a day-first typist's 5 March is not read
as May 3. Other dates (a start date, the activity filter) are one text box typed month first,
the order said in the page's language under the label ("Month/day/year", "Mes/día/año"), its
example's day above 12, the year in 4 digits ("05/12/60" is refused, not read as 2060), a saved
date shown back month first. Not <input type=date>, whose placeholder Chromium writes in the
browser's language ("mm/dd/yyyy" on a Spanish page). And no console form leaves its checks to
the browser (novalidate): Chromium's "Please fill out this field" bubble is in the browser's
language too; the page's own error summary says it in the page's."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from edgate.directory import actions as directory_actions
from edgate.directory.models import StaffEntry
from edgate.identity.records import Identity
from edgate.matching import service
from edgate.people.models import Person
from tests.backoffice import World, build_world, console_client, new_post
from tests.factories import CTX, on_file, someone

pytestmark = pytest.mark.django_db

HINT = "Month/day/year, like"


def in_language(profile, language: str) -> Client:  # type: ignore[no-untyped-def]
    client = console_client(profile)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def date_inputs(page: str, *names: str) -> dict[str, str]:
    """Each named field's <input> tag."""
    found = {}
    for name in names:
        match = re.search(rf'<input\b[^>]*\bname="{name}"[^>]*>', page)
        assert match, name
        found[name] = match.group(0)
    return found


def assert_typed_date_fields(page: str, language: str, *names: str) -> None:
    with translation.override(language):
        hint = translation.gettext(f"{HINT} 11/15/2026.").split(",")[0]  # "Month/day/year", "Mes/día/año"
    assert 'type="date"' not in page
    for name, tag in date_inputs(page, *names).items():
        assert 'type="text"' in tag, tag
        described = re.search(r'aria-describedby="([^"]+)"', tag)
        assert described, tag
        helptext = re.search(rf'id="{described.group(1).split()[0]}"[^>]*>([^<]*)<', page)
        assert helptext and hint in helptext.group(1), (name, helptext and helptext.group(1))


def assert_date_of_birth_boxes(page: str, language: str, born: date | None = None) -> None:
    """Month, day and year boxes in a group whose hint is an example written in words; with
    `born`, the record's date in them."""
    with translation.override(language):
        example = translation.gettext("For example: January 19 1991.").rstrip(".")  # "… 19 de enero de 1991"
        march = translation.gettext("03 - March")
    assert 'data-testid="date-of-birth"' in page
    assert re.search(r'<span class="usa-hint" id="dob-hint">[^<]*' + re.escape(example), page), example
    assert re.search(r'<select\b[^>]*name="dob_month"', page) and march in page
    tags = date_inputs(page, "dob_day", "dob_year")
    assert 'name="date_of_birth"' not in page
    if born is not None:
        assert re.search(rf'<option value="{born.month}" selected>', page)
        assert f'value="{born.day}"' in tags["dob_day"] and f'value="{born.year}"' in tags["dob_year"]


def assert_forms_left_to_the_page(page: str) -> None:
    for form in re.findall(r"<form\b[^>]*>.*?</form>", page, re.S):
        opening = form[: form.index(">") + 1]
        fields = re.findall(r'<(?:select|textarea)\b|<input\b(?![^>]*type="hidden")', form)
        if 'method="post"' in opening and fields and "set_language" not in opening:
            assert "novalidate" in opening, opening


def a_case(world: World):  # type: ignore[no-untyped-def]
    record = someone("Riley", "Haddad")
    person = on_file(record)
    directory_actions.do_add_staff(person=person, organization=world.school_a1, role_title="Teacher", ctx=CTX)
    query = Identity(
        first_name=record.first_name,
        last_name=record.last_name,
        date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 5),
        ssn=record.ssn,
    )
    return service.do_open_case(
        person=person, query=query, decision=service.match(query), source="registration", ctx=CTX
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_console_dates_are_typed_month_first_with_the_order_said_in_the_pages_language(language: str) -> None:
    world = build_world()
    da = in_language(world.da_a, language)
    district, school = world.district_a.code, world.school_a1.code
    activity = da.get(reverse("backoffice:org_activity", kwargs={"code": district})).content.decode()
    assert_typed_date_fields(activity, language, "date_from", "date_to")
    assert_forms_left_to_the_page(activity)
    add_new = da.get(reverse("backoffice:org_add_new", kwargs={"code": school})).content.decode()
    assert_date_of_birth_boxes(add_new, language)
    assert_forms_left_to_the_page(add_new)
    # A start date typed month first is saved so, and shown back month first.
    entry = directory_actions.do_add_staff(
        person=on_file(someone("Gideon", "Ashby")),
        organization=world.school_a1,
        role_title="Teacher",
        ctx=CTX,
    )
    edit = reverse("backoffice:org_edit", kwargs={"code": school, "entry": entry.pk})
    page = da.get(edit).content.decode()
    assert_typed_date_fields(page, language, "started_on")
    assert_forms_left_to_the_page(page)
    assert da.post(edit, {"role_title": "Teacher", "started_on": "09/15/2026"}).status_code == 302
    assert StaffEntry.objects.get(pk=entry.pk).started_on == date(2026, 9, 15)
    assert 'value="09/15/2026"' in date_inputs(da.get(edit).content.decode(), "started_on")["started_on"]
    assert_forms_left_to_the_page(
        da.get(reverse("backoffice:org_entry", kwargs={"code": school, "entry": entry.pk})).content.decode()
    )
    add_known = da.get(reverse("backoffice:org_add_known", kwargs={"code": school})).content.decode()
    assert_date_of_birth_boxes(add_known, language)
    assert_forms_left_to_the_page(add_known)
    # The record's date of birth on a case, as customer service corrects it: month first.
    case = a_case(world)
    service_page = in_language(world.service, language).get(
        reverse("backoffice:case", kwargs={"reference": case.reference})
    )
    assert service_page.status_code == 200
    page = service_page.content.decode()
    assert_date_of_birth_boxes(page, language, born=case.person.date_of_birth)
    assert_forms_left_to_the_page(page)


def test_a_spanish_administrator_types_a_date_of_birth_in_three_boxes_and_it_is_saved_as_meant() -> None:
    """5 March 1991, as a day-first typist knows it: typed into the day and month boxes, it is
    5 March (one month-first box read "05/03/1991" as May 3, silently)."""
    world = build_world()
    da = in_language(world.da_a, "es")
    url = reverse("backoffice:org_add_new", kwargs={"code": world.school_a1.code})
    who = someone("Lucía", "Ferrández")
    response = da.post(url, new_post(who, dob_month="3", dob_day="5", dob_year="1991"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Person.objects.get(last_name="Ferrández").date_of_birth == date(1991, 3, 5)


def test_a_two_digit_year_is_refused_next_to_its_field() -> None:
    """ "05/12/60" was read as May 12, 2060 (Django's %y): now a message next to the field, in
    the page's language, and nothing saved."""
    world = build_world()
    entry = directory_actions.do_add_staff(
        person=on_file(someone("Imogen", "Strand")),
        organization=world.school_a1,
        role_title="Teacher",
        ctx=CTX,
    )
    for language in ("en", "es"):
        da = in_language(world.da_a, language)
        edit = reverse("backoffice:org_edit", kwargs={"code": world.school_a1.code, "entry": entry.pk})
        refused = da.post(edit, {"role_title": "Teacher", "started_on": "05/12/60"})
        assert refused.status_code == 200
        with translation.override(language):
            message = translation.gettext(
                "Enter the start date as a real date with a 4-digit year, like 09/15/2026."
            )
        page = refused.content.decode()
        assert re.search(r'id="id_started_on_error">' + re.escape(message), page), page
        assert StaffEntry.objects.get(pk=entry.pk).started_on is None
        activity = reverse("backoffice:org_activity", kwargs={"code": world.district_a.code})
        filtered = da.post(activity, {"date_from": "11/15/26"})
        assert filtered.status_code == 200 and set(filtered.context["form"].errors) == {"date_from"}
    # A 4-digit year, month first or ISO, is read.
    assert da.post(edit, {"role_title": "Teacher", "started_on": "2026-09-15"}).status_code == 302
    assert StaffEntry.objects.get(pk=entry.pk).started_on == date(2026, 9, 15)
