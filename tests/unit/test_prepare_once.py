"""The row-preparing process of a bulk import computes each thing once (docs/matching.md §7): one
keyed hash of the SSN per row, the staged person's keys without a second Identity, the content
hash as it always was."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from edgate.core import crypto
from edgate.identity.blocking import memo, record_keys
from edgate.importer import prepare
from edgate.importer.prepare import staged_identity
from edgate.importer.rows import Row, parse
from edgate.importer.service import IDENTITY_FIELDS, content_hash
from edgate.people.models import SSN_PURPOSE, ssn_lookup

RAW = {
    "id": "7",
    "first_name": "Ana",
    "middle_name": "Maria",
    "last_name": "García-López",
    "former_last_name": "Ruiz",
    "date_of_birth": "1984-03-14",
    "ssn": "219-45-3381",
    "state_id": "12345678",
    "street": "14 Elm Street",
    "city": "Springfield",
    "state": "ma",
    "postcode": "01360",
    "email": "Ana@Example.org",
    "phone": "(555) 201-4477",
}
DIRTY = RAW | {"date_of_birth": "1984-14-03", "postcode": "013", "state_id": ""}


def row(raw: dict[str, str]) -> Row:
    parsed = parse(raw, agency_file=True)
    return Row(2, raw["id"], parsed.identity, "", parsed.problems, parsed.unusable_raw, parsed.reasons)


@pytest.mark.parametrize("raw", [RAW, DIRTY, RAW | {"ssn": ""}])
def test_the_ssn_is_hashed_once_per_row(raw: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    purposes: list[str] = []
    keyed = crypto.lookup_hash

    def counted(purpose: str, value: str) -> str:
        purposes.append(purpose)
        return keyed(purpose, value)

    monkeypatch.setattr(crypto, "lookup_hash", counted)
    sent = prepare.prepare(row(raw), {}, {})
    assert purposes.count(SSN_PURPOSE) == (1 if raw["ssn"] else 0)
    _, prepared = prepare._received(sent)
    assert prepared is not None and prepared.sealed is not None
    assert prepared.sealed.ssn_hash == (ssn_lookup("219453381") if raw["ssn"] else None)


@pytest.mark.parametrize("raw", [RAW, DIRTY, RAW | {"ssn": ""}, RAW | {"state_id": ""}])
def test_the_staged_keys_are_those_of_the_staged_identity(raw: dict[str, str]) -> None:
    identity = row(raw).identity
    assert identity is not None
    ssn_hash = ssn_lookup(identity.ssn) if identity.ssn else ""
    staged = record_keys(staged_identity(identity, state_id="", ssn_hash=ssn_hash), ssn_lookup)
    assert record_keys(identity, memo(ssn_lookup), state_id=False) == staged
    assert record_keys(identity, ssn_lookup, state_id=False) == staged
    assert record_keys(identity, ssn_lookup) == staged | (
        {f"sid:{identity.state_id}"} if identity.state_id else set()
    )
    _, prepared = prepare._received(prepare.prepare(row(raw), {}, {}))
    assert prepared is not None and set(prepared.record_keys or ()) == staged


@pytest.mark.parametrize("raw", [RAW, DIRTY, RAW | {"middle_name": "", "date_of_birth": ""}])
def test_the_content_hash_is_what_it_was(raw: dict[str, str]) -> None:
    # As every earlier import stored it: a re-run must find its rows unchanged.
    r = row(raw)
    values: list[object] = [str(getattr(r.identity, name)) for name in IDENTITY_FIELDS]
    if r.unusable_raw:
        values.append(sorted(r.unusable_raw))
    extra = {"organization": "org-1", "role": "Teacher"}
    payload = json.dumps([values, sorted(extra.items())], separators=(",", ":"))
    assert content_hash(r, extra) == crypto.lookup_hash("import-row", payload)
    assert content_hash(r, {}) != content_hash(replace(r, identity=replace(r.identity, email="a@b.org")), {})
    assert r.identity is not None and r.identity.date_of_birth in (date(1984, 3, 14), None)
