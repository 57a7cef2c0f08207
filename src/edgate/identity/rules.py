"""Matching rules as data: versioned, chosen in settings (EDGATE["MATCH_RULES"]), published in
docs/matching.md. Changing anything here means a new version string."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace


def w(m: float, u: float) -> float:
    """Fellegi-Sunter weight: log2(P(seen | same person) / P(seen | different people))."""
    return round(math.log2(m / u), 2)


@dataclass(frozen=True)
class ExactRule:
    """One way to `exact`: every listed field must be of one of its kinds, and usable on both
    sides (a field a person file marked unusable never counts towards `exact`). `excludes`
    names the family members the rule still tells apart (docs/matching.md says why)."""

    name: str
    kinds: dict[str, frozenset[str]]
    excludes: str = ""
    # And at least one of these fields of one of its kinds (empty: no such condition).
    any_of: dict[str, frozenset[str]] = field(default_factory=dict)
    # Fields this rule still reads by their kind when a person file marked them unusable: an
    # impossible birth date kept as its typed digits is compared digit by digit (never `exact`),
    # and a rule may accept that comparison's near kinds.
    read_when_unusable: frozenset[str] = frozenset()
    # Only for a row of an agency's file being imported (`Identity.agency_file`), never for a
    # registration: the evidence is something a stranger may know (docs/matching.md §3.1 E7).
    agency_only: bool = False
    # Evidence a colleague or a relative could know (no SSN agrees): never for an agency file's
    # row, and an exact by it must be confirmed outside the wizard — a pre-created Profile's
    # set-up then needs a one-time set-up code, an active Profile's User Name is not shown
    # (docs/matching.md §3.1 E9). `Decision.needs_code` carries it to the caller.
    needs_code: bool = False


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
    # Further ways to `exact` (rules-3 on), each ruling out every relative on its own.
    widenings: tuple[ExactRule, ...] = ()
    # The partial rule "SSN one keystroke away, date of birth near" also needs the first name
    # near (rules-3): twins have consecutive SSNs, one birth date and one surname.
    ssn_typo_needs_first_name: bool = False
    # Two more partial rules when there is no full SSN (rules-3): name and date of birth near
    # (not only the same date), or first name, date of birth and a contact with another surname.
    partial_without_ssn: bool = False
    # And one more (rules-3, issue 9): no full SSN, the whole name and a contact agree, the birth
    # date does not (missing, unusable or another date).
    partial_without_dob: bool = False
    # And one more (rules-3, issue 9, registrations only: the wizard sends no contact): one side
    # has no usable birth date and no SSN agrees (none, or one keystroke off), the whole name
    # agrees (first name exactly), no differing state ID: nothing tells this person from a
    # namesake, nothing says it is someone else either; a human decides rather than a duplicate.
    partial_whole_name_undated: bool = False
    # rules-4 (issue 9, recall): rule 8 also takes a first name one typo off (`typo`), and one more
    # partial rule: the middle names agree exactly (both given), the birth date is near or missing,
    # the first or the last name near, and no SSN agrees or differs (none, or one keystroke off).
    whole_name_first_typo: bool = False
    partial_middle_name: bool = False
    # rules-5 (issue 9, recall): rule 7 (no full SSN, first name and a contact agree, the surname
    # differs) also takes a birth date swapped or one digit off within a decade, not only the same
    # date; and rule 11: no full SSN, surname and birth date agree exactly, the first names are
    # short and one or two letters apart (`short_typo`: Tia ~ Tina, Cody ~ Chodf).
    surname_changed_dob_near: bool = False
    partial_short_first_name: bool = False
    # Comparison kinds added after this version was published, read as the kind it knew
    # (field -> new kind -> old kind), so its decisions never change.
    reads: dict[str, dict[str, str]] = field(default_factory=dict)


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
    reads={
        "first_name": {
            "shared_nickname": "nickname",
            "variant": "typo",
            "typo2": "differ",
            "short_typo": "differ",
        },
        "date_of_birth": {"one_digit_decade": "one_digit"},
    },
)

_NAME_AGREES = frozenset({"exact", "former", "compound", "typo"})  # last name, as in rules-2
_NO_OTHER_STATE_ID = frozenset({"exact", "missing"})

RULES_3 = MatchRules(
    version="rules-3",
    exact={
        "first_name": frozenset({"exact", "nickname", "typo"}),
        "last_name": _NAME_AGREES,
        "date_of_birth": frozenset({"exact"}),
        "ssn": frozenset({"exact"}),
        "state_id": _NO_OTHER_STATE_ID,
    },
    widenings=(
        ExactRule(
            "E2: SSN, date of birth and first name agree; the last name changed or is mistyped",
            {
                "ssn": frozenset({"exact"}),
                "date_of_birth": frozenset({"exact"}),
                "first_name": frozenset({"exact"}),
                "last_name": frozenset({"phonetic", "differ"}),
                "state_id": _NO_OTHER_STATE_ID,
            },
            excludes="twins (another first name); every other relative (another birth date)",
        ),
        ExactRule(
            "E3: SSN, state ID, date of birth and last name agree; the first name is near",
            {
                "ssn": frozenset({"exact"}),
                "state_id": frozenset({"exact"}),
                "date_of_birth": frozenset({"exact"}),
                "last_name": _NAME_AGREES,
                "first_name": frozenset(
                    {"shared_nickname", "variant", "typo2", "initial", "middle", "phonetic"}
                ),
            },
            excludes="twins (their own state ID); every other relative (another birth date)",
        ),
        # E4 (names and date of birth agree, the SSN one keystroke away) was withdrawn before
        # release: the registrant types the SSN, and a twin who types the sibling's first name
        # with their own, consecutive SSN would have been given the sibling's User Name
        # (docs/matching.md §3.1). It stays `partial`.
        ExactRule(
            "E5: SSN and names agree; the date of birth is swapped or one digit off, same generation",
            {
                "ssn": frozenset({"exact"}),
                "date_of_birth": frozenset({"swapped", "one_digit"}),
                "first_name": frozenset({"exact"}),
                "last_name": _NAME_AGREES,
                "state_id": _NO_OTHER_STATE_ID,
            },
            excludes="Jr/Sr (10+ years apart: one_digit_decade); siblings (another first name)",
        ),
        ExactRule(
            "E5d: SSN and names agree; the birth date was typed impossibly, one keystroke from the other's"
            " or with month and day swapped, in the same decade",
            {
                "ssn": frozenset({"exact"}),
                "date_of_birth": frozenset({"swapped", "one_digit"}),
                "first_name": frozenset({"exact"}),
                "last_name": _NAME_AGREES,
                "state_id": _NO_OTHER_STATE_ID,
            },
            excludes="Jr/Sr (a changed century or decade digit: one_digit_decade); siblings (first name)",
            read_when_unusable=frozenset({"date_of_birth"}),
        ),
        ExactRule(
            "E6: no SSN on one side; names and date of birth agree, and the address, email or phone",
            {
                "ssn": frozenset({"missing", "last4"}),
                "date_of_birth": frozenset({"exact"}),
                "first_name": frozenset({"exact"}),
                "last_name": _NAME_AGREES,
                "state_id": _NO_OTHER_STATE_ID,
            },
            excludes="twins (another first name); Jr/Sr (another birth date); namesakes (contact)",
            any_of={
                "address": frozenset({"exact"}),
                "email": frozenset({"exact"}),
                "phone": frozenset({"exact"}),
            },
            agency_only=True,
        ),
        ExactRule(
            "E7: no SSN on one side; names, date of birth and state ID agree",
            {
                "ssn": frozenset({"missing", "last4"}),
                "state_id": frozenset({"exact"}),
                "date_of_birth": frozenset({"exact"}),
                "first_name": frozenset({"exact"}),
                "last_name": _NAME_AGREES,
            },
            excludes="twins and namesakes (their own state ID); Jr/Sr (another birth date)",
            agency_only=True,
        ),
        ExactRule(
            "E8: names and date of birth agree, the SSN one keystroke off, and the address, email or"
            " phone agrees (agency files only: the wizard sends no contact)",
            {
                "ssn": frozenset({"one_digit", "transposed"}),
                "date_of_birth": frozenset({"exact"}),
                "first_name": frozenset({"exact"}),
                "last_name": _NAME_AGREES,
                "state_id": _NO_OTHER_STATE_ID,
            },
            excludes="twins (another first name on their own row); Jr/Sr (another birth date)",
            any_of={
                "address": frozenset({"exact"}),
                "email": frozenset({"exact"}),
                "phone": frozenset({"exact"}),
            },
            agency_only=True,
        ),
    ),
    near_first=frozenset(
        {"exact", "nickname", "shared_nickname", "variant", "typo", "typo2", "initial", "middle", "phonetic"}
    ),
    near_last=frozenset({"exact", "former", "compound", "typo", "phonetic"}),
    near_dob=frozenset({"exact", "swapped", "one_digit", "one_digit_decade"}),
    ssn_typo=frozenset({"one_digit", "transposed"}),
    ssn_typo_needs_first_name=True,
    partial_without_ssn=True,
    partial_without_dob=True,
    partial_whole_name_undated=True,
    reads={"first_name": {"short_typo": "differ"}},  # a kind added in rules-5
    # Learned, not set by hand: `python -m bench.learn_weights` (seed 55001, both error models
    # pooled; m by EM over blocked pairs, u from random pairs; log2(m/u) rounded to 0.1).
    weights={
        "first_name": {
            "exact": 6.9,
            "nickname": 4.4,
            "typo": 4.5,
            "middle": -1.3,
            "differ": -8.8,
            "typo2": 0.6,
            "initial": 3.5,
            "phonetic": -0.1,
            "variant": 3.1,
            "shared_nickname": -2.2,
        },
        "last_name": {
            "exact": 6.3,
            "compound": 6.7,
            "typo": 4.6,
            "former": 2.9,
            "differ": -6.5,
            "phonetic": 1.5,
        },
        "date_of_birth": {
            "exact": 14.1,
            "one_digit": 4.2,
            "swapped": 8.9,
            "one_digit_decade": 4.3,
            "differ": -8.6,
        },
        "ssn": {"exact": 15.8, "one_digit": 11.3, "transposed": 10.1, "differ": -9.8},
        "state_id": {"exact": 18.2, "differ": -7.9},
        "address": {"exact": 13.9, "differ": -1.7, "similar": 4.9},
        "email": {"exact": 15.7, "differ": -0.7},
        "phone": {"exact": 16.2, "differ": -8.5},
    },
)

E9 = ExactRule(
    "E9: no SSN on file; names and date of birth agree, the SSN typed is held by no one"
    " (set-up code required)",
    {
        "ssn": frozenset({"missing", "last4"}),
        "date_of_birth": frozenset({"exact"}),
        "first_name": frozenset({"exact"}),
        "last_name": frozenset({"exact", "former", "compound"}),
        "state_id": _NO_OTHER_STATE_ID,
    },
    excludes="twins (another first name); Jr/Sr and other relatives (another birth date);"
    " the registrant who lies (a one-time set-up code from outside the wizard)",
    needs_code=True,
)

# rules-4 (issue 9): rules-3 and one more way to `exact` that rests on evidence a colleague or
# relative could know (no SSN on file), so it is only ever a *gated* exact: the caller asks for a
# one-time set-up code or treats it as partial (docs/matching.md §3.1.1). E4 behind the same code
# (the SSN one keystroke off) was considered and left out: its outcome would differ from the
# check page's exactly when the SSN is the field that disagrees (§8).
RULES_4 = replace(
    RULES_3,
    version="rules-4",
    widenings=(*RULES_3.widenings, E9),
    whole_name_first_typo=True,
    partial_middle_name=True,
)


# rules-5 (issue 9, recall on the noisy model): rules-4 and two more partials, never an exact —
# rule 7 with the birth date near, and rule 11 (docs/matching.md §3.2). `short_typo` is read as
# itself (rules-2 to rules-4 read it as `differ`); it carries no learned weight (0, like a missing
# field), since the weights were learned before the kind existed.
RULES_5 = replace(
    RULES_4,
    version="rules-5",
    reads={},
    surname_changed_dob_near=True,
    partial_short_first_name=True,
)

RULES = {r.version: r for r in (RULES_2, RULES_3, RULES_4, RULES_5)}
