"""The console's date fields in English and Spanish: one text box each, typed month first, with
the order said in the page's language under the label ("Month/day/year", "Mes/día/año") and a
saved date shown back month first. Not <input type=date>, whose placeholder Chromium writes in
the browser's language ("mm/dd/yyyy" on a Spanish page). And no console form leaves its checks
to the browser (novalidate): Chromium's "Please fill out this field" bubble is in the browser's
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
from tests.backoffice import World, build_world, console_client
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
        hint = translation.gettext(f"{HINT} 02/17/1991.").split(",")[0]  # "Month/day/year", "Mes/día/año"
    assert 'type="date"' not in page
    for name, tag in date_inputs(page, *names).items():
        assert 'type="text"' in tag, tag
        described = re.search(r'aria-describedby="([^"]+)"', tag)
        assert described, tag
        helptext = re.search(rf'id="{described.group(1).split()[0]}"[^>]*>([^<]*)<', page)
        assert helptext and hint in helptext.group(1), (name, helptext and helptext.group(1))


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
    assert_typed_date_fields(add_new, language, "date_of_birth")
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
    assert da.post(edit, {"role_title": "Teacher", "started_on": "09/01/2026"}).status_code == 302
    assert StaffEntry.objects.get(pk=entry.pk).started_on == date(2026, 9, 1)
    assert 'value="09/01/2026"' in date_inputs(da.get(edit).content.decode(), "started_on")["started_on"]
    assert_forms_left_to_the_page(
        da.get(reverse("backoffice:org_entry", kwargs={"code": school, "entry": entry.pk})).content.decode()
    )
    assert_forms_left_to_the_page(
        da.get(reverse("backoffice:org_add_known", kwargs={"code": school})).content.decode()
    )
    # The record's date of birth on a case, as customer service corrects it: month first.
    case = a_case(world)
    service_page = in_language(world.service, language).get(
        reverse("backoffice:case", kwargs={"reference": case.reference})
    )
    assert service_page.status_code == 200
    page = service_page.content.decode()
    assert_typed_date_fields(page, language, "date_of_birth")
    born = case.person.date_of_birth
    assert f'value="{born:%m/%d/%Y}"' in date_inputs(page, "date_of_birth")["date_of_birth"]
    assert_forms_left_to_the_page(page)
