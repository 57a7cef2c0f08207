"""User Name schemes and allocation.

A scheme turns a person's names into a base (`jsmith`); allocation appends the smallest
number that makes it unique without regard to case (`jsmith`, `jsmith2`, …).

The default scheme, `first_initial_last_name`, for names in any script:

1. Each name is transliterated to Latin letters by the matcher's own rule
   (`edgate.identity.normalize.ascii_form`, the anyascii tables): Ольга Петрова → opetrova,
   Γιώργος Παπαδόπουλος → gpapadopoylos, 王小明 (given name 小明, family name 王) → xwang,
   Nguyễn Văn An → anguyen. Only letters and marks are read; spaces and hyphens separate words;
   apostrophes, periods and everything else are dropped (O'Brien → obrien); what is left is
   lowercased to a–z.
2. The base is the given name's first letter and then the family name's words, whole, while the
   base stays within MAX_BASE (30) letters: Zoë D'Arcy-Ñúñez de la Torre y Montenegro →
   zdarcynunezdelatorrey (Montenegro would make it 31). Only when the first word of the family
   name is itself too long is it cut, at MAX_BASE.
3. A name with no letters left after transliteration (anyascii has no reading for a few
   thousand rare ideographs and some letters, such as the Arabic ع alone) falls back, in order,
   to: the family name alone when the given name gave nothing; the given name alone when the
   family name gave nothing; and when neither gave two letters, the same rule over the names'
   letters spelled by their Unicode names (ARABIC LETTER AIN → ain, so ع ء → ahamza). A person
   whose names hold a single letter in all gets it doubled (A and no family name → aa). Never a
   placeholder such as `user`: the User Name is always made of the person's own names.

The bulk import allocates through `NameBook` with the same scheme, so one rule makes every name.

On PostgreSQL
allocation holds a transaction-scoped advisory lock on the base, so concurrent sign-ups of
fifty John Smiths queue for a moment instead of colliding; the case-insensitive unique
constraint stays the final guard everywhere.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Callable
from functools import lru_cache

from django.db import connection
from django.utils.module_loading import import_string

from edgate.core import conf
from edgate.identity.normalize import ascii_form

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


_SEPARATORS = re.compile(r"[\s\-]+")
_NOT_LETTER = re.compile("[^a-z]")
_DASHES = frozenset("-‐‑‒–—―")


# Names repeat heavily (a million people share a few thousand surnames): memoized, as the
# matcher's name functions are. It holds names only.
@lru_cache(maxsize=1 << 16)
def _words(text: str) -> tuple[str, ...]:
    """The name's words in lowercase a–z (rule 1 above)."""
    text = unicodedata.normalize("NFC", text or "")
    if not text.isascii():
        text = ascii_form(
            "".join(
                ch if unicodedata.category(ch)[0] in "LM" else " " if ch.isspace() or ch in _DASHES else ""
                for ch in text
            )
        )
    return tuple(w for w in (_NOT_LETTER.sub("", word) for word in _SEPARATORS.split(text.lower())) if w)


def _spelled(text: str) -> tuple[str, ...]:
    """The name's letters spelled by their Unicode names' last word (ARABIC LETTER AIN → ain;
    CJK UNIFIED IDEOGRAPH-2A6D6 → ideograph), for names transliteration leaves empty."""
    words = []
    for ch in text or "":
        if unicodedata.category(ch)[0] == "L":
            spelled = _words(ch) or (
                _NOT_LETTER.sub("", unicodedata.name(ch, "").split(" ")[-1].split("-")[0].lower()),
            )
            words.extend(w for w in spelled if w)
    return ("".join(words),) if words else ()


def _whole_words(words: tuple[str, ...], room: int) -> str:
    """As many whole words as fit in `room` letters; the first word cut only if it alone does not."""
    kept = words[0][:room] if words else ""
    for word in words[1:]:
        if len(kept) + len(word) > room:
            break
        kept += word
    return kept


def first_initial_last_name(first_name: str, last_name: str) -> str:
    """See the module's documentation for the rule and its fallbacks."""
    for spell in (_words, _spelled):
        first, last = spell(first_name), spell(last_name)
        if first and last:
            base = first[0][0] + _whole_words(last, MAX_BASE - 1)
        else:
            base = _whole_words(last or first, MAX_BASE)
        if len(base) >= 2:
            return base
    # One letter in all (a one-letter name and nothing else): doubled to the two letters needed.
    return (base or "x") * 2


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


# Bases repeat (a bulk import allocates a million from a few thousand surnames): checked once each.
@lru_cache(maxsize=1 << 16)
def _assignable_base(base: str) -> bool:
    return canonical(base) == base and could_be_assigned(base)


def next_free(base: str, taken: set[str], *, start: int = 2) -> str:
    """`base` if free, else base2, base3, …: the smallest number that makes it unique.
    `start`: a number below which every one is known to be taken (a shortcut, not a rule).

    Refuses a base that is not plain lowercase ASCII letters (a scheme that let through a
    look-alike letter such as the dotless ı would assign a name that reads as another's)."""
    if not _assignable_base(base):
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
