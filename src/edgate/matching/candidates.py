"""Candidate records for a query, from indexed blocking keys — never a scan of the table."""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from edgate.identity import compare, normalize
from edgate.identity.records import Candidate, Identity
from edgate.people.models import Person, ssn_lookup

MAX_CANDIDATES = 50


def _swapped(d: date) -> date | None:
    try:
        return d.replace(month=d.day, day=d.month) if d.day <= 12 and d.day != d.month else None
    except ValueError:
        return None


def blocking_filter(query: Identity) -> Q | None:
    clauses: list[Q] = []
    if query.ssn:
        hashes = [ssn_lookup(query.ssn)] + [ssn_lookup(v) for v in compare.ssn_variants(query.ssn)]
        clauses.append(Q(ssn_hash__in=hashes))
    if query.state_id:
        clauses.append(Q(state_id=query.state_id))
    if query.date_of_birth:
        dobs = [query.date_of_birth] + [d for d in [_swapped(query.date_of_birth)] if d]
        for key in {
            normalize.name_key(query.last_name),
            normalize.name_key(query.former_last_name),
        } - {""}:
            clauses.append(Q(date_of_birth__in=dobs, last_name_key=key))
            clauses.append(Q(date_of_birth__in=dobs, former_last_name_key=key))
        sound = normalize.phonetic(query.last_name)
        if sound:
            clauses.append(Q(last_name_phonetic=sound, date_of_birth=query.date_of_birth))
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


def find_candidates(query: Identity) -> list[Candidate]:
    where = blocking_filter(query)
    if where is None:
        return []
    people = Person.objects.filter(where).order_by("pk")[:MAX_CANDIDATES]
    return [Candidate(str(p.pk), identity_of(p)) for p in people]
