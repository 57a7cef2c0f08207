"""Synthetic demo data: organizations, applications, ~1,000 people, one identity per outcome, and
open match cases for the back office to decide.

Everything is generated from a fixed seed, so running it twice finds what the first run made
and changes nothing. No real person's data: names are drawn from common-name lists and
combined at random; SSNs are random valid-looking numbers.
"""

from __future__ import annotations

import io
import random
from base64 import b32encode
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from edgate.accounts import actions as account_actions
from edgate.accounts import hints
from edgate.accounts.models import Profile, Status
from edgate.core.context import Ctx
from edgate.directory import actions as directory_actions
from edgate.directory.models import Application, AppRole, Organization, OrgType
from edgate.identity.engine import Outcome as MatchOutcome
from edgate.importer import rows as import_rows
from edgate.importer.service import import_row
from edgate.matching import service as matching
from edgate.matching.models import MatchCase
from edgate.mfa.actions import do_provision_totp
from edgate.people.actions import PersonData, do_create_person
from edgate.people.models import Person, ssn_lookup
from edgate.registration.flows import query_from
from edgate.sso import actions as sso_actions
from edgate.sso import keys as sso_keys
from edgate.sso.models import ClientApplication

from .demo_names import CITIES, FIRST, LAST, STREETS

SEED = 20261129
PEOPLE = 1000
DEMO_PASSWORD = "demo only: violet harbor lantern"  # noqa: S105 - printed for the demo, synthetic
DEMO_HINT_ANSWER = "maple street"

ORGS = [
    ("00000001", "State Department of Education", OrgType.AGENCY, None),
    ("01230000", "Northfield Public Schools", OrgType.DISTRICT, None),
    ("01230010", "Northfield High School", OrgType.SCHOOL, "01230000"),
    ("01230020", "Maple Street Elementary", OrgType.SCHOOL, "01230000"),
    ("04560000", "Riverside Regional School District", OrgType.DISTRICT, None),
    ("04560015", "Riverside Middle School", OrgType.SCHOOL, "04560000"),
    ("08880001", "Lakeview Community Charter School", OrgType.CHARTER, None),
]
# The kinds of organization each demo role may be granted at (AppRole.org_types). A charter
# school and a collaborative are their own local education agencies (LEAs), as a district is.
ANY_KIND: list[OrgType] = []
LEAS = [OrgType.DISTRICT, OrgType.CHARTER, OrgType.COLLABORATIVE]
LOCAL = [OrgType.DISTRICT, OrgType.SCHOOL, OrgType.CHARTER, OrgType.COLLABORATIVE]
APPS = [
    (
        "ELAR",
        "ELAR — Licensure and job matching",
        "Apply for and renew educator licenses; find jobs.",
        True,
        [("educator", "Educator", "Educador", ANY_KIND)],
        ("ELAR — Licencias y búsqueda de empleo", "Solicite y renueve licencias de educador; busque empleo."),
    ),
    (
        "MDCS",
        "MDCS — Data collection",
        "Submit and review school and district data collections.",
        False,
        [
            # Schools (and charter schools) submit; a district or collaborative submits its own.
            ("submitter", "Submitter", "Remitente", LOCAL),
            # Approves the submissions of an LEA and its schools; the agency reviews them all.
            ("approver", "Approver", "Aprobador", LEAS + [OrgType.AGENCY]),
        ],
        (
            "MDCS — Recopilación de datos",
            "Envíe y revise las recopilaciones de datos de las escuelas y los distritos.",
        ),
    ),
    (
        "DROPBOX",
        "Dropbox — Secure file exchange",
        "Exchange files securely with the agency.",
        False,
        [
            # Anyone on any organization's staff may exchange files with the agency.
            ("user", "User", "Usuario", ANY_KIND),
            # District-wide rights: never at a school, where it would reach Dropbox as the same
            # role with a school's code.
            (
                "district_admin",
                "District administrator",
                "Administrador del distrito",
                LEAS + [OrgType.AGENCY],
            ),
        ],
        ("Dropbox — Intercambio seguro de archivos", "Intercambie archivos de forma segura con la agencia."),
    ),
]

# Each demo application signs people in through the portal as a public client (PKCE, no
# secret to hand around): examples/dropbox/ is such a client, on port 8001 for Dropbox.
DEMO_CLIENTS = [("DROPBOX", 8001), ("ELAR", 8002), ("MDCS", 8003)]
# The ones `make run` serves (Makefile: examples/dropbox/app.py, as Dropbox and as ELAR, open to
# all): My applications links to them, so the demo's educator, whose one card is ELAR, has
# somewhere to go. MDCS has no demo application running: its card says what to do instead.
DEMO_URLS = {"DROPBOX": "http://127.0.0.1:8001/", "ELAR": "http://127.0.0.1:8002/"}


def demo_client_id(code: str) -> str:
    return f"demo-{code.lower()}"


# The demo's customer-service agent works in the console (/console/), not the admin site: the
# group carries the one permission the consoles ask for (edgate.backoffice.scope).
CUSTOMER_SERVICE_PERMISSIONS = [("accounts", "serve_customers")]


@dataclass
class DemoAccount:
    role: str  # as PRODUCT.md names them in `edgate demo --accounts-json`
    label: str
    username: str
    organization: str | None = None
    totp_secret: str | None = None  # base32, for privileged accounts (a second factor is required)


@dataclass
class DemoCase:
    """An open case `make run` names, and what to try with it (None: the matcher no longer
    calls the demo's submission partial, so no case was opened)."""

    case: MatchCase | None
    queue: str  # whose queue it is in
    what_to_try: str


@dataclass
class DemoIdentity:
    outcome: str
    first_name: str
    last_name: str
    date_of_birth: date
    ssn: str
    note: str = ""


def totp_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps and `oathtool --totp -b` take it."""
    return b32encode(device.bin_key).decode()


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


# The sources of the records the demo makes: its people, and the row of its staff file.
DEMO_SOURCES = frozenset({"demo", "demo-staff-file"})


class NotTheDemosRecord(Exception):
    """An SSN the demo uses is held by a record the demo did not make: a database with other
    people in it. Nothing is loaded (`load` is one transaction)."""


def _demos_own(ssn: str) -> Person | None:
    """The demo's record of this SSN, made by an earlier run; None when there is none. A record
    the demo did not make (its source says) is never adopted: the demo would add it to a
    school's staff, open a case about it or give it a Profile (review5 L4)."""
    existing = Person.objects.filter(ssn_hash=ssn_lookup(ssn)).first()
    if existing is not None and existing.source not in DEMO_SOURCES:
        raise NotTheDemosRecord(
            f"Record {existing.pk} (source {existing.source!r}) holds an SSN the demo uses for its own "
            "synthetic people: this database has people the demo did not make. The demo adds staff "
            "entries, cases, Profiles and administrator accounts to whoever holds its SSNs, so it loads "
            "only into a database of its own (a new one: `edgate migrate`, then `edgate demo`). Nothing "
            "was loaded."
        )
    return existing


def _person(data: PersonData, ctx: Ctx, source: str = "demo") -> Person:
    return _demos_own(data.ssn) or do_create_person(data=data, source=source, ctx=ctx)


def _active_profile(person: Person, ctx: Ctx, *, hint: bool = True) -> Profile:
    profile = Profile.objects.filter(person=person).first()
    if profile is None:
        profile = account_actions.do_create_profile(
            person=person,
            password_hash=account_actions.hash_password(DEMO_PASSWORD),
            hint_question=str(hints.SUGGESTED_QUESTIONS[4]) if hint else "",
            hint_answer_hash=hints.hash_answer(DEMO_HINT_ANSWER) if hint else "",
            ctx=ctx,
        )
    return profile


def _staff_profile(
    person: Person, ctx: Ctx, *, is_staff: bool, is_superuser: bool, groups: list[Group]
) -> Profile:
    # No hint question: privileged Profiles never recover by hint (docs/security.md).
    profile = _active_profile(person, ctx, hint=False)
    return account_actions.do_set_privileges(
        profile=profile, is_staff=is_staff, is_superuser=is_superuser, groups=groups, ctx=ctx
    )


def _agency_person(
    first: str, last: str, born: date, ssn: str, city: str, postcode: str, phone: str = ""
) -> PersonData:
    """One of the demo's named people (administrators, agents, those of its cases): synthetic, in
    Massachusetts."""
    return PersonData(
        first_name=first,
        last_name=last,
        date_of_birth=born,
        ssn=ssn,
        city=city,
        state="MA",
        postcode=postcode,
        phone=phone,
    )


# Registrations blocked on page 1 by a partial match, for the back office to decide: the record
# on file and what its person typed into Create a Profile (synthetic, SSNs in the 123-45-00xx
# block of the demo's other named people).
# Its first name wrong on the district's staff record: a Directory Administrator of Northfield
# Public Schools decides it (same person, correcting the first name).
CASE_STAFF_RECORD = _agency_person("Jamie", "Mismatch", date(1988, 6, 21), "123450007", "Northfield", "01360")
CASE_STAFF_TYPED = replace(CASE_STAFF_RECORD, first_name="Morgan")
# On file (licensed before) but on no organization's staff: the case goes to customer service
# alone, who corrects a date of birth typed into Create a Profile (backoffice/scope.py).
CASE_NO_STAFF_RECORD = _agency_person("Robin", "Nodistrict", date(1979, 4, 2), "123450008", "Boston", "02108")
CASE_NO_STAFF_TYPED = replace(CASE_NO_STAFF_RECORD, date_of_birth=date(1979, 9, 14))
REGISTRATION = "registration"  # the source of a case page 1 opens (registration/flows.py _route)


def _typed_words(typed: PersonData) -> str:
    """`Morgan Mismatch, born June 21 1988, SSN 123-45-0007`: what to type at /register/."""
    ssn = f"{typed.ssn[:3]}-{typed.ssn[3:5]}-{typed.ssn[5:]}"
    return f"{typed.first_name} {typed.last_name}, born {typed.date_of_birth:%B %d %Y}, SSN {ssn}"


def _case_record(data: PersonData, ctx: Ctx, *, staff_of: Organization | None = None) -> Person:
    """The record a demo case is about: made on the first run (on `staff_of`'s staff, with a
    pre-created Profile, as a district adds staff); found by its SSN on later runs and left as
    it is (its first name or date of birth may have been corrected by deciding the case). A
    record the demo did not make is refused, never adopted (`_demos_own`)."""
    existing = _demos_own(data.ssn)
    if existing is not None:
        return existing
    person = do_create_person(data=data, source="demo", ctx=ctx)
    if staff_of is not None:
        directory_actions.do_add_staff(
            person=person, organization=staff_of, role_title="Curriculum Coordinator", ctx=ctx
        )
        account_actions.do_precreate_profile(person=person, ctx=ctx)
    return person


def _registration_case(record: Person, typed: PersonData, ctx: Ctx) -> MatchCase | None:
    """A case as page 1 of Create a Profile opens it when the match is partial (registration/
    flows.py `_route`): the same match and the same audited action, the demo its actor. The
    record's first case from a registration is kept on later runs, whatever became of it;
    None when the matcher does not call the submission partial against `record`."""
    existing = MatchCase.objects.filter(person=record, source=REGISTRATION).order_by("created_at").first()
    if existing is not None:
        return existing
    query = query_from(
        {
            "first_name": typed.first_name,
            "middle_name": typed.middle_name,
            "last_name": typed.last_name,
            "former_last_name": typed.former_last_name,
            "date_of_birth": typed.date_of_birth.isoformat(),  # type: ignore[union-attr]
            "ssn": typed.ssn,
            "state_id": "",
        }
    )
    decision = matching.match(query, setup_code_gate=True)
    if decision.outcome != MatchOutcome.PARTIAL or str(decision.candidate_id) != str(record.pk):
        return None
    return matching.do_open_case(person=record, query=query, decision=decision, source=REGISTRATION, ctx=ctx)


def _directory_admin(data: PersonData, organization: Organization, ctx: Ctx) -> Profile:
    """On the organization's staff and appointed its Directory Administrator."""
    person = _person(data, ctx)
    profile = _active_profile(person, ctx, hint=False)  # privileged: no hint recovery
    directory_actions.do_add_staff(
        person=person, organization=organization, role_title="Directory Administrator", ctx=ctx
    )
    directory_actions.do_appoint_admin(profile=profile, organization=organization, ctx=ctx)
    return profile


def _customer_service_group(ctx: Ctx) -> Group:
    permissions = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in CUSTOMER_SERVICE_PERMISSIONS
    ]
    return account_actions.do_save_group(
        group=Group.objects.filter(name="Customer service").first(),
        name="Customer service",
        permissions=permissions,
        ctx=ctx,
    )


def _configuration(ctx: Ctx) -> tuple[dict[str, Organization], dict[tuple[str, str], AppRole]]:
    """Organizations, applications and roles, through the actions (an event only when changed)."""
    orgs: dict[str, Organization] = {}
    for code, name, kind, parent in ORGS:
        existing = Organization.objects.filter(code=code).first()
        orgs[code] = directory_actions.do_save_organization(
            organization=existing,
            code=code,
            name=name,
            org_type=kind,
            parent=orgs.get(parent) if parent else None,
            active=existing.active if existing else True,
            ctx=ctx,
        )
    roles: dict[tuple[str, str], AppRole] = {}
    for code, name, description, open_to_all, app_roles, (name_es, description_es) in APPS:
        known = Application.objects.filter(code=code).first()
        app = directory_actions.do_save_application(
            application=known,
            code=code,
            name=name,
            description=description,
            name_es=name_es,
            description_es=description_es,
            # An address set since is kept; an empty one (a demo database made before) is filled.
            url=(known.url if known else "") or DEMO_URLS.get(code, ""),
            open_to_all=open_to_all,
            ctx=ctx,
        )
        for role_code, role_name, role_name_es, org_types in app_roles:
            roles[(code, role_code)] = directory_actions.do_save_app_role(
                role=AppRole.objects.filter(application=app, code=role_code).first(),
                application=app,
                code=role_code,
                name=role_name,
                name_es=role_name_es,
                org_types=org_types,
                ctx=ctx,
            )
    return orgs, roles


def _clients(ctx: Ctx) -> list[ClientApplication]:
    """A signing key (the first run makes one) and one client per demo application."""
    if not sso_keys.published():
        sso_actions.do_rotate_signing_key(ctx=ctx)
    links = []
    for code, port in DEMO_CLIENTS:
        link = ClientApplication.objects.filter(client__client_id=demo_client_id(code)).first()
        if link is None:
            application = Application.objects.get(code=code)
            link = sso_actions.do_register_client(
                client_id=demo_client_id(code),
                name=f"{application.name} (demo)",
                application=application,
                redirect_uris=[f"http://127.0.0.1:{port}/callback", f"http://localhost:{port}/callback"],
                post_logout_redirect_uris=[f"http://127.0.0.1:{port}/", f"http://localhost:{port}/"],
                public=True,
                ctx=ctx,
            ).link
        links.append(link)
    return links


@transaction.atomic
def load(ctx: Ctx) -> dict[str, object]:
    rng = random.Random(SEED)  # noqa: S311 - synthetic data, not security
    orgs, roles = _configuration(ctx)
    clients = _clients(ctx)

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
    admin = _directory_admin(
        _agency_person(
            "Dana", "Administrator", date(1975, 3, 14), "123450001", "Northfield", "01360", phone="4135550101"
        ),
        orgs["01230000"],
        ctx,
    )
    directory_actions.do_grant_access(
        profile=admin, role=roles[("MDCS", "approver")], organization=orgs["01230000"], ctx=ctx
    )
    school_admin = _directory_admin(
        _agency_person(
            "Jordan", "Principal", date(1972, 5, 9), "123450004", "Northfield", "01360", phone="4135550102"
        ),
        orgs["01230010"],
        ctx,
    )
    riverside_admin = _directory_admin(
        _agency_person(
            "Riley", "Riverside", date(1981, 9, 30), "123450005", "Riverside", "01001", phone="4135550103"
        ),
        orgs["04560000"],
        ctx,
    )
    service_person = _person(
        _agency_person("Casey", "Service", date(1980, 7, 2), "123450002", "Boston", "02108"),
        ctx,
    )
    service = _staff_profile(
        service_person, ctx, is_staff=False, is_superuser=False, groups=[_customer_service_group(ctx)]
    )
    security_person = _person(
        _agency_person("Sam", "Security", date(1978, 11, 20), "123450003", "Boston", "02108"),
        ctx,
    )
    security = _staff_profile(security_person, ctx, is_staff=True, is_superuser=True, groups=[])
    while True:
        newcomer = random_person(rng)
        if not Person.objects.filter(ssn_hash=ssn_lookup(newcomer.ssn)).exists():
            break
    pre_profile = Profile.objects.get(person=pre_person)
    survivor, duplicate = _duplicate_to_merge(_person(people[8], ctx), orgs["01230020"], ctx)
    dirty = _imported_with_a_bad_date(orgs["01230020"], ctx)
    staff_case = _registration_case(
        _case_record(CASE_STAFF_RECORD, ctx, staff_of=orgs["01230000"]), CASE_STAFF_TYPED, ctx
    )
    no_staff_case = _registration_case(_case_record(CASE_NO_STAFF_RECORD, ctx), CASE_NO_STAFF_TYPED, ctx)
    # Privileged accounts sign in with a second factor: one app secret each, made on the first
    # run and kept by later ones (do_provision_totp keeps an existing device).
    privileged = (admin, school_admin, riverside_admin, service, security)
    secrets = {p.pk: totp_secret(do_provision_totp(profile=p, ctx=ctx)) for p in privileged}
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
                "pre-created Profile — finish setting up your Profile",
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
                # 13 years: two digits of the year differ (rules-3 takes a one-digit slip within
                # a generation for a typo and would answer exact).
                partial_person.date_of_birth.replace(year=partial_person.date_of_birth.year - 13),  # type: ignore[union-attr]
                people[2].ssn,
                "(the record's date of birth is 13 years later: you are first asked to check what you "
                "typed; continue without changes and the case goes to the queue of Northfield Public "
                "Schools, whose high school the record works at)",
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
            DemoAccount("educator", "Educator", exact_profile.username),
            DemoAccount(
                "directory_administrator",
                "Directory Administrator, Northfield Public Schools",
                admin.username,
                organization="01230000",
                totp_secret=secrets[admin.pk],
            ),
            DemoAccount(
                "directory_administrator",
                "Directory Administrator, Northfield High School",
                school_admin.username,
                organization="01230010",
                totp_secret=secrets[school_admin.pk],
            ),
            DemoAccount(
                "directory_administrator",
                "Directory Administrator, Riverside Regional School District",
                riverside_admin.username,
                organization="04560000",
                totp_secret=secrets[riverside_admin.pk],
            ),
            DemoAccount(
                "customer_service",
                "Customer service (console at /console/)",
                service.username,
                totp_secret=secrets[service.pk],
            ),
            DemoAccount(
                "security_administrator",
                "Security administrator (admin site at /admin/, and the consoles)",
                security.username,
                totp_secret=secrets[security.pk],
            ),
        ],
        "people": Person.objects.count(),
        "clients": clients,
        "duplicate": (duplicate.username, survivor.username),
        "data_quality": dirty,
        "cases": [
            DemoCase(
                staff_case,
                orgs["01230000"].name,
                f"sign in as {admin.username}, open Cases, then this case: the first name differs from the "
                f"district's staff record ({CASE_STAFF_RECORD.first_name}; the caller says "
                f"{CASE_STAFF_TYPED.first_name}). Resolve it as same person, correcting the first name to "
                f"{CASE_STAFF_TYPED.first_name}; then register {_typed_words(CASE_STAFF_TYPED)} to finish "
                "setting up the Profile",
            ),
            DemoCase(
                no_staff_case,
                "customer service only (the record is on no organization's staff)",
                f"sign in as {service.username}, open Cases, then this case: the date of birth differs from "
                f"the record's. Resolve it as same person, correcting the date of birth to "
                f"{CASE_NO_STAFF_TYPED.date_of_birth:%B %d %Y}; then register "
                f"{_typed_words(CASE_NO_STAFF_TYPED)} to finish setting up the Profile",
            ),
        ],
    }


# One row of a district's staff file whose date of birth cannot be a date (month 14: day and
# month swapped). The import keeps the person, marks the field unusable and keeps the typed
# value for customer service ("Data-quality problem" on the Profile's page).
DIRTY_STAFF_FILE = """id,first_name,last_name,date_of_birth,ssn,city,state,postcode
DEMO-DQ-1,Avery,Lindqvist,1986-14-03,123450006,Northfield,MA,01360
"""
DIRTY_STAFF_SSN = "123450006"


def _imported_with_a_bad_date(organization: Organization, ctx: Ctx) -> Profile:
    """Through the importer itself, as `edgate import` would (a second run finds it unchanged).
    The importer would match the row to whoever holds its SSN: a record the demo did not make
    is refused first (`_demos_own`)."""
    _demos_own(DIRTY_STAFF_SSN)
    (row,) = import_rows.read(io.StringIO(DIRTY_STAFF_FILE))
    import_row(row, source="demo-staff-file", organization=organization, role_title="Teacher", ctx=ctx)
    return Profile.objects.get(person__ssn_hash=ssn_lookup(DIRTY_STAFF_SSN))


def _duplicate_to_merge(person: Person, organization: Organization, ctx: Ctx) -> tuple[Profile, Profile]:
    """A second record of `person` as a staff import makes it when the file has no SSN: a Person
    without SSN (source "import"), on a school's staff, with a pre-created Profile. Customer
    service can merge it into the person's record (the one with the SSN) and undo the merge.
    Returns (survivor's Profile, duplicate's Profile); found again on later runs."""
    survivor = Profile.objects.filter(person=person).first() or account_actions.do_precreate_profile(
        person=person, ctx=ctx
    )
    duplicate = Person.objects.filter(
        source="import",
        ssn_hash=None,
        first_name=person.first_name,
        last_name=person.last_name,
        date_of_birth=person.date_of_birth,
    ).first()
    if duplicate is not None:  # made by an earlier run (and perhaps merged since): left as it is
        return survivor, Profile.objects.get(person=duplicate)
    duplicate = do_create_person(
        data=PersonData(
            first_name=person.first_name,
            last_name=person.last_name,
            date_of_birth=person.date_of_birth,
            city=person.city,
            state=person.state,
            postcode=person.postcode,
        ),
        source="import",
        ctx=ctx,
    )
    directory_actions.do_add_staff(person=duplicate, organization=organization, role_title="Teacher", ctx=ctx)
    profile = account_actions.do_precreate_profile(person=duplicate, ctx=ctx)
    return survivor, profile
