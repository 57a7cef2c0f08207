"""CSV files a person opens in a spreadsheet: no cell may start a formula (OWASP, CSV Injection).

Every CSV the project writes goes through `writer` or `DictWriter` here. A text cell that
starts with = + - @ TAB or CR gets a leading single quote, which spreadsheets show as text and
which keeps the value otherwise intact (a human still reads the original; `csv` quotes the rest).

So does a cell where spaces or quotes come before such a character, and every such character
inside a cell after a list separator or a line break (spaces, tabs or quotes between):
`1;=cmd|' /C calc'!A0;x` is written `1;'=cmd|' /C calc'!A0;x`. A spreadsheet whose list
separator is not ours (Excel in a ';' locale, most of Europe; a tab) splits our lines there,
and quoting the cells (csv.QUOTE_ALL) would not stop it: such a reader honours a quote only at
the start of one of its own cells, so past the first cell of a line it reads our quotes as text
and splits inside them (`csv.reader(delimiter=";")` does the same), a quote of ours then before
the formula (`;"=1+1`). Escaping after every separator holds whatever the reader splits at
(`,` `;` TAB CR LF).

Numbers are written as they are, decided by type: an int, float or Decimal is something the
project computed (a score of -0.50, a line number) and cannot carry a formula. Text is
neutralised whatever it looks like, even "-0.50": strings may come from the input file.
No Django here, so the benchmarks can use it too.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBERS = (int, float, Decimal)  # bool is an int: written as True / False, no formula
# A formula start after a list separator (ours or another locale's, a tab) or a line break,
# spaces or tabs between: where another reader may begin a cell.
_SEPARATED_FORMULA = re.compile(r"([,;\t\r\n][ \t\"]*)(?=[=+\-@])")
# A formula start after spaces or quotes at the start of a cell: a reader trims the spaces, or
# splitting at its own separator reads our quoting as text around it (` =1+1`, `" =1+1"""`).
_LEADING_FORMULA = re.compile(r"[ \"]+[=+\-@\t\r]")


def _text(text: str) -> str:
    if text.startswith(FORMULA_START) or (text[:1] in (" ", '"') and _LEADING_FORMULA.match(text)):
        text = "'" + text
    if text.isalnum() or _SEPARATED_FORMULA.search(text) is None:  # most cells, cheaply
        return text
    return _SEPARATED_FORMULA.sub(r"\1'", text)


def neutralise(value: Any) -> Any:
    if type(value) is str:  # the usual cell, first (a report has millions)
        return _text(value) if value else value
    if value is None:
        return ""
    if isinstance(value, NUMBERS):
        return value
    return _text(str(value))


class Writer:
    """`csv.writer` whose every cell is neutralised."""

    def __init__(self, handle: Any, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(map(neutralise, row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle: Any, **options: Any) -> Writer:
    return Writer(handle, **options)


class DictWriter(csv.DictWriter):
    """`csv.DictWriter` whose every cell (header included) is neutralised."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: neutralise(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)
