"""Blocking keys: which records are worth comparing with a query. The database uses the
same keys through indexed columns (edgate.matching.candidates); `edgate link --against`
and the evaluation use `MemoryIndex`."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from . import compare, normalize
from .records import Candidate, Identity

MAX_CANDIDATES = 50
PRIORITY = {"ssn": 0, "sid": 1, "dl": 2, "df": 3, "pd": 4, "em": 5}


def swapped(d: date) -> date | None:
    if d.day > 12 or d.day == d.month:
        return None
    try:
        return d.replace(month=d.day, day=d.month)
    except ValueError:
        return None


def record_keys(r: Identity) -> set[str]:
    keys: set[str] = set()
    if r.ssn:
        keys.add(f"ssn:{r.ssn}")
    if r.state_id:
        keys.add(f"sid:{r.state_id}")
    if r.date_of_birth:
        dob = r.date_of_birth.isoformat()
        for last in {normalize.name_key(r.last_name), normalize.name_key(r.former_last_name)} - {""}:
            keys.add(f"dl:{dob}:{last}")
        if sound := normalize.phonetic(r.last_name):
            keys.add(f"pd:{sound}:{dob}")
        if first := normalize.name_key(r.first_name):
            keys.add(f"df:{dob}:{first}")
    if email := normalize.email(r.email):
        keys.add(f"em:{email}")
    return keys


def query_keys(q: Identity) -> set[str]:
    keys: set[str] = set()
    if q.ssn:
        keys |= {f"ssn:{s}" for s in {q.ssn, *compare.ssn_variants(q.ssn)}}
    if q.state_id:
        keys.add(f"sid:{q.state_id}")
    if q.date_of_birth:
        dobs = [d.isoformat() for d in (q.date_of_birth, swapped(q.date_of_birth)) if d]
        lasts = {normalize.name_key(q.last_name), normalize.name_key(q.former_last_name)} - {""}
        sound = normalize.phonetic(q.last_name)
        first = normalize.name_key(q.first_name)
        for dob in dobs:
            keys |= {f"dl:{dob}:{last}" for last in lasts}
            if first:
                keys.add(f"df:{dob}:{first}")
        if sound:
            keys.add(f"pd:{sound}:{dobs[0]}")
    if email := normalize.email(q.email):
        keys.add(f"em:{email}")
    return keys


class MemoryIndex:
    """Records held in memory, looked up by blocking key (no database)."""

    def __init__(self) -> None:
        self.records: dict[str, Identity] = {}
        self.index: dict[str, list[str]] = defaultdict(list)

    def add(self, record_id: str, identity: Identity) -> None:
        self.records[record_id] = identity
        for key in record_keys(identity):
            self.index[key].append(record_id)

    def candidates(self, query: Identity) -> list[Candidate]:
        seen: dict[str, None] = {}
        # Strongest keys first, so the cap never crowds out an SSN or state ID candidate.
        for key in sorted(query_keys(query), key=lambda k: (PRIORITY.get(k.split(":", 1)[0], 9), k)):
            for record_id in self.index.get(key, ()):
                seen.setdefault(record_id)
                if len(seen) >= MAX_CANDIDATES:
                    break
        return [Candidate(rid, self.records[rid]) for rid in seen]
