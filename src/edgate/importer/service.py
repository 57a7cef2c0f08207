"""Import person files: each row matched, then confirmed, updated, created or sent to a human.

exact   → the row updates the known person's contact details (or confirms them)
partial → a match case for the organizations linked to the record and customer service
none    → a new Person with a pre-created Profile (the person finishes it in the wizard)
With an organization, exact and new rows also get a staff directory entry there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any

from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from edgate.accounts import actions as account_actions
from edgate.accounts.models import Profile
from edgate.core import crypto
from edgate.core.context import Ctx
from edgate.directory.actions import do_add_staff
from edgate.directory.models import Organization
from edgate.identity.engine import Outcome
from edgate.identity.records import Identity
from edgate.matching import service as matching
from edgate.people.actions import PersonData, do_create_person, do_update_person
from edgate.people.models import Person

from .models import ImportedRow
from .rows import Row

CONTACT = ("street", "city", "state", "postcode", "email", "phone")


@dataclass(frozen=True)
class RowResult:
    line: int
    row_id: str
    result: str  # created / updated / confirmed / conflict / unchanged / rejected
    state_id: str = ""
    username: str = ""
    case: str = ""
    reason: str = ""
    # The row's unusable fields and why ("column: reason; …"), never their values.
    unusable: str = ""


# What a row's content hash covers: the clean values and, for a dirty row, the raw text of its
# unusable fields (which also determines `unusable` and `dob_digits`). A clean row hashes as
# it did before dirty rows were kept, so re-running an earlier file finds it unchanged.
IDENTITY_FIELDS = tuple(
    f for f in Identity.__dataclass_fields__ if f not in ("unusable", "dob_digits", "agency_file")
)


_hashed_values = attrgetter(*IDENTITY_FIELDS)
# `json.dumps(…, separators=(",", ":"))` builds an encoder per call; this one is built once.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


@sensitive_variables()
def content_hash(row: Row, extra: dict[str, str]) -> str:
    assert row.identity is not None
    values: list[object] = list(map(str, _hashed_values(row.identity)))
    if row.unusable_raw:
        values.append(sorted(row.unusable_raw))
    payload = _COMPACT_JSON.encode([values, sorted(extra.items())])
    return crypto.lookup_hash("import-row", payload)


@sensitive_variables()
def person_data(row: Row, **overrides: str) -> PersonData:
    """The new person a row describes, with its data-quality record (one way, both paths)."""
    assert row.identity is not None
    identity = row.identity
    fields = {f: getattr(identity, f) for f in PersonData.__dataclass_fields__ if hasattr(identity, f)}
    fields |= {"data_problems": dict(row.reasons), "unusable_raw": dict(row.unusable_raw)}
    return PersonData(**fields | overrides)


def _as_typed(identity: Identity) -> Identity:
    """What the case keeps of the row (its submission, encrypted): the values, not where the
    query came from (as it always has been)."""
    return replace(identity, agency_file=False) if identity.agency_file else identity


@sensitive_variables()
def person_values(row: Row, *, state_id: str, ssn: bool = True) -> tuple[Any, ...]:
    """`person_data(row, state_id=state_id)`'s values in `PersonData`'s field order (with
    `ssn=False`, its SSN left out: sealed already), without building one: the bulk import
    sends them to its writer process, which builds the PersonData (a test compares both)."""
    identity = row.identity
    assert identity is not None
    return (
        identity.first_name,
        identity.last_name,
        identity.middle_name,
        identity.former_last_name,
        identity.date_of_birth,
        identity.ssn if ssn else "",
        identity.street,
        identity.city,
        identity.state,
        identity.postcode,
        identity.email,
        identity.phone,
        state_id,
        dict(row.reasons),
        dict(row.unusable_raw),
        identity.dob_digits,
    )


def _unusable(row: Row) -> str:
    return "; ".join(row.problems)


def _update_contact(person: Person, identity: Identity, *, source: str, ctx: Ctx) -> bool:
    """An exact match fills in what the file knows: newer contact details, a missing middle name."""
    changes = {f: value for f in CONTACT if (value := getattr(identity, f)) and value != getattr(person, f)}
    if not person.middle_name and identity.middle_name:
        changes["middle_name"] = identity.middle_name
    if changes:
        do_update_person(person=person, changes=changes, source=source, ctx=ctx)
    return bool(changes)


# The longest row id an import keeps (`ImportedRow.row_key`, what makes a re-run safe).
ROW_ID_MAX = ImportedRow._meta.get_field("row_key").max_length
ID_TOO_LONG = f"id: longer than {ROW_ID_MAX} characters; the row was not imported"
# A control character in an id (NUL, a line break, an escape): PostgreSQL refuses NUL in text,
# and no id a person typed has one. A tab is kept, as it always was (the report escapes what
# follows it, csvsafe).
_ID_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
ID_CONTROL = "id: contains control characters; the row was not imported"


def refused(row: Row) -> RowResult | None:
    """The report of a row the import does not take whatever it matches — None for any other.
    A rejected row (`Row.error`), or one whose id is longer than the import keeps or holds a
    control character: reported on its line, without its id (the value), where the database
    would have stopped the file (a NUL)."""
    row_id = row.row_id
    control = not row_id.isprintable() and _ID_CONTROL.search(row_id) is not None  # isprintable: quickly
    if row.identity is None:
        return RowResult(row.line, "" if control else row_id, "rejected", reason=row.error)
    if len(row_id) > ROW_ID_MAX:
        return RowResult(row.line, "", "rejected", reason=ID_TOO_LONG)
    if control:
        return RowResult(row.line, "", "rejected", reason=ID_CONTROL)
    return None


def import_row(
    row: Row, *, source: str, organization: Organization | None, role_title: str, ctx: Ctx
) -> RowResult:
    if (refusal := refused(row)) is not None:
        return refusal
    try:
        return _import_row(row, source=source, organization=organization, role_title=role_title, ctx=ctx)
    except IntegrityError:
        # A unique value (an SSN or state ID) already on file that the matcher did not pair
        # with this row — or written by someone else meanwhile: this row is reported, the file
        # goes on. (The transaction of this row alone was rolled back.)
        return RowResult(
            row.line,
            row.row_id,
            "rejected",
            reason="SSN or state ID already on file for a record this row does not match; not imported",
            unusable=_unusable(row),
        )


def _import_row(
    row: Row, *, source: str, organization: Organization | None, role_title: str, ctx: Ctx
) -> RowResult:
    identity = row.identity
    assert identity is not None
    digest = content_hash(row, {"org": organization.code if organization else "", "role": role_title})
    key = row.row_id or digest
    with transaction.atomic():
        previous = ImportedRow.objects.select_for_update().filter(source=source, row_key=key).first()
        if previous is not None and previous.content_hash == digest:
            person = previous.person
            return RowResult(
                row.line,
                row.row_id,
                "unchanged",
                state_id=person.state_id if person else "",
                case=previous.case.reference if previous.case else "",
                unusable=_unusable(row),
            )
        # A row of an agency's file (`rows.read(…, agency_file=True)` gives it so already).
        decision = matching.match(identity if identity.agency_file else replace(identity, agency_file=True))
        case = None
        username = ""
        if decision.outcome == Outcome.PARTIAL:
            person = Person.objects.get(pk=decision.candidate_id)
            case = matching.do_open_case(
                person=person, query=_as_typed(identity), decision=decision, source=source, ctx=ctx
            )
            result = "conflict"
        elif decision.outcome == Outcome.EXACT:
            person = Person.objects.get(pk=decision.candidate_id)
            result = "updated" if _update_contact(person, identity, source=source, ctx=ctx) else "confirmed"
        else:
            person = do_create_person(
                data=person_data(row),
                source=source,
                ctx=ctx,
            )
            username = account_actions.do_precreate_profile(person=person, ctx=ctx).username
            result = "created"
        if organization is not None and result != "conflict":
            do_add_staff(person=person, organization=organization, role_title=role_title, ctx=ctx)
        if not username and result != "conflict":
            username = Profile.objects.filter(person=person).values_list("username", flat=True).first() or ""
        ImportedRow.objects.update_or_create(
            source=source,
            row_key=key,
            defaults={
                "content_hash": digest,
                "result": result,
                "person": person if result != "conflict" else None,
                "case": case,
            },
        )
    return RowResult(
        row.line,
        row.row_id,
        result,
        state_id=person.state_id if result != "conflict" else "",
        username=username,
        case=case.reference if case else "",
        unusable=_unusable(row),
    )


def summary(results: dict[str, int]) -> str:
    """`results`: counts per result, and under "with unusable fields" the rows kept with some."""
    order = ("created", "updated", "confirmed", "unchanged", "conflict", "rejected")
    text = ", ".join(f"{results.get(k, 0)} {k}" for k in order)
    return f"{text}; {results.get(UNUSABLE, 0)} kept with unusable fields"


UNUSABLE = "with unusable fields"


REPORT_FIELDS = tuple(RowResult.__dataclass_fields__)
# A row of the report, in REPORT_FIELDS' order, in one C call (a million rows): what a
# DictWriter wrote from asdict(), without the dict.
report_values: Callable[[RowResult], tuple[Any, ...]] = attrgetter(*REPORT_FIELDS)
