"""Decision: `exact`, `partial` or `none`, with the candidate, a score and per-field levels.

The full rules are in docs/matching.md (§3). In short (rules-3):

* exact   — every identifier that separates family members agrees (date of birth and SSN
            exactly, first name allowing a nickname or one typo, last name allowing a former
            name, a compound part or one typo, no differing state ID), or one of the
            widenings in `MatchRules.widenings`, each of which still rules out every relative
            (a changed surname; a near first name with the person's own state ID; a birth date
            swapped or one digit off within a generation with the exact first name, typed
            impossibly or not; no SSN, with names, birth date and a contact or the state ID;
            in agency rows, an SSN one keystroke off with names, birth date and a contact). A
            field unusable on either side never counts, but for a widening that reads it (a
            typed date's digits). A high total alone never makes `exact`: a false exact shows
            a stranger someone else's User Name. rules-4 adds one exact that rests on names
            and a birth date (E9: no SSN on file; the SSN typed held by no one; no namesake
            born the same day on file): `Decision.needs_code` — the caller asks for a one-time
            set-up code, or treats it as partial (`Decision.gated`). rules-5 adds partials only.
* partial — the registration points at this record through strong evidence (the SSN or state
            ID agrees; the SSN is one keystroke off with date of birth and first name near;
            name and date of birth agree with no SSN to tell them apart, or a differing one;
            or, with no SSN nor birth date to go on, the whole name and a contact agree —
            for a registration, which sends no contact, the whole name alone)
            but something conflicts: a human decides.
* none    — otherwise. A twin (same surname, birth date, address; another first name and
            SSN, consecutive or not) and a Jr/Sr pair (same name and address; other birth date
            and SSN) are `none`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from . import normalize
from .compare import Result, compare_all
from .records import Candidate, Identity
from .rules import RULES_3, MatchRules


class Outcome(StrEnum):
    EXACT = "exact"
    PARTIAL = "partial"
    NONE = "none"


SSN_HELD_ELSEWHERE = "exact by another rule, but another record holds this SSN"
NAMESAKE_ON_FILE = (
    "exact by a rule that needs a set-up code, but another record has the same names and birth date"
)
NO_SSN_TYPED = "exact by a rule that needs a set-up code, but no SSN was typed to be held by no one"
RANK = {Outcome.EXACT: 2, Outcome.PARTIAL: 1, Outcome.NONE: 0}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    candidate_id: str | None = None
    score: float = 0.0
    fields: dict[str, Result] = field(default_factory=dict)
    rule: str = ""
    # Exact on evidence a colleague or relative could know (rules-4 E9): the caller must not
    # hand over the Profile on it — a pre-created Profile's set-up needs a one-time set-up code,
    # an active Profile's User Name is not shown; a caller that cannot ask for a code treats it
    # as partial (`gated`).
    needs_code: bool = False

    def gated(self) -> Decision:
        """For a caller with no set-up code to ask for (the console's add-someone-new, ...): an
        exact that needs a code is a human's decision, like any partial."""
        if self.outcome == Outcome.EXACT and self.needs_code:
            return replace(self, outcome=Outcome.PARTIAL, needs_code=False)
        return self

    def explanation(self) -> dict[str, str]:
        return {name: result.level.value for name, result in self.fields.items()}

    def details(self) -> dict[str, str]:
        return {name: result.kind for name, result in self.fields.items()}


NO_MATCH = Decision(Outcome.NONE, rule="no candidate")


class Matcher(Protocol):
    version: str

    def match(self, query: Identity, candidates: Iterable[Candidate]) -> Decision: ...


def _kinds(results: dict[str, Result], rules: MatchRules) -> dict[str, str]:
    """Each field's kind as `rules` reads it (a version reads kinds added after it as the ones it knew)."""
    return {name: rules.reads.get(name, {}).get(r.kind, r.kind) for name, r in results.items()}


def score(
    results: dict[str, Result], rules: MatchRules = RULES_3, kinds: dict[str, str] | None = None
) -> float:
    """`kinds`: `_kinds(results, rules)` when the caller has them (`RuleMatcher.decide`)."""
    if kinds is None:
        kinds = _kinds(results, rules)
    return round(sum(rules.weights.get(name, {}).get(kind, 0.0) for name, kind in kinds.items()), 2)


# A field unusable on either side (a malformed value in a person file, docs/matching.md §7)
# never counts towards `exact`: an unusable SSN or state ID is no SSN or state ID, any other
# unusable field fails every exact rule. The partial rules still see how near it is (a typed
# impossible date compared digit by digit).
ABSENT_WHEN_UNUSABLE = frozenset({"ssn", "state_id"})


def classify(
    f: dict[str, Result],
    rules: MatchRules = RULES_3,
    unusable: frozenset[str] = frozenset(),
    *,
    agency_file: bool = False,
    middle_agrees: bool = False,
    kinds: dict[str, str] | None = None,
) -> tuple[Outcome, str]:
    """`kinds`: `_kinds(f, rules)` when the caller has them (`RuleMatcher.decide`, which scores
    the same kinds: worked out once per candidate)."""
    kind = _kinds(f, rules) if kinds is None else kinds
    for_exact = dict(kind)
    for name in unusable & kind.keys():
        for_exact[name] = "missing" if name in ABSENT_WHEN_UNUSABLE else "unusable"
    if all(for_exact[name] in allowed for name, allowed in rules.exact.items()):
        return Outcome.EXACT, "names, date of birth and SSN agree"
    for widening in rules.widenings:
        if (widening.agency_only and not agency_file) or (widening.needs_code and agency_file):
            continue
        seen = (
            for_exact | {name: kind[name] for name in widening.read_when_unusable}
            if widening.read_when_unusable
            else for_exact  # the same values, without a copy per widening
        )
        if all(seen[name] in allowed for name, allowed in widening.kinds.items()) and (
            not widening.any_of or any(seen[name] in ok for name, ok in widening.any_of.items())
        ):
            return Outcome.EXACT, widening.name
    first_near = kind["first_name"] in rules.near_first
    last_near = kind["last_name"] in rules.near_last
    dob_near = kind["date_of_birth"] in rules.near_dob
    if kind["ssn"] == "exact":
        return Outcome.PARTIAL, "SSN agrees but other data conflicts"
    if kind["state_id"] == "exact":
        return Outcome.PARTIAL, "state ID agrees but other data conflicts"
    names_near = first_near if rules.ssn_typo_needs_first_name else (first_near or last_near)
    if kind["ssn"] in rules.ssn_typo and dob_near and names_near:
        return Outcome.PARTIAL, "SSN one keystroke away, with date of birth and name near"
    if kind["date_of_birth"] == "exact" and first_near and last_near:
        if kind["ssn"] in ("missing", "last4"):
            return Outcome.PARTIAL, "name and date of birth agree; no full SSN to tell them apart"
        full_name = kind["first_name"] == "exact" and kind["last_name"] in ("exact", "former")
        if full_name and kind["state_id"] != "differ":
            # A mistyped SSN on one side, or two people of one name and birthday; a human looks.
            # Not when both also carry state IDs and those differ: two identifiers then agree
            # that these are two people (namesakes in agency files).
            return Outcome.PARTIAL, "full name and date of birth agree but the SSN differs"
    if kind["ssn"] == "last4" and dob_near and first_near and last_near:
        return Outcome.PARTIAL, "last four SSN digits, name and date of birth near"
    if rules.partial_without_ssn and kind["ssn"] in ("missing", "last4"):
        # No SSN to tell people apart, one more thing off: a human looks rather than a
        # duplicate Profile being made (the birth date mistyped, or the surname changed with
        # an address, email or phone still the same).
        if dob_near and first_near and last_near:
            return Outcome.PARTIAL, "no full SSN; name and date of birth near"
        contact = any(kind[name] == "exact" for name in ("address", "email", "phone"))
        if kind["date_of_birth"] == "exact" and kind["first_name"] in ("exact", "nickname") and contact:
            return Outcome.PARTIAL, "no full SSN; first name, date of birth and contact agree"
        if (
            rules.surname_changed_dob_near
            and kind["date_of_birth"] in ("swapped", "one_digit")
            and kind["first_name"] in ("exact", "nickname")
            and kind["state_id"] != "differ"
            and contact
        ):
            # rules-5: the surname changed (or mistyped) and the birth date slipped within a decade,
            # the first name and a contact still the same; a human looks.
            return Outcome.PARTIAL, "no full SSN; first name and contact agree, date of birth near"
        if (
            rules.partial_short_first_name
            and kind["first_name"] == "short_typo"
            and kind["last_name"] == "exact"
            and kind["date_of_birth"] == "exact"
            and kind["state_id"] != "differ"
        ):
            # rules-5: a short first name one or two letters off (Tia ~ Tina), too short for a
            # typo; surname and birth date the same and no SSN to tell. Twins' names are often
            # this close (Ava ~ Eva): never exact, a human looks.
            return Outcome.PARTIAL, "no full SSN; surname and date of birth agree, a short first name near"
        if rules.partial_without_dob and contact and _whole_name_agrees(kind, rules.whole_name_first_typo):
            # No SSN and no birth date to tell people apart (missing, unusable, or another
            # date: a father and son of one name, or the date mistyped twice): the whole name
            # and a contact say it may be this person; a human looks rather than a duplicate.
            return Outcome.PARTIAL, "no full SSN; whole name and contact agree, birth date does not"
    if rules.partial_without_dob and kind["ssn"] in rules.ssn_typo and kind["date_of_birth"] == "missing":
        contact = any(kind[name] == "exact" for name in ("address", "email", "phone"))
        if contact and _whole_name_agrees(kind):
            return Outcome.PARTIAL, "SSN one keystroke away, no birth date; whole name and contact agree"
    if (
        rules.partial_middle_name
        and middle_agrees
        and kind["ssn"] in rules.ssn_typo | {"missing", "last4"}
        and kind["state_id"] != "differ"
        and (dob_near or kind["date_of_birth"] == "missing")
        and (first_near or last_near)
    ):
        # rules-4: a second given name agreeing exactly, with the birth date near (or missing) and
        # one of the names near: a record whose first name or surname was badly keyed, or a
        # married name, when no SSN can tell. Not Jr/Sr (another birth date: never near), not a
        # twin or sibling but one who shares the middle name too; a human looks.
        return Outcome.PARTIAL, "middle name agrees, birth date and a name near; no SSN agrees"
    if (
        rules.partial_whole_name_undated
        and not agency_file
        and kind["date_of_birth"] == "missing"
        and kind["ssn"] in rules.ssn_typo | {"missing", "last4"}
        and kind["first_name"] == "exact"
        and kind["last_name"] in ("exact", "former", "compound")
        and kind["state_id"] != "differ"
    ):
        # A registration (the wizard sends no contact for rule 8 to use), no birth date on one
        # side and no SSN to agree (none, or one keystroke off): only the whole name is left. Not
        # exact (a father and son of one name, a namesake), not a duplicate either: a human
        # looks. An agency row has its contact for rule 8, so a namesake's row stays `none`.
        return Outcome.PARTIAL, "whole name agrees; no birth date and no SSN on one side to tell them apart"
    return Outcome.NONE, "identifiers that separate people disagree"


def _whole_name_agrees(kind: dict[str, str], first_typo: bool = False) -> bool:
    first, last = kind["first_name"], kind["last_name"]
    firsts = ("exact", "nickname", "typo") if first_typo else ("exact", "nickname")
    return first in firsts and last in ("exact", "former", "compound")


def _middle_agrees(query: Identity, record: Identity, unusable: frozenset[str]) -> bool:
    """Both give a middle name and it is the same (normalized): rules-4's middle-name partial."""
    if "middle_name" in unusable:
        return False
    q, r = normalize.name_key(query.middle_name), normalize.name_key(record.middle_name)
    return bool(q) and q == r


def _unusable(identity: Identity) -> frozenset[str]:
    return getattr(identity, "unusable", frozenset())


# Combinations remembered per matcher (each a few hundred bytes); past this, worked out each time.
DECIDED_MAX = 1 << 16


class RuleMatcher:
    def __init__(self, hasher: Callable[[str], str], rules: MatchRules = RULES_3) -> None:
        self.hasher = hasher
        self.rules = rules
        self.version = rules.version
        self._needs_code = frozenset(r.name for r in rules.widenings if r.needs_code)
        # `classify` and `score` read nothing but the comparison kinds, the unusable fields, where
        # the query comes from and whether the middle names agree: their answer for each such
        # combination, worked out once (a bulk import decides millions of candidates through a
        # few thousand combinations; docs/matching.md §7).
        self._decided: dict[tuple[object, ...], tuple[Outcome, str, float]] = {}

    def decide(
        self, query: Identity, candidate: Candidate, hasher: Callable[[str], str] | None = None
    ) -> Decision:
        results = compare_all(query, candidate.identity, hasher or self.hasher)
        unusable = _unusable(query) | _unusable(candidate.identity)
        middle_agrees = self.rules.partial_middle_name and _middle_agrees(query, candidate.identity, unusable)
        # The fields and their order are compare_all's, always the same: their kinds say it all.
        key = (*[r.kind for r in results.values()], unusable, query.agency_file, middle_agrees)
        try:
            outcome, rule, points = self._decided[key]
        except KeyError:
            kinds = _kinds(results, self.rules)
            outcome, rule = classify(
                results,
                self.rules,
                unusable,
                agency_file=query.agency_file,
                middle_agrees=middle_agrees,
                kinds=kinds,
            )
            points = score(results, self.rules, kinds)
            if len(self._decided) < DECIDED_MAX:
                self._decided[key] = (outcome, rule, points)
        needs_code = outcome == Outcome.EXACT and rule in self._needs_code
        return Decision(outcome, candidate.record_id, points, results, rule, needs_code)

    def match(
        self, query: Identity, candidates: Iterable[Candidate], hasher: Callable[[str], str] | None = None
    ) -> Decision:
        """`hasher` may be a memoizing wrapper of the matcher's own, shared with blocking."""
        best = NO_MATCH
        ssn_holder: Decision | None = None
        same_names_and_dob: set[str | None] = set()
        for candidate in candidates:
            decision = self.decide(query, candidate, hasher)
            if decision.fields.get("ssn") is not None and decision.fields["ssn"].kind == "exact":
                ssn_holder = decision
            if _same_names_and_dob(decision):
                same_names_and_dob.add(decision.candidate_id)
            if (RANK[decision.outcome], decision.score) > (RANK[best.outcome], best.score):
                best = decision
        # An exact reached without the SSN agreeing (E5d-E8: a near or missing SSN) while another
        # record holds the query's SSN exactly: two records each have part of a claim to it — a
        # sibling's SSN typed on a row about this person, or the reverse. A human decides.
        if (
            best.outcome == Outcome.EXACT
            and best.details().get("ssn") != "exact"
            and ssn_holder is not None
            and ssn_holder.candidate_id != best.candidate_id
        ):
            return replace(best, outcome=Outcome.PARTIAL, rule=SSN_HELD_ELSEWHERE, needs_code=False)
        # An exact that needs a set-up code (E9) rests on names and a birth date: it stands only
        # when exactly one record has them (a namesake born the same day, with or without an
        # SSN, makes it a human's choice) and an SSN was typed (held by no one: above).
        if best.outcome == Outcome.EXACT and best.needs_code:
            if same_names_and_dob - {best.candidate_id}:
                return replace(best, outcome=Outcome.PARTIAL, rule=NAMESAKE_ON_FILE, needs_code=False)
            if not query.ssn:
                return replace(best, outcome=Outcome.PARTIAL, rule=NO_SSN_TYPED, needs_code=False)
        return best


def _same_names_and_dob(decision: Decision) -> bool:
    kinds = decision.details()
    return (
        kinds.get("first_name") == "exact"
        and kinds.get("last_name") in ("exact", "former", "compound")
        and kinds.get("date_of_birth") == "exact"
    )
