"""User Name schemes and allocation.

A scheme turns a person's names into a base (`jsmith`); allocation appends the smallest
number that makes it unique without regard to case (`jsmith`, `jsmith2`, …). On PostgreSQL
allocation holds a transaction-scoped advisory lock on the base, so concurrent sign-ups of
fifty John Smiths queue for a moment instead of colliding; the case-insensitive unique
constraint stays the final guard everywhere.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Callable

from django.db import connection
from django.utils.module_loading import import_string

from edgate.core import conf

MAX_BASE = 30
# Every User Name the portal assigns has this form: lowercase ASCII letters, then digits.
ASSIGNED = re.compile(r"[a-z]{2,40}[0-9]*")


def canonical(typed: str) -> str:
    """The one key for every lookup, lock and counter of a typed User Name.

    NFKC folds compatibility forms (fullwidth letters, the Kelvin sign, ſ), case folding
    follows Unicode rather than a database's locale, and the second NFKC closes what folding
    opens. Databases fold case each their own way (PostgreSQL's upper('ı') is 'I'), so a
    lookup that let the database fold could reach an account that the lock, keyed on another
    folding, does not cover. With one key for both, a look-alike either is the same key or
    matches no account at all.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", typed.strip()).casefold())


def could_be_assigned(key: str) -> bool:
    return len(key) <= 40 and ASSIGNED.fullmatch(key) is not None


def _ascii_letters(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if "a" <= ch.lower() <= "z").lower()


def first_initial_last_name(first_name: str, last_name: str) -> str:
    first = _ascii_letters(first_name)[:1]
    last = _ascii_letters(last_name)
    base = (first + last)[:MAX_BASE]
    return base if len(base) >= 2 else f"user{base}"


def scheme() -> Callable[[str, str], str]:
    return import_string(conf.get().username_scheme)


# Bulk imports allocate User Names in memory and write them with COPY: while a batch is
# written it holds IMPORT_LOCK exclusively, and every single allocation holds it shared.
LOCK_NAMESPACE, IMPORT_LOCK = 0x6564, 0


def lock_base(base: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [LOCK_NAMESPACE + 1, IMPORT_LOCK])
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, zlib.crc32(base.encode()) - 2**31]
            )


def lock_for_bulk_import() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE + 1, IMPORT_LOCK])


def next_free(base: str, taken: set[str], *, start: int = 2) -> str:
    """`base` if free, else base2, base3, …: the smallest number that makes it unique.
    `start`: a number below which every one is known to be taken (a shortcut, not a rule).

    Refuses a base that is not plain lowercase ASCII letters (a scheme that let through a
    look-alike letter such as the dotless ı would assign a name that reads as another's)."""
    if canonical(base) != base or not could_be_assigned(base):
        raise ValueError(f"a User Name base must be 2-30 lowercase ASCII letters, not {base!r}")
    if base not in taken:
        return base
    n = start
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def taken_for(base: str, existing: list[str]) -> set[str]:
    pattern = re.compile(rf"^{re.escape(base)}\d*$")
    return {name.lower() for name in existing if pattern.match(name.lower())}


class NameBook:
    """User Names allocated in memory by the same rule as a single allocation (`next_free` over
    every taken name, without regard to case), for loaders that write many Profiles at once."""

    def __init__(self) -> None:
        self.scheme = scheme()
        self.taken: set[str] = set()
        # Per base, the number to start from: every smaller one is taken, and names are never
        # freed, so a file of 10,000 John Smiths stays linear.
        self._start: dict[str, int] = {}

    def note(self, username: str) -> None:
        self.taken.add(username.lower())

    def allocate(self, first_name: str, last_name: str) -> str:
        base = self.scheme(first_name, last_name)
        name = next_free(base, self.taken, start=self._start.get(base, 2))
        if name != base:
            self._start[base] = int(name[len(base) :]) + 1
        self.taken.add(name)
        return name
