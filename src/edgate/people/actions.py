from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from edgate.audit.models import EventType
from edgate.audit.record import record_event
from edgate.core.context import Ctx

from .models import Person


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

    def __repr__(self) -> str:
        return "<PersonData>"


@sensitive_variables()
def build_person(data: PersonData, *, source: str) -> Person:
    """An unsaved Person with its SSN encrypted and hashed and its blocking keys filled."""
    person = Person(
        first_name=data.first_name,
        middle_name=data.middle_name,
        last_name=data.last_name,
        former_last_name=data.former_last_name,
        date_of_birth=data.date_of_birth,
        street=data.street,
        city=data.city,
        state=data.state,
        postcode=data.postcode,
        email=data.email,
        phone=data.phone,
        source=source,
        state_id=data.state_id,
    )
    person.set_ssn(data.ssn or None)
    person.fill_keys()
    return person


@sensitive_variables()
def do_create_person(*, data: PersonData, source: str, ctx: Ctx) -> Person:
    """Create the agency record. Raises IntegrityError if the SSN is already on file."""
    for _attempt in range(5):
        person = build_person(data, source=source)
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError:
            if data.ssn and Person.objects.filter(ssn_hash=person.ssn_hash).exists():
                raise
            if data.state_id:
                raise  # a supplied state ID that is already someone else's
            continue  # state ID collision (1 in 90 million per existing person): draw again
        record_event(EventType.PERSON_CREATED, ctx=ctx, target=person, detail={"source": source})
        return person
    raise IntegrityError("could not assign a unique state educator ID")
