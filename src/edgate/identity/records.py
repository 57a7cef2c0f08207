"""The shape the matcher compares: one person's identifying data, from any source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Identity:
    first_name: str = ""
    last_name: str = ""
    middle_name: str = ""
    former_last_name: str = ""
    date_of_birth: date | None = None
    ssn: str = ""  # plaintext digits: query side, or a CSV record in `edgate link --against`
    ssn_hash: str = ""  # keyed hash: database records
    ssn_last4: str = ""
    state_id: str = ""
    street: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    email: str = ""
    phone: str = ""

    def __repr__(self) -> str:  # never print personal data by accident
        return "<Identity>"


@dataclass(frozen=True)
class Candidate:
    record_id: str
    identity: Identity
