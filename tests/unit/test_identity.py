"""The pure matcher (rules-2): normalizers, comparators, decisions and their properties."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgate.identity import compare, normalize
from edgate.identity.blocking import MemoryIndex, query_keys, record_keys
from edgate.identity.compare import Level
from edgate.identity.engine import RANK, Outcome, RuleMatcher
from edgate.identity.records import Candidate, Identity


def h(ssn: str) -> str:
    return hashlib.sha256(ssn.encode()).hexdigest()


MATCHER = RuleMatcher(h)
RECORD = Identity(
    first_name="William",
    middle_name="James",
    last_name="O'Connor",
    former_last_name="Byrne",
    date_of_birth=date(1979, 4, 11),
    ssn_hash=h("219453381"),
    street="14 Elm Street",
    postcode="01360",
)
BASE = {
    "first_name": "William",
    "last_name": "O'Connor",
    "date_of_birth": date(1979, 4, 11),
    "ssn": "219453381",
}


def decide(record: Identity = RECORD, **query: object) -> Outcome:
    return MATCHER.match(Identity(**(BASE | query)), [Candidate("1", record)]).outcome  # type: ignore[arg-type]


# --- normalizers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("O'Brien", "obrien"),
        ("García-López", "garcialopez"),
        ("José", "jose"),
        ("Nguyễn", "nguyen"),
        ("Smith Jr.", "smith"),
        ("Henry III", "henry"),
        ("  van  der Berg ", "vanderberg"),
        ("", ""),
        # Other scripts are transliterated (anyascii), never dropped.
        ("Петрова", "petrova"),
        ("Ольга", "olga"),
        ("Παπαδόπουλος", "papadopoylos"),
        ("王", "wang"),
        ("Øyvind Ærø", "oyvindaero"),
        ("李" * 80, "li" * 30),  # cut to what the Person's key columns hold
    ],
)
def test_name_key(raw: str, key: str) -> None:
    assert normalize.name_key(raw) == key


def test_a_cyrillic_registrant_matches_a_cyrillic_record_exactly() -> None:
    record = Identity(
        first_name="Ольга", last_name="Петрова", date_of_birth=date(1979, 4, 11), ssn_hash=h("219453381")
    )
    query = Identity(
        first_name="Ольга", last_name="Петрова", date_of_birth=date(1979, 4, 11), ssn="219453381"
    )
    assert compare.first_name(query, record).kind == compare.last_name(query, record).kind == "exact"
    assert normalize.phonetic("Петрова") == normalize.phonetic("Petrova") != ""
    decision = MATCHER.match(query, [Candidate(record_id="1", identity=record)])
    assert decision.outcome == Outcome.EXACT
    # And another Cyrillic name is not taken for hers.
    other = replace(query, first_name="Ирина", last_name="Соколова")
    assert compare.last_name(other, record).level == Level.DIFFER


def test_nicknames_phonetics_and_contact_forms() -> None:
    assert "william" in normalize.first_name_forms("Bill") and "bill" in normalize.first_name_forms("William")
    assert normalize.phonetic("Smith") == normalize.phonetic("Smyth")
    assert normalize.street("14 Elm Street Apartment 2") == normalize.street("14 elm st apt 2")
    assert normalize.phone("+1 (555) 201-4477") == "5552014477"
    assert normalize.email(" Ann@Example.ORG ") == "ann@example.org"
    assert normalize.postcode5("02148-1234") == "02148"


# --- comparators ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("William", "william", "exact"),
        ("Bill", "William", "nickname"),
        ("Willaim", "William", "typo"),
        ("W", "William", "initial"),
        ("Katherine", "Catherine", "nickname"),
        ("Peter", "Susan", "differ"),
        ("", "Ann", "missing"),
    ],
)
def test_first_name_levels(a: str, b: str, kind: str) -> None:
    assert compare.first_name(Identity(first_name=a), Identity(first_name=b)).kind == kind


def test_first_and_middle_name_swapped() -> None:
    q, r = (
        Identity(first_name="James", middle_name="William"),
        Identity(first_name="William", middle_name="James"),
    )
    assert compare.first_name(q, r).kind == "middle"


@pytest.mark.parametrize(
    ("q", "r", "kind"),
    [
        (Identity(last_name="Byrne"), RECORD, "former"),
        (Identity(last_name="Walsh", former_last_name="O'Connor"), RECORD, "former"),
        (Identity(last_name="García"), Identity(last_name="García-López"), "compound"),
        (Identity(last_name="Schmidt"), Identity(last_name="Schmitt"), "typo"),
        (Identity(last_name="Walsh"), RECORD, "differ"),
    ],
)
def test_last_name_levels(q: Identity, r: Identity, kind: str) -> None:
    assert compare.last_name(q, r).kind == kind


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        (date(1979, 4, 11), date(1979, 4, 11), "exact"),
        (date(1979, 4, 11), date(1979, 11, 4), "swapped"),
        (date(1979, 4, 11), date(1978, 4, 11), "one_digit"),
        (date(1979, 4, 11), date(1997, 4, 11), "one_digit"),
        (date(1979, 4, 11), date(1985, 2, 1), "differ"),
    ],
)
def test_date_of_birth_levels(a: date, b: date, kind: str) -> None:
    assert compare.date_of_birth(Identity(date_of_birth=a), Identity(date_of_birth=b)).kind == kind


@pytest.mark.parametrize(
    ("query_ssn", "kind"),
    [
        ("219453381", "exact"),
        ("219453382", "one_digit"),
        ("219453318", "transposed"),
        ("555443322", "differ"),
    ],
)
def test_ssn_levels_through_hashes_and_plaintext(query_ssn: str, kind: str) -> None:
    assert compare.ssn(Identity(ssn=query_ssn), RECORD, h).kind == kind
    assert compare.ssn(Identity(ssn=query_ssn), Identity(ssn="219453381"), h).kind == kind


def test_ssn_last_four_only() -> None:
    assert compare.ssn(Identity(ssn="219453381"), Identity(ssn_last4="3381"), h).kind == "last4"
    assert compare.ssn(Identity(ssn="219453381"), Identity(ssn_last4="9999"), h).kind == "differ"
    assert compare.ssn(Identity(), RECORD, h).level == Level.MISSING
    assert len(compare.ssn_variants("123456789")) == 9 * 9 + 8


# --- decisions ----------------------------------------------------------------------------


def test_exact_needs_every_separating_identifier() -> None:
    assert decide() == Outcome.EXACT
    assert decide(first_name="BILL", last_name="oconnor") == Outcome.EXACT  # nickname, case
    assert decide(last_name="Byrne") == Outcome.EXACT  # former last name on file
    assert decide(last_name="Walsh", former_last_name="O'Connor") == Outcome.EXACT  # married, declared


def test_conflicts_go_to_a_human() -> None:
    assert decide(date_of_birth=date(1979, 11, 4)) == Outcome.PARTIAL  # day/month swapped
    assert decide(ssn="219453318") == Outcome.PARTIAL  # adjacent transposition
    assert decide(last_name="Walsh") == Outcome.PARTIAL  # married, former name not given
    assert decide(first_name="Margaret", date_of_birth=date(1982, 1, 2)) == Outcome.PARTIAL  # SSN agrees
    assert decide(ssn="") == Outcome.PARTIAL  # name and DOB, no SSN to tell them apart


def test_family_members_are_none() -> None:
    twin = {"first_name": "Patrick", "ssn": "219453999"}
    assert decide(**twin) == Outcome.NONE
    assert (
        decide(first_name="Patrick", ssn="319453999", date_of_birth=date(1981, 2, 2)) == Outcome.NONE
    )  # sibling
    assert decide(ssn="552211337", date_of_birth=date(1954, 8, 30)) == Outcome.NONE  # father, same name


def test_no_candidates_is_none() -> None:
    assert MATCHER.match(Identity(first_name="A", last_name="B"), []).outcome == Outcome.NONE


def test_memory_index_finds_typos_and_name_changes() -> None:
    index = MemoryIndex()
    index.add("1", replace(RECORD, ssn="219453381", ssn_hash=""))
    assert [c.record_id for c in index.candidates(Identity(**(BASE | {"ssn": "219453318"})))] == ["1"]
    married = Identity(first_name="William", last_name="Walsh", date_of_birth=date(1979, 4, 11))
    assert [c.record_id for c in index.candidates(married)] == ["1"]  # by (DOB, first name)
    swapped = Identity(first_name="Bill", last_name="O'Connor", date_of_birth=date(1979, 11, 4))
    assert [c.record_id for c in index.candidates(swapped)] == ["1"]
    assert record_keys(RECORD) and not (query_keys(Identity()) or record_keys(Identity()))


# --- properties ---------------------------------------------------------------------------

text = st.text(max_size=24)
dates = st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
ssns = st.one_of(st.just(""), st.from_regex(r"\A[0-9]{9}\Z"))
identities = st.builds(
    Identity,
    first_name=text,
    middle_name=text,
    last_name=text,
    former_last_name=text,
    date_of_birth=dates,
    ssn=ssns,
    state_id=st.one_of(st.just(""), st.from_regex(r"\A[0-9]{8}\Z")),
    street=text,
    postcode=text,
    email=text,
    phone=text,
)


@settings(max_examples=300)
@given(identities, identities)
def test_any_unicode_never_raises_and_comparison_is_symmetric(a: Identity, b: Identity) -> None:
    assert compare.compare_all(a, b, h) == compare.compare_all(b, a, h)
    MATCHER.match(a, [Candidate("1", b)])
    MemoryIndex().candidates(a)


@settings(max_examples=300)
@given(identities, identities, st.sampled_from(["ssn", "date_of_birth", "state_id"]), st.data())
def test_adding_a_disagreeing_identifier_never_raises_the_outcome(
    q: Identity, r: Identity, field: str, data: st.DataObject
) -> None:
    before = MATCHER.match(q, [Candidate("1", r)]).outcome
    if field == "ssn" and not q.ssn:
        value = data.draw(
            ssns.filter(lambda s: s and (not r.ssn or compare.ssn(Identity(ssn=s), r, h).kind == "differ"))
        )
    elif field == "date_of_birth" and q.date_of_birth is None:
        value = data.draw(
            dates.filter(
                lambda d: (
                    d is not None
                    and (
                        r.date_of_birth is None
                        or compare.date_of_birth(Identity(date_of_birth=d), r).kind == "differ"
                    )
                )
            )
        )
    elif field == "state_id" and not q.state_id:
        value = data.draw(st.from_regex(r"\A[0-9]{8}\Z").filter(lambda s: s != r.state_id))
    else:
        return
    after = MATCHER.match(replace(q, **{field: value}), [Candidate("1", r)]).outcome
    assert RANK[after] <= RANK[before], (field, before, after)
