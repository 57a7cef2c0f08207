"""`build_person` builds its Person through Django's positional constructor (fast, for the bulk
import's million): the same object the keyword constructor gives."""

from __future__ import annotations

from datetime import date

import pytest

from edgate.people.actions import PersonData, _new_person, build_person
from edgate.people.models import Person


def columns(person: Person) -> dict[str, object]:
    return {f.attname: getattr(person, f.attname) for f in Person._meta.concrete_fields}


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"first_name": "Ann", "last_name": "Lee", "date_of_birth": date(1990, 2, 3), "source": "s"},
        {
            "first_name": "Ola",
            "last_name": "Berg",
            "data_problems": {"ssn": "invalid"},
            "dob_digits": "19901402",
        },
    ],
)
def test_the_fast_constructor_gives_what_the_keyword_one_gives(values: dict[str, object]) -> None:
    fast, slow = _new_person(**dict(values)), Person(**values)
    assert columns(fast) == columns(slow)
    assert fast._state.adding and fast._state.db is None and fast.pk is None
    assert fast.data_problems is not Person().data_problems  # a default dict of its own


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field 'nickname'"):
        _new_person(first_name="Ann", nickname="A")


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
