"""The authorization matrix: every role × every console URL and method × objects inside and
outside the actor's scope → allowed, or 403 / 404 — never another organization's data.

The URLs are found by walking `backoffice.urls`, not listed by hand: a new console page is in
the matrix the day it is added, and fails here if its URL takes an object this file does not
know how to place (teach `PLACES` about it).

Objects live in three places: school A1 (in the scope of district A's administrator and of
school A1's), school A2 (district A's only) and school B1 (district B's only). Every POST runs
inside a savepoint that is rolled back, so one row of the matrix never changes the next.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from edgate.accounts.models import Profile
from edgate.audit.models import AuditEvent, EventType
from edgate.backoffice.actions import do_merge_persons
from edgate.backoffice.scope import Role
from edgate.core import conf
from edgate.directory import actions as directory_actions
from edgate.directory.models import AccessGrant, Organization, StaffEntry
from edgate.identity.records import Identity
from edgate.matching import service as matching_service
from edgate.matching.models import MatchCase
from edgate.people.actions import PersonData, do_create_person
from edgate.people.models import Person

from .backoffice import World, build_world, console_client
from .factories import CTX, on_file, precreated, someone, with_profile

pytestmark = pytest.mark.django_db

DA_SCOPE = {"da_a": {"A1", "A2"}, "da_school_a1": {"A1"}, "da_b": {"B1"}}
ROLES_OF = {
    "anonymous": frozenset(),
    "educator": frozenset(),
    "da_a": frozenset({Role.DIRECTORY_ADMIN}),
    "da_school_a1": frozenset({Role.DIRECTORY_ADMIN}),
    "da_b": frozenset({Role.DIRECTORY_ADMIN}),
    "service": frozenset({Role.CUSTOMER_SERVICE}),
    "security": frozenset({Role.SECURITY_ADMIN}),
}
AGENCY = {"service", "security"}
# Pages about a staff member whose Profile awaits set-up (a one-time activation code).
AWAITING_SETUP_PAGES = {"backoffice:org_code"}


@dataclass
class Place:
    """One organization's objects: a staff member with a Profile (appointed the organization's
    Directory Administrator, so an appointment exists to remove), a grant, an open case, and a
    duplicate record of the staff member merged into theirs (so a merge exists to undo)."""

    name: str
    organization: Organization
    person: Person
    profile: Profile
    entry: StaffEntry
    grant: AccessGrant
    case: MatchCase
    merged: Person
    awaiting: StaffEntry  # a staff member whose Profile is pre-created (awaiting set-up)
    marker: str  # the staff member's last name: must never show outside the place's scope

    def kwargs(self, url_name: str = "") -> dict[str, Any]:
        if url_name in AWAITING_SETUP_PAGES:
            return {"code": self.organization.code, "entry": self.awaiting.pk}
        return {
            "code": self.organization.code,
            "entry": self.entry.pk,
            "grant": self.grant.pk,
            "profile": self.profile.pk,
            "person": self.merged.pk,
            "reference": self.case.reference,
        }


def _place(world: World, name: str, organization: Organization, last_name: str) -> Place:
    record = someone("Harper", last_name)
    person = on_file(record, email=f"{last_name.lower()}@example.org")
    profile = with_profile(person)
    entry = directory_actions.do_add_staff(
        person=person, organization=organization, role_title="Teacher", ctx=CTX
    )
    grant = directory_actions.do_grant_access(
        profile=profile, role=world.role("MDCS", "submitter"), organization=organization, ctx=CTX
    )
    # A registrant whose date of birth conflicts with the record: a partial match, routed here.
    query = Identity(
        first_name=record.first_name,
        last_name=record.last_name,
        date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 5),
        ssn=record.ssn,
    )
    decision = matching_service.match(query)
    assert decision.outcome == "partial"
    case = matching_service.do_open_case(
        person=person, query=query, decision=decision, source="registration", ctx=CTX
    )
    directory_actions.do_appoint_admin(profile=profile, organization=organization, ctx=CTX)
    duplicate = do_create_person(
        data=PersonData(first_name=record.first_name, last_name=last_name), source="test", ctx=CTX
    )
    directory_actions.do_add_staff(person=duplicate, organization=organization, role_title="Teacher", ctx=CTX)
    do_merge_persons(
        survivor=person,
        duplicate=duplicate,
        reason="matrix",
        allow_privileged=True,
        state_ids_checked=True,
        ctx=CTX,
    )
    newcomer = on_file(someone("Jules", last_name))
    precreated(newcomer)
    awaiting = directory_actions.do_add_staff(
        person=newcomer, organization=organization, role_title="Aide", ctx=CTX
    )
    return Place(name, organization, person, profile, entry, grant, case, duplicate, awaiting, last_name)


def console_patterns() -> list[tuple[str, URLPattern]]:
    """(URL name, pattern) of every page under /console/."""
    resolver = get_resolver()
    found: list[tuple[str, URLPattern]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "backoffice":
            found += [(f"backoffice:{p.name}", p) for p in entry.url_patterns if isinstance(p, URLPattern)]
    assert found, "no console URLs found"
    return found


def expected(role: str, view_roles: frozenset[Role], place: str | None) -> str:
    if role == "anonymous":
        return "login"
    if not ROLES_OF[role] & view_roles:
        return "forbidden"
    if place == "mixed":  # an object of B under an organization of A: not that organization's
        return "hidden"
    if role in AGENCY or place is None:
        return "allowed"
    return "allowed" if place in DA_SCOPE[role] else "hidden"


def outcome(response: Any) -> str:
    status = response.status_code
    assert status < 500, f"server error {status}"
    if status == 302 and "/login/" in response["Location"]:
        return "login"
    return {403: "forbidden", 404: "hidden"}.get(status, "allowed")


def request(client: Client, method: str, url: str) -> Any:
    if method == "GET":
        return client.get(url)
    # An empty form: a page that needs fields answers with errors; one that needs none acts —
    # in a savepoint rolled back at once, so the matrix's next row sees the same world.
    with transaction.atomic():
        response = client.post(url, {})
        transaction.set_rollback(True)
    return response


def test_every_role_every_console_url_every_scope(settings) -> None:  # type: ignore[no-untyped-def]
    # Hundreds of refusals per role: the per-Profile limit on refusals (tested in
    # tests/flows/test_abuse_limits.py) would cut the walk short.
    edgate = copy.deepcopy(settings.EDGATE)
    edgate["THROTTLES"]["console_refused_profile"] = (100_000, 3600)
    settings.EDGATE = edgate
    conf.reset()
    world = build_world()
    places = {
        "A1": _place(world, "A1", world.school_a1, "Aonefield"),
        "A2": _place(world, "A2", world.school_a2, "Atwofield"),
        "B1": _place(world, "B1", world.school_b1, "Bonefield"),
    }
    clients = {
        "anonymous": Client(),
        **{
            role: console_client(getattr(world, role))
            for role in ("educator", "da_a", "da_school_a1", "da_b", "service", "security")
        },
    }
    checked, failures = 0, []
    for name, pattern in console_patterns():
        view = pattern.callback
        view_roles: frozenset[Role] = view.console_roles
        methods: tuple[str, ...] = view.console_methods
        needed = set(pattern.pattern.regex.groupindex)
        unknown = needed - set(places["A1"].kwargs())
        assert not unknown, f"{name} takes {unknown}: teach the matrix where such objects live"
        targets: list[tuple[str | None, dict[str, Any]]] = (
            [(p, {k: v for k, v in places[p].kwargs(name).items() if k in needed}) for p in places]
            if needed
            else [(None, {})]
        )
        if needed - {"code"} and "code" in needed:
            # Mixed: an organization in scope with another organization's object.
            mixed = {k: v for k, v in places["B1"].kwargs(name).items() if k in needed}
            mixed["code"] = places["A1"].organization.code
            targets.append(("mixed", mixed))
        for place, kwargs in targets:
            url = reverse(name, kwargs=kwargs)
            for role, client in clients.items():
                for method in methods:
                    if method == "HEAD":
                        continue
                    want = expected(role, view_roles, place)
                    refusals = AuditEvent.objects.filter(event_type=EventType.CONSOLE_REFUSED).count()
                    response = request(client, method, url)
                    got = outcome(response)
                    checked += 1
                    if got != want:
                        failures.append(f"{role} {method} {url} [{place}]: {got}, expected {want}")
                    if method == "GET" and got in ("forbidden", "hidden"):  # POSTs are rolled back
                        refused = AuditEvent.objects.filter(event_type=EventType.CONSOLE_REFUSED)
                        last = refused.order_by("-pk").first()
                        if refused.count() != refusals + 1 or last is None or last.detail["path"] != url:
                            failures.append(f"{role} {method} {url}: {got}, but no console refusal audited")
                    if got == "allowed" and role in DA_SCOPE and response.status_code == 200:
                        body = response.content.decode()
                        for other, obj in places.items():
                            if other not in DA_SCOPE[role] and obj.marker in body:
                                failures.append(f"{role} {method} {url}: shows {other}'s staff member")
    assert not failures, f"{len(failures)} of {checked} checks failed:\n" + "\n".join(failures)
    assert checked > 100
