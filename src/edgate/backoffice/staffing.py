"""Adding a person to an organization's staff from the Directory Administrator console.

Three paths, each one transaction calling the existing actions:
  - a person already known (on the staff of one of the administrator's organizations, or found by
    `find_known_person`): `add_known_person`;
  - someone new: `add_new_person`, which runs the registration wizard's matcher first, so adding
    staff never creates a second record for a person already on file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from edgate.accounts import actions as account_actions
from edgate.accounts.models import Profile
from edgate.core.context import Ctx
from edgate.directory import actions as directory_actions
from edgate.directory.models import Organization, StaffEntry
from edgate.identity import normalize
from edgate.identity.engine import Outcome as MatchOutcome
from edgate.identity.records import Identity
from edgate.matching import service
from edgate.matching.models import MatchCase
from edgate.people.actions import PersonData, do_create_person
from edgate.people.models import Person, ssn_lookup

SOURCE = "directory"


@sensitive_variables()
def find_known_person(*, first_name: str, last_name: str, date_of_birth: date, ssn: str) -> Person | None:
    """The person with this SSN (by its keyed hash) and this date of birth whose names agree
    with the typed ones once normalized (the last name may be the former one) — every
    identifier the wizard's exact match compares, each agreeing exactly. None otherwise: the
    same answer for an unknown SSN, another birth date and names that differ, so the search
    says nothing about any one of them alone. A record without a date of birth is never found
    here (it can only be added as someone new, which opens a case)."""
    person = Person.objects.filter(ssn_hash=ssn_lookup(ssn)).first()
    if person is None or person.date_of_birth is None:
        return None
    first, last = normalize.name_key(first_name), normalize.name_key(last_name)
    first_agrees = bool(first) and first == person.first_name_key
    last_agrees = bool(last) and last in {person.last_name_key, person.former_last_name_key}
    born_agrees = person.date_of_birth == date_of_birth
    return person if first_agrees and last_agrees and born_agrees else None


@dataclass(frozen=True)
class Added:
    outcome: str  # "exact" (known person added), "partial" (a case opened), "none" (new person)
    entry: StaffEntry | None = None
    profile: Profile | None = None
    case: MatchCase | None = None


def _with_profile(person: Person, ctx: Ctx) -> Profile:
    """The person's Profile, pre-created (awaiting setup) when they have none yet."""
    profile = Profile.objects.filter(person=person).first()
    return profile or account_actions.do_precreate_profile(person=person, ctx=ctx)


@transaction.atomic
def add_known_person(
    *, person: Person, organization: Organization, role_title: str, ctx: Ctx, reason: str = ""
) -> Added:
    """On the staff (idempotent: an open entry is kept), with a Profile to grant access to."""
    entry = directory_actions.do_add_staff(
        person=person, organization=organization, role_title=role_title, ctx=ctx, reason=reason
    )
    return Added("exact", entry=entry, profile=_with_profile(person, ctx))


@dataclass(frozen=True)
class NewPerson:
    first_name: str
    last_name: str
    date_of_birth: date
    ssn: str
    middle_name: str = ""
    email: str = ""
    phone: str = ""

    def __repr__(self) -> str:  # never print personal data by accident
        return "<NewPerson>"

    def identity(self) -> Identity:
        """What the matcher sees: the identifiers, as in the registration wizard. Not the email
        or phone: rules-3's E6 lets an agreeing contact stand in for a missing SSN, and an
        administrator could type any person's email to have them (and their Profile) added to
        their organization without knowing the SSN."""
        return Identity(
            first_name=self.first_name,
            middle_name=self.middle_name,
            last_name=self.last_name,
            date_of_birth=self.date_of_birth,
            ssn=self.ssn,
        )


@sensitive_variables()
def _route(
    new: NewPerson,
    organization: Organization,
    role_title: str,
    ctx: Ctx,
    reason: str,
    not_to: frozenset[int] = frozenset(),
) -> Added | None:
    """Match and act on an exact or partial outcome; None when nobody matches."""
    query = new.identity()
    decision = service.match(query)
    if decision.outcome == MatchOutcome.NONE:
        return None
    person = Person.objects.get(pk=decision.candidate_id)
    if decision.outcome == MatchOutcome.PARTIAL:
        case = service.do_open_case(
            person=person, query=query, decision=decision, source=SOURCE, ctx=ctx, not_to=not_to
        )
        return Added("partial", case=case)
    return add_known_person(
        person=person, organization=organization, role_title=role_title, ctx=ctx, reason=reason
    )


@sensitive_variables()
@transaction.atomic
def add_new_person(
    *,
    new: NewPerson,
    organization: Organization,
    role_title: str,
    ctx: Ctx,
    reason: str = "",
    not_to: frozenset[int] = frozenset(),
) -> Added:
    """Exact match → the known person is added; partial → a match case (source "directory") for
    customer service and the case queue, nobody added; none → a new Person with a pre-created
    Profile and the staff entry. A case never goes to the organizations in `not_to` (those of
    the Directory Administrator who typed the data: they do not decide it), only to customer
    service and the person's other organizations. A concurrent insert of the same SSN
    (IntegrityError) is matched again, so no duplicate Person is ever made."""
    routed = _route(new, organization, role_title, ctx, reason, not_to)
    if routed is not None:
        return routed
    try:
        with transaction.atomic():
            person = do_create_person(
                data=PersonData(
                    first_name=new.first_name,
                    middle_name=new.middle_name,
                    last_name=new.last_name,
                    date_of_birth=new.date_of_birth,
                    ssn=new.ssn,
                    email=new.email,
                    phone=new.phone,
                ),
                source=SOURCE,
                ctx=ctx,
            )
    except IntegrityError:
        # Someone registered (or was added) with this SSN meanwhile: match against them.
        routed = _route(new, organization, role_title, ctx, reason, not_to)
        if routed is None:
            raise
        return routed
    profile = account_actions.do_precreate_profile(person=person, ctx=ctx)
    entry = directory_actions.do_add_staff(
        person=person, organization=organization, role_title=role_title, ctx=ctx, reason=reason
    )
    return Added("none", entry=entry, profile=profile)
