"""A small world of organizations and the people who work in the consoles.

    agency 00000001
    district A 01230000 ── school A1 01230010, school A2 01230020
    district B 04560000 ── school B1 04560015

Roles: an educator (no privileges), the Directory Administrator of district A, of school A1 and
of district B, a customer-service agent (group with `accounts.serve_customers`) and a security
administrator (superuser with staff status). `console_client(profile)` signs one in, with the
second factor passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.test import Client

from edgate.accounts import actions as account_actions
from edgate.accounts.models import Profile
from edgate.directory import actions as directory_actions
from edgate.directory.models import Application, AppRole, Organization, OrgType
from edgate.people.models import Person

from .factories import CTX, Someone, on_file, precreated, someone, with_profile
from .second_factor import force_verified_login


@dataclass
class World:
    agency: Organization
    district_a: Organization
    school_a1: Organization
    school_a2: Organization
    district_b: Organization
    school_b1: Organization
    elar: Application
    mdcs: Application
    dropbox: Application
    roles: dict[tuple[str, str], AppRole]
    educator: Profile
    da_a: Profile
    da_school_a1: Profile
    da_b: Profile
    service: Profile
    security: Profile

    def role(self, app: str, code: str) -> AppRole:
        return self.roles[(app, code)]


def _org(code: str, name: str, kind: str, parent: Organization | None = None) -> Organization:
    return directory_actions.do_save_organization(
        organization=None, code=code, name=name, org_type=kind, parent=parent, active=True, ctx=CTX
    )


def _app(code: str, name: str, open_to_all: bool, roles: list[tuple[str, str]]) -> tuple[Application, dict]:
    app = directory_actions.do_save_application(
        application=None, code=code, name=name, description="", url="", open_to_all=open_to_all, ctx=CTX
    )
    made = {
        (code, rc): directory_actions.do_save_app_role(role=None, application=app, code=rc, name=rn, ctx=CTX)
        for rc, rn in roles
    }
    return app, made


def person_with_profile(first: str, last: str) -> tuple[Person, Profile]:
    person = on_file(someone(first, last), phone="5552014477")
    return person, with_profile(person)


def directory_admin(first: str, last: str, organization: Organization) -> Profile:
    """Appointed to the organization, and on its staff (as a real one would be)."""
    person, profile = person_with_profile(first, last)
    directory_actions.do_add_staff(
        person=person, organization=organization, role_title="Directory Administrator", ctx=CTX
    )
    directory_actions.do_appoint_admin(profile=profile, organization=organization, ctx=CTX)
    return profile


def customer_service_group() -> Group:
    group, _ = Group.objects.get_or_create(name="Customer service")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="serve_customers")
    )
    return group


def build_world() -> World:
    agency = _org("00000001", "State Department of Education", OrgType.AGENCY)
    district_a = _org("01230000", "Northfield Public Schools", OrgType.DISTRICT)
    school_a1 = _org("01230010", "Northfield High School", OrgType.SCHOOL, district_a)
    school_a2 = _org("01230020", "Maple Street Elementary", OrgType.SCHOOL, district_a)
    district_b = _org("04560000", "Riverside Regional School District", OrgType.DISTRICT)
    school_b1 = _org("04560015", "Riverside Middle School", OrgType.SCHOOL, district_b)
    roles: dict[tuple[str, str], AppRole] = {}
    elar, made = _app("ELAR", "ELAR", True, [("educator", "Educator")])
    roles |= made
    mdcs, made = _app("MDCS", "MDCS", False, [("submitter", "Submitter"), ("approver", "Approver")])
    roles |= made
    dropbox, made = _app(
        "DROPBOX", "Dropbox", False, [("user", "User"), ("district_admin", "District administrator")]
    )
    roles |= made

    _, educator = person_with_profile("Elliot", "Teachwell")
    da_a = directory_admin("Dana", "Northfield", district_a)
    da_school_a1 = directory_admin("Sasha", "Highschool", school_a1)
    da_b = directory_admin("Bailey", "Riverside", district_b)
    _, service = person_with_profile("Casey", "Service")
    service = account_actions.do_set_privileges(
        profile=service, is_staff=False, is_superuser=False, groups=[customer_service_group()], ctx=CTX
    )
    _, security = person_with_profile("Sam", "Security")
    security = account_actions.do_set_privileges(
        profile=security, is_staff=True, is_superuser=True, groups=[], ctx=CTX
    )
    return World(
        agency, district_a, school_a1, school_a2, district_b, school_b1,
        elar, mdcs, dropbox, roles,
        educator, da_a, da_school_a1, da_b, service, security,
    )  # fmt: skip


def console_client(profile: Profile | None) -> Client:
    """A client signed in as `profile` (second factor passed when it is privileged); anonymous for None."""
    client = Client()
    if profile is not None:
        force_verified_login(client, profile)
    return client


def dob_parts(born: date | None) -> dict[str, str]:
    """A date of birth as the console's three boxes send it (month, day, year)."""
    if born is None:
        return {"dob_month": "", "dob_day": "", "dob_year": ""}
    return {"dob_month": str(born.month), "dob_day": str(born.day), "dob_year": str(born.year)}


def typed_dob(extra: dict[str, str]) -> dict[str, str]:
    """`date_of_birth="1991-02-17"` (or "") in a test's post: the three boxes, as typed."""
    if "date_of_birth" in extra:
        typed = extra.pop("date_of_birth")
        extra.update(dob_parts(date.fromisoformat(typed) if typed else None))
    return extra


def new_post(who: Someone, role_title: str = "Teacher", **extra: str) -> dict[str, str]:
    """The console's "add someone new" form, filled in for `who`."""
    return {
        "first_name": who.first_name,
        "middle_name": "",
        "last_name": who.last_name,
        **dob_parts(who.date_of_birth),
        "ssn": who.ssn,
        "email": "",
        "phone": "",
        "role_title": role_title,
        **typed_dob(extra),
    }


@dataclass
class StaffPages:
    """What the console's staff pages need in one school: a teacher's entry with a grant, and an
    aide whose pre-created Profile waits for its set-up code."""

    entry: Any
    grant: Any
    pending: Any


def staff_pages(
    world: World,
    teacher: tuple[str, str] = ("Lena", "Brightwood"),
    waiting: tuple[str, str] = ("Milo", "Fernsby"),
) -> StaffPages:
    person = on_file(someone(*teacher))
    profile = with_profile(person)
    entry = directory_actions.do_add_staff(
        person=person, organization=world.school_a1, role_title="Teacher", ctx=CTX
    )
    grant = directory_actions.do_grant_access(
        profile=profile, role=world.role("MDCS", "submitter"), organization=world.school_a1, ctx=CTX
    )
    aide = on_file(someone(*waiting))
    precreated(aide)
    pending = directory_actions.do_add_staff(
        person=aide, organization=world.school_a1, role_title="Aide", ctx=CTX
    )
    return StaffPages(entry, grant, pending)


def district_case(world: World) -> str:
    """A case in district A's queue (a registrant six years off a staff member's birth date); its
    reference."""
    from edgate.identity.records import Identity
    from edgate.matching import service as matching_service

    record = someone("Philippa", "Ashworth-Ngata")
    person = on_file(record)
    directory_actions.do_add_staff(
        person=person, organization=world.district_a, role_title="Teacher", ctx=CTX
    )
    query = Identity(
        first_name=record.first_name,
        last_name=record.last_name,
        date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 6),
        ssn=record.ssn,
    )
    case = matching_service.do_open_case(
        person=person, query=query, decision=matching_service.match(query), source="test", ctx=CTX
    )
    return case.reference
