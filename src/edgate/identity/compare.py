"""Field comparisons. Each returns a Level; `missing` when either side lacks the field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from . import normalize
from .records import Identity


class Level(StrEnum):
    AGREE = "agree"
    CLOSE = "close"
    DIFFER = "differ"
    MISSING = "missing"


FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "ssn",
    "state_id",
    "address",
    "email",
    "phone",
)


def first_name(q: Identity, r: Identity) -> Level:
    qk, rk = normalize.name_key(q.first_name), normalize.name_key(r.first_name)
    if not qk or not rk:
        return Level.MISSING
    if qk == rk:
        return Level.AGREE
    if normalize.first_name_forms(qk) & normalize.first_name_forms(rk):
        return Level.CLOSE
    if JaroWinkler.similarity(qk, rk) >= 0.92 or DamerauLevenshtein.distance(qk, rk) <= 1:
        return Level.CLOSE
    return Level.DIFFER


def last_name(q: Identity, r: Identity) -> Level:
    q_keys = {k for k in (normalize.name_key(q.last_name), normalize.name_key(q.former_last_name)) if k}
    r_keys = {k for k in (normalize.name_key(r.last_name), normalize.name_key(r.former_last_name)) if k}
    if not q_keys or not r_keys:
        return Level.MISSING
    if normalize.name_key(q.last_name) == normalize.name_key(r.last_name):
        return Level.AGREE
    if q_keys & r_keys:  # a married or former name on either side
        return Level.AGREE
    q_tokens = set(normalize.name_tokens(q.last_name))
    r_tokens = set(normalize.name_tokens(r.last_name))
    if q_tokens & r_tokens:  # García-López ~ García
        return Level.CLOSE
    for qk in q_keys:
        for rk in r_keys:
            if normalize.phonetic(qk) == normalize.phonetic(rk) or JaroWinkler.similarity(qk, rk) >= 0.92:
                return Level.CLOSE
    return Level.DIFFER


def date_of_birth(q: Identity, r: Identity) -> Level:
    a, b = q.date_of_birth, r.date_of_birth
    if a is None or b is None:
        return Level.MISSING
    if a == b:
        return Level.AGREE
    if (a.year, a.month, a.day) == (b.year, b.day, b.month):
        return Level.CLOSE  # day and month swapped
    if _one_edit(_iso(a), _iso(b)):
        return Level.CLOSE
    return Level.DIFFER


def _iso(d: date) -> str:
    return d.strftime("%Y%m%d")


def _one_edit(a: str, b: str) -> bool:
    """One digit changed, or two adjacent digits swapped."""
    return len(a) == len(b) and DamerauLevenshtein.distance(a, b) == 1


def ssn_variants(ssn: str) -> set[str]:
    """Every SSN one keystroke away: one digit changed, or two adjacent digits swapped."""
    out: set[str] = set()
    for i, ch in enumerate(ssn):
        for d in "0123456789":
            if d != ch:
                out.add(ssn[:i] + d + ssn[i + 1 :])
    for i in range(len(ssn) - 1):
        if ssn[i] != ssn[i + 1]:
            out.add(ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2 :])
    return out


def ssn(q: Identity, r: Identity, hasher: Callable[[str], str]) -> Level:
    """Compares through keyed hashes when the record holds no plaintext (the database case)."""
    if not q.ssn or not (r.ssn or r.ssn_hash):
        return Level.MISSING
    if r.ssn:
        if q.ssn == r.ssn:
            return Level.AGREE
        return Level.CLOSE if _one_edit(q.ssn, r.ssn) else Level.DIFFER
    if hasher(q.ssn) == r.ssn_hash:
        return Level.AGREE
    if r.ssn_hash in {hasher(v) for v in ssn_variants(q.ssn)}:
        return Level.CLOSE
    return Level.DIFFER


def state_id(q: Identity, r: Identity) -> Level:
    if not q.state_id or not r.state_id:
        return Level.MISSING
    return Level.AGREE if q.state_id == r.state_id else Level.DIFFER


def address(q: Identity, r: Identity) -> Level:
    qs, rs = normalize.street(q.street), normalize.street(r.street)
    qp, rp = normalize.postcode5(q.postcode), normalize.postcode5(r.postcode)
    if not (qs and qp) or not (rs and rp):
        return Level.MISSING
    if qs == rs and qp == rp:
        return Level.AGREE
    if qp == rp and JaroWinkler.similarity(qs, rs) >= 0.85:
        return Level.CLOSE
    return Level.DIFFER


def email(q: Identity, r: Identity) -> Level:
    a, b = normalize.email(q.email), normalize.email(r.email)
    if not a or not b:
        return Level.MISSING
    return Level.AGREE if a == b else Level.DIFFER


def phone(q: Identity, r: Identity) -> Level:
    a, b = normalize.phone(q.phone), normalize.phone(r.phone)
    if not a or not b:
        return Level.MISSING
    return Level.AGREE if a == b else Level.DIFFER


def compare_all(q: Identity, r: Identity, hasher: Callable[[str], str]) -> dict[str, Level]:
    return {
        "first_name": first_name(q, r),
        "last_name": last_name(q, r),
        "date_of_birth": date_of_birth(q, r),
        "ssn": ssn(q, r, hasher),
        "state_id": state_id(q, r),
        "address": address(q, r),
        "email": email(q, r),
        "phone": phone(q, r),
    }
