"""The guard's registry: every synthetic SSN, date of birth, password and hint answer a test
uses is registered here, and the guard fails the test if one shows up where it must not."""

from __future__ import annotations

from datetime import date

SENSITIVE: dict[str, str] = {}  # value -> kind


def register_ssn(ssn: str) -> str:
    for form in (ssn, f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}", f"{ssn[:3]} {ssn[3:5]} {ssn[5:]}"):
        SENSITIVE[form] = "ssn"
    return ssn


def register_dob(dob: date) -> date:
    for form in (
        dob.isoformat(),
        dob.strftime("%m/%d/%Y"),
        dob.strftime("%B %d, %Y"),
        dob.strftime("%B %-d, %Y"),
        repr(dob),  # datetime.date(1984, 3, 9): how a debug page or a careless log shows it
    ):
        SENSITIVE[form] = "dob"
    return dob


def register_secret(value: str) -> str:
    SENSITIVE[value] = "secret"
    return value


def leaks(text: str, *, allow: frozenset[str] = frozenset()) -> list[str]:
    return sorted(value for value, kind in SENSITIVE.items() if kind not in allow and value in text)
