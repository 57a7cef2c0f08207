"""Adding a staff member: a page shown again to correct something keeps what the administrator
typed (the date of birth in its three boxes), says on the SSN's field that it must be typed
again (it is never shown back), and names every problem of the date at once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from edgate.backoffice.org_forms import SSN_AGAIN
from edgate.core import forms as core_forms
from edgate.people.models import Person
from tests.backoffice import World, build_world, console_client, new_post
from tests.factories import on_file, someone

from .test_console_directory import known_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def box(page: str, name: str) -> str:
    """The value a text box is drawn with ("" when none)."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag, name
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def selected_month(page: str) -> str:
    select = re.search(r'<select[^>]*name="dob_month".*?</select>', page, re.S)
    assert select
    chosen = re.search(r'<option value="(\d*)"[^>]*selected', select.group(0))
    return chosen.group(1) if chosen else ""


def ssn_help(page: str) -> str:
    hint = re.search(r'id="id_ssn_helptext"[^>]*>([^<]*)<', page)
    assert hint
    return hint.group(1)


def test_a_wrong_email_keeps_the_date_of_birth_and_asks_for_the_ssn_again(world: World) -> None:
    who = someone("Ines", "Barrowcliffe")
    da = console_client(world.da_a)
    url = reverse("backoffice:org_add_new", kwargs={"code": world.school_a1.code})
    first = da.get(url).content.decode()
    assert str(SSN_AGAIN) not in first  # nothing to type again yet
    refused = da.post(url, new_post(who, email="not-an-email"))
    assert refused.status_code == 200 and set(refused.context["form"].errors) == {"email"}
    page = refused.content.decode()
    born = who.date_of_birth
    assert selected_month(page) == str(born.month)
    assert box(page, "dob_day") == str(born.day) and box(page, "dob_year") == str(born.year)
    assert box(page, "first_name") == "Ines"
    assert box(page, "ssn") == "" and who.ssn not in page  # never shown back
    assert ssn_help(page).startswith(str(SSN_AGAIN))
    # Corrected, the date as it was shown back and the SSN typed again add the person.
    fixed = new_post(who)
    assert da.post(url, fixed).status_code == 302
    assert Person.objects.get(last_name="Barrowcliffe").date_of_birth == born
    # No SSN typed: nothing to type "again".
    blank = da.post(url, new_post(someone("Ines", "Quarrie"), ssn="", email="bad")).content.decode()
    assert str(SSN_AGAIN) not in blank


def test_every_problem_of_the_date_of_birth_is_said_at_once(world: World) -> None:
    da = console_client(world.da_a)
    url = reverse("backoffice:org_add_new", kwargs={"code": world.school_a1.code})
    who = someone("Ines", "Pellworth")
    refused = da.post(url, new_post(who, dob_month="2", dob_day="32", dob_year="85"))
    errors = refused.context["form"].errors
    assert errors["dob_day"] == [str(core_forms.DOB_DAY)] and errors["dob_year"] == [str(core_forms.DOB_YEAR)]
    month_too = da.post(url, new_post(who, dob_month="13", dob_day="x", dob_year="19"))
    assert set(month_too.context["form"].errors) == {"dob_month", "dob_day", "dob_year"}
    missing_and_wrong = da.post(url, new_post(who, dob_month="", dob_day="40", dob_year="1985"))
    assert set(missing_and_wrong.context["form"].errors) == {"dob_month", "dob_day"}


def test_the_known_person_search_keeps_the_date_of_birth_too(world: World) -> None:
    who = someone("Oren", "Tillingham")
    on_file(who)
    da = console_client(world.da_a)
    url = reverse("backoffice:org_add_known", kwargs={"code": world.school_a1.code})
    refused = da.post(url, known_post(who, first_name="0ren"))
    assert set(refused.context["form"].errors) == {"first_name"}
    page = refused.content.decode()
    born = who.date_of_birth
    assert selected_month(page) == str(born.month) and box(page, "dob_year") == str(born.year)
    assert box(page, "ssn") == "" and ssn_help(page).startswith(str(SSN_AGAIN))
    # "No one found" is the form again, as typed but for the SSN.
    nobody = da.post(url, known_post(who, last_name="Tillinghast")).content.decode()
    assert box(nobody, "dob_day") == str(born.day) and ssn_help(nobody).startswith(str(SSN_AGAIN))
