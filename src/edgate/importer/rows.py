"""Person files (PRODUCT.md): CSV, UTF-8, a header; known columns, any may be empty, unknown
ones ignored.

Dirty records are kept (docs/matching.md §7): a bad value makes its field *unusable* — empty in
the Identity, named in `Identity.unusable`, its reason in `Row.problems` ("column: reason",
never the value) and its raw text in `Row.unusable_raw` for the administrator. An impossible
but plausibly typed date of birth keeps its digits (`Identity.dob_digits`), compared digit by
digit and never parsed into a date. A row is rejected only when nothing usable identifies a
person: no usable first or last name, SSN or state ID (or more cells than the header), or
when its line is not CSV (`read`: one row a line)."""

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


_BAD_CHARACTER = re.compile(r"[\x00-\x1f\x7f\ufffd]")


def _problem_of(value: str, limit: int) -> Unusable | None:
    if "\n" in value or "\r" in value:  # a cell over several lines that `read` kept (_one_record)
        return Unusable("line_break")
    if len(value) > limit:
        return Unusable("too_long", f"longer than {limit} characters")
    if _BAD_CHARACTER.search(value):
        return Unusable("encoding" if "\ufffd" in value else "control")
    return None


def _plain(value: str) -> str:
    return value


def _email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError:
        raise Unusable("invalid", "not an email address") from None
    return normalize.email(value)


def _state(value: str) -> str:
    if not (len(value) == 2 and value.isascii() and value.isalpha()):
        raise Unusable("invalid", "not a two-letter state code")
    return value.upper()


class TypedDate(Unusable):
    """An impossible date of birth kept as its typed digits."""

    def __init__(self, code: str, digits: str) -> None:
        super().__init__(code)
        self.digits = digits


@sensitive_variables()
def typed_date(text: str, *, today: date | None = None) -> tuple[date | None, str]:
    """A date of birth as (date, "") when it is a real date from 1900 to today written
    YYYY-MM-DD (or with / or . or no separators); else (None, its 8 digits YYYYMMDD as typed,
    look-alike letters mapped) when it is plausibly a typed date; else raises Unusable."""
    mapped = text.translate(_LOOKALIKES)
    typed = _TYPED_DATE.fullmatch(mapped)
    if typed is None or not mapped.isascii():
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


@sensitive_variables()
def _date_of_birth(text: str) -> date:
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # the usual form, quickly
        try:
            born = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            if EARLIEST_BIRTH <= born <= date.today():
                return born
    born_or_none, digits = typed_date(text)
    if born_or_none is not None:
        return born_or_none
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise TypedDate("impossible_date", digits) from None
    if text.translate(_LOOKALIKES) != text:
        raise TypedDate("lookalike", digits)
    raise TypedDate("out_of_range", digits)


# Every column in the order the report names them: its length limit and its cleaner (raw text
# → clean value, or ValidationError / Unusable).
_COLUMNS = tuple(
    (column, LIMITS.get(column, MAX_FIELD), clean)
    for column, clean in (
        ("first_name", _clean_name),
        ("middle_name", _clean_name),
        ("last_name", _clean_name),
        ("former_last_name", _clean_name),
        ("date_of_birth", _date_of_birth),
        ("ssn", clean_ssn),
        ("state_id", clean_state_id),
        ("street", _plain),
        ("city", _plain),
        ("state", _state),
        ("postcode", clean_postcode),
        ("email", _email),
        ("phone", clean_phone),
    )
)


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
def parse(raw: dict[str, str], *, agency_file: bool = False) -> Parsed:
    """Every column cleaned; a bad value makes its field unusable (empty in the Identity, named
    in `unusable`, its raw text kept aside), never the row. Raises RowError only when nothing
    usable identifies a person. `agency_file`: the Identity's (True for a row of a file being
    imported, the query the matcher then sees)."""
    values: dict[str, object] = {}
    bad: list[tuple[str, str, Unusable]] = []
    for column, limit, clean in _COLUMNS:
        value = raw.get(column)
        if not value or not (value := value.strip()):
            continue
        problem = _problem_of(value, limit)
        if problem is None:
            try:
                values[column] = clean(value)
                continue
            except ValidationError as exc:
                problem = Unusable("invalid", " ".join(exc.messages))
            except Unusable as exc:
                problem = exc
        if isinstance(problem, TypedDate):
            values["dob_digits"] = problem.digits
        bad.append((column, value, problem))
    if not bad:
        identity = Identity(**values, agency_file=agency_file)  # type: ignore[arg-type]
        if not identifies_someone(identity):
            raise RowError("no usable name, SSN or state ID (first_name, last_name: both empty)")
        return Parsed(identity)
    identity = Identity(
        **values,  # type: ignore[arg-type]
        unusable=frozenset(column for column, _, _ in bad),
        agency_file=agency_file,
    )
    problems = tuple(f"{column}: {problem.words}" for column, _, problem in bad)
    if not identifies_someone(identity):
        raise RowError(f"no usable name, SSN or state ID ({'; '.join(problems)})")
    return Parsed(
        identity,
        problems,
        tuple((column, value) for column, value, _ in bad),
        tuple((column, problem.code) for column, _, problem in bad),
    )


class BrokenFile(ValueError):
    """A quote opened and never closed (to the end of the file, or within csv's field limit): the
    rest of the file would be one cell, so no row can be read from that line on. The message
    names the line, never a value."""


def _span(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}–{last}"


def _unread(first: int, last: int) -> str:
    return "the row is not read" if first == last else "no row on these lines is read"


def _not_csv(exc: csv.Error, first: int, last: int) -> str:
    """Why a record is not CSV, for its row's report (csv's own words quote no value)."""
    text = str(exc)
    if text.startswith("field larger than field limit"):
        why = f"a cell longer than {csv.field_size_limit()} characters"
    elif "expected after" in text and first == last:
        why = "a quote in the middle of a cell (one inside a cell is written twice)"
    elif "expected after" in text:
        why = f"a quote opened on line {first} or after ends in the middle of a cell on line {last}"
    else:
        why = text
    return f"not CSV on {_span(first, last)}: {why}; {_unread(first, last)}"


# A quoted cell over several lines is kept as its person's (an address typed on two lines,
# Alt+Enter in a spreadsheet) only on at most this many lines, the record's own first one
# included: a street, its unit or building, a care-of line, at most four lines as a US address
# is written. More is not an address; and every line more is room for another row.
CELL_LINES = 4


def _one_record(width: int, cells: list[str], first: int, last: int) -> bool:
    """Whether a record over several lines (lines `first` to `last`) is one person's with a
    cell typed over several lines, rather than a quote left open that a later quote closed by
    chance, the lines between swallowed into one cell (other people's rows, their SSNs).

    Kept only when all three hold:
    - exactly the header's number of cells (`width`): a row may have fewer, but in a record
      over several lines the count is the one check of where it ends;
    - at most CELL_LINES lines;
    - no line of a cell over several lines looks like part of a row: none holds the separator
      or a quote. A row of a file whose header has two columns or more has a separator in it
      as soon as it holds more than its first cell; a quoted cell of a swallowed row closes
      the open quote where it starts (strict csv then rejects the record, a letter following
      the quote) and an empty one ("") leaves a quote and a separator in the cell. Swallowed
      whole rows, with every cell the header has (a spreadsheet or database export writes them
      all), put width - 1 separators in the cell: the cells the first line has after the open
      quote and the last line before the quote that closes it make up one row's worth (the
      count above), and every line between is a whole row. An address's own comma
      ("Unit 3, Building B") rejects it too: the row is then rejected as before, never kept
      with other people's text.
    What this cannot tell apart (docs/matching.md §7): short rows (fewer cells than the
    header) where the first ends just after an open quote and the next starts with a quote
    closing it after its first cell ("q1,\"Ann" then "a2\",Lee,…"): two malformed lines, each
    in the one place that lines the cells up."""
    if len(cells) != width or last - first + 1 > CELL_LINES:
        return False
    return not any("," in cell or '"' in cell for cell in cells if "\n" in cell or "\r" in cell)


def _over_lines(header: list[str], cells: list[str], first: int, last: int) -> Row:
    """A record over several lines that `_one_record` does not keep: an unclosed quote puts the
    rows after it into one cell, so the row is rejected whole and none of its text is kept (it
    may be other rows'). Its id is given when it comes before every cell with a line break
    (then it is the row's own)."""
    broken = [i for i, cell in enumerate(cells) if "\n" in cell or "\r" in cell]
    names = ", ".join(header[i] if i < len(header) else "a cell beyond the header" for i in broken) or "?"
    index = max((i for i, name in enumerate(header) if name == "id"), default=-1)  # as dict(zip()) takes it
    row_id = str(first) if index < 0 else cells[index].strip() if index < min(broken, default=0) else ""
    error = (
        f"{_span(first, last)} are one row: a line break inside a quoted cell ({names}), a quote "
        f"left open?; one is kept only in a row with the header's number of cells, on at most "
        f"{CELL_LINES} lines, with no comma or quote in it, so {_unread(first, last)}"
    )
    return Row(first, row_id, None, error)


# What a lone CR inside a line stands for while csv reads the line (csv would end the record
# there); each cell of that record gets its CR back. A NUL already in such a record becomes a CR
# too: either makes its field unusable, only the reason differs.
_CR_HELD = "\x00"


def _lines(handle: TextIO, held: list[int]) -> Iterator[str]:
    """The lines of a file opened with newline="" (`open_csv`, where a lone CR ends a line as LF
    and CRLF do). The first line that is not blank tells the file's line ends: a CR-only file (a
    classic Mac "CSV (Macintosh)") is read as it is, a line at each CR. In any other a line ends
    at LF or CRLF only: a lone CR inside a line (a stray one in a cell) is held as `_CR_HELD`, so
    that csv does not end the row there (half a person imported, the rest of the line a row of
    its own, its first cell — an SSN's digits — reported as that row's id); `held[0]` counts the
    lines where one was. CRs just before a line's end are part of it ("\r\r\n", text mode on
    Windows writing csv's "\r\n")."""
    lines = iter(handle)
    for line in lines:
        if not line.strip("\r\n"):  # blank before the first line that is not
            yield line
            continue
        if line[-1:] == "\r":
            after = next(lines, "")
            if after.strip("\r\n") or not after:
                yield line  # a CR-only file: a line at each CR
                if after:
                    yield after
                yield from lines
                return
            line = line.rstrip("\r") + after  # "\r\r\n"
        yield line
        break
    parts: list[str] = []
    for line in lines:
        if line[-1:] == "\r":  # a lone CR (newline="" keeps a CRLF together)
            parts.append(line[:-1])
            continue
        if parts:
            body = line.rstrip("\r\n")
            end = line[len(body) :]
            line = _CR_HELD.join([*parts, body]).rstrip(_CR_HELD) + end
            parts.clear()
            held[0] += 1
        yield line
    if parts:  # the file ends with a lone CR
        held[0] += 1
        yield _CR_HELD.join(parts).rstrip(_CR_HELD)


def read(handle: TextIO, *, agency_file: bool = False) -> Iterator[Row]:
    """The rows of a person file, in order. `agency_file`: True for `edgate import` (each row's
    Identity is then the matcher's query as it is, built once), False for `edgate link`.

    Each row is a line: a record that is not CSV (a stray quote, a cell over csv's field limit)
    or runs over several lines is rejected with its lines, and the rows after it are read;
    except a cell typed over several lines that `_one_record` keeps: the row is then its
    person's, on its first line, that field unusable ("line break in the cell", its raw text
    kept like any unusable value's).
    Strict quoting: a quote that ends in the middle of a cell is an error, not glued text. A
    quote never closed to the end of the file raises BrokenFile (no row is read from its line
    on), where csv's default read the rest of the file silently into one cell; so does a cell
    over several lines longer than csv's field limit (a quote left open in a big file)."""
    held = [0]  # lines where `_lines` held a lone CR
    seen = 0
    reader = csv.reader(_lines(handle, held), strict=True)
    start = 1  # the header's line
    try:
        header = next(reader, None)
        while header == []:  # blank lines before it (read as the header, every row was rejected)
            start = reader.line_num + 1
            header = next(reader, None)
    except csv.Error as exc:
        why = "a quote opened in it is never closed" if str(exc) == "unexpected end of data" else exc
        raise BrokenFile(f"line {start}, the header: {why}; no row is read") from None
    if header is None:
        return
    width = len(header)
    missing_id = "id" not in header
    last = reader.line_num  # the last line read
    while True:
        first = last + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            last, seen = reader.line_num, held[0]
            if str(exc) == "unexpected end of data":  # the end of the file inside a quoted cell
                raise BrokenFile(
                    f"line {first}: a quote opened on it or after it is never closed, so "
                    f"{_span(first, last)} would be one cell; no row from line {first} on is read"
                ) from None
            if last != first and str(exc).startswith("field larger than field limit"):
                # Over several lines only a quoted cell grows this long: a quote left open in a
                # big file, where the limit comes before the end. Reading on from the next line
                # would lose every line since the quote to one rejected row (thousands of
                # people), and the quote could close again anywhere: stopped as at the end.
                raise BrokenFile(
                    f"line {first}: a quote opened on it or after it is not closed within "
                    f"{csv.field_size_limit()} characters (by line {last}); no row from line {first} on "
                    "is read"
                ) from None
            yield Row(first, "", None, _not_csv(exc, first, last))
            continue
        last = reader.line_num
        if not cells:  # a blank line
            continue
        if held[0] != seen:  # a lone CR inside a line of this record: its cell keeps it
            seen = held[0]
            cells = [cell.replace(_CR_HELD, "\r") for cell in cells]
        if last != first and not _one_record(width, cells, first, last):
            yield _over_lines(header, cells, first, last)
            continue
        raw = dict(zip(header, cells, strict=False))  # fewer cells: the rest empty
        row_id = (raw.get("id") or "").strip() if not missing_id else str(first)
        if len(cells) > width:
            yield Row(first, row_id, None, "row: more cells than the header has columns")
            continue
        try:
            parsed = parse(raw, agency_file=agency_file)
        except RowError as exc:
            yield Row(first, row_id, None, str(exc))
            continue
        yield Row(first, row_id, parsed.identity, "", parsed.problems, parsed.unusable_raw, parsed.reasons)


def open_csv(path: Path) -> TextIO:
    # utf-8-sig: files saved by spreadsheet programs start with a byte-order mark. Bytes that
    # are not UTF-8 become U+FFFD and make their field unusable only (see parse), not the file.
    return path.open(newline="", encoding="utf-8-sig", errors="replace")
