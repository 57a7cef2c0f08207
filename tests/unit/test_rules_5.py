"""rules-5 (docs/matching.md §3.2): rules-4 and two more partials for recall, never an exact —
rule 7 with the birth date near, and rule 11 (a short first name one or two letters off, with the
surname and birth date the same and no SSN on one side). Earlier versions decide as before."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

from edgate.identity.compare import first_name
from edgate.identity.engine import Outcome, RuleMatcher
from edgate.identity.records import Candidate, Identity
from edgate.identity.rules import RULES, RULES_4, RULES_5


def h(ssn: str) -> str:
    return hashlib.sha256(ssn.encode()).hexdigest()


RULES_5_MATCHER, RULES_4_MATCHER = RuleMatcher(h, RULES_5), RuleMatcher(h, RULES_4)
# A record from a staff file without SSNs, and what its person types.
RECORD = Identity(first_name="Tina", last_name="Okafor", date_of_birth=date(1984, 6, 2))
TYPED = Identity(first_name="Tia", last_name="Okafor", date_of_birth=date(1984, 6, 2), ssn="219453381")


def _decide(matcher: RuleMatcher, query: Identity, record: Identity = RECORD) -> tuple[Outcome, str]:
    decision = matcher.match(query, [Candidate("1", record)])
    return decision.outcome, decision.rule


def test_rules_5_is_selectable_beside_rules_4() -> None:
    assert RULES["rules-5"] is RULES_5 and RULES["rules-4"] is RULES_4
    assert RULES_5.widenings == RULES_4.widenings  # no new way to exact


def test_short_first_names_one_or_two_letters_apart_are_their_own_kind() -> None:
    def kind(a: str, b: str) -> str:
        return first_name(replace(RECORD, first_name=a), replace(RECORD, first_name=b)).kind

    assert kind("Tia", "Tina") == kind("Tina", "Tia") == "short_typo"  # one edit, 3 letters
    assert kind("Cody", "Chodf") == "short_typo"  # two edits, 4 letters
    assert kind("Christopher", "Amy") == "differ"
    assert kind("Al", "Ed") == "differ"  # two letters, two edits: any two names
    assert kind("Mason", "Madison") == "typo2"  # 5+ letters: as before


def test_rule_11_holds_a_short_first_name_near_when_there_is_no_ssn_on_file() -> None:
    assert _decide(RULES_5_MATCHER, TYPED) == (
        Outcome.PARTIAL,
        "no full SSN; surname and date of birth agree, a short first name near",
    )
    assert _decide(RULES_4_MATCHER, TYPED)[0] == Outcome.NONE  # rules-4 made a duplicate


def test_rule_11_needs_the_surname_and_birth_date_exactly_and_no_ssn_on_file() -> None:
    for query, record in (
        (replace(TYPED, date_of_birth=date(1984, 6, 3)), RECORD),  # birth date near only
        (replace(TYPED, last_name="Okafar"), RECORD),  # surname near only
        (replace(TYPED, state_id="49999999"), replace(RECORD, state_id="41234567")),  # another state ID
        (TYPED, replace(RECORD, ssn="501234567")),  # an SSN on file that differs: someone else's
        (replace(TYPED, first_name="Ed"), replace(RECORD, first_name="Al")),  # any two 2-letter names
    ):
        assert _decide(RULES_5_MATCHER, query, record)[0] == Outcome.NONE


def test_rule_7_takes_a_birth_date_near_with_the_first_name_and_a_contact() -> None:
    """No SSN on file, the surname changed and the birth date slipped one digit (same decade), the
    first name and the email the same: a human looks (rules-4: none, a duplicate)."""
    record = Identity(
        first_name="Brian", last_name="Walsh", date_of_birth=date(1979, 4, 11), email="bw@example.org"
    )
    query = replace(record, last_name="Moreno", date_of_birth=date(1979, 4, 17), ssn="219453381")
    assert _decide(RULES_5_MATCHER, query, record) == (
        Outcome.PARTIAL,
        "no full SSN; first name and contact agree, date of birth near",
    )
    assert _decide(RULES_4_MATCHER, query, record)[0] == Outcome.NONE
    # Without the contact (the wizard sends none), or a decade apart (a parent), still none.
    assert _decide(RULES_5_MATCHER, replace(query, email=""), record)[0] == Outcome.NONE
    decade = replace(query, date_of_birth=date(1949, 4, 11))
    assert _decide(RULES_5_MATCHER, decade, record)[0] == Outcome.NONE


def test_earlier_versions_read_the_new_kind_as_differ() -> None:
    for version in ("rules-2", "rules-3", "rules-4"):
        decision = RuleMatcher(h, RULES[version]).match(TYPED, [Candidate("1", RECORD)])
        assert decision.outcome == Outcome.NONE, version
