"""Dirty agency records (docs/matching.md §7): a bad value makes its field unusable, never the
row; impossible typed dates are compared digit by digit; a crowded blocking key never hides
the SSN or state-ID holder in memory (edgate link --against, the bulk import's index)."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgate.console.progress import count_rows
from edgate.identity import compare
from edgate.identity.blocking import MAX_CANDIDATES, MemoryIndex, typed_dates
from edgate.identity.compare import Level
from edgate.identity.engine import Outcome, RuleMatcher
from edgate.identity.records import Identity
from edgate.identity.rules import RULES_2, RULES_3
from edgate.importer.rows import BrokenFile, Row, RowError, parse, read, typed_date

GOOD = {
    "first_name": "Avery",
    "last_name": "Lindqvist",
    "date_of_birth": "1984-03-14",
    "ssn": "219-45-3381",
    "state_id": "41234567",
    "street": "12 Juniper Ct",
    "city": "Northfield",
    "state": "MA",
    "postcode": "01360",
    "email": "avery@example.org",
    "phone": "(555) 201-4477",
}


def h(ssn: str) -> str:
    return hashlib.sha256(ssn.encode()).hexdigest()


def test_a_clean_row_has_no_problems() -> None:
    parsed = parse(GOOD)
    assert parsed.identity.unusable == frozenset() and parsed.problems == () and parsed.unusable_raw == ()
    assert parsed.identity.date_of_birth == date(1984, 3, 14) and parsed.identity.ssn == "219453381"


@pytest.mark.parametrize(
    ("column", "value", "reason_code", "words"),
    [
        ("ssn", "666-12-3456", "invalid", "not a valid Social Security Number"),
        ("ssn", "000-12-3456", "invalid", "not a valid Social Security Number"),
        ("ssn", "912-12-3456", "invalid", "not a valid Social Security Number"),
        ("ssn", "219-00-3456", "invalid", "not a valid Social Security Number"),
        ("ssn", "219-45-0000", "invalid", "not a valid Social Security Number"),
        ("ssn", "219-45-338", "invalid", "9-digit"),
        ("ssn", "2l9-45-3381", "invalid", "9-digit"),
        ("postcode", "0136", "invalid", "ZIP"),
        ("phone", "555-201", "invalid", "phone"),
        ("email", "avery at example.org", "invalid", "not an email address"),
        ("state_id", "4123456", "invalid", "8 digits"),
        ("state", "Mass.", "invalid", "two-letter"),
        ("first_name", "Av3ry", "invalid", "letters"),
        ("first_name", "Avery\x07", "control", "control characters"),
        ("last_name", "L" * 81, "too_long", "longer than 80 characters"),
        ("street", "12 Juniper \ufffd", "encoding", "UTF-8"),
        ("date_of_birth", "1984-14-03", "impossible_date", "not a real date"),
        ("date_of_birth", "1984-11-31", "impossible_date", "not a real date"),
        ("date_of_birth", "4980-03-14", "out_of_range", "outside 1900 to today"),
        ("date_of_birth", "1984-O3-|4", "lookalike", "a letter or sign typed for a digit"),
        ("date_of_birth", "March 14", "not_a_date", "YYYY-MM-DD"),
    ],
)
def test_a_bad_value_makes_its_field_unusable_and_keeps_the_row(
    column: str, value: str, reason_code: str, words: str
) -> None:
    parsed = parse(GOOD | {column: value})
    identity = parsed.identity
    assert identity.unusable == {column}
    assert getattr(identity, column) in ("", None)  # nothing unusable is ever compared
    assert parsed.reasons == ((column, reason_code),)
    (problem,) = parsed.problems
    assert problem.startswith(f"{column}: ") and words in problem
    assert value.strip() not in problem  # the reason never repeats the value
    assert parsed.unusable_raw == ((column, value.strip()),)  # kept for the administrator
    # The rest is matched: every other field is as clean as in the good row.
    clean = parse(GOOD).identity
    for other in ("first_name", "last_name", "ssn", "state_id", "email", "postcode"):
        if other != column:
            assert getattr(identity, other) == getattr(clean, other), other


def test_typed_digits_are_kept_for_plausibly_typed_dates_only() -> None:
    assert typed_date("1984-03-14") == (date(1984, 3, 14), "")
    assert typed_date("1984/03/14") == (date(1984, 3, 14), "")
    assert typed_date("1984-14-03") == (None, "19841403")
    assert typed_date("1984-I4-O3") == (None, "19841403")  # look-alikes mapped, never parsed
    assert typed_date("1984-03-14", today=date(1984, 3, 1)) == (None, "19840314")  # future
    assert parse(GOOD | {"date_of_birth": "1984-l4-03"}).identity.dob_digits == "19841403"
    assert parse(GOOD | {"date_of_birth": "14/03/1984"}).identity.dob_digits == ""  # not a typed ISO date


def test_a_row_is_rejected_only_when_nothing_usable_identifies_a_person() -> None:
    nothing = {"date_of_birth": "1984-03-14", "email": "avery@example.org", "postcode": "01360"}
    with pytest.raises(RowError, match="no usable name, SSN or state ID"):
        parse(nothing)
    with pytest.raises(RowError, match=r"first_name: .*ssn: "):
        parse(nothing | {"first_name": "Av3ry", "ssn": "666-12-3456"})
    # Any one of a usable first name, last name, SSN or state ID keeps it.
    for keeps in (
        {"first_name": "Avery"},
        {"last_name": "Lee"},
        {"ssn": "219453381"},
        {"state_id": "41234567"},
    ):
        assert parse(nothing | keeps | {"first_name": keeps.get("first_name", "Av3ry")}).identity


# --- comparison ------------------------------------------------------------------------------


def ident(born: date | None = None, digits: str = "") -> Identity:
    unusable = frozenset({"date_of_birth"}) if digits else frozenset()
    return Identity(
        first_name="Avery", last_name="Lee", date_of_birth=born, dob_digits=digits, unusable=unusable
    )


@pytest.mark.parametrize(
    ("born", "digits", "kind"),
    [
        (date(1984, 3, 14), "19841403", "swapped"),  # day and month swapped into month 14
        (date(1984, 11, 30), "19841131", "one_digit"),  # 31 November for 30
        (date(1984, 3, 14), "49840314", "one_digit_decade"),  # year 4984 for 1984: a year digit
        (date(1984, 3, 14), "19480314", "one_digit_decade"),  # a decade digit transposed
        (date(1984, 3, 14), "19840314", "one_digit"),  # the same digits: still never exact
        (date(1984, 3, 14), "19841503", "differ"),
        (date(1971, 1, 1), "19841403", "differ"),
    ],
)
def test_typed_digits_compare_near_never_exact(born: date, digits: str, kind: str) -> None:
    result = compare.date_of_birth(ident(born), ident(digits=digits))
    assert result.kind == kind and result.level != Level.AGREE
    assert compare.date_of_birth(ident(digits=digits), ident(born)) == result  # symmetric


def test_digits_against_digits_and_against_nothing() -> None:
    assert compare.date_of_birth(ident(digits="19841403"), ident(digits="19841403")).kind == "one_digit"
    assert compare.date_of_birth(ident(digits="19841403"), ident(digits="19840314")).kind == "swapped"
    assert compare.date_of_birth(ident(digits="19841403"), ident()).kind == "missing"


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    st.text("0123456789", min_size=8, max_size=8),
)
def test_an_unusable_date_is_never_exact(born: date, digits: str) -> None:
    assert compare.date_of_birth(ident(born), ident(digits=digits)).level != Level.AGREE


def test_a_record_with_a_bad_ssn_is_still_found_and_held_for_a_human() -> None:
    """The registrant's correct SSN, names and birth date against a record whose SSN was
    malformed: not a duplicate (none), a human decides (partial) — unless, under rules-3, an
    address, email or phone agrees too (E6), or the state ID (E7)."""
    record = parse(GOOD | {"ssn": "219-45-33B1"}).identity
    index = MemoryIndex(hasher=h)
    index.add("r1", record)
    query = parse(GOOD | {"email": "", "street": "", "phone": "", "state_id": ""}).identity
    decision = RuleMatcher(h).match(query, index.candidates(query))
    assert (decision.outcome, decision.candidate_id, decision.fields["ssn"].kind) == (
        Outcome.PARTIAL,
        "r1",
        "missing",
    )
    for query in (parse(GOOD).identity, parse(GOOD | {"email": "", "street": "", "phone": ""}).identity):
        query = replace(query, agency_file=True)  # E7 is for rows of an agency's file only
        assert RuleMatcher(h, RULES_2).match(query, index.candidates(query)).outcome == Outcome.PARTIAL
        assert RuleMatcher(h, RULES_3).match(query, index.candidates(query)).outcome == Outcome.EXACT
    registration = replace(parse(GOOD | {"email": "", "street": "", "phone": ""}).identity, agency_file=False)
    assert RuleMatcher(h, RULES_3).match(registration, index.candidates(registration)).outcome == (
        Outcome.PARTIAL  # the state ID alone (no contact for E6) is not enough for a registration
    )


@pytest.mark.parametrize(
    ("typed", "meant", "kind"),
    [
        ("1984-14-03", date(1984, 3, 14), "swapped"),
        ("1984-11-31", date(1984, 11, 30), "one_digit"),
        ("4984-03-14", date(1984, 3, 14), "one_digit_decade"),
        ("1984-O3-14", date(1984, 3, 14), "one_digit"),
    ],
)
def test_a_record_without_ssn_is_found_through_its_typed_digits(typed: str, meant: date, kind: str) -> None:
    assert meant in typed_dates(parse(GOOD | {"date_of_birth": typed}).identity.dob_digits)
    record = parse(GOOD | {"date_of_birth": typed, "ssn": "", "email": "", "state_id": ""}).identity
    index = MemoryIndex()
    index.add("r1", record)
    query = parse(
        GOOD | {"date_of_birth": meant.isoformat(), "ssn": "", "email": "", "state_id": ""}
    ).identity
    assert [c.record_id for c in index.candidates(query)] == ["r1"]
    assert RuleMatcher(h).match(query, index.candidates(query)).fields["date_of_birth"].kind == kind


def test_a_record_with_a_swapped_impossible_birth_date_is_found_through_its_digits() -> None:
    assert date(1984, 3, 14) in typed_dates("19841403")
    record = parse(GOOD | {"date_of_birth": "1984-14-03", "ssn": ""}).identity
    index = MemoryIndex()
    index.add("r1", record)
    query = parse(GOOD | {"ssn": "", "email": ""}).identity  # no SSN or email key: birth date and name
    assert [c.record_id for c in index.candidates(query)] == ["r1"]
    decision = RuleMatcher(h).match(query, index.candidates(query))
    assert decision.fields["date_of_birth"].kind == "swapped"


# --- candidates: a crowded key in memory ---------------------------------------------------------


def crowd(index: MemoryIndex, n: int, **shared: object) -> None:
    for i in range(n):
        index.add(
            f"c{i}",
            Identity(
                first_name=str(shared.get("first_name", f"Name{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}")),
                last_name=str(shared.get("last_name", f"Crowd{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}")),
                date_of_birth=shared.get("date_of_birth", date(1950 + i % 50, 1 + i % 12, 1 + i % 28)),  # type: ignore[arg-type]
                ssn=f"{100 + i:03d}45{1000 + i:04d}",
                email=str(shared.get("email", f"c{i}@example.org")),
                state_id=f"{30000000 + i}",
            ),
        )


HOLDER = Identity(
    first_name="Avery",
    last_name="Lindqvist",
    date_of_birth=date(1984, 3, 14),
    ssn="219453381",
    state_id="41234567",
    email="office@example.org",
)


@pytest.mark.parametrize(
    "shared",
    [
        {"email": "office@example.org"},  # hundreds of staff sharing the school's address
        {"date_of_birth": date(1984, 3, 14), "last_name": "Lindqvist"},  # birth date and surname
        {"date_of_birth": date(1984, 3, 14), "first_name": "Avery"},  # birth date and first name
        {"date_of_birth": date(1984, 3, 14), "last_name": "Lindqvist", "email": "office@example.org"},
    ],
    ids=["email", "birth date and surname", "birth date and first name", "all of them"],
)
@pytest.mark.parametrize("hasher", [None, h], ids=["plain SSNs", "hashed SSNs"])
def test_a_crowded_key_never_hides_the_ssn_or_state_id_holder_in_memory(shared: dict, hasher) -> None:  # type: ignore[no-untyped-def,type-arg]
    index = MemoryIndex(hasher=hasher)
    crowd(index, 300, **shared)  # 300 earlier records share the key
    index.add("holder", HOLDER)
    by_ssn = Identity(**{**vars(HOLDER), "state_id": ""})
    # No SSN and no email: found through the state ID alone, exact by E7 (the person's own
    # state ID with names and birth date).
    by_state_id = Identity(**{**vars(HOLDER), "ssn": "", "email": "", "agency_file": True})
    for query, outcome in ((HOLDER, Outcome.EXACT), (by_ssn, Outcome.EXACT), (by_state_id, Outcome.EXACT)):
        found = [c.record_id for c in index.candidates(query)]
        assert found[0] == "holder"  # the strongest evidence first
        assert len(found) <= MAX_CANDIDATES + 1  # the cap still holds for the weaker keys
        decision = RuleMatcher(h).match(query, index.candidates(query))
        assert (decision.outcome, decision.candidate_id) == (outcome, "holder")


def test_a_crowded_weak_key_does_not_crowd_out_the_other_weak_keys() -> None:
    """300 people share the registrant's birth date and surname; the record, under a married
    name not declared, shares only birth date and first name: still a candidate."""
    index = MemoryIndex()
    crowd(index, 300, date_of_birth=date(1984, 3, 14), last_name="Lindqvist")
    index.add("married", Identity(first_name="Avery", last_name="Berg", date_of_birth=date(1984, 3, 14)))
    query = Identity(first_name="Avery", last_name="Lindqvist", date_of_birth=date(1984, 3, 14))
    found = [c.record_id for c in index.candidates(query)]
    assert "married" in found and len(found) == MAX_CANDIDATES


# A file's CSV structure (`rows.read`): one row a line. A malformed record is its own rejection
# with its lines, and the rows after it are read; none of its text is kept (it may be another
# row's). A quote never closed to the end of the file stops the file at its line.
FILE_HEADER = "id,first_name,last_name,ssn,street\n"
OTHERS_SSN = "219-45-3382"  # another person's, on the line after a quote left open


def rows_of(text: str) -> list[Row]:
    return list(read(io.StringIO(text, newline="")))


def outline(rows: list[Row]) -> list[tuple[int, str, str]]:
    return [(row.line, row.row_id, row.error or "kept") for row in rows]


def test_a_quote_left_open_to_the_end_of_the_file_stops_the_file_at_its_line() -> None:
    text = FILE_HEADER + "a1,Ann,Lee,,\n" + 'q2,Bo,Ray,,"14 Elm St\n' + f"a3,Cy,Dee,{OTHERS_SSN},\n"
    rows = read(io.StringIO(text, newline=""))
    assert next(rows).row_id == "a1"
    with pytest.raises(BrokenFile) as broken:
        next(rows)
    assert str(broken.value) == (
        "line 3: a quote opened on it or after it is never closed, so lines 3–4 would be one cell; "
        "no row from line 3 on is read"
    )
    with pytest.raises(BrokenFile, match="line 1, the header: a quote opened in it is never closed"):
        rows_of('"id,first_name\na1,Ann\n')


def test_a_quote_closed_in_the_middle_of_a_later_line_rejects_those_lines_and_the_file_goes_on() -> None:
    text = (
        FILE_HEADER
        + 'q1,Ann,Lee,,"14 Elm St\n'
        + f"a2,Bo,Ray,{OTHERS_SSN},\n"
        + 'a3,Cy,"Dee",,\n'  # its first quote closes the one of line 2, in the middle of a cell
        + "\n"
        + "a5,Eve,Fox,,\n"
    )
    assert outline(rows_of(text)) == [
        (2, "", "not CSV on lines 2–4: a quote opened on line 2 or after ends in the middle of a cell on "
         "line 4; no row on these lines is read"),
        (6, "a5", "kept"),  # its own line, after a blank one
    ]  # fmt: skip


OVER_LINES = (
    "are one row: a line break inside a quoted cell (street), a quote left open?; one is kept only in a "
    "row with the header's number of cells, on at most 4 lines, with no comma or quote in it, so no row on "
    "these lines is read"
)


def test_a_street_typed_on_two_lines_keeps_its_person_the_street_unusable() -> None:
    """Issue 9: a bad value keeps its person. A spreadsheet writes an address typed on two lines
    (Alt+Enter) as a quoted cell over two lines: the row is its person's, on its first line, the
    street unusable ("line break in the cell") and its text kept for the administrator; the
    rows after it keep their own line numbers. Up to four lines; the line breaks as written."""
    text = (
        FILE_HEADER
        + "a1,Ann,Lee,,\r\n"
        + 'q2,Bo,Ray,,"12 Oak Rd\r\nApt 2"\r\n'  # as a spreadsheet writes it
        + "a4,Cy,Dee,,\r\n"
        + 'q5,Di,Eck,,"c/o Mia Eck\n3 Pine Ave\nUnit 4\nBuilding B"\r\n'  # four lines
        + "a9,Eve,Fox,,\r\n"
    )
    rows = rows_of(text)
    assert outline(rows) == [
        (2, "a1", "kept"),
        (3, "q2", "kept"),
        (5, "a4", "kept"),
        (6, "q5", "kept"),
        (10, "a9", "kept"),
    ]
    for row, street in (
        (rows[1], "12 Oak Rd\r\nApt 2"),
        (rows[3], "c/o Mia Eck\n3 Pine Ave\nUnit 4\nBuilding B"),
    ):
        assert row.identity is not None and row.identity.street == "" and row.identity.unusable == {"street"}
        assert (row.problems, row.reasons) == (
            ("street: line break in the cell",),
            (("street", "line_break"),),
        )
        assert row.unusable_raw == (("street", street),)
    assert (rows[1].identity.first_name, rows[1].identity.last_name) == ("Bo", "Ray")
    # Without an id column, the row's id is its first line.
    (row,) = rows_of('first_name,last_name,street\nAnn,Lee,"1 Elm St\nApt 2"\n')
    assert (row.line, row.row_id, row.problems) == (2, "2", ("street: line break in the cell",))


def test_a_quote_left_open_closed_by_chance_still_rejects_the_row_and_keeps_none_of_its_text() -> None:
    """A quote left open puts the next rows into that cell (here another person's SSN into this
    row's street); a later quote that closes it makes the lines one valid record. Its cell
    holds the separators of the rows it swallowed: rejected whole, nothing kept, the next
    lines read (as are cells over five lines, and the other shapes not kept)."""
    text = (
        FILE_HEADER
        + 'q1,Ann,Lee,,"14 Elm St\n'
        + f'a2,Bo,Ray,{OTHERS_SSN},"\n'  # the quote closes here: lines 2–3 are one valid record
        + "a4,Cy,Dee,,\n"
        + 'q5,Di,Eck,,"1 Elm St\nApt 2\nBuilding B\nc/o Mia Eck\nPO Box 3"\n'  # five lines
        + 'q10,Eve,Fox,,"1 Elm St\nUnit 3, Building B"\n'  # a comma: as a swallowed row's
        + 'q12,Flo,Gee,,"1 Elm St\n""B"""\n'  # a quote: as a swallowed empty quoted cell's
        + 'q14,Gus,Hay,"1 Elm St\nApt 2"\n'  # fewer cells than the header
        + 'q16,Ida,Ivy,,"1 Elm St\nApt 2",\n'  # more
        + "a18,Jo,Jay,,\n"
    )
    rows = rows_of(text)
    assert outline(rows) == [
        (2, "q1", f"lines 2–3 {OVER_LINES}"),
        (4, "a4", "kept"),
        (5, "q5", f"lines 5–9 {OVER_LINES}"),
        (10, "q10", f"lines 10–11 {OVER_LINES}"),
        (12, "q12", f"lines 12–13 {OVER_LINES}"),
        (14, "q14", f"lines 14–15 {OVER_LINES}".replace("(street)", "(ssn)")),
        (16, "q16", f"lines 16–17 {OVER_LINES}"),
        (18, "a18", "kept"),
    ]
    assert all(row.identity is None and row.unusable_raw == () for row in rows if row.error)
    # The id after a cell with a line break may be another row's: not given.
    (row,) = rows_of('first_name,street,id\nAnn,"1 Elm\nx,y",q1\n')
    assert (row.line, row.row_id) == (2, "")
    # A two-line cell where the rows are short: the one shape it cannot tell from a street
    # (docs/matching.md §7): kept, the cell unusable.
    (row,) = rows_of(FILE_HEADER + 'q1,"Ann\na2",Lee,,\n')
    assert row.identity is not None and row.problems == ("first_name: line break in the cell",)


def test_a_stray_quote_or_a_cell_over_csv_s_limit_rejects_its_row_only() -> None:
    text = (
        FILE_HEADER
        + 'a1,Ann,"Lee"s,,\n'
        + "a2,Bo,Ray,," + "A" * 200_000 + "\n"
        + "a3,Cy,Dee,,\n"
    )  # fmt: skip
    assert outline(rows_of(text)) == [
        (2, "", "not CSV on line 2: a quote in the middle of a cell (one inside a cell is written twice); "
         "the row is not read"),
        (3, "", "not CSV on line 3: a cell longer than 131072 characters; the row is not read"),
        (4, "a3", "kept"),
    ]  # fmt: skip


def test_a_lone_cr_inside_a_line_is_not_the_end_of_its_row() -> None:
    """review6 M2: read with newline="" (as `open_csv` does), csv ended the row at a lone CR in
    an unquoted cell: half a person kept, the rest of the line a row of its own, its first cell
    (here an SSN's last digits) reported as that row's id. Now the line is one row, the cell
    with the CR unusable (its raw text kept), the id not given when it is the cell; in LF,
    CRLF and CR-CR-LF files alike, with the line numbers of their lines."""
    for end in ("\n", "\r\n", "\r\r\n"):
        text = (
            FILE_HEADER.replace("\n", end)
            + f"a1,Ann,Le\re,219-45-\r3381,{end}"
            + f'a2,Bo,Ray,,"12 Oak\rRd, Apt 2"{end}'  # quoted: the same
            + f"a\r3,Cy,Dee,,{end}"  # in the id: the row is the import's to refuse (service.refused)
            + f"a4,Di,Eck,,\r{end}"  # before the line's end: part of it
            + "a5,Eve,Fox,,\r"  # at the end of the file
        )
        rows = rows_of(text)
        assert outline(rows) == [(2, "a1", "kept"), (3, "a2", "kept"), (4, "a\r3", "kept"),
                                 (5, "a4", "kept"), (6, "a5", "kept")], end  # fmt: skip
        assert rows[0].reasons == (("last_name", "line_break"), ("ssn", "line_break"))
        assert rows[0].unusable_raw == (("last_name", "Le\re"), ("ssn", "219-45-\r3381"))
        assert rows[1].unusable_raw == (("street", "12 Oak\rRd, Apt 2"),)
        assert [row.problems for row in rows[2:]] == [(), (), ()]


def test_a_cr_only_file_is_read_a_line_at_each_cr() -> None:
    """A classic Mac "CSV (Macintosh)" file ends its lines with CR alone (the header's line end
    tells): each CR ends a row there, as it did; a quoted cell over two lines still kept."""
    text = (FILE_HEADER + "a1,Ann,Lee,,\n\n" + 'a3,Bo,Ray,,"12 Oak Rd\nApt 2"\n').replace("\n", "\r")
    rows = rows_of(text)
    assert outline(rows) == [(2, "a1", "kept"), (4, "a3", "kept")]
    assert rows[1].unusable_raw == (("street", "12 Oak Rd\rApt 2"),)


def test_a_quote_left_open_in_a_big_file_stops_it_as_in_a_small_one() -> None:
    """review6 M3: in a big file csv's field limit (131,072 characters) comes before the end of
    the file: the lines after the quote (thousands of rows) went into one rejected row, the
    rows after the limit read again as if nothing happened. Now the file stops at the quote's
    line, as when it reaches the end; a long cell on one line is still its row's rejection."""
    others = "".join(f"f{i},Zed,Quo,,\n" for i in range(10_000))  # ~150,000 characters
    rows = read(io.StringIO(FILE_HEADER + "a1,Ann,Lee,,\n" + 'q2,Bo,Ray,,"14 Elm St\n' + others, newline=""))
    assert next(rows).row_id == "a1"
    with pytest.raises(BrokenFile) as broken:
        next(rows)
    assert re.fullmatch(
        r"line 3: a quote opened on it or after it is not closed within 131072 characters \(by line \d+\); "
        r"no row from line 3 on is read",
        str(broken.value),
    )
    long_cell = FILE_HEADER + 'a1,Ann,Lee,,"' + "A" * 200_000 + '"\n' + "a2,Bo,Ray,,\n"
    assert [row.line for row in rows_of(long_cell)] == [2, 3]


def test_blank_lines_before_the_header_and_a_quote_open_on_the_last_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """review6 L2: blank lines before the header were read as an empty header, every row then
    rejected; a quote left open on the file's last line was "lines 3–3"; the progress total
    counted LF only (0 rows in a CR-only file, the second process never used for one)."""
    rows = rows_of("\n\r\n" + FILE_HEADER + "a1,Ann,Lee,,\n")
    assert outline(rows) == [(4, "a1", "kept")]
    with pytest.raises(BrokenFile, match="^line 3, the header: a quote opened in it is never closed"):
        rows_of('\n\n"id,first_name\na1,Ann\n')
    with pytest.raises(BrokenFile) as broken:
        rows_of(FILE_HEADER + "a1,Ann,Lee,,\n" + 'q2,"Bo')
    assert str(broken.value) == (
        "line 3: a quote opened on it or after it is never closed, so line 3 would be one cell; "
        "no row from line 3 on is read"
    )
    path = tmp_path / "people.csv"
    for text, count in (
        (FILE_HEADER + "a1\na2\n", 2),
        (FILE_HEADER.replace("\n", "\r\n") + "a1\r\na2\r\n", 2),
        ((FILE_HEADER + "a1\na2\n").replace("\n", "\r"), 2),
        (FILE_HEADER + "a1\na2", 2),
        ("", 0),
    ):
        path.write_bytes(text.encode())
        assert count_rows(path) == count, text
