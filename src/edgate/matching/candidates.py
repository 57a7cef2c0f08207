"""Candidate records for a query from indexed blocking keys — never a scan of the table.

Mirrors edgate.identity.blocking (the in-memory index) with database columns: the SSN's
keyed hash and the state ID (always candidates, their own query), then (date of birth, last
or former last name), (date of birth, first name), (phonetic last name, date of birth), email,
phone, each capped on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from django.db import connection
from django.views.decorators.debug import sensitive_variables

from edgate.identity import normalize
from edgate.identity.blocking import (
    MAX_CANDIDATES,
    digit_variants,
    interleave,
    query_date,
    same_day_of_year,
    swapped,
    year_variants,
)
from edgate.identity.records import Candidate, Identity
from edgate.people.models import Person, ssn_lookup


def _marks(values: list[object]) -> str:
    return ", ".join(["%s"] * len(values))


@sensitive_variables()
def strong_key(query: Identity, hasher: Callable[[str], str] = ssn_lookup) -> tuple[str, list[object]] | None:
    """The SSN's lookup hash and the state ID: unique columns, at most one person each."""
    clauses: list[str] = []
    params: list[object] = []
    if query.ssn:  # the SSN itself; typos are found through the other keys (identity.blocking)
        clauses.append("ssn_hash = %s")
        params.append(hasher(query.ssn))
    if query.state_id:
        clauses.append("state_id = %s")
        params.append(query.state_id)
    return (" OR ".join(clauses), params) if clauses else None


def weak_keys(query: Identity) -> list[tuple[str, list[object]]]:
    """The weaker keys, strongest first (the order identity.blocking.query_keys uses), each a
    WHERE condition on indexed columns and its parameters."""
    keys: list[tuple[str, list[object]]] = []
    date_value = connection.ops.adapt_datefield_value
    if born := query_date(query):
        dobs: list[object] = [date_value(d) for d in (born, swapped(born)) if d]
        lasts: list[object] = sorted(
            {normalize.name_key(query.last_name), normalize.name_key(query.former_last_name)} - {""}
        )
        first = normalize.name_key(query.first_name)
        if lasts:
            for column in ("last_name_key", "former_last_name_key"):
                where = f"date_of_birth IN ({_marks(dobs)}) AND {column} IN ({_marks(lasts)})"
                keys.append((where, dobs + lasts))
        if first:
            keys.append((f"date_of_birth IN ({_marks(dobs)}) AND first_name_key = %s", [*dobs, first]))
        if sound := normalize.phonetic(query.last_name):
            keys.append(("last_name_phonetic = %s AND date_of_birth = %s", [sound, date_value(born)]))
        # Records whose date of birth an agency file gave impossibly, kept as its typed digits
        # (docs/matching.md §7): the same digits, one keystroke off, or month and day swapped,
        # with the last or first name (a small partial index: only those records are in it;
        # `<> ''` is spelt out so PostgreSQL sees the index's condition).
        typed = born.strftime("%Y%m%d")
        names: list[tuple[str, list[object]]] = []
        if lasts:
            names.append((f"last_name_key IN ({_marks(lasts)})", lasts))
        if first:
            names.append(("first_name_key = %s", [first]))
        if names:
            digits: list[object] = sorted({typed} | digit_variants(typed))
            named = " OR ".join(sql for sql, _ in names)
            keys.append(
                (
                    f"dob_digits IN ({_marks(digits)}) AND dob_digits <> '' AND ({named})",
                    digits + [p for _, params in names for p in params],
                )
            )
    whole_first = normalize.name_key(query.first_name)
    whole_lasts = sorted(
        {normalize.name_key(query.last_name), normalize.name_key(query.former_last_name)} - {""}
    )
    if whole_first and whole_lasts:
        # The whole name, as it stands, with the birth year and month (the day mistyped on one
        # side), the year and day (the month mistyped), the same month and day a year one
        # keystroke away, or no usable birth date on file: a record whose date alone differs and
        # that has no SSN to find it by (issue 9). Served by the (last_name_key, first_name_key,
        # date_of_birth) index; a common name brings its namesakes of one month and of one day
        # of the year, not of the whole year (docs/matching.md §4).
        when = ["date_of_birth IS NULL"]
        params: list[object] = [*whole_lasts, whole_first]
        if born:
            month_start = born.replace(day=1)
            month_end = (month_start + timedelta(days=31)).replace(day=1) - timedelta(days=1)
            dates: list[object] = [date_value(d) for d in (*same_day_of_year(born), *year_variants(born))]
            when.insert(0, "date_of_birth BETWEEN %s AND %s")
            params += [date_value(month_start), date_value(month_end)]
            if dates:
                when.insert(1, f"date_of_birth IN ({_marks(dates)})")
                params += dates
        keys.append(
            (
                f"last_name_key IN ({_marks(whole_lasts)}) AND first_name_key = %s AND ({' OR '.join(when)})",
                params,
            )
        )
    if email := normalize.email(query.email):
        keys.append(("email = %s", [email]))
    if phone := normalize.phone(query.phone):
        # A household's phone (agency files only: the wizard sends none): a record whose birth
        # date and names both carry a slip, and no SSN, is found through it (docs/matching.md §4).
        keys.append(("phone = %s", [phone]))
    return keys


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
    and surname) neither hides the SSN holder nor crowds out the other keys. Every part is an
    index scan.

    The statement is written here rather than built from querysets: one UNION ALL of up to
    eight parts each with its own LIMIT, and an 80-value IN list for typed dates, cost Django
    several milliseconds to compile on every registration, many times the query itself
    (docs/matching.md §6). Column names are fixed; every value is a parameter."""
    table = connection.ops.quote_name(Person._meta.db_table)
    parts: list[tuple[str, list[object]]] = []
    if strong := strong_key(query, hasher):
        parts.append((f"SELECT *, -1 AS _priority FROM {table} WHERE {strong[0]}", strong[1]))  # noqa: S608
    parts += [
        (f"SELECT *, {i} AS _priority FROM {table} WHERE {where} ORDER BY id LIMIT {MAX_CANDIDATES}", params)  # noqa: S608
        for i, (where, params) in enumerate(weak_keys(query))
    ]
    if not parts:
        return []
    found: Iterable[Person]
    if connection.vendor == "postgresql":  # one round trip
        sql = " UNION ALL ".join(f"({part})" for part, _ in parts)
        found = Person.objects.raw(sql, [p for _, params in parts for p in params])
    else:  # SQLite cannot LIMIT inside a UNION: one statement per key
        found = (person for part, params in parts for person in Person.objects.raw(part, params))
    people: dict[int, Person] = {}
    by_key: dict[int, list[int]] = {}
    rows: dict[int, Person] = {}
    for person in found:
        if person._priority < 0:
            people[person.pk] = person
        else:
            by_key.setdefault(person._priority, []).append(person.pk)
            rows.setdefault(person.pk, person)
    # The keys in turn, strongest first: a crowded key cannot crowd out the others.
    for pk in interleave([by_key[k] for k in sorted(by_key)], exclude=people):
        people[pk] = rows[pk]
    return [Candidate(str(p.pk), identity_of(p)) for p in people.values()]
