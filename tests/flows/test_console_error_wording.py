"""Errors on the Directory Administrator's forms name their field in the summary and speak of
the person being added ("their"), not of the administrator ("your")."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from tests.backoffice import build_world, console_client, new_post
from tests.factories import someone

from .test_console_directory import known_post

pytestmark = pytest.mark.django_db


def summary(page: str) -> list[str]:
    box = re.search(r'id="error-summary".*?</ul>', page, re.S)
    assert box, "no error summary"
    return [
        re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", box.group(0), re.S)
    ]


def test_two_names_refused_alike_are_two_messages_naming_their_fields() -> None:
    world = build_world()
    da = console_client(world.da_a)
    url = reverse("backoffice:org_add_known", kwargs={"code": world.school_a1.code})
    page = da.post(url, known_post(someone("Ann", "Ash"), first_name="J0hn", last_name="Sm1th"))
    said = summary(page.content.decode())
    assert "The first name can have letters, spaces, hyphens, apostrophes and periods only." in said
    assert "The last name can have letters, spaces, hyphens, apostrophes and periods only." in said
    assert len(said) == len(set(said))


def test_a_date_of_birth_typed_about_someone_else_says_their() -> None:
    world = build_world()
    da = console_client(world.da_a)
    url = reverse("backoffice:org_add_new", kwargs={"code": world.school_a1.code})
    who = someone("Odile", "Marchetti")
    too_old = summary(da.post(url, new_post(who, date_of_birth="1890-05-01")).content.decode())
    assert "Check the year of their date of birth." in too_old
    assert not [m for m in too_old if "your" in m]
    # Five years old on 1 January (today's date five years back does not exist on 29 February).
    young = date(date.today().year - 5, 1, 1).isoformat()
    too_young = summary(da.post(url, new_post(who, date_of_birth=young)).content.decode())
    assert "They must be at least 14 years old to have a Profile." in too_young
    spanish = console_client(world.da_a)
    spanish.cookies.load({"django_language": "es"})
    es = summary(spanish.post(url, new_post(who, date_of_birth="1890-05-01")).content.decode())
    assert "Revise el año de la fecha de nacimiento de la persona." in es
