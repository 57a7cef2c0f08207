"""A crowded blocking key never hides the strongest evidence (issue 9): on PostgreSQL, with
hundreds of earlier people sharing an email, a birth date and a surname, the person holding the
query's SSN or state ID is always a candidate — for find_candidates, the registration wizard
and `edgate import` (per row and bulk), which goes on past any row it cannot write."""

from __future__ import annotations

import csv
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from edgate.identity.blocking import MAX_CANDIDATES
from edgate.identity.engine import Outcome
from edgate.identity.records import Identity
from edgate.matching import service
from edgate.matching.candidates import find_candidates
from edgate.people.actions import PersonData, build_person
from edgate.people.models import Person
from tests.factories import precreated
from tests.flows.helpers import location, post_step, start, step
from tests.pii import register_dob, register_ssn

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BORN = register_dob(date(1984, 3, 14))
EMAIL = "office@northfield.example.org"
HOLDER_SSN = register_ssn("219453381")


def crowd(n: int, *, first_name: str = "", last_name: str = "Lindqvist", born: date = BORN) -> None:
    """`n` earlier people sharing the email, birth date and surname (each its own SSN)."""
    people = []
    for i in range(n):
        person = build_person(
            PersonData(
                first_name=first_name or f"Crowd{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}",
                last_name=last_name,
                date_of_birth=born,
                ssn=register_ssn(f"{300 + i:03d}12{1000 + i:04d}"),
                email=EMAIL,
                state_id=str(30_000_000 + i),
            ),
            source="test",
        )
        people.append(person)
    Person.objects.bulk_create(people)


def holder(**extra: str) -> Person:
    """The SSN holder, on file after the crowd (a higher primary key than all of them)."""
    person = build_person(
        PersonData(
            first_name="Avery",
            last_name="Lindqvist",
            date_of_birth=BORN,
            ssn=HOLDER_SSN,
            email=EMAIL,
            state_id="41234567",
            **extra,
        ),
        source="test",
    )
    person.save()
    return person


QUERY = Identity(first_name="Avery", last_name="Lindqvist", date_of_birth=BORN, ssn=HOLDER_SSN, email=EMAIL)


def test_find_candidates_always_returns_the_ssn_and_state_id_holders() -> None:
    crowd(300)
    person = holder()
    candidates = [c.record_id for c in find_candidates(QUERY)]
    assert candidates[0] == str(person.pk)
    assert len(candidates) == MAX_CANDIDATES + 1  # the cap applies to the weaker keys after them
    by_state_id = Identity(first_name="Avery", last_name="Lindqvist", email=EMAIL, state_id="41234567")
    assert [c.record_id for c in find_candidates(by_state_id)][0] == str(person.pk)
    decision = service.match(QUERY)
    assert (decision.outcome.value, decision.candidate_id) == ("exact", str(person.pk))


def test_a_crowded_email_does_not_crowd_out_the_birth_date_and_name_keys() -> None:
    crowd(300, born=date(1950, 1, 1), last_name="Other")  # only the email is shared
    person = holder()
    # No SSN to look up: the record is found through birth date and surname, capped per key.
    query = Identity(first_name="Avery", last_name="Lindqvist", date_of_birth=BORN, email=EMAIL)
    assert str(person.pk) in [c.record_id for c in find_candidates(query)]


def test_the_wizard_gives_the_ssn_holder_exact_among_hundreds_of_namesakes(client: Client) -> None:
    crowd(300, first_name="Avery")  # 300 earlier Avery Lindqvists born the same day
    profile = precreated(holder())
    start(client)
    typed = {
        "first_name": "Avery",
        "middle_name": "",
        "last_name": "Lindqvist",
        "former_last_name": "",
        "dob_month": "3",
        "dob_day": "14",
        "dob_year": "1984",
        "ssn": "219-45-3381",
        "state_id": "",
    }
    # The pre-created Profile's path ("finish setting up your Profile"), never a duplicate.
    assert location(post_step(client, "identity", typed)) == step("setup")
    assert Person.objects.count() == 301
    assert profile.username


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("per_row", [True, False], ids=["per-row", "bulk"])
def test_import_matches_the_ssn_holder_behind_a_crowded_email_and_goes_on(
    tmp_path: Path, per_row: bool
) -> None:
    crowd(120)
    person = holder()
    path = tmp_path / "people.csv"
    nobody = register_ssn("402117788")
    path.write_text(
        "id,first_name,last_name,date_of_birth,ssn,email,postcode\n"
        f"a,Avery,Lindqvist,{BORN.isoformat()},{HOLDER_SSN},{EMAIL},01360\n"
        f"b,Noor,Haddad,1988-05-06,{nobody},{EMAIL},\n",
        encoding="utf-8",
    )
    register_dob(date(1988, 5, 6))
    out = StringIO()
    call_command("import", str(path), source="sis", per_row=per_row, stdout=out)
    report = {row["row_id"]: row for row in csv.DictReader((tmp_path / "people.report.csv").open())}
    assert report["a"]["result"] == "updated" and report["a"]["state_id"] == person.state_id
    assert report["b"]["result"] == "created"
    assert Person.objects.count() == 122


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("per_row", [True, False], ids=["per-row", "bulk"])
def test_a_unique_conflict_on_one_row_is_reported_and_the_file_goes_on(
    tmp_path: Path, per_row: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever makes the matcher miss a record holding the row's SSN (here: no candidates at
    all), writing the row meets the unique SSN: that row is reported, the next rows imported."""
    holder()
    monkeypatch.setattr(service, "find_candidates", lambda query, hasher=None: [])
    path = tmp_path / "people.csv"
    path.write_text(
        "id,first_name,last_name,date_of_birth,ssn\n"
        f"a,Avery,Lindqvist,{BORN.isoformat()},{HOLDER_SSN}\n"
        f"b,Noor,Haddad,1988-05-06,{register_ssn('402117788')}\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("import", str(path), source="sis", per_row=per_row, stdout=out)
    report = {row["row_id"]: row for row in csv.DictReader((tmp_path / "people.report.csv").open())}
    assert report["a"]["result"] == "rejected" and "already on file" in report["a"]["reason"]
    assert HOLDER_SSN not in report["a"]["reason"]
    assert report["b"]["result"] == "created" and "1 created" in out.getvalue()
    assert Person.objects.count() == 2


def test_a_dirty_record_without_ssn_is_found_through_its_typed_birth_date() -> None:
    """An agency file gave 31 November and no SSN: the registrant's 30 November finds it
    (the typed digits are one keystroke off), through the partial index on dob_digits."""
    crowd(60, first_name="Avery", born=date(1984, 11, 30))  # namesakes crowd the date keys
    person = build_person(
        PersonData(
            first_name="Avery",
            last_name="Lindqvist",
            dob_digits="19841131",
            data_problems={"date_of_birth": "impossible_date"},
        ),
        source="test",
    )
    person.save()
    query = Identity(
        first_name="Avery", last_name="Lindqvist", date_of_birth=register_dob(date(1984, 11, 30))
    )
    assert str(person.pk) in [c.record_id for c in find_candidates(query)]
    decision = service.matcher().decide(
        query, next(c for c in find_candidates(query) if c.record_id == str(person.pk))
    )
    assert decision.fields["date_of_birth"].kind == "one_digit"


def test_a_crowded_weak_key_does_not_crowd_out_the_other_weak_keys() -> None:
    crowd(300)  # 300 earlier Lindqvists born the same day
    married = build_person(
        PersonData(first_name="Avery", last_name="Berg", date_of_birth=BORN), source="test"
    )
    married.save()
    query = Identity(first_name="Avery", last_name="Lindqvist", date_of_birth=BORN)  # no SSN, no email
    found = [c.record_id for c in find_candidates(query)]
    assert str(married.pk) in found and len(found) == MAX_CANDIDATES


def test_the_whole_name_finds_a_record_whose_birth_date_alone_differs() -> None:
    """Records without an SSN whose birth year was mistyped (1948 for 1984), whose month was
    (August for March), or that have no birth date: the whole name finds them through the
    (last_name_key, first_name_key, date_of_birth) index, behind 300 namesakes of the query's
    date that crowd the date keys — and the registration is partial, for a human."""
    crowd(300)
    people = [
        build_person(PersonData(first_name="Avery", last_name="Lindqvist", date_of_birth=born), source="test")
        for born in (date(1948, 3, 14), date(1984, 8, 14), None)
    ]
    for person in people:
        person.save()
    query = Identity(first_name="Avery", last_name="Lindqvist", date_of_birth=BORN, ssn=HOLDER_SSN)
    found = [c.record_id for c in find_candidates(query)]
    assert {str(p.pk) for p in people} <= set(found)
    assert service.match(query).outcome == Outcome.PARTIAL
    other_year = Identity(first_name="Avery", last_name="Lindqvist", date_of_birth=date(1990, 6, 2))
    assert {c.record_id for c in find_candidates(other_year)} == {str(people[2].pk)}  # only the undated


def test_a_crowded_whole_name_does_not_hide_the_ssn_holder() -> None:
    """300 earlier people of the query's whole name born the same year and month (another day):
    the new key is crowded, the SSN holder is still the first candidate and the wizard's match is
    exact."""
    crowd(300, first_name="Avery", born=date(1984, 3, 2))
    person = holder()
    candidates = [c.record_id for c in find_candidates(QUERY)]
    assert candidates[0] == str(person.pk) and len(candidates) == MAX_CANDIDATES + 1
    decision = service.match(QUERY)
    assert decision.outcome == Outcome.EXACT and decision.candidate_id == str(person.pk)
