"""`build_person` builds its Person from `person_row` through Django's positional constructor
(fast, for the bulk import's million, which writes the row itself): the same object the keyword
constructor gives."""

from __future__ import annotations

from datetime import date

from edgate.people.actions import PersonData, build_person, person_row
from edgate.people.models import Person


def columns(person: Person) -> dict[str, object]:
    return {f.attname: getattr(person, f.attname) for f in Person._meta.concrete_fields}


def test_every_column_not_given_takes_its_default() -> None:
    data = PersonData(first_name="Ann", last_name="Lee", date_of_birth=date(1990, 2, 3))
    row = person_row(data, source="s")
    assert len(row) == len(Person._meta.concrete_fields)
    fast = build_person(data, source="s")
    slow = Person(first_name="Ann", last_name="Lee", date_of_birth=date(1990, 2, 3), source="s")
    slow.fill_keys()
    assert columns(fast) == columns(slow)
    assert fast._state.adding and fast._state.db is None and fast.pk is None
    assert fast.data_problems is not build_person(data, source="s").data_problems  # a dict of its own
    assert list(columns(fast).values()) == row


def test_build_person_fills_every_column_as_before() -> None:
    data = PersonData(
        first_name="Zoë",
        last_name="D'Arcy-Ñúñez",
        middle_name="M",
        date_of_birth=date(1985, 6, 7),
        ssn="",
        street="1 Main St",
        city="Springfield",
        state="IL",
        postcode="62701",
        email="z@example.org",
        phone="2175550100",
        state_id="S7654321",
        data_problems={"postcode": "invalid"},
        unusable_raw={"postcode": "0123"},
    )
    person = build_person(data, source="licensure")
    expected = Person(
        first_name="Zoë",
        middle_name="M",
        last_name="D'Arcy-Ñúñez",
        date_of_birth=date(1985, 6, 7),
        street="1 Main St",
        city="Springfield",
        state="IL",
        postcode="62701",
        email="z@example.org",
        phone="2175550100",
        source="licensure",
        state_id="S7654321",
        dob_digits="",
    )
    expected.ssn_ciphertext, expected.ssn_hash, expected.ssn_last4 = None, None, ""
    expected.data_problems = {"postcode": "invalid"}
    expected.data_problems_ciphertext = person.data_problems_ciphertext  # encrypted: a fresh IV each time
    expected.fill_keys()
    assert columns(person) == columns(expected)
    assert person.data_problem_values() == {"postcode": "0123"}
