"""Classify every row of a person file: against another file in memory, or the database."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from edgate.core import csvsafe
from edgate.identity.blocking import MemoryIndex
from edgate.identity.compare import FIELDS
from edgate.identity.engine import Decision, Matcher
from edgate.identity.records import Candidate, Identity

from .rows import Row, open_csv, read

RESULT_COLUMNS = ["query_id", "outcome", "record_id", "score", "rule", *FIELDS, "error"]


@dataclass
class Tally:
    exact: int = 0
    partial: int = 0
    none: int = 0
    rejected: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def load_index(path: Path, on_error: Callable[[Row], None]) -> MemoryIndex:
    index = MemoryIndex()
    with open_csv(path) as handle:
        for row in read(handle):
            if row.identity is None:
                on_error(row)
            else:
                index.add(row.row_id, row.identity)
    return index


def classify(
    rows: Iterable[Row], matcher: Matcher, candidates: Callable[[Identity], list[Candidate]]
) -> Iterator[tuple[Row, Decision | None]]:
    for row in rows:
        if row.identity is None:
            yield row, None
        else:
            yield row, matcher.match(row.identity, candidates(row.identity))


def result_row(row: Row, decision: Decision | None) -> dict[str, object]:
    if decision is None:
        return {"query_id": row.row_id, "outcome": "rejected", "error": f"line {row.line}: {row.error}"}
    found = decision.outcome != "none"
    out = {
        "query_id": row.row_id,
        "outcome": decision.outcome.value,
        "record_id": decision.candidate_id or "" if found else "",
        # A number, so the CSV writer keeps a negative score as it is (see core.csvsafe).
        "score": Decimal(f"{decision.score:.2f}") if found else "",
        "rule": decision.rule,
    }
    if found:
        out |= decision.explanation()
    return out


def write_results(handle: TextIO, results: Iterable[tuple[Row, Decision | None]], tally: Tally) -> None:
    writer = csvsafe.DictWriter(handle, fieldnames=RESULT_COLUMNS)
    writer.writeheader()
    for row, decision in results:
        tally.add("rejected" if decision is None else decision.outcome.value)
        writer.writerow(result_row(row, decision))
