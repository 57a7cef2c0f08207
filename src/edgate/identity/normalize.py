"""Canonical forms of names, contact details and identifiers."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jellyfish
from anyascii import anyascii
from nicknames import NickNamer

SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v", "2nd", "3rd"})
_SPLIT = re.compile(r"[\s\-]+")
_NICKNAMES = NickNamer()


def ascii_form(text: str) -> str:
    """Latin letters for a text in any script, by anyascii's transliteration tables (Ольга →
    Ol'ga, Γιώργος → Giorgos, 王小明 → WangXiaoMing, Nguyễn → Nguyen, Ærø → Aero). The same
    transliteration makes User Names (`edgate.accounts.usernames`), so the matcher and the
    User Name read a name alike."""
    text = text or ""
    return text if text.isascii() else anyascii(unicodedata.normalize("NFC", text))


def fold(text: str) -> str:
    """Transliterated and case-folded (José → jose, Петрова → petrova, Øyvind → oyvind)."""
    return ascii_form(text).casefold()


# Names repeat heavily (a million people share a few thousand surnames): the pure name
# functions are memoized. They hold names only, never SSNs or dates of birth.
@lru_cache(maxsize=1 << 16)
def name_tokens(name: str) -> tuple[str, ...]:
    """Folded tokens, punctuation removed inside a token (O'Brien → obrien), suffixes dropped."""
    tokens = []
    for raw in _SPLIT.split(fold(name)):
        token = "".join(ch for ch in raw if ch.isalnum())
        if token and token not in SUFFIXES:
            tokens.append(token)
    return tuple(tokens)


# Transliteration can lengthen a name several times over (60 ideographs → 200+ letters): keys
# are cut to what the Person's key columns hold, so a stored key and a typed one stay equal.
NAME_KEY_MAX = 60


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    return "".join(name_tokens(name))[:NAME_KEY_MAX]


@lru_cache(maxsize=1 << 16)
def phonetic(name: str) -> str:
    key = name_key(name)
    ascii_key = "".join(ch for ch in key if "a" <= ch <= "z")
    return jellyfish.metaphone(ascii_key)[:16].upper() if ascii_key else ""


@lru_cache(maxsize=4096)
def first_name_forms(first: str) -> frozenset[str]:
    """The name, its nicknames and its canonical forms (Bill ~ William ~ Will)."""
    key = name_key(first)
    if not key:
        return frozenset()
    forms = {key}
    forms |= {fold(n) for n in _NICKNAMES.nicknames_of(key)}
    forms |= {fold(n) for n in _NICKNAMES.canonicals_of(key)}
    return frozenset(forms)


def email(value: str) -> str:
    return (value or "").strip().casefold()


def digits(value: str) -> str:
    value = value or ""
    if value.isdigit():  # digits only already (most phone numbers and ZIPs): the same string
        return value
    return "".join(ch for ch in value if ch.isdigit())


@lru_cache(maxsize=1 << 16)
def phone(value: str) -> str:
    d = digits(value)
    return d[1:] if len(d) == 11 and d.startswith("1") else d


STREET_WORDS = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "lane": "ln",
    "boulevard": "blvd",
    "court": "ct",
    "place": "pl",
    "terrace": "ter",
    "circle": "cir",
    "highway": "hwy",
    "parkway": "pkwy",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "apartment": "apt",
    "suite": "ste",
    "unit": "apt",
    "#": "apt",
}


@lru_cache(maxsize=1 << 16)  # the query's side is the same for each of its candidates
def street(value: str) -> str:
    words = re.findall(r"[a-z0-9#]+", fold(value))
    return " ".join(STREET_WORDS.get(w, w) for w in words)


@lru_cache(maxsize=1 << 16)
def postcode5(value: str) -> str:
    return digits(value)[:5]
