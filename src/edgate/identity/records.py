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
    # Dirty agency records (docs/matching.md §7): fields present in the source but unusable
    # for matching. Their value here is empty (so a comparison sees them as missing); the raw
    # value is kept by the caller for the administrator, never here.
    unusable: frozenset[str] = frozenset()
    # An impossible date of birth that is plausibly a typed date (month 14, 31 November, year
    # 4980, `l`/`I`/`|` for 1, `O` for 0): its 8 digits YYYYMMDD as typed, look-alikes mapped.
    # Never parsed into a date; date_of_birth is then None and "date_of_birth" is unusable.
    dob_digits: str = ""
    # Where the query comes from, not who the person is: True for a row of an agency's person
    # file being imported (`edgate import`), False for a registration (the wizard, the console's
    # add-someone-new, `edgate link`'s queries). Rules marked `agency_only` need it.
    agency_file: bool = False

    def __repr__(self) -> str:  # never print personal data by accident
        return "<Identity>"


@dataclass(frozen=True)
class Candidate:
    record_id: str
    identity: Identity
