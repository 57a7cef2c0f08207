"""The staff list's search reads names as the matcher does (a Directory Administrator who does
not find someone on their staff adds a duplicate): accents, case, hyphens and apostrophes, and
"Last, First" as the list shows names."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from edgate.directory import actions as directory_actions
from tests.backoffice import World, build_world, console_client
from tests.factories import CTX, on_file, someone, with_profile

from .test_console_directory import staff_search

pytestmark = pytest.mark.django_db


def staff(world: World, first: str, last: str) -> int:
    person = on_file(someone(first, last))
    with_profile(person)
    entry = directory_actions.do_add_staff(
        person=person, organization=world.school_a1, role_title="Teacher", ctx=CTX
    )
    return entry.pk


def found(client, url: str, q: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [e.pk for e in staff_search(client, url, q=q).context["page"].object_list]


def test_the_staff_search_finds_names_typed_without_accents_hyphens_or_in_list_order() -> None:
    world = build_world()
    maria = staff(world, "María", "Okonkwo")
    siobhan = staff(world, "Siobhán", "Keane")
    nguyen = staff(world, "Nguyễn", "Thao")
    garcia = staff(world, "Luis", "García López")
    sandra = staff(world, "Sandra", "Smith")
    obrien = staff(world, "Aoife", "O'Brien")
    other_smith = staff(world, "Paul", "Smith")
    da_a = console_client(world.da_a)
    url = reverse("backoffice:org", kwargs={"code": world.district_a.code})
    assert found(da_a, url, "Maria") == [maria]
    assert found(da_a, url, "maría") == [maria]
    assert found(da_a, url, "Siobhan") == [siobhan]
    assert found(da_a, url, "Nguyen") == [nguyen]
    assert found(da_a, url, "Garcia-Lopez") == [garcia]
    assert found(da_a, url, "garcia lopez") == [garcia]
    assert found(da_a, url, "Smith, Sandra") == [sandra]
    assert found(da_a, url, "Sandra Smith") == [sandra]
    assert found(da_a, url, "Smith,Sandra") == [sandra]
    assert sorted(found(da_a, url, "smith")) == sorted([sandra, other_smith])
    assert found(da_a, url, "OBrien") == [obrien] == found(da_a, url, "o'brien")
    assert found(da_a, url, "Smith, Maria") == []  # every word must be found
    # Someone else's staff is not found by a better search.
    outside = on_file(someone("María", "Okonkwo"))
    directory_actions.do_add_staff(person=outside, organization=world.school_b1, role_title="Aide", ctx=CTX)
    assert found(da_a, url, "Maria Okonkwo") == [maria]
    # "Already on my staff" reads names the same way.
    pick = reverse("backoffice:org_add_pick", kwargs={"code": world.school_a2.code})
    offered = da_a.post(pick, {"step": "search", "q": "Garcia-Lopez"}).context["form"].fields["person"]
    assert [label for _pk, label in offered.choices] and len(offered.choices) == 1


def test_the_staff_search_is_one_query_however_many_staff_match() -> None:
    world = build_world()
    staff(world, "Zoë", "Ashworth-Bell")
    da_a = console_client(world.da_a)
    url = reverse("backoffice:org", kwargs={"code": world.district_a.code})
    staff_search(da_a, url, q="Ashworth Bell, Zoe")
    with CaptureQueriesContext(connection) as one:
        assert da_a.get(url).context["page"].paginator.count == 1
    for n in range(310):
        person = on_file(someone(f"Zoé{n:03d}", "Ashworth-Bell"))
        directory_actions.do_add_staff(
            person=person, organization=world.school_a2, role_title="Aide", ctx=CTX
        )
    with CaptureQueriesContext(connection) as many:
        page = da_a.get(url).context["page"]
    assert page.paginator.count == 311 and len(page.object_list) == 50
    assert len(many) == len(one), [q["sql"] for q in many.captured_queries]
