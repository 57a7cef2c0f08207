"""A person's data-quality record: fields an agency file supplied that are unusable for
matching (docs/matching.md §7), with the raw value kept for the administrator.

Shown, as "Data-quality problem", only where the consoles already show that field to a
Directory Administrator or customer service (the case page, customer service's Profile page)
and in the admin site; never logged. The SSN stays masked like everywhere else: its last four.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from .models import Person

# Reason codes (stored on the Person) and the words the reports and pages use.
REASONS = {
    "too_long": _("longer than the record can hold"),
    "control": _("contains control characters"),
    "line_break": _("line break in the cell"),
    "encoding": _("not valid UTF-8"),
    "invalid": _("not a valid value"),
    "not_a_date": _("not a date in YYYY-MM-DD form"),
    "impossible_date": _("not a real date (compared digit by digit, never as a date)"),
    "out_of_range": _("outside 1900 to today (compared digit by digit, never as a date)"),
    "lookalike": _("a letter or sign typed for a digit (compared digit by digit, never as a date)"),
}

LABELS = {
    "first_name": _("First name"),
    "middle_name": _("Middle name"),
    "last_name": _("Last name"),
    "former_last_name": _("Former last name"),
    "date_of_birth": _("Date of birth"),
    "ssn": _("Social Security Number"),
    "state_id": _("State educator ID"),
    "street": _("Street"),
    "city": _("City"),
    "state": _("State"),
    "postcode": _("ZIP code"),
    "email": _("Email"),
    "phone": _("Phone"),
}


@dataclass(frozen=True)
class DataProblem:
    field: str
    label: str
    value: str  # as the file gave it (the SSN masked to its last four)
    reason: str

    def __repr__(self) -> str:
        return f"<DataProblem {self.field}>"


@sensitive_variables()
def shown(field: str, raw: str) -> str:
    if field == "ssn":
        return f"***-**-{raw[-4:]}" if len(raw) > 4 else "***"
    return raw


@sensitive_variables()
def data_problems(person: Person, fields: Iterable[str] | None = None) -> dict[str, DataProblem]:
    """The person's data-quality problems, by field (only `fields`, when given)."""
    if not person.data_problems:
        return {}
    wanted = set(fields) if fields is not None else None
    raw = person.data_problem_values()
    out = {}
    for field, code in person.data_problems.items():
        if wanted is not None and field not in wanted:
            continue
        out[field] = DataProblem(
            field,
            str(LABELS.get(field, field.replace("_", " "))),
            shown(field, str(raw.get(field, ""))),
            str(REASONS.get(code, code)),
        )
    return out
