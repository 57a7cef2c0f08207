"""rules-4 (docs/matching.md §3.1.1, §3.2): E9 — no SSN on file, names and birth date agree, the
typed SSN held by no one — an exact that needs a one-time set-up code, never for an agency row,
and never when the family or a namesake on file could be the one meant; and two more partials."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

from edgate.identity.engine import Outcome, RuleMatcher
from edgate.identity.records import Candidate, Identity
from edgate.identity.rules import RULES, RULES_3, RULES_4


def h(ssn: str) -> str:
    return hashlib.sha256(ssn.encode()).hexdigest()


MATCHER = RuleMatcher(h, RULES_4)
# A record from a staff file without SSNs (22% of a health data set's records have none).
RECORD = Identity(
    first_name="Morgan", last_name="Okafor", date_of_birth=date(1984, 6, 2), state_id="41234567"
)
TYPED = Identity(first_name="Morgan", last_name="Okafor", date_of_birth=date(1984, 6, 2), ssn="219453381")


def test_rules_4_is_rules_3_with_e9() -> None:
    assert RULES["rules-4"] is RULES_4 and RULES_4.widenings[:-1] == RULES_3.widenings
    assert [r.name[:3] for r in RULES_4.widenings if r.needs_code] == ["E9:"]
    assert RuleMatcher(h, RULES_3).match(TYPED, [Candidate("1", RECORD)]).outcome == Outcome.PARTIAL


def test_names_and_birth_date_on_a_record_without_ssn_is_an_exact_that_needs_a_code() -> None:
    decision = MATCHER.match(TYPED, [Candidate("1", RECORD)])
    assert decision.outcome == Outcome.EXACT and decision.needs_code and decision.rule.startswith("E9")
    # A caller that cannot ask for a code (the console's add-someone-new) sees a partial.
    assert decision.gated().outcome == Outcome.PARTIAL and not decision.gated().needs_code
    # The only the last four on file, agreeing: still E9 (no full SSN to agree).
    last4 = replace(RECORD, ssn_last4="3381")
    assert MATCHER.match(TYPED, [Candidate("1", last4)]).needs_code


def test_a_record_whose_ssn_agrees_needs_no_code() -> None:
    decision = MATCHER.match(TYPED, [Candidate("1", replace(RECORD, ssn_hash=h("219453381")))])
    assert decision.outcome == Outcome.EXACT and not decision.needs_code


def test_family_members_are_not_e9() -> None:
    twin = replace(TYPED, first_name="Megan")  # the twin typing their own first name
    junior = replace(TYPED, date_of_birth=date(2010, 6, 2))  # a son of one name
    near_first = replace(TYPED, first_name="Morgen")  # a typo is how twins' names differ
    for query in (twin, junior, near_first):
        assert not MATCHER.match(query, [Candidate("1", RECORD)]).needs_code
        assert MATCHER.match(query, [Candidate("1", RECORD)]).outcome != Outcome.EXACT


def test_another_state_id_is_not_e9() -> None:
    other = replace(TYPED, state_id="49999999")
    assert MATCHER.match(other, [Candidate("1", RECORD)]).outcome == Outcome.PARTIAL


def test_an_ssn_held_by_someone_else_makes_it_partial() -> None:
    holder = Identity(
        first_name="Ada", last_name="Byrne", date_of_birth=date(1950, 1, 1), ssn_hash=h("219453381")
    )
    for order in (
        [Candidate("1", RECORD), Candidate("2", holder)],
        [Candidate("2", holder), Candidate("1", RECORD)],
    ):
        decision = MATCHER.match(TYPED, order)
        assert decision.outcome == Outcome.PARTIAL and not decision.needs_code


def test_a_namesake_born_the_same_day_on_file_makes_it_partial() -> None:
    namesake = replace(RECORD, state_id="", ssn_hash=h("512000001"))  # another person, their own SSN
    undocumented = replace(RECORD, state_id="")  # or another record without SSN
    for other in (namesake, undocumented):
        for order in (
            [Candidate("1", RECORD), Candidate("2", other)],
            [Candidate("2", other), Candidate("1", RECORD)],
        ):
            decision = MATCHER.match(TYPED, order)
            assert decision.outcome == Outcome.PARTIAL and "same names and birth date" in decision.rule


def test_no_ssn_typed_is_not_e9() -> None:
    decision = MATCHER.match(replace(TYPED, ssn=""), [Candidate("1", RECORD)])
    assert decision.outcome == Outcome.PARTIAL and not decision.needs_code


def test_an_agency_row_never_reaches_e9() -> None:
    row = replace(TYPED, agency_file=True)
    assert MATCHER.match(row, [Candidate("1", RECORD)]).outcome == Outcome.PARTIAL


def test_an_ssn_one_keystroke_off_is_not_e9() -> None:
    """E4 stays withdrawn, even behind the code: a registrant whose SSN is one keystroke off gets
    the check page like one whose birth date is off (docs/matching.md §8), never another page."""
    record = replace(RECORD, ssn_hash=h("219453382"))
    decision = MATCHER.match(TYPED, [Candidate("1", record)])
    assert decision.outcome == Outcome.PARTIAL and not decision.needs_code


def test_a_middle_name_agreeing_holds_a_badly_keyed_first_name_for_a_human() -> None:
    """rules-4's middle-name partial: no SSN on file, the first name keyed beyond a typo
    (Sheizla for Cecilia), the birth date and surname agreeing, the middle name the same."""
    record = replace(RECORD, first_name="Sheizla", middle_name="Quintus")
    typed = replace(TYPED, first_name="Cecilia", middle_name="Quintus")
    assert MATCHER.match(typed, [Candidate("1", record)]).outcome == Outcome.PARTIAL
    assert RuleMatcher(h, RULES_3).match(typed, [Candidate("1", record)]).outcome == Outcome.NONE
    # Another middle name, or none typed: a twin, not held.
    for other in (replace(typed, middle_name="Quentin"), replace(typed, middle_name="")):
        assert MATCHER.match(other, [Candidate("1", record)]).outcome == Outcome.NONE
    # A father or son of one name, middle name included: another birth date, not held.
    junior = replace(typed, first_name="Sheizla", date_of_birth=date(2010, 6, 2))
    assert MATCHER.match(junior, [Candidate("1", record)]).outcome == Outcome.NONE


def test_rule_8_takes_a_first_name_one_typo_off() -> None:
    """No SSN and no birth date on file to go on, the whole name (first name one typo off) and
    the email agreeing: a human looks rather than a duplicate Profile (an agency row)."""
    record = Identity(first_name="Cynthia", last_name="Anderson", email="c.anderson@example.org")
    row = Identity(
        first_name="Cytnhia",
        last_name="Anderson",
        date_of_birth=date(1984, 6, 2),
        ssn="219453381",
        email="c.anderson@example.org",
        agency_file=True,
    )
    assert MATCHER.match(row, [Candidate("1", record)]).outcome == Outcome.PARTIAL
    assert RuleMatcher(h, RULES_3).match(row, [Candidate("1", record)]).outcome == Outcome.NONE
