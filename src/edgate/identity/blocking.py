"""Blocking keys: which records are worth comparing with a query. The database uses the
same keys through indexed columns (edgate.matching.candidates); `edgate link --against`
and the evaluation use `MemoryIndex`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date
from functools import lru_cache
from typing import TypeVar

from . import normalize
from .records import Candidate, Identity

MAX_CANDIDATES = 50
T = TypeVar("T")


def swapped(d: date) -> date | None:
    if d.day > 12 or d.day == d.month:
        return None
    try:
        return d.replace(month=d.day, day=d.month)
    except ValueError:
        return None


def digit_variants(digits: str) -> set[str]:
    """The 8-digit strings one keystroke from `digits` (one digit changed, two adjacent digits
    swapped), and with month and day swapped: how a date is mistyped (compare.date_of_birth)."""
    out = {digits[:4] + digits[6:] + digits[4:6]}
    for i, ch in enumerate(digits):
        out.update(digits[:i] + d + digits[i + 1 :] for d in "0123456789" if d != ch)
    for i in range(len(digits) - 1):
        out.add(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])
    out.discard(digits)
    return out


def year_variants(d: date, today: date | None = None) -> list[date]:
    """The same month and day in the years one keystroke from `d`'s (one digit changed, two
    adjacent digits swapped), from 1900 to today: a birth year mistyped on one side. With the
    whole name, the key that finds a record whose year alone differs (docs/matching.md §4)."""
    out = []
    for y in _variant_years(d.year, (today or date.today()).year):
        try:
            out.append(d.replace(year=y))
        except ValueError:  # 29 February in a year without it
            continue
    return out


def same_day_of_year(d: date) -> list[date]:
    """The same day of the month in the other months of `d`'s year (those that have it): a birth
    month mistyped on one side. With the whole name (docs/matching.md §4)."""
    out = []
    for month in range(1, 13):
        if month != d.month:
            try:
                out.append(d.replace(month=month))
            except ValueError:  # 31 April, 30 February
                continue
    return out


@lru_cache(maxsize=512)
def _variant_years(birth_year: int, this_year: int) -> tuple[int, ...]:
    """The years one keystroke from `birth_year`, from 1900 to `this_year`, in order (a
    registration's blocking keys and every row of an import ask for them: built once per year)."""
    year = f"{birth_year:04d}"
    years = {year[:i] + c + year[i + 1 :] for i in range(4) for c in "0123456789"}
    years |= {year[:i] + year[i + 1] + year[i] + year[i + 2 :] for i in range(3)}
    return tuple(y for y in sorted(int(v) for v in years - {year}) if 1900 <= y <= this_year)


def _as_date(digits: str) -> date | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def typed_dates(digits: str) -> list[date]:
    """The real dates an impossible typed date of birth (YYYYMMDD digits, identity.records)
    may have meant: the digits as they stand when they make a date (a look-alike letter, a year
    out of range), month and day swapped (1984-14-03 → 1984-03-14), one digit changed or two
    adjacent digits swapped (1984-11-31 → 1984-11-30) — the comparison's near kinds. For blocking
    only, on the record side (a dirty record is rare; the query side stays one date and its
    swap): the comparison stays digit by digit (compare.date_of_birth)."""
    if len(digits) != 8 or not (digits.isascii() and digits.isdigit()):
        return []
    found = (_as_date(v) for v in sorted({digits} | digit_variants(digits)))
    return [d for d in found if d is not None and d.year >= 1900]


def _dobs(identity: Identity) -> list[date]:
    if identity.date_of_birth:
        return [identity.date_of_birth]
    return typed_dates(identity.dob_digits)


def query_date(identity: Identity) -> date | None:
    """The one date a query is blocked under: its date of birth, or for typed digits the date
    they make as they stand, else with month and day swapped."""
    if identity.date_of_birth or not identity.dob_digits:
        return identity.date_of_birth
    digits = identity.dob_digits
    return _as_date(digits) or _as_date(digits[:4] + digits[6:] + digits[4:6])


def _whole_name_record_keys(r: Identity) -> set[str]:
    """The whole name (last name and first name keys as they stand) with the birth year and
    month, with the birth year and day, with the date itself, or with no date of birth at all:
    what the database's (last_name_key, first_name_key, date_of_birth) index serves
    (matching.candidates)."""
    last, first = normalize.name_key(r.last_name), normalize.name_key(r.first_name)
    if not (last and first):
        return set()
    if r.date_of_birth is None:
        return {f"n0:{last}:{first}"}
    born = r.date_of_birth
    return {
        f"nm:{last}:{first}:{born.year}-{born.month}",
        f"ny:{last}:{first}:{born.year}:{born.day}",
        f"nd:{last}:{first}:{born.isoformat()}",
    }


@lru_cache(maxsize=1 << 16)
def _year_variant_isos(born: date, this_year: int) -> tuple[str, ...]:
    """`year_variants` as ISO strings, per birth date: every row of an import asks for them, and a
    million rows hold some 36,000 birth dates."""
    return tuple(d.isoformat() for d in year_variants(born, date(this_year, 1, 1)))


def _whole_name_query_keys(q: Identity, born: date | None) -> list[str]:
    """A record of the same whole name born the same year and month (the day mistyped on one
    side), the same year and day (the month mistyped), on the same month and day a year one
    keystroke away, or with no usable date of birth. Not the same year alone: a common name
    would bring every namesake born that year, each compared in full (docs/matching.md §4, §7)."""
    first = normalize.name_key(q.first_name)
    lasts = sorted({normalize.name_key(q.last_name), normalize.name_key(q.former_last_name)} - {""})
    keys: list[str] = []
    for last in lasts if first else ():
        if born:
            keys.append(f"nm:{last}:{first}:{born.year}-{born.month}")
            keys.append(f"ny:{last}:{first}:{born.year}:{born.day}")
            nd = f"nd:{last}:{first}:"  # then each of some 20 dates: one concatenation each
            keys += [nd + iso for iso in _year_variant_isos(born, date.today().year)]
        keys.append(f"n0:{last}:{first}")
    return keys


Hasher = Callable[[str], str]
STRONG_PREFIXES = ("ssn:", "sid:")


def _ssn_key(ssn: str, hasher: Hasher | None) -> str:
    return f"ssn:{hasher(ssn)}" if hasher else f"ssn:{ssn}"


def record_keys(r: Identity, hasher: Hasher | None = None, *, state_id: bool = True) -> set[str]:
    """With a hasher, SSNs are keyed by their lookup hash (what the database stores).
    `state_id=False`: without the state ID's key (a bulk import may draw another for the row)."""
    keys: set[str] = set()
    if r.ssn_hash and hasher:
        keys.add(f"ssn:{r.ssn_hash}")
    elif r.ssn:
        keys.add(_ssn_key(r.ssn, hasher))
    if r.state_id and state_id:
        keys.add(f"sid:{r.state_id}")
    for born in _dobs(r):
        dob = born.isoformat()
        for last in {normalize.name_key(r.last_name), normalize.name_key(r.former_last_name)} - {""}:
            keys.add(f"dl:{dob}:{last}")
        if sound := normalize.phonetic(r.last_name):
            keys.add(f"pd:{sound}:{dob}")
        if first := normalize.name_key(r.first_name):
            keys.add(f"df:{dob}:{first}")
    keys |= _whole_name_record_keys(r)
    if email := normalize.email(r.email):
        keys.add(f"em:{email}")
    if phone := normalize.phone(r.phone):
        keys.add(f"ph:{phone}")
    return keys


def query_keys(q: Identity, hasher: Hasher | None = None) -> list[str]:
    """Keys in priority order (SSN, state ID, then the weaker ones), without duplicates."""
    keys: dict[str, None] = {}
    if q.ssn:
        # The SSN itself only: a one-keystroke SSN typo is found through the name and birth
        # date keys below (it takes a second error there to miss it) and classified by
        # compare.ssn, which hashes only the variants the record's last four digits allow.
        keys[_ssn_key(q.ssn, hasher)] = None
    if q.state_id:
        keys[f"sid:{q.state_id}"] = None
    if born := query_date(q):
        dobs = [d.isoformat() for d in (born, swapped(born)) if d]
        lasts = sorted({normalize.name_key(q.last_name), normalize.name_key(q.former_last_name)} - {""})
        for dob in dobs:
            keys.update((f"dl:{dob}:{last}", None) for last in lasts)
        if first := normalize.name_key(q.first_name):
            keys.update((f"df:{dob}:{first}", None) for dob in dobs)
        if sound := normalize.phonetic(q.last_name):
            keys[f"pd:{sound}:{dobs[0]}"] = None
    keys.update(dict.fromkeys(_whole_name_query_keys(q, born)))
    if email := normalize.email(q.email):
        keys[f"em:{email}"] = None
    if phone := normalize.phone(q.phone):
        keys[f"ph:{phone}"] = None
    return list(keys)


class MemoryIndex:
    """Records held in memory, looked up by blocking key (no database).

    Without a hasher SSNs are keyed in the clear (two person files); with one, by lookup hash,
    so records read from the database (which hold only the hash) can be indexed too.
    """

    def __init__(self, hasher: Hasher | None = None) -> None:
        self.hasher = hasher
        self.records: dict[str, Identity] = {}
        self.index: dict[str, list[str]] = defaultdict(list)

    def add(self, record_id: str, identity: Identity, keys: Iterable[str] | None = None) -> None:
        """`keys`: the record's `record_keys` with the index's hasher, computed ahead (a bulk
        import's second process), each once."""
        self.records[record_id] = identity
        for key in record_keys(identity, self.hasher) if keys is None else keys:
            self.index[key].append(record_id)

    def candidates(
        self, query: Identity, hasher: Hasher | None = None, keys: Sequence[str] | None = None
    ) -> list[Candidate]:
        """Every record sharing the query's SSN or state ID, then at most MAX_CANDIDATES more
        through the weaker keys, taken in turn (`interleave`): a crowded key (hundreds of people
        sharing an email or a birth date and surname) never hides the strongest evidence, nor
        crowds out the other keys.

        `hasher` may be a memoizing wrapper of the index's own (same hashes, computed once);
        `keys`, the query's `query_keys` with the index's hasher computed ahead (a bulk import's
        second process)."""
        strong: dict[str, None] = {}
        weak: list[list[str]] = []
        if keys is None:
            keys = query_keys(query, (hasher or self.hasher) if self.hasher else None)
        for key in keys:
            if not (ids := self.index.get(key)):
                continue
            if key.startswith(STRONG_PREFIXES):
                strong.update(dict.fromkeys(ids))
            else:
                weak.append(ids)
        found = strong | dict.fromkeys(interleave(weak, exclude=strong))
        return [Candidate(rid, self.records[rid]) for rid in found]


def interleave(groups: list[list[T]], *, exclude: Collection[T] = (), limit: int = MAX_CANDIDATES) -> list[T]:
    """Up to `limit` distinct items, taking the first of each group in turn (strongest group
    first), then the second of each, and so on: no group can crowd the others out. (A group
    holds each item once: one index key lists a record once.)"""
    if len(groups) == 1:  # the usual case: one key found anything
        return [item for item in groups[0][: limit + len(exclude)] if item not in exclude][:limit]
    out: dict[T, None] = {}
    for rank in range(limit):
        more = False
        for group in groups:
            if rank < len(group):
                more = True
                if group[rank] not in exclude:
                    out.setdefault(group[rank])
                    if len(out) >= limit:
                        return list(out)
        if not more:
            break
    return list(out)


def memo(hasher: Hasher, known: dict[str, str] | None = None) -> Hasher:
    """A per-query cache: blocking and comparison hash the same 90 SSN forms only once.
    `known`: hashes already computed (by `hasher`), value → hash."""
    cache: dict[str, str] = dict(known) if known else {}

    def cached(value: str) -> str:
        if value not in cache:
            cache[value] = hasher(value)
        return cache[value]

    return cached
