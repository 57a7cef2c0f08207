from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from edgate.audit.events import PendingEvent, audited
from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event
from edgate.core import crypto
from edgate.core.context import Ctx

from .models import KEY_FIELDS, Person, name_keys, ssn_lookup


@dataclass(frozen=True)
class PersonData:
    first_name: str
    last_name: str
    middle_name: str = ""
    former_last_name: str = ""
    date_of_birth: date | None = None
    ssn: str = ""
    street: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    email: str = ""
    phone: str = ""
    state_id: str = ""  # kept when an agency file supplies it; assigned otherwise
    # Dirty agency records (docs/matching.md §7): unusable field → reason code, and its raw
    # value (encrypted on the record); an impossible date of birth's typed digits.
    data_problems: Mapping[str, str] = field(default_factory=dict)
    unusable_raw: Mapping[str, str] = field(default_factory=dict)
    dob_digits: str = ""

    def __repr__(self) -> str:
        return "<PersonData>"


@dataclass(frozen=True)
class Sealed:
    """What `build_person` stores of a person's SSN and unusable raw values: encrypted, the
    SSN's lookup hash and last four. Computed from the data alone, so a bulk import can do it
    ahead, in a second process (importer/prepare.py)."""

    ssn_ciphertext: bytes | None
    ssn_hash: str | None
    ssn_last4: str
    data_problems_ciphertext: bytes | None

    def __repr__(self) -> str:
        return "<Sealed>"


@sensitive_variables()
def seal(data: PersonData) -> Sealed:
    """The encrypted and hashed parts of a new person (as `Person.set_ssn` and
    `Person.set_data_problems` make them)."""
    return seal_values(data.ssn, data.unusable_raw)


@sensitive_variables()
def seal_values(ssn_or_blank: str, unusable_raw: Mapping[str, str], *, ssn_hash: str = "") -> Sealed:
    """`seal` of a PersonData with this SSN and these unusable raw values, without one (the
    bulk import's row-preparing process: a row at a time). `ssn_hash`: `ssn_lookup` of this
    SSN when the caller has it already (that process hashes it for its blocking keys)."""
    ssn = ssn_or_blank or None
    raw = dict(unusable_raw)
    return Sealed(
        ssn_ciphertext=crypto.encrypt(ssn) if ssn else None,
        ssn_hash=(ssn_hash or ssn_lookup(ssn)) if ssn else None,
        ssn_last4=ssn[-4:] if ssn else "",
        data_problems_ciphertext=crypto.encrypt_json(raw) if raw else None,
    )


_PERSON_COLUMNS = Person._meta.concrete_fields
# What build_person gives, by column name; every other column takes its default.
_GIVEN = (
    "first_name",
    "middle_name",
    "last_name",
    "former_last_name",
    "date_of_birth",
    "street",
    "city",
    "state",
    "postcode",
    "email",
    "phone",
    "source",
    "state_id",
    "dob_digits",
    "ssn_ciphertext",
    "ssn_hash",
    "ssn_last4",
    "data_problems",
    "data_problems_ciphertext",
    *KEY_FIELDS,
)
_GIVEN_AT = tuple([f.attname for f in _PERSON_COLUMNS].index(name) for name in _GIVEN)
# The other columns' defaults, worked out once; a callable default (none today) on every call.
_DEFAULTS = [None if f.attname in _GIVEN else f.get_default() for f in _PERSON_COLUMNS]
_FRESH = tuple(
    (i, f)
    for i, f in enumerate(_PERSON_COLUMNS)
    if f.attname not in _GIVEN and f.has_default() and callable(f.default)
)


@sensitive_variables()
def person_row(data: PersonData, *, source: str, sealed: Sealed | None = None) -> list[Any]:
    """The columns of a new Person (`Person._meta.concrete_fields`, in order; the id and times
    not yet given): its SSN encrypted and hashed, its blocking keys filled. `build_person`
    builds its Person from them; the bulk import writes them with COPY, without a Person (the
    keyword constructor cost about 29 µs a row, and `get_default` per column most of the rest).
    `sealed`: `seal(data)` computed ahead (the bulk import's second process)."""
    if sealed is None:
        sealed = seal(data)
    row = _DEFAULTS.copy()
    for i, field_ in _FRESH:
        row[i] = field_.get_default()
    values = (
        data.first_name,
        data.middle_name,
        data.last_name,
        data.former_last_name,
        data.date_of_birth,
        data.street,
        data.city,
        data.state,
        data.postcode,
        data.email,
        data.phone,
        source,
        data.state_id,
        data.dob_digits,
        sealed.ssn_ciphertext,
        sealed.ssn_hash,
        sealed.ssn_last4,
        dict(data.data_problems),
        sealed.data_problems_ciphertext,
        *name_keys(data.first_name, data.last_name, data.former_last_name),
    )
    for i, value in zip(_GIVEN_AT, values, strict=True):
        row[i] = value
    return row


@sensitive_variables()
def build_person(data: PersonData, *, source: str, sealed: Sealed | None = None) -> Person:
    """An unsaved Person with its SSN encrypted and hashed and its blocking keys filled,
    through Django's positional constructor (the one it uses for rows read from the database:
    about 5 µs against 29 for the keyword one). `sealed`: `seal(data)` computed ahead."""
    return Person(*person_row(data, source=source, sealed=sealed))


def person_created_event(person: Person, *, ctx: Ctx) -> PendingEvent:
    return PendingEvent(EventType.PERSON_CREATED, ctx=ctx, target=person, detail={"source": person.source})


@sensitive_variables()
@audited(EventType.PERSON_CREATED)
@transaction.atomic
def do_create_person(*, data: PersonData, source: str, ctx: Ctx) -> Person:
    """Create the agency record. Raises IntegrityError if the SSN is already on file."""
    for _attempt in range(5):
        person = build_person(data, source=source)
        try:
            # The record and its event commit together (the whole transaction when called
            # outside one, a savepoint otherwise, so a collision below can be retried).
            with transaction.atomic():
                person.save()
                person_created_event(person, ctx=ctx).record()
        except IntegrityError:
            if data.ssn and Person.objects.filter(ssn_hash=person.ssn_hash).exists():
                raise
            if data.state_id:
                raise  # a supplied state ID that is already someone else's
            continue  # state ID collision (1 in 90 million per existing person): draw again
        return person
    raise IntegrityError("could not assign a unique state educator ID")


# What an administrator or an agency file may correct. The SSN and state educator ID are not
# here: they identify the person, and change only through their own (future) actions.
UPDATABLE_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "former_last_name",
    "date_of_birth",
    "street",
    "city",
    "state",
    "postcode",
    "email",
    "phone",
)


@audited(EventType.PERSON_UPDATED)
@transaction.atomic
def do_update_person(*, person: Person, changes: Mapping[str, object], source: str, ctx: Ctx) -> Person:
    """Correct a person's record. The event names the fields changed, never their values."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"not updatable here: {sorted(unknown)}")
    person = Person.objects.select_for_update().get(pk=person.pk)
    changed = [
        name for name in UPDATABLE_FIELDS if name in changes and getattr(person, name) != changes[name]
    ]
    if not changed:
        return person
    for name in changed:
        setattr(person, name, changes[name])
    update = [*changed, "updated_at"]
    if fixed := set(changed) & set(person.data_problems or ()):
        # A corrected field is no longer a data-quality problem (docs/matching.md §7).
        raw = {k: v for k, v in person.data_problem_values().items() if k not in fixed}
        person.set_data_problems({k: v for k, v in person.data_problems.items() if k not in fixed}, raw)
        update += ["data_problems", "data_problems_ciphertext"]
        if "date_of_birth" in fixed:
            person.dob_digits = ""
            update.append("dob_digits")
    person.save(update_fields=update)  # save() adds the blocking keys
    record_event(
        EventType.PERSON_UPDATED, ctx=ctx, target=person, detail={"fields": changed, "source": source}
    )
    return person


@sensitive_variables()
@audited(EventType.PERSON_SSN_ADDED)
@transaction.atomic
def do_add_ssn(*, person: Person, ssn: str, typed_again: str, source: str, ctx: Ctx) -> bool:
    """Give a record that has no usable SSN the one its person typed (docs/matching.md §3.1.1:
    after a set-up finished with a one-time set-up code, rules-4/5 E9), when they typed it the
    same a second time (`typed_again`): the code proves the person, not the digits, and a typo
    kept would block the SSN's real holder. Never replaces an SSN on file, nor one whose last
    four digits on file disagree; and when another record holds that SSN (SSNs are unique),
    nothing changes: the event (outcome failure, its reason, never the SSN) is left for a person
    to look at. True when the SSN was added (or was already this record's)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    lookup = ssn_lookup(ssn)
    if person.ssn_hash == lookup:
        return True  # a double submit: the first one added it
    # The record's state first: a record that gained an SSN since page 1 was not asked for it
    # again (no `typed_again`), and the event must say why nothing was added, not "typed
    # differently".
    reason = ""
    if person.ssn_hash:
        reason = "record_has_ssn"
    elif person.ssn_last4 and person.ssn_last4 != ssn[-4:]:
        reason = "last4_differs"
    elif Person.objects.filter(ssn_hash=lookup).exclude(pk=person.pk).exists():
        reason = "held_by_another_record"
    elif typed_again != ssn:
        reason = "typed_differently"  # the set-up form refuses it first (SecurityForm.clean_ssn_again)
    if not reason:
        person.set_ssn(ssn)
        update = ["ssn_ciphertext", "ssn_hash", "ssn_last4", "updated_at"]
        if "ssn" in (person.data_problems or {}):
            # The unusable value a file gave is no longer a data-quality problem (docs/matching.md §7).
            raw = {k: v for k, v in person.data_problem_values().items() if k != "ssn"}
            person.set_data_problems({k: v for k, v in person.data_problems.items() if k != "ssn"}, raw)
            update += ["data_problems", "data_problems_ciphertext"]
        try:
            with transaction.atomic():
                person.save(update_fields=update)
        except IntegrityError:  # another record took the SSN meanwhile (the unique hash)
            reason = "held_by_another_record"
    if reason:
        record_event(
            EventType.PERSON_SSN_ADDED,
            ctx=ctx,
            target=person,
            outcome=Outcome.FAILURE,
            detail={"reason": reason, "source": source},
        )
        return False
    record_event(EventType.PERSON_SSN_ADDED, ctx=ctx, target=person, detail={"source": source})
    return True
