"""Candidate records for a query from indexed blocking keys — never a scan of the table.

Mirrors edgate.identity.blocking (the in-memory index) with database columns: the SSN's
keyed hash, the state ID, (date of birth, last or
former last name), (phonetic last name, date of birth), (date of birth, first name), email.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q
from django.views.decorators.debug import sensitive_variables

from edgate.identity import normalize
from edgate.identity.blocking import MAX_CANDIDATES, swapped
from edgate.identity.records import Candidate, Identity
from edgate.people.models import Person, ssn_lookup


@sensitive_variables()
def blocking_filter(query: Identity, hasher: Callable[[str], str] = ssn_lookup) -> Q | None:
    clauses: list[Q] = []
    if query.ssn:  # the SSN itself; typos are found through the other keys (identity.blocking)
        clauses.append(Q(ssn_hash=hasher(query.ssn)))
    if query.state_id:
        clauses.append(Q(state_id=query.state_id))
    if query.date_of_birth:
        dobs = [d for d in (query.date_of_birth, swapped(query.date_of_birth)) if d]
        lasts = sorted(
            {normalize.name_key(query.last_name), normalize.name_key(query.former_last_name)} - {""}
        )
        if lasts:
            clauses.append(Q(date_of_birth__in=dobs, last_name_key__in=lasts))
            clauses.append(Q(date_of_birth__in=dobs, former_last_name_key__in=lasts))
        if first := normalize.name_key(query.first_name):
            clauses.append(Q(date_of_birth__in=dobs, first_name_key=first))
        if sound := normalize.phonetic(query.last_name):
            clauses.append(Q(last_name_phonetic=sound, date_of_birth=query.date_of_birth))
    if email := normalize.email(query.email):
        clauses.append(Q(email=email))
    if not clauses:
        return None
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined


def identity_of(person: Person) -> Identity:
    return Identity(
        first_name=person.first_name,
        middle_name=person.middle_name,
        last_name=person.last_name,
        former_last_name=person.former_last_name,
        date_of_birth=person.date_of_birth,
        ssn_hash=person.ssn_hash or "",
        ssn_last4=person.ssn_last4,
        state_id=person.state_id,
        street=person.street,
        city=person.city,
        state=person.state,
        postcode=person.postcode,
        email=person.email,
        phone=person.phone,
    )


@sensitive_variables()
def find_candidates(query: Identity, hasher: Callable[[str], str] = ssn_lookup) -> list[Candidate]:
    where = blocking_filter(query, hasher)
    if where is None:
        return []
    # SSN matches first: the cap must never crowd them out.
    hashes = {hasher(query.ssn)} if query.ssn else set()
    people = list(Person.objects.filter(where).order_by("pk")[: MAX_CANDIDATES * 2])
    people.sort(key=lambda p: (p.ssn_hash not in hashes, p.pk))
    return [Candidate(str(p.pk), identity_of(p)) for p in people[:MAX_CANDIDATES]]
