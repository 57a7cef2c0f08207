"""Classify every row of a person file: against another file in memory, or the database."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from django.views.decorators.debug import sensitive_variables

from edgate.core import csvsafe
from edgate.identity.blocking import MemoryIndex
from edgate.identity.compare import FIELDS
from edgate.identity.engine import Decision, Matcher
from edgate.identity.records import Candidate, Identity

from .rows import Row, open_csv, read

# `unusable`: the query row's fields kept but unusable for matching, and why (never the values).
RESULT_COLUMNS = ["query_id", "outcome", "record_id", "score", "rule", *FIELDS, "unusable", "error"]


@dataclass
class Tally:
    exact: int = 0
    partial: int = 0
    none: int = 0
    rejected: int = 0
    unusable: int = 0  # rows kept with at least one unusable field

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def load_index(
    path: Path, on_error: Callable[[Row], None], on_unusable: Callable[[Row], None] | None = None
) -> MemoryIndex:
    """Records with unusable fields are kept (indexed by what is usable); `on_unusable` hears of them."""
    index = MemoryIndex()
    with open_csv(path) as handle:
        for row in read(handle):
            if row.identity is None:
                on_error(row)
                continue
            if row.problems and on_unusable is not None:
                on_unusable(row)
            index.add(row.row_id, row.identity)
    return index


Candidates = Callable[[Identity], list[Candidate]]


@sensitive_variables()
def decide(identity: Identity, matcher: Matcher, candidates: Candidates) -> Decision:
    """The entry point into the matcher, which sees the raw SSN: every frame below is hidden.
    (A generator's frames have no decorated caller, so `classify` cannot be the one marked.)"""
    return matcher.match(identity, candidates(identity))


def classify(
    rows: Iterable[Row], matcher: Matcher, candidates: Candidates
) -> Iterator[tuple[Row, Decision | None]]:
    for row in rows:
        yield row, None if row.identity is None else decide(row.identity, matcher, candidates)


def result_row(row: Row, decision: Decision | None) -> dict[str, object]:
    if decision is None:
        return {"query_id": row.row_id, "outcome": "rejected", "error": f"line {row.line}: {row.error}"}
    found = decision.outcome != "none"
    out: dict[str, object] = {
        "query_id": row.row_id,
        "outcome": decision.outcome.value,
        "unusable": "; ".join(row.problems),
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
        if decision is not None and row.problems:
            tally.unusable += 1
        writer.writerow(result_row(row, decision))
