"""The whole-name blocking key (issue 9) in the database the suite runs on (SQLite locally,
PostgreSQL in CI): dates are compared as the backend stores them, ranges and lists included."""

from __future__ import annotations

from datetime import date

import pytest

from edgate.identity.records import Identity
from edgate.matching.candidates import find_candidates
from edgate.people.actions import PersonData, build_person
from tests.pii import register_dob

pytestmark = pytest.mark.django_db


def test_a_record_whose_birth_date_alone_differs_is_a_candidate_by_its_whole_name() -> None:
    kept = {}
    for label, born in (
        ("year", date(1948, 3, 14)),  # 1984 typed with two digits swapped
        ("month", date(1984, 8, 14)),
        ("day", date(1984, 3, 2)),
        ("same year", date(1984, 8, 2)),  # month and day both differ: a namesake of that year
        ("undated", None),
        ("other year", date(1990, 3, 14)),  # a namesake: another year, not one keystroke away
        ("next year", date(1985, 1, 1)),
    ):
        person = build_person(
            PersonData(first_name="Avery", last_name="Lindqvist", date_of_birth=born), source="test"
        )
        person.save()
        kept[label] = str(person.pk)
    query = Identity(first_name="Avery", last_name="Lindqvist", date_of_birth=register_dob(date(1984, 3, 14)))
    found = {c.record_id for c in find_candidates(query)}
    assert found == {kept["year"], kept["month"], kept["day"], kept["undated"]}
