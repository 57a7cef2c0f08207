"""Matching rules as data: versioned, chosen in settings (EDGATE["MATCH_RULES"]), published in
docs/matching.md. Changing anything here means a new version string."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


def w(m: float, u: float) -> float:
    """Fellegi-Sunter weight: log2(P(seen | same person) / P(seen | different people))."""
    return round(math.log2(m / u), 2)


@dataclass(frozen=True)
class MatchRules:
    version: str
    # `exact` needs every one of these fields to be of one of these kinds.
    exact: dict[str, frozenset[str]]
    # Kinds that count as "near" for the partial rules.
    near_first: frozenset[str]
    near_last: frozenset[str]
    near_dob: frozenset[str]
    ssn_typo: frozenset[str]
    # Per field and kind, the weight of evidence (m/u from the documented error model).
    weights: dict[str, dict[str, float]] = field(default_factory=dict)


RULES_2 = MatchRules(
    version="rules-2",
    exact={
        "first_name": frozenset({"exact", "nickname", "typo"}),
        "last_name": frozenset({"exact", "former", "compound", "typo"}),
        "date_of_birth": frozenset({"exact"}),
        "ssn": frozenset({"exact"}),
        "state_id": frozenset({"exact", "missing"}),
    },
    near_first=frozenset({"exact", "nickname", "typo", "initial", "middle", "phonetic"}),
    near_last=frozenset({"exact", "former", "compound", "typo", "phonetic"}),
    near_dob=frozenset({"exact", "swapped", "one_digit"}),
    ssn_typo=frozenset({"one_digit", "transposed"}),
    weights={
        "first_name": {
            "exact": w(0.88, 0.01),
            "nickname": w(0.05, 0.004),
            "typo": w(0.03, 0.002),
            "initial": w(0.005, 0.004),
            "middle": w(0.01, 0.002),
            "phonetic": w(0.01, 0.01),
            "differ": w(0.015, 0.97),
        },
        "last_name": {
            "exact": w(0.90, 0.004),
            "former": w(0.04, 0.0005),
            "compound": w(0.01, 0.0005),
            "typo": w(0.02, 0.001),
            "phonetic": w(0.01, 0.005),
            "differ": w(0.02, 0.99),
        },
        "date_of_birth": {
            "exact": w(0.965, 0.00005),
            "swapped": w(0.012, 0.00002),
            "one_digit": w(0.012, 0.0005),
            "differ": w(0.011, 0.9995),
        },
        "ssn": {
            "exact": w(0.975, 1e-8),
            "one_digit": w(0.015, 1e-7),
            "transposed": w(0.005, 1e-8),
            "last4": w(0.99, 0.0001),
            "differ": w(0.005, 0.9999999),
        },
        "state_id": {"exact": w(0.99, 1e-7), "differ": w(0.01, 0.9999999)},
        "address": {"exact": w(0.55, 0.001), "similar": w(0.05, 0.001), "differ": w(0.40, 0.998)},
        "email": {"exact": w(0.6, 1e-6), "differ": w(0.4, 0.999999)},
        "phone": {"exact": w(0.5, 1e-6), "differ": w(0.5, 0.999999)},
    },
)

RULES = {RULES_2.version: RULES_2}
