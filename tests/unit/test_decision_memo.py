"""`RuleMatcher.decide` works out `classify` and `score` once per combination of what they read
(the comparison kinds, the unusable fields, where the query comes from, whether the middle names
agree): the same decisions as working them out for every candidate (docs/matching.md §7)."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import replace
from datetime import date

from edgate.identity import engine
from edgate.identity.compare import compare_all
from edgate.identity.engine import RuleMatcher, _kinds, _middle_agrees, classify, score
from edgate.identity.records import Candidate, Identity
from edgate.identity.rules import RULES


def h(ssn: str) -> str:
    return hashlib.sha256(ssn.encode()).hexdigest()


RECORD = Identity(
    first_name="William",
    middle_name="James",
    last_name="O'Connor",
    former_last_name="Byrne",
    date_of_birth=date(1979, 4, 11),
    ssn_hash=h("219453381"),
    ssn_last4="3381",
    state_id="12345678",
    street="14 Elm Street",
    postcode="01360",
    email="w.oconnor@example.org",
    phone="5552014477",
)
RECORDS = [
    RECORD,
    replace(RECORD, ssn_hash="", ssn_last4=""),
    replace(RECORD, ssn_hash="", ssn_last4="", state_id="", email="", phone=""),
    replace(RECORD, first_name="Emma", middle_name=""),
    replace(RECORD, date_of_birth=None, dob_digits="19791411", unusable=frozenset({"date_of_birth"})),
    replace(RECORD, email="", unusable=frozenset({"email"})),
]
QUERY = Identity(
    first_name="William",
    middle_name="James",
    last_name="O'Connor",
    date_of_birth=date(1979, 4, 11),
    ssn="219453381",
)
CHANGES = [
    {},
    {"ssn": ""},
    {"ssn": "219453318"},
    {"ssn": "", "email": "W.OConnor@example.org"},
    {"ssn": "", "phone": "(555) 201 4477"},
    {"first_name": "Bill"},
    {"first_name": "Willem", "ssn": ""},
    {"last_name": "Byrne"},
    {"date_of_birth": date(1979, 4, 17)},
    {"date_of_birth": date(1979, 11, 4), "ssn": ""},
    {"date_of_birth": None, "ssn": "", "email": "w.oconnor@example.org"},
    {"date_of_birth": None, "dob_digits": "19790411", "unusable": frozenset({"date_of_birth"})},
    {"middle_name": ""},
    {"first_name": "Wilma", "middle_name": "James", "ssn": ""},
    {"state_id": "87654321"},
    {"ssn": "", "unusable": frozenset({"ssn"})},
]


def worked_out(matcher: RuleMatcher, query: Identity, record: Identity) -> tuple[object, ...]:
    """What `decide` gave before the memo: classify and score for this candidate alone."""
    results = compare_all(query, record, h)
    unusable = query.unusable | record.unusable
    kinds = _kinds(results, matcher.rules)
    outcome, rule = classify(
        results,
        matcher.rules,
        unusable,
        agency_file=query.agency_file,
        middle_agrees=matcher.rules.partial_middle_name and _middle_agrees(query, record, unusable),
        kinds=kinds,
    )
    needs_code = outcome == engine.Outcome.EXACT and rule in matcher._needs_code
    return outcome, rule, score(results, matcher.rules, kinds), needs_code


def test_one_matcher_decides_every_pair_as_if_each_were_worked_out_alone() -> None:
    for rules in RULES.values():
        matcher = RuleMatcher(h, rules)  # one memo across every pair, both orders of the pairs
        pairs = [
            (replace(QUERY, **change, agency_file=agency), record)
            for change, agency, record in itertools.product(CHANGES, (False, True), RECORDS)
        ]
        for query, record in pairs + pairs[::-1]:
            decision = matcher.decide(query, Candidate("1", record))
            assert (decision.outcome, decision.rule, decision.score, decision.needs_code) == worked_out(
                matcher, query, record
            ), (rules.version, query.agency_file)


def test_classify_runs_once_per_combination(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls = []

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return classify(*args, **kwargs)

    monkeypatch.setattr(engine, "classify", counted)
    matcher = RuleMatcher(h)
    namesakes = [Candidate(str(i), replace(RECORD, ssn_hash=h(f"21945{i:04d}"))) for i in range(1, 6)]
    matcher.match(replace(QUERY, ssn="", agency_file=True), namesakes)
    assert len(calls) == 1  # five candidates, one combination
    matcher.match(replace(QUERY, ssn=""), namesakes)  # a registration: another combination
    assert len(calls) == 2


def test_digits_only_is_returned_as_it_is() -> None:
    from edgate.identity import normalize

    phone = "".join(["555", "2014477"])  # a string built here, not a constant shared with others
    assert normalize.digits(phone) is phone  # no copy, character by character
    assert normalize.digits("(555) 201-4477") == "5552014477"
    assert normalize.digits("٣٤٥") == "٣٤٥" and normalize.digits("a²b") == "²"  # as str.isdigit reads them
    assert normalize.digits("") == "" and normalize.digits(None) == ""  # type: ignore[arg-type]
    assert normalize.phone("15552014477") == "5552014477" and normalize.postcode5("01360-1234") == "01360"
