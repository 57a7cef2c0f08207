"""Person files (PRODUCT.md): CSV, UTF-8, a header; known columns, any may be empty, unknown
ones ignored.

Dirty records are kept (docs/matching.md §7): a bad value makes its field *unusable* — empty in
the Identity, named in `Identity.unusable`, its reason in `Row.problems` ("column: reason",
never the value) and its raw text in `Row.unusable_raw` for the administrator. An impossible
but plausibly typed date of birth keeps its digits (`Identity.dob_digits`), compared digit by
digit and never parsed into a date. A row is rejected only when nothing usable identifies a
person: no usable first or last name, SSN or state ID (or more cells than the header)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TextIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.views.decorators.debug import sensitive_variables

from edgate.core.validators import clean_name, clean_phone, clean_postcode, clean_ssn, clean_state_id
from edgate.identity import normalize
from edgate.identity.records import Identity
from edgate.people.models import Person
from edgate.people.quality import REASONS

COLUMNS = (
    "id",
    "first_name",
    "middle_name",
    "last_name",
    "former_last_name",
    "date_of_birth",
    "ssn",
    "state_id",
    "street",
    "city",
    "state",
    "postcode",
    "email",
    "phone",
)
MAX_FIELD = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Valid names repeat across a file; validating each distinct one once is enough.
_clean_name = lru_cache(maxsize=1 << 16)(clean_name)
# What a person record can hold (longer is unusable, never a database error).
LIMITS = {
    name: Person._meta.get_field(name).max_length or MAX_FIELD
    for name in ("first_name", "middle_name", "last_name", "former_last_name", "street", "city", "email")
}
# A date of birth as typed: YYYY-MM-DD (or / . or no separator), once look-alikes are mapped.
_TYPED_DATE = re.compile(r"(\d{4})[-/.]?(\d{2})[-/.]?(\d{2})")
_LOOKALIKES = str.maketrans({"l": "1", "I": "1", "|": "1", "!": "1", "O": "0", "o": "0"})
EARLIEST_BIRTH = date(1900, 1, 1)


class RowError(ValueError):
    """A row that cannot be used; the message names the column and never repeats its value."""


class Unusable(ValueError):
    """One field that cannot be used for matching: a reason code and the words for the report."""

    def __init__(self, code: str, words: str = "") -> None:
        super().__init__(code)
        self.code, self.words = code, words or str(REASONS[code])


@dataclass(frozen=True)
class Row:
    line: int
    row_id: str
    identity: Identity | None
    error: str = ""
    # Per unusable field, "column: reason" — never the value (the report and link result show it).
    problems: tuple[str, ...] = ()
    # The raw text of each unusable field (Identity field name → value as read), kept for the
    # administrator's data-quality record (encrypted there). Personal data: never printed.
    unusable_raw: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    # Identity field name → reason code (people.quality.REASONS), for the data-quality record.
    reasons: tuple[tuple[str, str], ...] = ()


def _text(raw: dict[str, str], column: str) -> str:
    value = (raw.get(column) or "").strip()
    if len(value) > LIMITS.get(column, MAX_FIELD):
        raise Unusable("too_long", f"longer than {LIMITS.get(column, MAX_FIELD)} characters")
    if _CONTROL.search(value):
        raise Unusable("control")
    if "\ufffd" in value:
        raise Unusable("encoding")
    return value


def _checked(value: str, clean) -> str:  # type: ignore[no-untyped-def]
    if not value:
        return ""
    try:
        return clean(value)
    except ValidationError as exc:
        raise Unusable("invalid", " ".join(exc.messages)) from None


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise Unusable("invalid", "not an email address") from None
    return normalize.email(value)


def _state(value: str) -> str:
    if value and not (len(value) == 2 and value.isascii() and value.isalpha()):
        raise Unusable("invalid", "not a two-letter state code")
    return value.upper()


@sensitive_variables()
def typed_date(text: str, *, today: date | None = None) -> tuple[date | None, str]:
    """A date of birth as (date, "") when it is a real date from 1900 to today written
    YYYY-MM-DD (or with / or . or no separators); else (None, its 8 digits YYYYMMDD as typed,
    look-alike letters mapped) when it is plausibly a typed date; else raises Unusable."""
    mapped = text.translate(_LOOKALIKES)
    typed = _TYPED_DATE.fullmatch(mapped)
    if typed is None:
        raise Unusable("not_a_date")
    digits = "".join(typed.groups())
    if mapped == text:
        try:
            born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            born = None
        if born is not None and EARLIEST_BIRTH <= born <= (today or date.today()):
            return born, ""
    return None, digits


def _dob_reason(text: str, digits: str) -> Unusable:
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return Unusable("impossible_date")
    if text.translate(_LOOKALIKES) != text:
        return Unusable("lookalike")
    return Unusable("out_of_range")


# Columns in the order the report names them, each with its cleaner (raw text → clean value).
_CLEANERS = {
    "first_name": lambda v: _checked(v, _clean_name),
    "middle_name": lambda v: _checked(v, _clean_name),
    "last_name": lambda v: _checked(v, _clean_name),
    "former_last_name": lambda v: _checked(v, _clean_name),
    "ssn": lambda v: _checked(v, clean_ssn),
    "state_id": lambda v: _checked(v, clean_state_id),
    "street": lambda v: v,
    "city": lambda v: v,
    "state": _state,
    "postcode": lambda v: _checked(v, clean_postcode),
    "email": _email,
    "phone": lambda v: _checked(v, clean_phone),
}


@dataclass(frozen=True)
class Parsed:
    identity: Identity
    problems: tuple[str, ...] = ()
    unusable_raw: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    reasons: tuple[tuple[str, str], ...] = ()


def identifies_someone(identity: Identity) -> bool:
    """The rule for rejecting a row (docs/matching.md §7): a row is kept when it has a usable
    first or last name, or a usable SSN, or a usable state ID; rejected only without any."""
    return bool(identity.first_name or identity.last_name or identity.ssn or identity.state_id)


@sensitive_variables()
def parse(raw: dict[str, str]) -> Parsed:
    """Every column cleaned; a bad value makes its field unusable (empty in the Identity, named
    in `unusable`, its raw text kept aside), never the row. Raises RowError only when nothing
    usable identifies a person."""
    values: dict[str, object] = {}
    problems: list[str] = []
    unusable_raw: list[tuple[str, str]] = []
    reasons: list[tuple[str, str]] = []

    def bad(column: str, value: str, problem: Unusable) -> None:
        problems.append(f"{column}: {problem.words}")
        unusable_raw.append((column, value))
        reasons.append((column, problem.code))

    for column in ("first_name", "middle_name", "last_name", "former_last_name", "date_of_birth", *_CLEANERS):
        if column in values:
            continue
        value = (raw.get(column) or "").strip()
        try:
            text = _text(raw, column)
            if column == "date_of_birth":
                values[column] = None
                if text:
                    born, typed = typed_date(text)
                    values[column] = born
                    if typed:
                        values["dob_digits"] = typed
                        raise _dob_reason(text, typed)
            else:
                values[column] = _CLEANERS[column](text)
        except Unusable as problem:
            values[column] = None if column == "date_of_birth" else ""
            bad(column, value, problem)
    identity = Identity(
        **values,  # type: ignore[arg-type]
        unusable=frozenset(name for name, _ in reasons),
    )
    if not identifies_someone(identity):
        why = "; ".join(problems) or "first_name, last_name: both empty"
        raise RowError(f"no usable name, SSN or state ID ({why})")
    return Parsed(identity, tuple(problems), tuple(unusable_raw), tuple(reasons))


def read(handle: TextIO) -> Iterator[Row]:
    reader = csv.DictReader(handle)
    if reader.fieldnames is None:
        return
    missing_id = "id" not in reader.fieldnames
    for raw in reader:
        line = reader.line_num
        row_id = (raw.get("id") or "").strip() if not missing_id else str(line)
        if None in raw:  # more cells than header columns
            yield Row(line, row_id, None, "row: more cells than the header has columns")
            continue
        try:
            parsed = parse(raw)
        except RowError as exc:
            yield Row(line, row_id, None, str(exc))
            continue
        yield Row(line, row_id, parsed.identity, "", parsed.problems, parsed.unusable_raw, parsed.reasons)


def open_csv(path: Path) -> TextIO:
    # utf-8-sig: files saved by spreadsheet programs start with a byte-order mark. Bytes that
    # are not UTF-8 become U+FFFD and reject their row only (see _text), not the file.
    return path.open(newline="", encoding="utf-8-sig", errors="replace")
