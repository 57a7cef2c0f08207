"""A case opened by a submission that carried neither an SSN nor a state ID (an agency file's
row, or an administrator's) is never given again by its reference: names and a birth date are
what a stranger can know, so the same names and birth date typed later get a reference of their
own (registration/cases.py; docs/security.md)."""

from __future__ import annotations

import pytest

from edgate.identity.records import Identity
from edgate.matching import service as matching_service

from .factories import CTX, on_file, someone

pytestmark = pytest.mark.django_db


def test_names_and_a_birth_date_alone_never_get_the_case_s_reference() -> None:
    record = someone("Marisol", "Okonkwo-Reyes")
    person = on_file(record)
    query = Identity(
        first_name=record.first_name,
        last_name=record.last_name,
        date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year + 1),
        ssn="",
    )
    decision = matching_service.match(query)
    assert decision.outcome == "partial" and decision.candidate_id == str(person.pk)
    first = matching_service.do_open_case(
        person=person, query=query, decision=decision, source="import", ctx=CTX
    )
    assert first.given == first.reference
    again = matching_service.do_open_case(
        person=person, query=query, decision=decision, source="import", ctx=CTX
    )
    assert again.pk == first.pk and again.given != first.reference
    # With an SSN typed, the same submission again is still given the case's own reference.
    with_ssn = Identity(
        first_name=record.first_name,
        last_name=record.last_name,
        date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 5),
        ssn=record.ssn,
    )
    decided = matching_service.match(with_ssn)
    assert decided.outcome == "partial"
    opened = matching_service.do_open_case(
        person=person, query=with_ssn, decision=decided, source="registration", ctx=CTX
    )
    repeated = matching_service.do_open_case(
        person=person, query=with_ssn, decision=decided, source="registration", ctx=CTX
    )
    assert opened.given == opened.reference and repeated.given == opened.reference
