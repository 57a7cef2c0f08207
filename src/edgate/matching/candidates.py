"""Candidate records for a query from indexed blocking keys — never a scan of the table.

Mirrors edgate.identity.blocking (the in-memory index) with database columns: the SSN's
keyed hash and the state ID (always candidates, their own query), then (date of birth, last
or former last name), (date of birth, first name), (phonetic last name, date of birth), email,
each capped on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection
from django.db.models import IntegerField, Q, Value
from django.views.decorators.debug import sensitive_variables

from edgate.identity import normalize
from edgate.identity.blocking import MAX_CANDIDATES, digit_variants, interleave, query_date, swapped
from edgate.identity.records import Candidate, Identity
from edgate.people.models import Person, ssn_lookup


@sensitive_variables()
def strong_filter(query: Identity, hasher: Callable[[str], str] = ssn_lookup) -> Q | None:
    """The SSN's lookup hash and the state ID: unique columns, at most one person each."""
    clauses: list[Q] = []
    if query.ssn:  # the SSN itself; typos are found through the other keys (identity.blocking)
        clauses.append(Q(ssn_hash=hasher(query.ssn)))
    if query.state_id:
        clauses.append(Q(state_id=query.state_id))
    return _any(clauses)


def weak_clauses(query: Identity) -> list[Q]:
    """The weaker keys, strongest first (the order identity.blocking.query_keys uses)."""
    clauses: list[Q] = []
    if born := query_date(query):
        dobs = [d for d in (born, swapped(born)) if d]
        lasts = sorted(
            {normalize.name_key(query.last_name), normalize.name_key(query.former_last_name)} - {""}
        )
        if lasts:
            clauses.append(Q(date_of_birth__in=dobs, last_name_key__in=lasts))
            clauses.append(Q(date_of_birth__in=dobs, former_last_name_key__in=lasts))
        if first := normalize.name_key(query.first_name):
            clauses.append(Q(date_of_birth__in=dobs, first_name_key=first))
        if sound := normalize.phonetic(query.last_name):
            clauses.append(Q(last_name_phonetic=sound, date_of_birth=born))
        # Records whose date of birth an agency file gave impossibly, kept as its typed digits
        # (docs/matching.md §7): the same digits, one keystroke off, or month and day swapped,
        # with the last or first name (a small partial index: only those records are in it).
        typed = born.strftime("%Y%m%d")
        names = [Q(last_name_key__in=lasts)] if lasts else []
        names += [Q(first_name_key=first)] if first else []
        if named := _any(names):
            # (`<> ''` spelt out, so PostgreSQL sees the partial index's condition.)
            typed_near = Q(dob_digits__in=sorted({typed} | digit_variants(typed))) & ~Q(dob_digits="")
            clauses.append(typed_near & named)
    if email := normalize.email(query.email):
        clauses.append(Q(email=email))
    return clauses


def _any(clauses: list[Q]) -> Q | None:
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
        unusable=frozenset(person.data_problems or ()),
        dob_digits=person.dob_digits,
    )


@sensitive_variables()
def find_candidates(query: Identity, hasher: Callable[[str], str] = ssn_lookup) -> list[Candidate]:
    """The people holding the query's SSN or state ID, always; then at most MAX_CANDIDATES
    more through the weaker keys, each capped on its own and taken in turn, strongest first
    (`interleave`), so a crowded key (hundreds of people sharing an email, or a birth date
    and surname) neither hides the SSN holder nor crowds out the other keys. Every query is
    an index scan."""
    people: dict[int, Person] = {}
    strong = strong_filter(query, hasher)
    if strong is not None:
        people.update((p.pk, p) for p in Person.objects.filter(strong))
    clauses = weak_clauses(query)
    if clauses:
        parts = [
            Person.objects.filter(clause)
            .exclude(pk__in=list(people))
            .annotate(_priority=Value(i, output_field=IntegerField()))
            .order_by("pk")[:MAX_CANDIDATES]
            for i, clause in enumerate(clauses)
        ]
        if len(parts) > 1 and connection.features.supports_slicing_ordering_in_compound:
            # One round trip: UNION ALL of the per-key queries, each with its own LIMIT.
            found: Iterable[Person] = parts[0].union(*parts[1:], all=True).order_by("_priority", "pk")
        else:  # SQLite cannot LIMIT inside a UNION: one query per key
            found = (person for part in parts for person in part)
        by_key: dict[int, list[int]] = {}
        rows: dict[int, Person] = {}
        for person in found:
            by_key.setdefault(person._priority, []).append(person.pk)
            rows.setdefault(person.pk, person)
        # The keys in turn, strongest first: a crowded key cannot crowd out the others.
        for pk in interleave([by_key[k] for k in sorted(by_key)], exclude=people):
            people[pk] = rows[pk]
    return [Candidate(str(p.pk), identity_of(p)) for p in people.values()]
