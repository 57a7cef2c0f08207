"""Field comparisons. Each returns a `Result`: a fine `kind` (what exactly was seen) and the
coarse `level` (agree / close / differ / missing) shown to reviewers.

All comparisons are symmetric when both sides carry the same kind of data; the SSN compares
through keyed hashes when the record side holds no plaintext (the database case).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Result:
    kind: str
    level: Level


_INTERNED: dict[tuple[str, Level], Result] = {}


def result(kind: str, level: Level) -> Result:
    """The one `Result` of this kind and level: they are immutable, and every candidate of every
    query makes eight, so they are made once (a frozen dataclass costs about a microsecond to
    build; an import compares millions of candidates, docs/matching.md §7)."""
    try:
        return _INTERNED[kind, level]
    except KeyError:
        return _INTERNED.setdefault((kind, level), Result(kind, level))


MISSING = result("missing", Level.MISSING)
FIELDS = ("first_name", "last_name", "date_of_birth", "ssn", "state_id", "address", "email", "phone")


def _typo(a: str, b: str) -> bool:
    """One edit apart (for names of 4+ letters), or Jaro-Winkler ≥ 0.94 for longer names."""
    if min(len(a), len(b)) >= 4 and DamerauLevenshtein.distance(a, b) <= 1:
        return True
    return min(len(a), len(b)) >= 6 and JaroWinkler.similarity(a, b) >= 0.94


# Masculine and feminine endings of one name (Daniel ~ Daniela, Mario ~ Maria, Alexander ~
# Alexandra, Francis ~ Frances, Christian ~ Christina, Louis ~ Louise).
_GENDERED_ENDINGS = frozenset(
    {
        ("", "a"),
        ("", "e"),
        ("", "ne"),
        ("", "le"),
        ("o", "a"),
        ("er", "ra"),
        ("us", "a"),
        ("is", "es"),
        ("an", "na"),
    }
)


def _gender_variant(a: str, b: str) -> bool:
    """A typo's distance apart, but as often the names of a brother and his twin sister."""
    if not _typo(a, b):
        return False
    stem = 0
    while stem < min(len(a), len(b)) and a[stem] == b[stem]:
        stem += 1
    ends = (a[stem:], b[stem:])
    return stem >= 3 and (ends in _GENDERED_ENDINGS or ends[::-1] in _GENDERED_ENDINGS)


def first_name(q: Identity, r: Identity) -> Result:
    qk, rk = normalize.name_key(q.first_name), normalize.name_key(r.first_name)
    if not qk or not rk:
        return MISSING
    if qk == rk:
        return result("exact", Level.AGREE)
    variant = _gender_variant(qk, rk)
    q_forms, r_forms = normalize.first_name_forms(qk), normalize.first_name_forms(rk)
    if q_forms & r_forms:
        if qk in r_forms or rk in q_forms or (_typo(qk, rk) and not variant):
            return result("nickname", Level.CLOSE)  # Bill ~ William; Katherine ~ Catherine
        # Two given names of their own that share a short form (Alexander ~ Alexandra through
        # Alex): often two people, boy-and-girl twins among them.
        return result("shared_nickname", Level.CLOSE)
    if variant:
        return result("variant", Level.CLOSE)  # Daniel ~ Daniela, Louis ~ Louise
    if _typo(qk, rk):
        return result("typo", Level.CLOSE)
    if (len(qk) == 1 or len(rk) == 1) and qk[0] == rk[0]:
        return result("initial", Level.CLOSE)
    # First and middle names swapped or merged ("Mary Ann" / "Ann"): token overlap.
    q_tokens = set(normalize.name_tokens(q.first_name)) | set(normalize.name_tokens(q.middle_name))
    r_tokens = set(normalize.name_tokens(r.first_name)) | set(normalize.name_tokens(r.middle_name))
    if {qk, rk} & (q_tokens & r_tokens):
        return result("middle", Level.CLOSE)
    if normalize.phonetic(qk) and normalize.phonetic(qk) == normalize.phonetic(rk):
        return result("phonetic", Level.CLOSE)
    shortest, edits = min(len(qk), len(rk)), DamerauLevenshtein.distance(qk, rk)
    if shortest >= 5 and edits == 2:
        return result("typo2", Level.CLOSE)  # two edits (Christpoher ~ Christopher, Mason ~ Madison)
    if (2 <= shortest <= 3 and edits == 1) or (shortest == 4 and edits == 2):
        # Too short for `typo` (one edit, 4+ letters) or `typo2` (two edits, 5+): Tia ~ Tina,
        # Ean ~ Jean, Cody ~ Chodf. As often two people's names (Ava ~ Eva): rules-5 reads it for
        # one partial rule only (docs/matching.md §3.2 rule 11); earlier versions read `differ`.
        return result("short_typo", Level.CLOSE)
    return result("differ", Level.DIFFER)


def last_name(q: Identity, r: Identity) -> Result:
    ql, rl = normalize.name_key(q.last_name), normalize.name_key(r.last_name)
    if not ql or not rl:
        return MISSING
    if ql == rl:
        return result("exact", Level.AGREE)
    qf, rf = normalize.name_key(q.former_last_name), normalize.name_key(r.former_last_name)
    if (qf and qf in (rl, rf)) or (rf and rf in (ql, qf)):
        return result("former", Level.AGREE)  # a married or former name, declared on one side
    if set(normalize.name_tokens(q.last_name)) & set(normalize.name_tokens(r.last_name)):
        return result("compound", Level.CLOSE)  # García-López ~ García
    if _typo(ql, rl):
        return result("typo", Level.CLOSE)
    if normalize.phonetic(ql) and normalize.phonetic(ql) == normalize.phonetic(rl):
        return result("phonetic", Level.CLOSE)
    return result("differ", Level.DIFFER)


def _iso(d: date) -> str:
    return d.strftime("%Y%m%d")


def _one_edit(a: str, b: str) -> bool:
    """Same length, one digit changed or two adjacent digits swapped."""
    return len(a) == len(b) and DamerauLevenshtein.distance(a, b) == 1


def _digits_near(a: str, b: str) -> Result:
    """Digit-wise comparison of two YYYYMMDD strings when one or both were typed impossibly:
    never `exact` (a value unusable as a date is never proof), at best close."""
    if a == b or _one_edit(a, b):
        # As for real dates: a changed century or decade digit of the year (the first three
        # of YYYYMMDD) may hide a generation (father and son of one name), so rules-3 keeps
        # it apart from a changed last digit of the year, month or day.
        if any(x != y for x, y in zip(a[:3], b[:3], strict=True)):
            return result("one_digit_decade", Level.CLOSE)
        return result("one_digit", Level.CLOSE)
    if a[:4] == b[:4] and a[4:6] == b[6:] and a[6:] == b[4:6]:
        return result("swapped", Level.CLOSE)
    return result("differ", Level.DIFFER)


def date_of_birth(q: Identity, r: Identity) -> Result:
    a, b = q.date_of_birth, r.date_of_birth
    if a is None or b is None:
        # An impossible date kept as its typed digits (identity.records) is compared digit by
        # digit with the other side's date or digits; it is never parsed into a date.
        qd = _iso(a) if a is not None else q.dob_digits
        rd = _iso(b) if b is not None else r.dob_digits
        if qd and rd:
            return _digits_near(qd, rd)
        return MISSING
    if a == b:
        return result("exact", Level.AGREE)
    if (a.year, a.month, a.day) == (b.year, b.day, b.month):
        return result("swapped", Level.CLOSE)
    if _one_edit(_iso(a), _iso(b)):
        # A changed decade or century digit puts the dates 10+ years apart: a generation
        # (father and son of one name) is then possible, so rules-3 tells the two apart.
        return result("one_digit" if abs(a.year - b.year) < 10 else "one_digit_decade", Level.CLOSE)
    return result("differ", Level.DIFFER)


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


def _variants_consistent_with(ssn: str, last4: str) -> list[str]:
    """The one-keystroke variants of `ssn` whose last four digits are `last4` (all, if unknown):
    the record's last four are kept in the clear, so most candidates need no hashing at all.

    Built from the keystrokes that can give those last four rather than by filtering all 89
    variants: a registration is compared with up to 50 namesakes whose SSNs differ, and
    building the 89 to keep none was a third of the matcher's time in a large import."""
    if not last4:
        return sorted(ssn_variants(ssn))
    if len(ssn) != 9 or len(last4) != 4:
        return [v for v in ssn_variants(ssn) if v[-4:] == last4]
    if ssn[5:] == last4:  # the keystroke was in the first five digits
        return [v for v in ssn_variants(ssn) if v[5:] == last4]
    out: set[str] = set()
    for i in range(5, 9):  # one of the last four digits changed
        v = ssn[:i] + last4[i - 5] + ssn[i + 1 :]
        if v[5:] == last4:
            out.add(v)
    for i in range(4, 8):  # two adjacent digits swapped, at least one of them in the last four
        if ssn[i] != ssn[i + 1]:
            v = ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2 :]
            if v[5:] == last4:
                out.add(v)
    return sorted(out)


def _ssn_typo_kind(a: str, b: str) -> str:
    return "one_digit" if sum(x != y for x, y in zip(a, b, strict=True)) == 1 else "transposed"


def ssn(q: Identity, r: Identity, hasher: Callable[[str], str]) -> Result:
    if q.ssn and r.ssn:
        if q.ssn == r.ssn:
            return result("exact", Level.AGREE)
        if _one_edit(q.ssn, r.ssn):
            return result(_ssn_typo_kind(q.ssn, r.ssn), Level.CLOSE)
        return result("differ", Level.DIFFER)
    if q.ssn and r.ssn_hash:
        if hasher(q.ssn) == r.ssn_hash:
            return result("exact", Level.AGREE)
        for variant in _variants_consistent_with(q.ssn, r.ssn_last4):
            if hasher(variant) == r.ssn_hash:
                return result(_ssn_typo_kind(q.ssn, variant), Level.CLOSE)
        return result("differ", Level.DIFFER)
    q4, r4 = q.ssn[-4:] or q.ssn_last4, r.ssn[-4:] or r.ssn_last4
    if q4 and r4:  # one side knows only the last four digits
        return result("last4", Level.CLOSE) if q4 == r4 else result("differ", Level.DIFFER)
    return MISSING


def state_id(q: Identity, r: Identity) -> Result:
    if not q.state_id or not r.state_id:
        return MISSING
    return result("exact", Level.AGREE) if q.state_id == r.state_id else result("differ", Level.DIFFER)


def address(q: Identity, r: Identity) -> Result:
    qs, rs = normalize.street(q.street), normalize.street(r.street)
    qp, rp = normalize.postcode5(q.postcode), normalize.postcode5(r.postcode)
    if not (qs and qp) or not (rs and rp):
        return MISSING
    if qs == rs and qp == rp:
        return result("exact", Level.AGREE)
    if qp == rp and JaroWinkler.similarity(qs, rs) >= 0.85:
        return result("similar", Level.CLOSE)
    return result("differ", Level.DIFFER)


def email(q: Identity, r: Identity) -> Result:
    a, b = normalize.email(q.email), normalize.email(r.email)
    if not a or not b:
        return MISSING
    return result("exact", Level.AGREE) if a == b else result("differ", Level.DIFFER)


def phone(q: Identity, r: Identity) -> Result:
    a, b = normalize.phone(q.phone), normalize.phone(r.phone)
    if not a or not b:
        return MISSING
    return result("exact", Level.AGREE) if a == b else result("differ", Level.DIFFER)


def compare_all(q: Identity, r: Identity, hasher: Callable[[str], str]) -> dict[str, Result]:
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
