"""Decision: `exact`, `partial` or `none`, with the candidate, a score and per-field levels.

Rules (version "rules-1", documented in docs/architecture.md; the matching issue refines
them and publishes the full set in docs/matching.md):

* exact   — first name, last name (or a former last name), date of birth all AGREE, and
            the SSN AGREEs (or, when either side has no SSN, the state educator ID AGREEs);
            no identifier DIFFERs. A high total alone never makes `exact`: a false exact
            shows a stranger someone else's User Name.
* partial — the registration points at this record through a strong identifier
            (SSN or state ID agree or one keystroke away with the date of birth agreeing,
            or full name + date of birth agree) but something conflicts.
* none    — otherwise. A twin (same surname, birth date and address, different first name
            and SSN) is `none`: the identifiers that separate family members disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from .compare import Level, compare_all
from .records import Candidate, Identity

A, C, D, M = Level.AGREE, Level.CLOSE, Level.DIFFER, Level.MISSING


class Outcome(StrEnum):
    EXACT = "exact"
    PARTIAL = "partial"
    NONE = "none"


RANK = {Outcome.EXACT: 2, Outcome.PARTIAL: 1, Outcome.NONE: 0}

# Fellegi-Sunter style weights: log2(m/u) for agree, close and differ, per field.
# m = P(level | same person), u = P(level | different people); starting values from the
# error model in the matching issue's generator, to be fitted there.
WEIGHTS: dict[str, dict[Level, float]] = {
    "first_name": {A: math.log2(0.90 / 0.01), C: math.log2(0.08 / 0.02), D: math.log2(0.02 / 0.97)},
    "last_name": {
        A: math.log2(0.90 / 0.005),
        C: math.log2(0.08 / 0.01),
        D: math.log2(0.02 / 0.985),
    },
    "date_of_birth": {
        A: math.log2(0.95 / 0.0001),
        C: math.log2(0.04 / 0.001),
        D: math.log2(0.01 / 0.999),
    },
    "ssn": {A: math.log2(0.97 / 1e-8), C: math.log2(0.025 / 1e-6), D: math.log2(0.005 / 0.999999)},
    "state_id": {A: math.log2(0.98 / 1e-7), C: 0.0, D: math.log2(0.02 / 0.9999999)},
    "address": {A: math.log2(0.6 / 0.001), C: math.log2(0.1 / 0.01), D: math.log2(0.3 / 0.989)},
    "email": {A: math.log2(0.7 / 1e-5), C: 0.0, D: math.log2(0.3 / 0.99999)},
    "phone": {A: math.log2(0.6 / 1e-5), C: 0.0, D: math.log2(0.4 / 0.99999)},
}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    candidate_id: str | None = None
    score: float = 0.0
    fields: dict[str, Level] = field(default_factory=dict)
    rule: str = ""

    def explanation(self) -> dict[str, str]:
        return {name: level.value for name, level in self.fields.items()}


NO_MATCH = Decision(Outcome.NONE, rule="no candidate")


class Matcher(Protocol):
    version: str

    def match(self, query: Identity, candidates: Iterable[Candidate]) -> Decision: ...


def score(levels: dict[str, Level]) -> float:
    return round(sum(WEIGHTS[name].get(level, 0.0) for name, level in levels.items() if level != M), 2)


def classify(f: dict[str, Level]) -> tuple[Outcome, str]:
    names_agree = f["first_name"] == A and f["last_name"] == A
    names_near = f["first_name"] in (A, C) and f["last_name"] in (A, C)
    ids_present = f["ssn"] != M or f["state_id"] != M
    if D not in (f["ssn"], f["state_id"]) and ids_present and names_agree and f["date_of_birth"] == A:
        if f["ssn"] == A or (f["ssn"] == M and f["state_id"] == A):
            return Outcome.EXACT, "names, date of birth and SSN (or state ID) agree"
    if f["ssn"] == A:
        return Outcome.PARTIAL, "SSN agrees but other data conflicts"
    if f["state_id"] == A:
        return Outcome.PARTIAL, "state ID agrees but other data conflicts"
    if f["ssn"] == C and f["date_of_birth"] in (A, C) and names_near:
        return Outcome.PARTIAL, "SSN one keystroke away with name and date of birth"
    if names_near and f["date_of_birth"] == A and f["ssn"] != D:
        return Outcome.PARTIAL, "name and date of birth agree, SSN not comparable"
    if names_agree and f["date_of_birth"] == A:
        return Outcome.PARTIAL, "full name and date of birth agree but SSN differs"
    return Outcome.NONE, "identifiers that separate people disagree"


class RuleMatcher:
    version = "rules-1"

    def __init__(self, hasher: Callable[[str], str]) -> None:
        self.hasher = hasher

    def match(self, query: Identity, candidates: Iterable[Candidate]) -> Decision:
        best = NO_MATCH
        for candidate in candidates:
            levels = compare_all(query, candidate.identity, self.hasher)
            outcome, rule = classify(levels)
            decision = Decision(outcome, candidate.record_id, score(levels), levels, rule)
            if (RANK[decision.outcome], decision.score) > (RANK[best.outcome], best.score):
                best = decision
        return best
