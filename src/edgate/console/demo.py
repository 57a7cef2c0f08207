"""Synthetic demo data: organizations, applications, ~1,000 people, and one identity per outcome.

Everything is generated from a fixed seed, so running it twice finds what the first run made
and changes nothing. No real person's data: names are drawn from common-name lists and
combined at random; SSNs are random valid-looking numbers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from edgate.accounts import actions as account_actions
from edgate.accounts import hints
from edgate.accounts.models import Profile, Status
from edgate.core.context import Ctx
from edgate.directory import actions as directory_actions
from edgate.directory.models import Application, AppRole, Organization, OrgType
from edgate.people.actions import PersonData, do_create_person
from edgate.people.models import Person, ssn_lookup

SEED = 20261129
PEOPLE = 1000
DEMO_PASSWORD = "demo only: violet harbor lantern"  # noqa: S105 - printed for the demo, synthetic
DEMO_HINT_ANSWER = "maple street"

FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Karen",
    "José",
    "María",
    "Nguyễn",
    "Aaliyah",
    "Siobhán",
    "Zoë",
    "Mohammed",
    "Priya",
    "Wei",
    "Olga",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Margaret",
    "Kevin",
    "Sandra",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "O'Brien",
    "García-López",
    "Nguyen",
    "Van der Berg",
    "Kowalski",
    "Okafor",
    "Cohen",
    "Patel",
    "Kim",
    "Murphy",
    "Sullivan",
    "Fitzgerald",
    "Ramírez",
    "Chen",
    "Haddad",
    "St. John",
    "MacDonald",
    "Dubois",
    "Rossi",
    "Yamamoto",
]
STREETS = [
    "Main St",
    "Elm St",
    "Oak Ave",
    "Maple Rd",
    "Washington St",
    "Park Ave",
    "Pleasant St",
    "Highland Ave",
]
CITIES = [
    ("Northfield", "01360"),
    ("Riverside", "01890"),
    ("Lakeview", "02148"),
    ("Hillcrest", "01040"),
]

ORGS = [
    ("00000001", "State Department of Education", OrgType.AGENCY, None),
    ("01230000", "Northfield Public Schools", OrgType.DISTRICT, None),
    ("01230010", "Northfield High School", OrgType.SCHOOL, "01230000"),
    ("01230020", "Maple Street Elementary", OrgType.SCHOOL, "01230000"),
    ("04560000", "Riverside Regional School District", OrgType.DISTRICT, None),
    ("04560015", "Riverside Middle School", OrgType.SCHOOL, "04560000"),
    ("08880001", "Lakeview Community Charter School", OrgType.CHARTER, None),
]
APPS = [
    (
        "ELAR",
        "ELAR — Licensure and job matching",
        "Apply for and renew educator licenses; find jobs.",
        True,
        [("educator", "Educator")],
    ),
    (
        "MDCS",
        "MDCS — Data collection",
        "Submit and review school and district data collections.",
        False,
        [("submitter", "Submitter"), ("approver", "Approver")],
    ),
    (
        "DROPBOX",
        "Dropbox — Secure file exchange",
        "Exchange files securely with the agency.",
        False,
        [("user", "User"), ("district_admin", "District administrator")],
    ),
]


@dataclass
class DemoIdentity:
    outcome: str
    first_name: str
    last_name: str
    date_of_birth: date
    ssn: str
    note: str = ""


def random_ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"


def random_person(rng: random.Random) -> PersonData:
    city, postcode = rng.choice(CITIES)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return PersonData(
        first_name=first,
        last_name=last,
        date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 52)),
        ssn=random_ssn(rng),
        street=f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
        city=city,
        state="MA",
        postcode=postcode,
        email=f"{first[0].lower()}.{rng.randint(1, 99999)}@example.org",
    )


def _person(data: PersonData, ctx: Ctx, source: str = "demo") -> Person:
    existing = Person.objects.filter(ssn_hash=ssn_lookup(data.ssn)).first()
    return existing or do_create_person(data=data, source=source, ctx=ctx)


def _active_profile(person: Person, ctx: Ctx, *, is_staff: bool = False) -> Profile:
    profile = Profile.objects.filter(person=person).first()
    if profile is None:
        profile = account_actions.do_create_profile(
            person=person,
            password_hash=account_actions.hash_password(DEMO_PASSWORD),
            hint_question=str(hints.SUGGESTED_QUESTIONS[4]),
            hint_answer_hash=hints.hash_answer(DEMO_HINT_ANSWER),
            ctx=ctx,
        )
    if is_staff and not profile.is_staff:
        profile.is_staff = True
        profile.is_superuser = True
        profile.save(update_fields=["is_staff", "is_superuser"])
    return profile


@transaction.atomic
def load(ctx: Ctx) -> dict[str, object]:
    rng = random.Random(SEED)  # noqa: S311 - synthetic data, not security
    orgs: dict[str, Organization] = {}
    for code, name, kind, parent in ORGS:
        orgs[code], _ = Organization.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "org_type": kind,
                "parent": orgs.get(parent) if parent else None,
            },
        )
    roles: dict[tuple[str, str], AppRole] = {}
    for code, name, description, open_to_all, app_roles in APPS:
        app, _ = Application.objects.update_or_create(
            code=code,
            defaults={"name": name, "description": description, "open_to_all": open_to_all},
        )
        for role_code, role_name in app_roles:
            roles[(code, role_code)], _ = AppRole.objects.update_or_create(
                application=app, code=role_code, defaults={"name": role_name}
            )

    schools = [o for o in orgs.values() if o.org_type in (OrgType.SCHOOL, OrgType.CHARTER)]
    people = [random_person(rng) for _ in range(PEOPLE)]
    fresh = Person.objects.filter(source="demo").count() < PEOPLE
    for i, data in enumerate(people):
        if not fresh:
            break
        person = _person(data, ctx)
        if i % 4 == 0:  # a quarter are school staff, added by their district: Profile pre-created
            directory_actions.do_add_staff(
                person=person, organization=rng.choice(schools), role_title="Teacher", ctx=ctx
            )
            if not Profile.objects.filter(person=person).exists():
                account_actions.do_precreate_profile(person=person, ctx=ctx)

    # One identity per outcome, fixed by the seed.
    exact_person = _person(people[1], ctx)
    exact_profile = _active_profile(exact_person, ctx)
    pre_person = _person(people[4], ctx)  # index divisible by 4: staff with a pre-created Profile
    partial_person = _person(people[2], ctx)
    directory_actions.do_add_staff(
        person=partial_person, organization=orgs["01230010"], role_title="Counselor", ctx=ctx
    )
    admin_person = _person(
        PersonData(
            first_name="Dana",
            last_name="Administrator",
            date_of_birth=date(1975, 3, 14),
            ssn="123450001",
            city="Northfield",
            state="MA",
            postcode="01360",
        ),
        ctx,
    )
    admin = _active_profile(admin_person, ctx)
    directory_actions.do_appoint_admin(profile=admin, organization=orgs["01230000"], ctx=ctx)
    directory_actions.do_grant_access(
        profile=admin, role=roles[("MDCS", "approver")], organization=orgs["01230000"], ctx=ctx
    )
    service_person = _person(
        PersonData(
            first_name="Casey",
            last_name="Service",
            date_of_birth=date(1980, 7, 2),
            ssn="123450002",
            city="Boston",
            state="MA",
            postcode="02108",
        ),
        ctx,
    )
    service = _active_profile(service_person, ctx, is_staff=True)
    while True:
        newcomer = random_person(rng)
        if not Person.objects.filter(ssn_hash=ssn_lookup(newcomer.ssn)).exists():
            break
    pre_profile = Profile.objects.get(person=pre_person)
    return {
        "identities": [
            DemoIdentity(
                "no match — a new Profile",
                newcomer.first_name,
                newcomer.last_name,
                newcomer.date_of_birth,
                newcomer.ssn,
            ),  # type: ignore[arg-type]
            DemoIdentity(
                "pre-created Profile — we need additional information",
                pre_person.first_name,
                pre_person.last_name,
                pre_person.date_of_birth,
                people[4].ssn,  # type: ignore[arg-type]
                ""
                if pre_profile.status == Status.AWAITING_SETUP
                else "(already set up: shows as exact match now)",
            ),
            DemoIdentity(
                "partial match — conflicting data",
                partial_person.first_name,
                partial_person.last_name,
                partial_person.date_of_birth.replace(year=partial_person.date_of_birth.year - 3),  # type: ignore[union-attr]
                people[2].ssn,
                "(the record's date of birth is 3 years later)",
            ),
            DemoIdentity(
                "exact match — User Name reminder",
                exact_person.first_name,
                exact_person.last_name,
                exact_person.date_of_birth,
                people[1].ssn,  # type: ignore[arg-type]
                f"(hint answer: {DEMO_HINT_ANSWER})",
            ),
        ],
        "accounts": [
            ("Educator", exact_profile.username),
            ("Directory Administrator, Northfield Public Schools", admin.username),
            ("Customer service (admin site at /admin/)", service.username),
        ],
        "people": Person.objects.count(),
    }
