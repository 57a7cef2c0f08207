"""No CSV the project writes can start a spreadsheet formula (OWASP CSV Injection).

Ids and names come from agency files; `edgate link` and `edgate import` echo ids back. Each
output file is produced by the real command and read back cell by cell.
"""

from __future__ import annotations

import csv
import itertools
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from edgate.core import csvsafe
from tests.pii import register_dob, register_ssn

HEADER = "id,first_name,last_name,date_of_birth,ssn,state_id\n"
HYPERLINK = '=HYPERLINK("http://evil.example","x")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"

for _ssn in ("219453381", "301224455", "402117788", "512331199", "623441200", "218449071"):
    register_ssn(_ssn)
for _dob in ("1979-04-11", "1990-02-03", "1988-05-06", "1975-12-01", "1966-06-06"):
    register_dob(date.fromisoformat(_dob))


def person_file(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(HEADER)
        csv.writer(fh).writerows(rows)  # the attacker's file: written raw on purpose
    return path


def cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(csvsafe.FORMULA_START) or _is_number(cell), (cell, row)


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except ArithmeticError:
        return False
    return True


QUERIES = [
    (HYPERLINK, "William", "OConnor", "1979-04-11", "219453381", ""),  # exact: record DDE
    ("+1+cmd", "=cmd|' /C calc'!A0", "Lee", "1990-02-03", "301224455", ""),  # a name unusable, the row kept
    ("-2+3", "Noor", "@Haddad", "1988-05-06", "402117788", ""),  # a name unusable, the row kept
    ("\t=1+1\t", "Kenji", "Yamamoto", "1975-12-01", "512331199", ""),  # no match
    ("q-neg", "Zed", "Quill", "1966-06-06", "623441200", "41234567"),  # state ID only: partial, score < 0
]
RECORDS = [
    (DDE, "William", "O'Connor", "1979-04-11", "219-45-3381", ""),
    ("-r2", "Ann", "Byrne", "1950-01-01", "218-44-9071", "41234567"),
]


def test_neutralise_text_but_not_numbers_the_project_computed() -> None:
    assert csvsafe.neutralise(HYPERLINK) == "'" + HYPERLINK
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csvsafe.neutralise(f"{start}x") == f"'{start}x"
    assert csvsafe.neutralise("-0.50") == "'-0.50"  # text: it may come from the input
    assert csvsafe.neutralise(Decimal("-0.50")) == Decimal("-0.50")  # a computed number
    assert csvsafe.neutralise(-3) == -3 and csvsafe.neutralise(None) == ""
    assert csvsafe.neutralise("O'Connor") == "O'Connor" and csvsafe.neutralise("a=b") == "a=b"


def test_link_result_file_neutralises_ids_from_both_files(tmp_path: Path) -> None:
    out = tmp_path / "result.csv"
    call_command(
        "link",
        str(person_file(tmp_path / "q.csv", QUERIES)),
        against=str(person_file(tmp_path / "r.csv", RECORDS)),
        out=str(out),
        stdout=StringIO(),
    )
    rows = cells(out)
    assert_no_formula(rows)
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    # Every evil id comes back intact behind one quote ("\t=1+1\t" is read as "=1+1": ids are
    # stripped on input).
    assert set(by_id) == {"'" + HYPERLINK, "'+1+cmd", "'-2+3", "'=1+1", "q-neg"}
    exact = by_id["'" + HYPERLINK]
    assert (exact["outcome"], exact["record_id"]) == ("exact", "'" + DDE)
    assert by_id["'+1+cmd"]["outcome"] == by_id["'-2+3"]["outcome"] == "none"  # kept: a name unusable
    negative = by_id["q-neg"]
    assert (negative["outcome"], negative["record_id"]) == ("partial", "'-r2")
    assert float(negative["score"]) < 0 and negative["score"].startswith("-")  # a number stays one


@pytest.mark.django_db
@pytest.mark.parametrize("per_row", [True, False], ids=["per-row", "default (bulk on PostgreSQL)"])
def test_import_report_neutralises_ids(tmp_path: Path, per_row: bool) -> None:
    source = person_file(tmp_path / "people.csv", QUERIES)
    call_command("import", str(source), source="evil-district", per_row=per_row, stdout=StringIO())
    rows = cells(tmp_path / "people.report.csv")
    assert_no_formula(rows)
    by_id = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_id["'" + HYPERLINK]["result"] == "created"
    assert by_id["'+1+cmd"]["result"] == by_id["'-2+3"]["result"] == "created"  # kept: a name unusable
    assert by_id["'=1+1"]["result"] == "created"


# Ids with a formula after a list separator of another locale (Excel with ';' in most of Europe,
# or as set by its user), after a tab or a line break, spaces between: a spreadsheet splitting
# the line there starts a cell with it. `csv` quotes a cell only for ',', '"' or a line break, and
# a quoted cell does not help a reader splitting at ';': past the line's first cell, the quote
# it meets is inside a cell of its own (what `csv.reader(delimiter=";")` shows), so each such
# formula start gets its own '.
SEPARATED = [
    ("1;=cmd|' /C calc'!A0;x", "Avery", "Lindqvist", "", "", ""),
    ("a,+1+2", "Bea", "Moss", "", "", ""),
    ("b\t-3+4", "Cal", "Nye", "", "", ""),
    ("c; @SUM(1)", "Dot", "Ames", "", "", ""),
    ("d;\t=1", "Eli", "Bligh", "", "", ""),
]


def split_by_other_readers(path: Path) -> list[list[str]]:
    """Every cell a reader splitting the file at ';' or a tab sees, with what one may trim at its
    start (spaces, tabs, line breaks) removed."""
    text = path.read_text(encoding="utf-8")
    return [
        [cell.lstrip(" \t\r\n") for cell in row]
        for separator in (";", "\t")
        for row in csv.reader(StringIO(text, newline=""), delimiter=separator)
    ]


def test_neutralise_a_formula_after_a_list_separator_or_a_line_break() -> None:
    assert csvsafe.neutralise("1;=cmd|' /C calc'!A0;x") == "1;'=cmd|' /C calc'!A0;x"
    assert csvsafe.neutralise("a,+1;;-2\t@3\n=4\r\n+5") == "a,'+1;;'-2\t'@3\n'=4\r\n'+5"
    assert csvsafe.neutralise("c; \t=1") == "c; \t'=1" and csvsafe.neutralise("=a;=b") == "'=a;'=b"
    assert csvsafe.neutralise("Lee; Ann-Marie, 1+1=2 @home") == "Lee; Ann-Marie, 1+1=2 @home"


def test_no_cell_of_a_few_pieces_starts_a_formula_for_any_reader() -> None:
    """review6 L1: a quote between a separator and the formula (`;"=1+1`: a ';' reader reads our
    quoting as text, `=1+1"` its cell) or spaces before it (` =1+1`, trimmed by a reader) went
    through. Every value of up to four pieces, in the first or the second cell, read back at
    ',' ';' and TAB: no cell, its leading spaces trimmed, starts a formula."""
    pieces = ['"', ";", ",", "=1+1", " ", "x", "\t", "'", "\n", '""']
    found = []
    for n in range(1, 5):
        for value in map("".join, itertools.product(pieces, repeat=n)):
            for row in ([value, "b"], ["a", value]):
                out = StringIO()
                csvsafe.writer(out).writerow(row)
                for separator in (",", ";", "\t"):
                    for cells_read in csv.reader(StringIO(out.getvalue(), newline=""), delimiter=separator):
                        found += [c for c in cells_read if c.lstrip(" ").startswith(("=", "+", "-", "@"))]
    assert found == []
    assert csvsafe.neutralise(" =1+1") == "' =1+1" and csvsafe.neutralise('" =1') == "'\" =1"
    assert csvsafe.neutralise('a;"=1+1') == "a;\"'=1+1" and csvsafe.neutralise(' "x"') == ' "x"'


@pytest.mark.django_db
@pytest.mark.parametrize("per_row", [True, False], ids=["per-row", "default (bulk on PostgreSQL)"])
def test_import_report_has_no_formula_for_a_reader_splitting_at_another_separator(
    tmp_path: Path, per_row: bool
) -> None:
    source = person_file(tmp_path / "people.csv", SEPARATED)
    call_command("import", str(source), source="evil-district", per_row=per_row, stdout=StringIO())
    report = tmp_path / "people.report.csv"
    assert_no_formula(split_by_other_readers(report))
    rows = cells(report)  # as a ',' reader sees it: each id intact but for its quotes
    assert {row[1]: row[2] for row in rows[1:]} == {
        "1;'=cmd|' /C calc'!A0;x": "created",
        "a,'+1+2": "created",
        "b\t'-3+4": "created",
        "c; '@SUM(1)": "created",
        "d;\t'=1": "created",
    }


def test_link_result_has_no_formula_for_a_reader_splitting_at_another_separator(tmp_path: Path) -> None:
    out = tmp_path / "result.csv"
    call_command(
        "link",
        str(person_file(tmp_path / "q.csv", SEPARATED)),
        against=str(person_file(tmp_path / "r.csv", SEPARATED[:2])),
        out=str(out),
        stdout=StringIO(),
    )
    assert_no_formula(split_by_other_readers(out))
    assert {row[0]: row[2] for row in cells(out)[1:]}["1;'=cmd|' /C calc'!A0;x"] == "1;'=cmd|' /C calc'!A0;x"
