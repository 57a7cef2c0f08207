"""The guard's registry: every synthetic SSN, date of birth, password and hint answer a test
uses is registered here, and the guard fails the test if one shows up where it must not."""

from __future__ import annotations

from datetime import date

SENSITIVE: dict[str, str] = {}  # value -> kind


def register_ssn(ssn: str) -> str:
    for form in (ssn, f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}", f"{ssn[:3]} {ssn[3:5]} {ssn[5:]}"):
        SENSITIVE[form] = "ssn"
    return ssn


# Month names as the portal writes them (edgate_format: "M j, Y" in English, "j b Y" and
# "j \\d\\e F \\d\\e Y" in Spanish), whatever the test machine's locale.
MONTHS_EN = ("January February March April May June July August September October November December").split()
MONTHS_ES = (
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
).split()
ABBREVIATIONS_ES = "ene feb mar abr may jun jul ago sep oct nov dic".split()


def register_dob(dob: date) -> date:
    """Every form a date of birth is written in: numeric, long and short, English and Spanish
    ("February 17, 1991", "Feb 17, 1991", "17 feb 1991", "17 de febrero de 1991")."""
    month = dob.month - 1
    long_en, short_en, short_es = MONTHS_EN[month], MONTHS_EN[month][:3], ABBREVIATIONS_ES[month]
    forms = [
        dob.isoformat(),
        f"{dob.month:02}/{dob.day:02}/{dob.year}",
        f"{dob.day} de {MONTHS_ES[month]} de {dob.year}",
        repr(dob),  # datetime.date(1984, 3, 9): how a debug page or a careless log shows it
    ]
    for day in {f"{dob.day}", f"{dob.day:02}"}:
        forms += [f"{long_en} {day}, {dob.year}", f"{short_en} {day}, {dob.year}"]
        forms += [f"{day} {abbreviation} {dob.year}" for abbreviation in (short_es, short_es.capitalize())]
        forms += [f"{day} {short_en} {dob.year}", f"{day} {short_en.lower()} {dob.year}"]
    for form in forms:
        SENSITIVE[form] = "dob"
    return dob


def register_secret(value: str) -> str:
    SENSITIVE[value] = "secret"
    return value


def leaks(text: str, *, allow: frozenset[str] = frozenset()) -> list[str]:
    return sorted(value for value, kind in SENSITIVE.items() if kind not in allow and value in text)
