"""The first matcher: `exact` only when names, date of birth and SSN all agree."""

from __future__ import annotations

import hashlib
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from edgate.identity import compare
from edgate.identity.compare import Level
from edgate.identity.engine import Outcome, RuleMatcher
from edgate.identity.records import Candidate, Identity


def h(ssn: str) -> str:
    return hashlib.sha256(ssn.encode()).hexdigest()


MATCHER = RuleMatcher(h)
RECORD = Identity(
    first_name="William",
    last_name="O'Connor",
    former_last_name="Byrne",
    date_of_birth=date(1979, 4, 11),
    ssn_hash=h("219453381"),
    street="14 Elm Street",
    postcode="01360",
)


def decide(**query: object) -> Outcome:
    base = {
        "first_name": "William",
        "last_name": "O'Connor",
        "date_of_birth": date(1979, 4, 11),
        "ssn": "219453381",
    }
    return MATCHER.match(Identity(**(base | query)), [Candidate("1", RECORD)]).outcome  # type: ignore[arg-type]


def test_exact_needs_name_dob_and_ssn() -> None:
    assert decide() == Outcome.EXACT
    assert decide(first_name="WILLIAM", last_name="oconnor") == Outcome.EXACT
    assert decide(last_name="Byrne") == Outcome.EXACT  # former last name


def test_any_disagreeing_identifier_is_not_exact() -> None:
    assert decide(date_of_birth=date(1979, 11, 4)) == Outcome.PARTIAL  # day/month swapped
    assert decide(ssn="219453318") == Outcome.PARTIAL  # adjacent transposition
    assert decide(first_name="Bill") == Outcome.PARTIAL  # nickname: a human confirms, for now
    assert (
        decide(first_name="Margaret", date_of_birth=date(1982, 1, 2)) == Outcome.PARTIAL
    )  # SSN agrees: conflict


def test_sibling_with_other_first_name_and_ssn_is_none() -> None:
    assert decide(first_name="Patrick", ssn="219453999") == Outcome.NONE
    assert decide(first_name="Patrick", ssn="319453999", date_of_birth=date(1981, 2, 2)) == Outcome.NONE


def test_no_candidates_is_none() -> None:
    assert MATCHER.match(Identity(first_name="A", last_name="B"), []).outcome == Outcome.NONE


def test_ssn_comparison_through_hashes() -> None:
    q = Identity(ssn="219453381")
    assert compare.ssn(q, RECORD, h) == Level.AGREE
    assert compare.ssn(Identity(ssn="219453382"), RECORD, h) == Level.CLOSE
    assert compare.ssn(Identity(ssn="219453318"), RECORD, h) == Level.CLOSE
    assert compare.ssn(Identity(ssn="555443322"), RECORD, h) == Level.DIFFER
    assert compare.ssn(Identity(), RECORD, h) == Level.MISSING
    assert len(compare.ssn_variants("123456789")) == 9 * 9 + 8


text = st.text(max_size=30)
dates = st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
identities = st.builds(
    Identity,
    first_name=text,
    last_name=text,
    former_last_name=text,
    date_of_birth=dates,
    ssn=st.from_regex(r"\A(\d{9})?\Z"),
    street=text,
    postcode=text,
    email=text,
    phone=text,
)


@given(identities, identities)
def test_any_unicode_input_never_raises_and_comparison_is_symmetric(a: Identity, b: Identity) -> None:
    # Symmetry on plaintext SSNs (the `link --against` case).
    assert compare.compare_all(a, b, h) == compare.compare_all(b, a, h)
    MATCHER.match(a, [Candidate("1", b)])
