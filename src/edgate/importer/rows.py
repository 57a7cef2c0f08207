"""Person files (PRODUCT.md): CSV, UTF-8, a header; known columns, any may be empty, unknown
ones ignored. A bad value rejects its row with a reason, never the file."""

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
from django.views.decorators.debug import sensitive_variables

from edgate.core.validators import clean_name, clean_phone, clean_postcode, clean_ssn, clean_state_id
from edgate.identity import normalize
from edgate.identity.records import Identity

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


class RowError(ValueError):
    """A row that cannot be used; the message names the column and never repeats its value."""


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


def _text(raw: dict[str, str], column: str) -> str:
    value = (raw.get(column) or "").strip()
    if len(value) > MAX_FIELD:
        raise RowError(f"{column}: longer than {MAX_FIELD} characters")
    if _CONTROL.search(value):
        raise RowError(f"{column}: contains control characters")
    if "\ufffd" in value:
        raise RowError(f"{column}: not valid UTF-8")
    return value


def _checked(column: str, value: str, clean) -> str:  # type: ignore[no-untyped-def]
    if not value:
        return ""
    try:
        return clean(value)
    except ValidationError as exc:
        raise RowError(f"{column}: {' '.join(exc.messages)}") from None


@sensitive_variables()
def parse(raw: dict[str, str]) -> Identity:
    first = _checked("first_name", _text(raw, "first_name"), _clean_name)
    last = _checked("last_name", _text(raw, "last_name"), _clean_name)
    if not first and not last:
        raise RowError("first_name, last_name: both empty")
    dob_text = _text(raw, "date_of_birth")
    born = None
    if dob_text:
        try:
            born = date.fromisoformat(dob_text)
        except ValueError:
            raise RowError("date_of_birth: not a date in YYYY-MM-DD form") from None
        if not date(1900, 1, 1) <= born <= date.today():
            raise RowError("date_of_birth: outside 1900 to today")
    email = _text(raw, "email")
    if email and ("@" not in email or " " in email):
        raise RowError("email: not an email address")
    return Identity(
        first_name=first,
        middle_name=_checked("middle_name", _text(raw, "middle_name"), _clean_name),
        last_name=last,
        former_last_name=_checked("former_last_name", _text(raw, "former_last_name"), _clean_name),
        date_of_birth=born,
        ssn=_checked("ssn", _text(raw, "ssn"), clean_ssn),
        state_id=_checked("state_id", _text(raw, "state_id"), clean_state_id),
        street=_text(raw, "street"),
        city=_text(raw, "city"),
        state=_text(raw, "state")[:2].upper(),
        postcode=_checked("postcode", _text(raw, "postcode"), clean_postcode),
        email=normalize.email(email),
        phone=_checked("phone", _text(raw, "phone"), clean_phone),
    )


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
            yield Row(line, row_id, parse(raw))
        except RowError as exc:
            yield Row(line, row_id, None, str(exc))


def open_csv(path: Path) -> TextIO:
    # utf-8-sig: files saved by spreadsheet programs start with a byte-order mark. Bytes that
    # are not UTF-8 become U+FFFD and reject their row only (see _text), not the file.
    return path.open(newline="", encoding="utf-8-sig", errors="replace")
