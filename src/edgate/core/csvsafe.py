"""CSV files a person opens in a spreadsheet: no cell may start a formula (OWASP, CSV Injection).

Every CSV the project writes goes through `writer` or `DictWriter` here. A text cell that
starts with = + - @ TAB or CR gets a leading single quote, which spreadsheets show as text and
which keeps the value otherwise intact (a human still reads the original; `csv` quotes the rest).

Numbers are written as they are, decided by type: an int, float or Decimal is something the
project computed (a score of -0.50, a line number) and cannot carry a formula. Text is
neutralised whatever it looks like, even "-0.50": strings may come from the input file.
No Django here, so the benchmarks can use it too.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBERS = (int, float, Decimal)  # bool is an int: written as True / False, no formula


def neutralise(value: Any) -> Any:
    if type(value) is str:  # the usual cell, first (a report has millions)
        return "'" + value if value.startswith(FORMULA_START) else value
    if value is None:
        return ""
    if isinstance(value, NUMBERS):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


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
