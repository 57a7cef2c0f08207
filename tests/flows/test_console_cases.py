"""The match-case console: queue, side-by-side case page, resolutions, and the registrant's side
(partial-match page, case status page) — all through HTTP."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter

from edgate.accounts.models import Profile
from edgate.audit.models import AuditEvent, EventType
from edgate.backoffice import staffing
from edgate.core import conf
from edgate.core.context import Ctx
from edgate.directory import actions as directory_actions
from edgate.directory.models import Organization, StaffEntry
from edgate.identity.records import Identity
from edgate.matching import actions, service
from edgate.matching.models import CaseOutcome, CaseStatus, DistinctPair, MatchCase
from edgate.people.models import Person

from ..backoffice import World, build_world, console_client, dob_parts, new_post
from ..factories import CTX, Someone, on_file, security_post, someone, with_profile
from .helpers import landed, location, open_case, post_step, register_new, shows, start, step, url

pytestmark = pytest.mark.django_db


# --- helpers ------------------------------------------------------------------------------


def record_at(organization: Organization | None, who: Someone, *, profile: bool = False) -> Person:
    person = on_file(who)
    if organization is not None:
        directory_actions.do_add_staff(
            person=person, organization=organization, role_title="Teacher", ctx=CTX
        )
    if profile:
        with_profile(person)
    return person


def blocked(client: Client, registrant: Someone) -> MatchCase:
    """Register through the wizard and be stopped at the partial-match page."""
    start(client)
    assert location(open_case(client, registrant)) == step("partial")
    reference = client.get(url(client, "partial")).context["match"]["case"]
    case, _ = service.given_reference(reference)
    assert case is not None
    return case


def given(client: Client) -> str:
    """The reference the partial-match page gave this registrant."""
    return str(client.get(url(client, "partial")).context["match"]["case"])


def older(who: Someone, years: int = 5) -> Someone:
    """The same person with the year of birth mistyped (SSN agrees, date of birth differs)."""
    return who.with_(date_of_birth=who.date_of_birth.replace(year=who.date_of_birth.year - years))


def case_opened_directly(organization: Organization | None) -> MatchCase:
    record = someone("Riley", "Haddad")
    person = record_at(organization, record)
    query = Identity(
        first_name=record.first_name,
        last_name=record.last_name,
        date_of_birth=older(record).date_of_birth,
        ssn=record.ssn,
    )
    decision = service.match(query)
    return service.do_open_case(person=person, query=query, decision=decision, source="registration", ctx=CTX)


def ctx_for(profile: Profile) -> Ctx:
    return Ctx(client_ip="198.51.100.9", actor_id=profile.pk, actor_label=profile.username)


def case_url(case: MatchCase, action: str = "") -> str:
    if action:
        return reverse(f"backoffice:case_{action}", kwargs={"reference": case.reference})
    return reverse("backoffice:case", kwargs={"reference": case.reference})


def resolve_post(case: MatchCase, *, shown: bool = False, **fields: object) -> dict[str, object]:
    """The resolve form as the browser sends it: the record's values, then the changes. The
    date of birth's boxes start with the record's only where the page shows it (`shown`:
    customer service, security administrators); a Directory Administrator's start empty."""
    person = Person.objects.get(pk=case.person_id)
    data: dict[str, object] = {
        "first_name": person.first_name,
        "middle_name": person.middle_name,
        "last_name": person.last_name,
        "former_last_name": person.former_last_name,
        **dob_parts(person.date_of_birth if shown else None),
        "reason": "Checked the license file",
    }
    if "date_of_birth" in fields:  # typed into the three boxes (month, day, year)
        typed = fields.pop("date_of_birth")
        data.update(dob_parts(date.fromisoformat(str(typed)) if typed else None))
    data.update(fields)
    return data


def events_of(case: MatchCase, event_type: EventType) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            event_type=event_type, target_type="matching.matchcase", target_id=str(case.pk)
        )
    )


@pytest.fixture
def world() -> World:
    return build_world()


# --- the queue ----------------------------------------------------------------------------


def test_queue_is_scoped_to_the_actors_organizations(world: World) -> None:
    in_a = case_opened_directly(world.district_a)
    in_a1 = case_opened_directly(world.school_a1)
    in_b = case_opened_directly(world.district_b)
    queue = reverse("backoffice:cases")

    def listed(profile: Profile) -> set[str]:
        page = console_client(profile).get(queue)
        assert page.status_code == 200
        return {c.reference for c in page.context["page"].object_list}

    assert listed(world.da_a) == {in_a.reference, in_a1.reference}
    assert listed(world.da_school_a1) == {in_a1.reference}
    assert listed(world.da_b) == {in_b.reference}
    assert listed(world.service) == {in_a.reference, in_a1.reference, in_b.reference}
    assert listed(world.security) == {in_a.reference, in_a1.reference, in_b.reference}
    # Outside the scope a case does not exist; without a role the console is closed.
    assert console_client(world.da_a).get(case_url(in_b)).status_code == 404
    assert console_client(world.da_school_a1).get(case_url(in_a)).status_code == 404
    assert console_client(world.da_b).post(case_url(in_a, "resolve"), resolve_post(in_a)).status_code == 404
    assert console_client(world.educator).get(queue).status_code == 403
    assert console_client(world.educator).get(case_url(in_a)).status_code == 403
    assert Client().get(queue)["Location"].startswith(reverse("accounts:login"))
    # The side navigation counts the open cases in scope.
    assert "Cases (2 open)" in console_client(world.da_a).get(reverse("backoffice:home")).content.decode()
    assert "Cases (1 open)" in console_client(world.da_b).get(queue).content.decode()


def test_queue_order_filter_find_and_paging(world: World) -> None:
    cases = [case_opened_directly(world.district_a) for _ in range(51)]
    oldest, newest = cases[0], cases[-1]
    agent = ctx_for(world.da_a)
    actions.do_resolve_case(case=oldest, outcome=CaseOutcome.SAME_PERSON, note="typo", ctx=agent)
    actions.do_escalate_case(case=cases[1], note="cannot tell", ctx=agent)
    client = console_client(world.da_a)
    queue = reverse("backoffice:cases")
    first = client.get(queue)
    rows = first.context["page"].object_list
    assert len(rows) == 50 and first.context["page"].paginator.count == 51
    # Open first, oldest first; then escalated; the resolved one last (on page 2).
    assert rows[0].reference == cases[2].reference and rows[48].reference == newest.reference
    assert rows[49].reference == cases[1].reference
    second = client.get(queue, {"page": 2})
    assert [c.reference for c in second.context["page"].object_list] == [oldest.reference]
    only = client.get(queue, {"status": "escalated"}).context["page"].object_list
    assert [c.reference for c in only] == [cases[1].reference]
    found = client.get(queue, {"reference": newest.reference.lower()}).context["page"].object_list
    assert [c.reference for c in found] == [newest.reference]
    nothing = client.get(queue, {"reference": "EG-XXXX-XXXX"})
    assert nothing.status_code == 200 and 'data-testid="no-cases"' in nothing.content.decode()
    assert client.get(queue, {"status": "bogus", "page": "x"}).status_code == 200  # no 500
    # Customer service: escalated first, and announced.
    service_page = console_client(world.service).get(queue)
    assert service_page.context["page"].object_list[0].reference == cases[1].reference
    assert 'data-testid="escalated-summary"' in service_page.content.decode()
    assert 'data-testid="escalated-summary"' not in first.content.decode()


# --- the case page ------------------------------------------------------------------------


def test_case_page_shows_both_sides_masked_with_levels(world: World, client: Client) -> None:
    record = someone("Jordan", "Okafor")
    person = record_at(world.district_a, record)
    typed = older(record)
    case = blocked(client, typed)
    assert blocked(client, typed).pk == case.pk  # a retry is counted on the same case
    # Customer service sees both sides, the SSN masked to the last four (the PII guard fails
    # the test on a full SSN).
    agent = console_client(world.service).get(case_url(case))
    agent_rows = {str(row["label"]): row for row in agent.context["rows"]}
    assert agent_rows["Social Security Number"]["typed"] == agent_rows["Social Security Number"]["record"]
    assert agent_rows["Social Security Number"]["record"] == f"***-**-{record.ssn[-4:]}"
    assert agent.content.decode().count(f"***-**-{record.ssn[-4:]}") == 2
    # Every date of the page written one way ("Feb 17, 1991", "Nov 30, 2026, 2:05 PM EST").
    assert (
        agent_rows["Date of birth"]["typed"]
        == f"{typed.date_of_birth:%b} {typed.date_of_birth.day}, {typed.date_of_birth.year}"
    )
    assert (
        agent_rows["Date of birth"]["record"]
        == f"{person.date_of_birth:%b} {person.date_of_birth.day}, {person.date_of_birth.year}"
    )
    agent_html = agent.content.decode()
    assert (
        agent_rows["Date of birth"]["record"] in agent_html
        and agent_rows["Date of birth"]["typed"] in agent_html
    )
    # A Directory Administrator: per-field levels only, nothing of the submission; of the
    # record, what they see of their staff (names, the SSN's last four), not the birth date.
    page = console_client(world.da_a).get(case_url(case))
    assert page.status_code == 200
    html = page.content.decode()
    rows = {str(row["label"]): row for row in page.context["rows"]}
    assert all(row["typed"] == "" for row in rows.values())
    assert rows["Social Security Number"]["record"] == f"***-**-{record.ssn[-4:]}"
    assert html.count(f"***-**-{record.ssn[-4:]}") == 1
    assert rows["Date of birth"]["record"] == "" and rows["Date of birth"]["withheld"]
    for year in (typed.date_of_birth.year, person.date_of_birth.year):
        assert not shows(html, str(year))
    assert 'data-testid="submitted-by"' not in html and 'data-testid="submission-withheld"' in html
    assert f"{case.created_at:%Y}-" not in html and not re.search(r"\b[A-Z][a-z]{2}\. \d", html)
    assert (rows["Date of birth"]["level"], rows["Social Security Number"]["level"]) == ("differ", "agree")
    assert rows["First name"]["level_label"] == "Agree"
    assert 'data-level="differ"' in html and 'data-level="agree"' in html
    assert "SSN agrees but other data conflicts" in html and case.explanation["matcher"] in html
    assert page.context["case"].attempts == 2
    assert "Match case opened" in html and "Conflicting submission counted on an open case" in html
    assert "{" not in page.context["rows"][0]["level_label"]  # readable labels, not JSON
    assert 'name="outcome"' in html and 'name="note"' in html  # a DA may decide or escalate
    assert 'name="codes"' not in html  # reassigning is customer service's


# --- same person --------------------------------------------------------------------------


def test_same_person_record_corrected_then_registrant_gets_the_precreated_path(world: World) -> None:
    """The district's administrator escalates with what to correct (a registration case's date
    of birth is customer service's); customer service corrects the record."""
    truth = someone("Morgan", "Delacroix")
    wrong_on_file = older(truth, 5)  # the district typed the year wrong (two digits: 1979 for 1984)
    person = record_at(world.district_a, wrong_on_file)
    registrant = Client()
    case = blocked(registrant, truth)
    da = console_client(world.da_a)
    note = "License file says born 5 years later"
    assert da.post(case_url(case, "escalate"), {"note": note}).status_code == 302
    agent = console_client(world.service)
    response = agent.post(
        case_url(case, "resolve"),
        resolve_post(case, shown=True, outcome="same_person", date_of_birth=truth.date_of_birth.isoformat()),
    )
    assert response.status_code == 302 and response["Location"] == case_url(case)
    case.refresh_from_db()
    person.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.outcome == CaseOutcome.SAME_PERSON
    assert case.resolution_note == "Checked the license file"
    assert case.resolved_by_id == world.service.pk and case.resolved_at is not None
    assert person.date_of_birth == truth.date_of_birth
    (event,) = events_of(case, EventType.MATCH_CASE_RESOLVED)
    assert event.actor_id == world.service.pk
    assert event.detail["outcome"] == "same_person" and event.detail["note"] == "Checked the license file"
    assert (event.detail["status_old"], event.detail["status_new"]) == ("escalated", "resolved")
    assert event.detail["corrected"] == ["date_of_birth"]
    updated = AuditEvent.objects.get(event_type=EventType.PERSON_UPDATED, target_id=str(person.pk))
    assert updated.detail["fields"] == ["date_of_birth"] and updated.actor_id == world.service.pk
    page = da.get(case_url(case)).content.decode()
    assert "Same person" in page and "Checked the license file" in page and 'name="outcome"' not in page

    # The registrant comes back (the case status page says "register again") and registers.
    status = registrant.post(reverse("registration:case_status"), {"reference": case.reference})
    assert status.context["state"] == "resolved" and "Register again" in status.content.decode()
    start(registrant)
    assert location(post_step(registrant, "identity", truth.identity_post())) == step("setup")
    done = post_step(registrant, "setup", security_post(), follow=True)
    assert landed(done) == step("setup_done")
    assert Profile.objects.get(person=person).status == "active"
    assert Person.objects.filter(first_name="Morgan").count() == 1


def test_same_person_registrant_mistyped_then_exact(world: World) -> None:
    record = someone("Harper", "Lindgren")
    person = record_at(world.school_a1, record, profile=True)
    registrant = Client()
    case = blocked(registrant, older(record))
    response = console_client(world.da_school_a1).post(
        case_url(case, "resolve"),
        resolve_post(case, outcome="same_person", reason="Registrant mistyped the year"),
    )
    assert response.status_code == 302
    (event,) = events_of(case, EventType.MATCH_CASE_RESOLVED)
    assert event.detail["corrected"] == [] and event.actor_id == world.da_school_a1.pk
    assert not AuditEvent.objects.filter(
        event_type=EventType.PERSON_UPDATED, target_id=str(person.pk)
    ).exists()
    start(registrant)
    assert location(post_step(registrant, "identity", record.identity_post())) == step("exact")


# --- different people ---------------------------------------------------------------------


def test_different_people_lets_the_registrant_register_and_is_remembered(world: World) -> None:
    record = someone("Alex", "Moreau")
    person = record_at(world.district_b, record, profile=True)
    namesake = someone("Alex", "Moreau", born=record.date_of_birth)  # same name and birthday, other SSN
    registrant = Client()
    case = blocked(registrant, namesake)
    assert case.explanation["fields"]["ssn"] == "differ"
    response = console_client(world.da_b).post(
        case_url(case, "resolve"),
        resolve_post(case, outcome="different_people", reason="Other SSN, other person"),
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.outcome) == (CaseStatus.RESOLVED, CaseOutcome.DIFFERENT_PEOPLE)
    assert DistinctPair.objects.filter(person=person).count() == 1
    (event,) = events_of(case, EventType.MATCH_CASE_RESOLVED)
    assert event.detail["outcome"] == "different_people" and event.actor_id == world.da_b.pk
    # The same registrant now goes through as a new person.
    username = register_new(registrant, namesake)
    created = Profile.objects.get(username=username)
    assert created.person_id != person.pk
    assert Person.objects.filter(first_name="Alex", last_name="Moreau").count() == 2
    # Another registrant conflicting with the same record is still blocked (a new case).
    third = someone("Alex", "Moreau", born=record.date_of_birth)
    other_case = blocked(Client(), third)
    assert other_case.person_id == person.pk and other_case.pk != case.pk


def test_different_people_refused_when_they_share_the_ssn(world: World, client: Client) -> None:
    record = someone("Quinn", "Abara")
    record_at(world.district_a, record)
    case = blocked(client, older(record))
    response = console_client(world.da_a).post(
        case_url(case, "resolve"), resolve_post(case, outcome="different_people")
    )
    assert response.status_code == 200
    assert "share an SSN" in response.content.decode()
    assert "share an SSN" in " ".join(response.context["resolve_form"].errors["outcome"])
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not DistinctPair.objects.exists()
    assert events_of(case, EventType.MATCH_CASE_RESOLVED) == []


# --- escalate, reassign, double submit, bad input -----------------------------------------


def test_escalate_then_customer_service_decides(world: World) -> None:
    case = case_opened_directly(world.school_a1)
    da = console_client(world.da_school_a1)
    response = da.post(case_url(case, "escalate"), {"note": "Two licenses, cannot tell"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ESCALATED and case.escalation_note == "Two licenses, cannot tell"
    (event,) = events_of(case, EventType.MATCH_CASE_ESCALATED)
    assert event.actor_id == world.da_school_a1.pk and event.detail["note"] == "Two licenses, cannot tell"
    assert (event.detail["status_old"], event.detail["status_new"]) == ("open", "escalated")
    # The DA still sees it but no longer acts on it.
    page = da.get(case_url(case))
    assert page.status_code == 200 and 'name="outcome"' not in page.content.decode()
    assert "customer service decides it" in page.content.decode()
    assert da.post(case_url(case, "resolve"), resolve_post(case, outcome="same_person")).status_code == 403
    again = da.post(case_url(case, "escalate"), {"note": "again"})
    assert again.status_code == 302 and len(events_of(case, EventType.MATCH_CASE_ESCALATED)) == 1
    # Customer service sees it first and decides it.
    agent = console_client(world.service)
    home = agent.get(reverse("backoffice:home")).content.decode()
    assert "1 case escalated to customer service" in home
    assert agent.get(reverse("backoffice:cases")).context["page"].object_list[0].pk == case.pk
    post = resolve_post(case, shown=True, outcome="same_person")
    assert agent.post(case_url(case, "resolve"), post).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.resolved_by_id == world.service.pk


def test_customer_service_reassigns(world: World) -> None:
    case = case_opened_directly(world.district_a)
    agent = console_client(world.service)
    assert 'name="codes"' in agent.get(case_url(case)).content.decode()
    bad = agent.post(case_url(case, "route"), {"codes": "99999999", "reason": "wrong district"})
    assert bad.status_code == 200 and "No active organization has the code 99999999" in bad.content.decode()
    response = agent.post(
        case_url(case, "route"), {"codes": f"{world.district_b.code}", "reason": "Works in Riverside now"}
    )
    assert response.status_code == 302
    assert list(case.organizations.all()) == [world.district_b]
    (event,) = events_of(case, EventType.MATCH_CASE_ROUTED)
    assert event.detail["organizations_new"] == [world.district_b.code]
    assert event.detail["organizations_old"] == [world.district_a.code]
    assert event.detail["note"] == "Works in Riverside now" and event.actor_id == world.service.pk
    assert console_client(world.da_b).get(case_url(case)).status_code == 200
    assert console_client(world.da_a).get(case_url(case)).status_code == 404
    # A Directory Administrator cannot reassign.
    da_b = console_client(world.da_b)
    assert (
        da_b.post(case_url(case, "route"), {"codes": world.district_a.code, "reason": "x"}).status_code == 403
    )


def test_every_id_on_a_case_page_is_unique_so_an_error_link_reaches_its_own_field(world: World) -> None:
    """Customer service sees the resolve, escalate and reassign forms on one page: two fields
    with one id sent the summary's link for the reassign form's reason to the resolve form's."""
    case = case_opened_directly(world.district_a)
    agent = console_client(world.service)
    bad = agent.post(case_url(case, "route"), {"codes": world.district_b.code, "reason": ""})
    html = bad.content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert [i for i in set(ids) if ids.count(i) > 1] == []
    summary = html[html.index('data-testid="error-summary"') :]
    link = re.search(r'<a [^>]*href="#([^"]+)"[^>]*>[^<]*reason', summary, re.IGNORECASE)
    assert link is not None, "the error summary links the reassign form's reason"
    reassign_form = html[html.index('id="route"') :]
    assert re.search(rf'<textarea[^>]*name="reason"[^>]*id="{link.group(1)}"', reassign_form)


def test_a_resolved_case_cannot_be_resolved_again(world: World) -> None:
    case = case_opened_directly(world.district_a)
    da = console_client(world.da_a)
    post = resolve_post(case, outcome="same_person")
    assert da.post(case_url(case, "resolve"), post).status_code == 302
    second = da.post(case_url(case, "resolve"), post, follow=True)
    assert second.status_code == 200 and "already decided" in second.content.decode()
    assert len(events_of(case, EventType.MATCH_CASE_RESOLVED)) == 1
    assert da.post(case_url(case, "escalate"), {"note": "x"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and events_of(case, EventType.MATCH_CASE_ESCALATED) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"outcome": "same_person", "reason": "   "}, "reason", "Give the reason"),
        ({"reason": "fine"}, "outcome", "Choose whether"),
        ({"outcome": "maybe"}, "outcome", "Choose whether"),
        (
            {"outcome": "same_person", "dob_month": "2", "dob_day": "30", "dob_year": "1990"},
            "dob_day",
            "real date",
        ),
        (
            {"outcome": "same_person", "dob_month": "3", "dob_day": "x", "dob_year": "1990"},
            "dob_day",
            "1 to 31",
        ),
        (
            {"outcome": "same_person", "dob_month": "3", "dob_day": "4", "dob_year": "91"},
            "dob_year",
            "4 digits",
        ),
        ({"outcome": "same_person", "date_of_birth": "2999-01-01"}, "dob_year", "in the past"),
        ({"outcome": "same_person", "first_name": ""}, "first_name", "Enter the first name"),
        ({"outcome": "same_person", "last_name": "R2D2"}, "last_name", "letters"),
        ({"outcome": "different_people", "first_name": "Rylee"}, None, "Corrections to the record"),
    ],
)
def test_bad_resolve_input_gives_field_errors(
    world: World, changes: dict, field: str | None, message: str
) -> None:
    case = case_opened_directly(world.district_a)
    response = console_client(world.da_a).post(case_url(case, "resolve"), resolve_post(case, **changes))
    assert response.status_code == 200
    errors = response.context["resolve_form"].errors.get(field or "__all__")
    assert errors and message in " ".join(errors)
    assert 'id="error-summary"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and events_of(case, EventType.MATCH_CASE_RESOLVED) == []


def test_bad_escalate_and_unknown_reference(world: World) -> None:
    case = case_opened_directly(world.district_a)
    da = console_client(world.da_a)
    empty = da.post(case_url(case, "escalate"), {"note": ""})
    assert empty.status_code == 200 and empty.context["escalate_form"].errors["note"]
    assert da.get(reverse("backoffice:case", kwargs={"reference": "EG-NOPE-NOPE"})).status_code == 404
    assert da.post(reverse("backoffice:case_resolve", kwargs={"reference": "nope"}), {}).status_code == 404
    assert da.get(case_url(case, "resolve")).status_code == 405


# --- what the blocked registrant sees -----------------------------------------------------


def test_partial_page_names_the_directory_administrator_to_call(world: World, client: Client) -> None:
    record = someone("Rowan", "Castellanos")
    person = record_at(world.district_a, record, profile=True)
    case = blocked(client, older(record))
    page = client.get(url(client, "partial")).content.decode()
    assert "does not agree with our records" in page and "supplied to us by a Directory Administrator" in page
    assert case.reference in page
    assert "Dana Northfield" in page and "(555) 201-4477" in page
    assert "Check what you typed and start again" in page and reverse("registration:start") in page
    assert reverse("registration:case_status") in page
    for secret in (person.profile.username, person.state_id, record.first_name, record.last_name):
        assert secret not in page


def test_partial_page_for_a_school_without_administrator_names_the_district_s(
    world: World, client: Client
) -> None:
    record = someone("Emery", "Vasquez")
    record_at(world.school_a2, record)
    blocked(client, older(record))
    page = client.get(url(client, "partial")).content.decode()
    assert "Dana Northfield" in page and "Sasha Highschool" not in page


def test_partial_page_without_organization_sends_to_customer_service(client: Client) -> None:
    record = someone("Sage", "Whitfield")
    record_at(None, record)
    blocked(client, older(record))
    page = client.get(url(client, "partial")).content.decode()
    assert conf.get().customer_service_phone in page
    assert "Call customer service" in page and "Call your Directory Administrator" not in page


def principal_of(organization: Organization) -> tuple[Someone, Person]:
    """A record whose holder is the organization's own Directory Administrator."""
    record = someone("Jordan", "Principal")
    person = on_file(record, phone="5553334444")
    directory_actions.do_add_staff(person=person, organization=organization, role_title="Principal", ctx=CTX)
    directory_actions.do_appoint_admin(profile=with_profile(person), organization=organization, ctx=CTX)
    return record, person


def test_partial_page_names_the_administrator_with_organization_and_tel_links(
    world: World, client: Client
) -> None:
    record = someone("Rowan", "Castellanos")
    record_at(world.school_a1, record)
    blocked(client, older(record))  # the names agree: only the date of birth differs
    response = client.get(url(client, "partial"))
    html = response.content.decode()
    assert [(c.name, c.organization, c.phone) for c in response.context["contacts"]] == [
        ("Sasha Highschool", "Northfield High School", "(555) 201-4477")
    ]
    assert "Sasha Highschool, Northfield High School:" in html
    assert 'href="tel:+15552014477">(555) 201-4477</a>' in html
    assert (
        f'href="tel:+1{conf.get().customer_service_phone.translate(str.maketrans("", "", "() -"))}"' in html
    )


def test_partial_page_after_only_an_ssn_names_nobody(world: World, client: Client) -> None:
    """A stranger who typed someone's SSN with other names learns no one's name or phone."""
    record, person = principal_of(world.school_a1)
    stranger = someone("Quinn", "Marlowe", ssn=record.ssn)
    case = blocked(client, stranger)
    assert case.person_id == person.pk and case.explanation["fields"]["first_name"] == "differ"
    response = client.get(url(client, "partial"))
    html = response.content.decode()
    assert response.context["contacts"] == []
    for secret in ("Jordan", "Principal", "(555) 333-4444", "Sasha", "Highschool", "(555) 201-4477"):
        assert secret not in html
    assert "Northfield" not in html
    assert "Call customer service" in html and "Call your Directory Administrator" not in html
    assert 'href="tel:+1' in html


def test_partial_page_after_name_and_birth_date_only_names_nobody(world: World, client: Client) -> None:
    """Names and a birth date are what a colleague or a public record knows: typed with another
    SSN they reach the partial page, which must not tell where the record's person works."""
    record = someone("Rowan", "Castellanos")
    record_at(world.school_a1, record)
    prober = record.with_(ssn=someone("Other", "Number").ssn)
    case = blocked(client, prober)
    fields = case.explanation["fields"]
    assert fields["first_name"] == fields["last_name"] == fields["date_of_birth"] == "agree"
    assert fields["ssn"] != "agree"
    response = client.get(url(client, "partial"))
    html = response.content.decode()
    assert response.context["contacts"] == []
    for secret in ("Sasha", "Highschool", "Northfield", "(555) 201-4477", "Dana"):
        assert secret not in html
    assert "Call customer service" in html and "Call your Directory Administrator" not in html


def test_partial_page_names_whom_to_call_from_each_registrant_s_own_submission(
    world: World, client: Client
) -> None:
    """Later conflicting submissions about a record land on its one open case; whom to call is
    decided by what each registrant typed, not by what opened the case."""
    record = someone("Rowan", "Castellanos")
    record_at(world.school_a1, record)
    genuine = blocked(client, older(record))  # names and SSN agree: the person themself
    assert client.get(url(client, "partial")).context["contacts"]
    probes = (
        someone("Quinn", "Marlowe", ssn=record.ssn),  # the SSN only
        record.with_(ssn=someone("Other", "Number").ssn),  # names and birth date only
    )
    for prober in probes:
        other = Client()
        assert blocked(other, prober) == genuine
        response = other.get(url(other, "partial"))
        html = response.content.decode()
        assert response.context["contacts"] == []
        for secret in ("Sasha", "Highschool", "Northfield", "(555) 201-4477"):
            assert secret not in html


def test_partial_page_never_names_the_record_s_own_person(world: World, client: Client) -> None:
    record, _ = principal_of(world.school_a1)
    blocked(client, older(record))  # names agree, but the record's holder is an administrator
    response = client.get(url(client, "partial"))
    html = response.content.decode()
    assert [c.name for c in response.context["contacts"]] == ["Sasha Highschool"]
    assert "(555) 333-4444" not in html and "Jordan Principal" not in html


def test_partial_page_sends_to_customer_service_when_the_holder_is_the_only_administrator(
    world: World, client: Client
) -> None:
    school = Organization.objects.create(
        code="01230030", name="Lakeside Academy", org_type="school", parent=None, active=True
    )
    record, _ = principal_of(school)
    blocked(client, older(record))
    response = client.get(url(client, "partial"))
    html = response.content.decode()
    assert response.context["contacts"] == []
    assert "(555) 333-4444" not in html and "Lakeside" not in html
    assert "Call customer service" in html


def test_case_status_page_answers_only_the_status(world: World, client: Client) -> None:
    case = case_opened_directly(world.district_a)
    url = reverse("registration:case_status")
    assert client.get(url).status_code == 200

    def state(reference: str):  # type: ignore[no-untyped-def]
        response = client.post(url, {"reference": reference})
        assert response.status_code == 200
        html = response.content.decode()
        assert "Riley" not in html and "Haddad" not in html and "Northfield" not in html
        return response

    opened = state(case.reference.lower().replace("-", " "))
    assert opened.context["state"] == "open" and "Open: waiting" in opened.content.decode()
    agent = ctx_for(world.service)
    actions.do_escalate_case(case=case, note="look", ctx=ctx_for(world.da_a))
    assert "Being reviewed by customer service" in state(case.reference).content.decode()
    actions.do_resolve_case(case=case, outcome=CaseOutcome.SAME_PERSON, note="ok", ctx=agent)
    assert "Register again" in state(case.reference).content.decode()
    unknown = state("EG-AAAA-AAAA")
    assert unknown.context["state"] is None
    assert "We have no case with that reference" in " ".join(unknown.context["form"].errors["reference"])
    for bad in ("", "hello", "x" * 500):
        response = state(bad)
        assert response.context["form"].errors["reference"]
    assert client.put(url).status_code == 405


def test_a_stranger_landing_on_an_open_case_is_given_a_reference_of_their_own(world: World) -> None:
    """Every conflicting submission about a record lands on its one open case. A stranger who
    typed the record's SSN, or its names and birth date, is given a reference of their own: not
    the case's, and its status never tells them how the case stands (nor that it was there
    before them). The genuine registrant keeps the case's reference; staff find a case by either."""
    record = someone("Rowan", "Castellanos")
    record_at(world.school_a1, record)
    genuine_client = Client()
    case = blocked(genuine_client, older(record))
    assert given(genuine_client) == case.reference
    actions.do_escalate_case(case=case, note="look", ctx=ctx_for(world.da_a))
    status_url = reverse("registration:case_status")

    def state(client: Client, reference: str) -> str | None:
        return client.post(status_url, {"reference": reference}).context["state"]  # type: ignore[no-any-return]

    assert state(genuine_client, case.reference) == "customer_service"
    probes = (
        someone("Quinn", "Marlowe", ssn=record.ssn),  # the SSN only
        record.with_(ssn=someone("Other", "Number").ssn),  # names and birth date only
    )
    references = []
    for prober in probes:
        stranger = Client(REMOTE_ADDR=f"203.0.113.{10 + len(references)}")
        assert blocked(stranger, prober) == case
        mine = given(stranger)
        page = stranger.get(url(stranger, "partial")).content.decode()
        assert mine != case.reference and mine not in references and case.reference not in page
        assert state(stranger, mine) == "open"  # as a case of their own would be, not escalated
        references.append(mine)
    case.refresh_from_db()
    assert case.attempts == 3 and case.status == CaseStatus.ESCALATED
    # The genuine registrant typing the same again is given the case's reference again.
    again = Client(REMOTE_ADDR="203.0.113.40")
    assert blocked(again, older(record)) == case and given(again) == case.reference
    # Staff find the case by a later submission's reference, and see it in the history.
    agent = console_client(world.service)
    found = agent.get(reverse("backoffice:cases"), {"reference": references[0]})
    assert [c.pk for c in found.context["page"]] == [case.pk]
    assert references[0] in agent.get(case_url(case)).content.decode()
    actions.do_resolve_case(case=case, outcome=CaseOutcome.SAME_PERSON, note="ok", ctx=ctx_for(world.service))
    for mine in references:
        assert state(Client(REMOTE_ADDR="203.0.113.50"), mine) == "resolved"


def test_case_status_page_is_throttled_per_address(world: World, client: Client) -> None:
    case = case_opened_directly(world.district_a)
    url = reverse("registration:case_status")
    limit = conf.get().throttles["case_status_address"].limit
    for _ in range(limit):
        assert client.post(url, {"reference": case.reference}).context["state"] == "open"
    refused = client.post(url, {"reference": case.reference})
    assert refused.context["state"] is None
    assert "too many look-ups" in refused.content.decode()
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 2 * 3600
    alert = AuditEvent.objects.get(event_type=EventType.THROTTLE_ALERT)
    assert alert.detail["limit"] == "case_status_address"
    # Another address is not affected.
    other = Client(REMOTE_ADDR="203.0.113.200")
    assert other.post(url, {"reference": case.reference}).context["state"] == "open"


def test_distinct_pair_memory_ignores_the_case_of_names(world: World) -> None:
    record = someone("Noa", "Feldman")
    person = record_at(world.district_b, record)
    namesake = someone("Noa", "Feldman", born=record.date_of_birth)
    case = blocked(Client(), namesake)
    console_client(world.da_b).post(
        case_url(case, "resolve"), resolve_post(case, outcome="different_people", reason="not them")
    )
    as_typed = namesake.with_(first_name="NOA", last_name="feldman")
    query = Identity(
        first_name=as_typed.first_name,
        last_name=as_typed.last_name,
        date_of_birth=as_typed.date_of_birth,
        ssn=as_typed.ssn,
    )
    assert service.match(query).candidate_id != str(person.pk)
    # The record itself still matches its own person exactly.
    own = Identity(
        first_name=record.first_name,
        last_name=record.last_name,
        date_of_birth=record.date_of_birth,
        ssn=record.ssn,
    )
    assert service.match(own).candidate_id == str(person.pk)


def test_resolving_a_stale_open_case_escalated_meanwhile_is_refused_under_the_lock(world: World) -> None:
    """A Directory Administrator's resolve racing an escalation (another administrator of the
    district's): the action checks the status on the locked row, not the one the view read."""
    case = case_opened_directly(world.district_a)
    stale = MatchCase.objects.get(pk=case.pk)  # what the DA's view read: open
    actions.do_escalate_case(case=case, note="needs a look", ctx=ctx_for(world.da_a))
    assert stale.status == CaseStatus.OPEN
    with pytest.raises(actions.CaseClosed):
        actions.do_resolve_case(
            case=stale,
            outcome=CaseOutcome.SAME_PERSON,
            note="mistyped",
            allowed=(CaseStatus.OPEN,),
            ctx=ctx_for(world.da_a),
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.ESCALATED and events_of(case, EventType.MATCH_CASE_RESOLVED) == []
    # Customer service, whose escalated cases are, may decide it.
    actions.do_resolve_case(
        case=stale, outcome=CaseOutcome.SAME_PERSON, note="mistyped", ctx=ctx_for(world.service)
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED


def test_the_resolve_view_passes_the_actor_s_statuses_to_the_action(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = case_opened_directly(world.district_a)
    da = console_client(world.da_a)
    original = actions.do_resolve_case

    def escalated_meanwhile(**kwargs):  # type: ignore[no-untyped-def]
        # Another administrator escalates between the view's read and the action's lock.
        actions.do_escalate_case(case=kwargs["case"], note="needs a look", ctx=ctx_for(world.da_a))
        return original(**kwargs)

    monkeypatch.setattr(actions, "do_resolve_case", escalated_meanwhile)
    response = da.post(case_url(case, "resolve"), resolve_post(case, outcome="same_person"), follow=True)
    assert "escalated to customer service meanwhile" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.ESCALATED and events_of(case, EventType.MATCH_CASE_RESOLVED) == []


def case_against(person: Person, typed: Someone, source: str = "registration") -> MatchCase:
    query = Identity(
        first_name=typed.first_name,
        last_name=typed.last_name,
        date_of_birth=typed.date_of_birth,
        ssn=typed.ssn,
    )
    decision = service.match(query)
    assert decision.outcome == "partial" and decision.candidate_id == str(person.pk)
    return service.do_open_case(person=person, query=query, decision=decision, source=source, ctx=CTX)


def test_resolving_a_case_about_a_record_without_a_date_of_birth(world: World) -> None:
    record = someone("Avery", "Brennan")
    person = record_at(world.district_a, record)
    Person.objects.filter(pk=person.pk).update(date_of_birth=None)
    case = case_against(person, record)  # the SSN agrees; the record has no date of birth
    da = console_client(world.da_a)
    page = da.get(case_url(case))
    assert page.status_code == 200 and not page.context["resolve_form"].date_of_birth_required
    assert "The record has no date of birth" in page.content.decode()
    response = da.post(case_url(case, "resolve"), resolve_post(case, outcome="same_person", date_of_birth=""))
    assert response.status_code == 302
    (event,) = events_of(case, EventType.MATCH_CASE_RESOLVED)
    assert event.detail["corrected"] == []
    person.refresh_from_db()
    assert person.date_of_birth is None


def test_the_resolver_may_add_a_missing_date_of_birth_but_not_remove_one(world: World) -> None:
    record = someone("Avery", "Brennan")
    person = record_at(world.district_a, record)
    Person.objects.filter(pk=person.pk).update(date_of_birth=None)
    # An import's case: on a registration case the date of birth is customer service's to correct.
    case = case_against(person, record, source="hr-2026-11")
    da = console_client(world.da_a)
    post = resolve_post(case, outcome="same_person", date_of_birth=record.date_of_birth.isoformat())
    assert da.post(case_url(case, "resolve"), post).status_code == 302
    person.refresh_from_db()
    assert person.date_of_birth == record.date_of_birth
    other = case_opened_directly(world.district_a)
    removed = console_client(world.service).post(
        case_url(other, "resolve"), resolve_post(other, outcome="same_person", date_of_birth="")
    )
    assert removed.status_code == 200 and removed.context["resolve_form"].errors["dob_month"]
    # A Directory Administrator is not shown it: left empty, the record's is kept.
    kept = da.post(case_url(other, "resolve"), resolve_post(other, outcome="same_person", date_of_birth=""))
    assert kept.status_code == 302
    assert Person.objects.get(pk=other.person_id).date_of_birth is not None


def test_untouched_fields_are_neither_validated_nor_compared(world: World) -> None:
    """A record's date of birth the registration form would refuse (an import's 1900-01-01)
    does not stop "different people", nor count as a correction of "same person"."""
    record = someone("Robin", "Achterberg", born=date(1900, 1, 1))
    person = record_at(world.district_a, record)
    namesake = someone("Robin", "Achterberg", born=record.date_of_birth)  # another SSN
    case = case_against(person, namesake)
    da = console_client(world.da_a)
    response = da.post(case_url(case, "resolve"), resolve_post(case, outcome="different_people"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.outcome == CaseOutcome.DIFFERENT_PEOPLE
    assert DistinctPair.objects.filter(person=person, case=case).exists()

    second = case_against(person, someone("Robin", "Achterberg", born=record.date_of_birth))
    response = da.post(
        case_url(second, "resolve"), resolve_post(second, outcome="same_person", first_name="Robyn")
    )
    assert response.status_code == 302
    (event,) = events_of(second, EventType.MATCH_CASE_RESOLVED)
    assert event.detail["corrected"] == ["first_name"]
    person.refresh_from_db()
    assert person.date_of_birth == date(1900, 1, 1) and person.first_name == "Robyn"


def test_a_directory_administrator_sees_only_their_own_organizations_of_a_case(world: World) -> None:
    record = someone("Taylor", "Brightwater")
    person = record_at(world.district_a, record)
    directory_actions.do_add_staff(person=person, organization=world.district_b, role_title="Coach", ctx=CTX)
    case = case_against(person, older(record))
    assert set(case.organizations.all()) == {world.district_a, world.district_b}
    for path in (case_url(case), reverse("backoffice:cases")):
        as_da = console_client(world.da_a).get(path).content.decode()
        assert "Northfield Public Schools" in as_da and "Riverside Regional School District" not in as_da
        as_agent = console_client(world.service).get(path).content.decode()
        assert "Northfield Public Schools" in as_agent and "Riverside Regional School District" in as_agent
    page = console_client(world.da_b).get(case_url(case))
    assert [org.code for org in page.context["organizations"]] == [world.district_b.code]


def test_the_resolve_post_s_date_of_birth_is_hidden_from_error_reports(world: World) -> None:
    case = case_opened_directly(world.district_a)
    response = console_client(world.da_a).post(
        case_url(case, "resolve"), resolve_post(case, outcome="same_person", reason="")
    )
    assert response.status_code == 200
    reported = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    for part in ("dob_month", "dob_day", "dob_year"):
        assert reported[part] == SafeExceptionReporterFilter.cleansed_substitute
    assert reported["first_name"] == "Riley"


def test_after_a_correction_the_case_page_labels_the_old_comparison_and_shows_the_new(world: World) -> None:
    truth = someone("Morgan", "Delacroix")
    person = record_at(world.district_a, older(truth))
    case = case_against(person, truth)
    agent = console_client(world.service)
    before = {str(row["label"]): row for row in agent.get(case_url(case)).context["rows"]}
    assert before["Date of birth"]["level"] == "differ" and before["Date of birth"]["now_label"] == ""
    agent.post(
        case_url(case, "resolve"),
        resolve_post(case, shown=True, outcome="same_person", date_of_birth=truth.date_of_birth.isoformat()),
    )
    page = agent.get(case_url(case))
    html = page.content.decode()
    rows = {str(row["label"]): row for row in page.context["rows"]}
    dob = rows["Date of birth"]
    assert (
        dob["typed"]
        == dob["record"]
        == f"{truth.date_of_birth:%b} {truth.date_of_birth.day}, {truth.date_of_birth.year}"
    )
    assert (dob["level"], dob["level_now"], dob["now_label"]) == ("differ", "agree", "Agree")
    assert rows["First name"]["now_label"] == ""  # unchanged fields say nothing more
    # A Directory Administrator is not told how a withheld field compares now (that would say
    # whether a date of birth they typed was the record's).
    da_rows = {
        str(row["label"]): row for row in console_client(world.da_a).get(case_url(case)).context["rows"]
    }
    assert (da_rows["Date of birth"]["level"], da_rows["Date of birth"]["now_label"]) == ("differ", "")
    assert "The comparison is as it was when the case was opened" in html
    assert "On the record now" in html and "Now: <strong>Agree</strong>" in html
    assert "Field, compared when the case was opened" in html
    assert "Record corrected: Date of birth" in html
    (resolved,) = [row for row in page.context["history"] if row["corrected"]]
    assert resolved["event"].event_type == EventType.MATCH_CASE_RESOLVED


def test_case_page_highlights_conflicts_and_explains_the_match_in_plain_words(world: World) -> None:
    case = case_opened_directly(world.district_a)  # the SSN agrees, the date of birth differs
    html = console_client(world.da_a).get(case_url(case)).content.decode()
    dob = html[html.index('<tr data-level="differ">') :]
    dob = dob[: dob.index("</tr>")]
    assert (
        dob.count('class="bg-secondary-lighter"') == 2 and "<strong>Differ</strong>" in dob
    )  # no submission column
    agree = html[html.index('<tr data-level="agree">') :]
    assert "bg-secondary-lighter" not in agree[: agree.index("</tr>")]
    assert "Why a person must decide" in html and "Check those against a document" in html
    assert "SSN agrees but other data conflicts" in html
    technical = html[html.index('<details class="margin-y-2" data-testid="case-technical">') :]
    technical = technical[: technical.index("</details>")]
    assert "Score" in technical and "weight of evidence" in technical
    assert case.explanation["matcher"] in technical and str(case.explanation["score"]) in technical
    assert "Typed by the registrant" in html and "From the import file" not in html
    assert "usa-table-container--scrollable" in html and 'data-testid="side-by-side"' in html


def test_a_case_from_an_import_says_so(world: World) -> None:
    record = someone("Kai", "Oyelaran")
    person = record_at(world.district_a, record)
    case = case_against(person, older(record), source="hr-2026-11")
    html = console_client(world.da_a).get(case_url(case)).content.decode()
    assert "From the import file" in html and "Typed by the registrant" not in html


def test_the_partial_page_links_to_the_case_status_page_with_the_reference(
    world: World, client: Client
) -> None:
    record = someone("Rowan", "Castellanos")
    record_at(world.district_a, record)
    case = blocked(client, older(record))
    status = f"{reverse('registration:case_status')}?reference={case.reference}"
    assert f'href="{status}"' in client.get(url(client, "partial")).content.decode()
    page = client.get(status)
    assert page.status_code == 200 and page.context["state"] is None  # filled in, not looked up
    assert f'value="{case.reference}"' in page.content.decode()
    assert AuditEvent.objects.filter(event_type=EventType.THROTTLE_ALERT).count() == 0
    assert client.get(f"{reverse('registration:case_status')}?reference={'x' * 500}").status_code == 200
    assert 'href="tel:+1' in page.content.decode()


# --- what a Directory Administrator may see and decide (security review) --------------------


def test_a_case_a_directory_administrator_typed_is_neither_in_their_queue_nor_theirs_to_decide(
    world: World,
) -> None:
    """Another district's staff member added to district A (path b), then typed again with a
    made-up birth date (path c): the case goes to the person's other organizations and customer
    service, never to the administrator who typed it; reassigned to them, they still cannot decide."""
    victim = someone("Morgan", "Ellsworth")
    person = record_at(world.school_b1, victim, profile=True)
    directory_actions.do_add_staff(person=person, organization=world.district_a, role_title="Aide", ctx=CTX)
    da_a = console_client(world.da_a)
    made_up = older(victim)
    response = da_a.post(
        reverse("backoffice:org_add_new", args=[world.district_a.code]), new_post(made_up, "Aide")
    )
    case = MatchCase.objects.get(reference=response.context["reference"])
    assert list(case.organizations.all()) == [world.school_b1] and not response.context["in_my_queue"]
    assert da_a.get(case_url(case)).status_code == 404
    assert da_a.post(case_url(case, "resolve"), resolve_post(case, outcome="same_person")).status_code == 404
    assert console_client(world.da_b).get(case_url(case)).status_code == 200
    # Customer service reassigns it to district A: A sees it, but its typist does not decide it.
    actions.do_route_case(case=case, organizations=[world.district_a], ctx=ctx_for(world.service), note="x")
    page = da_a.get(case_url(case))
    assert page.status_code == 200 and page.context["resolve_form"] is None and page.context["own_submission"]
    assert 'name="outcome"' not in page.content.decode()
    post = resolve_post(case, outcome="same_person", last_name="Hijacked")
    assert da_a.post(case_url(case, "resolve"), post).status_code == 403
    assert da_a.post(case_url(case, "escalate"), {"note": "x"}).status_code == 403
    person.refresh_from_db()
    assert person.last_name == "Ellsworth" and person.date_of_birth == victim.date_of_birth


def test_a_case_is_seen_by_a_directory_administrator_only_while_the_person_is_on_their_staff(
    world: World,
) -> None:
    record = someone("Quincy", "Marlowe")
    person = record_at(world.school_a1, record)
    case = case_against(person, older(record))
    assert console_client(world.da_a).get(case_url(case)).status_code == 200
    entry = person.staff_entries.get()
    directory_actions.do_end_staff_entry(entry=entry, ctx=CTX)
    assert console_client(world.da_a).get(case_url(case)).status_code == 404
    assert case.reference not in console_client(world.da_a).get(reverse("backoffice:cases")).content.decode()
    assert console_client(world.service).get(case_url(case)).status_code == 200


def test_a_directory_administrator_cannot_rewrite_another_district_s_staff_member(world: World) -> None:
    """A person on the staff of districts A and B: A's administrator decides the case but may not
    correct the names or birth date (customer service does, after an escalation), and is not
    shown the record's birth date or state ID."""
    record = someone("Harper", "Vasquez-Lind", middle_name="Jo")
    person = record_at(world.school_a1, record)
    directory_actions.do_add_staff(person=person, organization=world.school_b1, role_title="Coach", ctx=CTX)
    case = case_against(person, older(record))
    da_a = console_client(world.da_a)
    page = da_a.get(case_url(case))
    html = page.content.decode()
    rows = {str(row["label"]): row for row in page.context["rows"]}
    assert rows["Date of birth"]["record"] == "" and rows["Date of birth"]["withheld"]
    assert not shows(html, str(record.date_of_birth.year)) and "Not shown to Directory Administrators" in html
    assert page.context["correction_problem"] and "only customer service may correct" in html
    for change in ({"last_name": "Hijacked"}, {"date_of_birth": "1970-01-01"}, {"first_name": "Other"}):
        refused = da_a.post(case_url(case, "resolve"), resolve_post(case, outcome="same_person", **change))
        assert refused.status_code == 200 and "only customer service may correct" in refused.content.decode()
        assert 'name="note"' in refused.content.decode()  # the escalate form is there
    person.refresh_from_db()
    assert (person.last_name, person.first_name, person.date_of_birth) == (
        "Vasquez-Lind",
        "Harper",
        record.date_of_birth,
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    # Left as they are, the record's fields are no correction: "same person" is A's to decide.
    fine = da_a.post(case_url(case, "resolve"), resolve_post(case, outcome="same_person", date_of_birth=""))
    assert fine.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED


def test_a_school_s_administrator_cannot_rewrite_a_sibling_school_s_staff_member(world: World) -> None:
    """ "Another organization" is judged by what the administrator administers, not by district:
    a person at two schools of one district is corrected by neither school's administrator (the
    district's may), lest one school rewrite who the other's staff member is."""
    record = someone("Emerson", "Okafor")
    person = record_at(world.school_a1, record)
    directory_actions.do_add_staff(person=person, organization=world.school_a2, role_title="Coach", ctx=CTX)
    case = case_against(person, older(record))
    school_da = console_client(world.da_school_a1)
    page = school_da.get(case_url(case))
    assert page.status_code == 200 and page.context["correction_problem"]
    refused = school_da.post(
        case_url(case, "resolve"), resolve_post(case, outcome="same_person", last_name="Hijacked")
    )
    assert refused.status_code == 200 and "only customer service may correct" in refused.content.decode()
    person.refresh_from_db()
    assert person.last_name == "Okafor"
    # The district's administrator administers both schools: theirs to correct.
    district_da = console_client(world.da_a)
    assert district_da.get(case_url(case)).context["correction_problem"] is None
    post = resolve_post(case, outcome="same_person", last_name="Okafor-Reyes")
    assert district_da.post(case_url(case, "resolve"), post).status_code == 302
    person.refresh_from_db()
    assert person.last_name == "Okafor-Reyes"


def test_a_reassigned_case_of_someone_on_no_staff_is_not_the_administrator_s_to_rewrite(world: World) -> None:
    """A person on no organization's current staff: customer service reassigning their case to a
    district lets its administrator see it, not rewrite who the person is. "Every current entry
    at an organization the DA administers" held vacuously for no entries (scope.py
    administers_every_entry), and the names were rewritten. A DA with the person on their
    staff still corrects them."""
    case = case_opened_directly(None)
    agent = console_client(world.service)
    routed = agent.post(case_url(case, "route"), {"codes": world.district_b.code, "reason": "ask B"})
    assert routed.status_code == 302
    da_b = console_client(world.da_b)
    page = da_b.get(case_url(case))
    assert page.status_code == 200 and page.context["correction_problem"]
    refused = da_b.post(
        case_url(case, "resolve"), resolve_post(case, outcome="same_person", first_name="Mallory")
    )
    assert refused.status_code == 200
    assert shows(refused.content.decode(), "not on the current staff of an organization you administer")
    assert Person.objects.get(pk=case.person_id).first_name == "Riley"
    assert MatchCase.objects.get(pk=case.pk).status != CaseStatus.RESOLVED
    # On the district's staff, the record is its administrator's to correct.
    on_staff = case_opened_directly(world.school_b1)
    post = resolve_post(on_staff, outcome="same_person", first_name="Rylee")
    assert da_b.post(case_url(on_staff, "resolve"), post).status_code == 302
    assert Person.objects.get(pk=on_staff.person_id).first_name == "Rylee"


def test_customer_service_corrects_a_record_shared_by_two_districts(world: World) -> None:
    record = someone("Rory", "Abernathy")
    person = record_at(world.school_a1, record)
    directory_actions.do_add_staff(person=person, organization=world.school_b1, role_title="Coach", ctx=CTX)
    case = case_against(person, older(record))
    agent = console_client(world.service)
    post = resolve_post(case, shown=True, outcome="same_person", last_name="Abernathy-Cole")
    assert agent.post(case_url(case, "resolve"), post).status_code == 302
    person.refresh_from_db()
    assert person.last_name == "Abernathy-Cole"


def _resolve_errors(response) -> list[str]:  # type: ignore[no-untyped-def]
    form = response.context["resolve_form"]
    return sorted(f"{field}:{e}" for field, errs in form.errors.items() for e in errs)


def test_a_directory_administrator_s_guess_at_the_withheld_date_of_birth_is_answered_alike(
    world: World,
) -> None:
    """sec2 M1. The case page withholds the record's date of birth from a Directory
    Administrator, but a date typed as the record's was no correction and any other was: posting
    "different people" (no reason: nothing written) told a right guess from a wrong one, ~365
    posts a year of birth. Now any date typed where the record's is not shown is a correction,
    and the answers, the history and the comparison read alike either way."""
    case = case_opened_directly(world.district_a)
    person = Person.objects.get(pk=case.person_id)
    da = console_client(world.da_a)
    assert da.get(case_url(case)).context["resolve_form"]["dob_year"].value() in (None, "")

    def answer(born: date, outcome: str) -> list[str]:
        post = resolve_post(case, outcome=outcome, reason="", date_of_birth=born.isoformat())
        response = da.post(case_url(case, "resolve"), post)
        assert response.status_code == 200
        return _resolve_errors(response)

    right, wrong = person.date_of_birth, person.date_of_birth - timedelta(days=1)
    for outcome in (CaseOutcome.DIFFERENT_PEOPLE, CaseOutcome.SAME_PERSON):
        assert answer(right, outcome) == answer(wrong, outcome), outcome
    assert MatchCase.objects.get(pk=case.pk).status == CaseStatus.OPEN

    # Where the administrator may correct it (an import's case, every entry theirs), "same
    # person" with a typed date is a correction, written or not: the history and the comparison
    # say the same for the record's date and for another.
    def resolved_with(born_on_file: date, typed: date) -> dict[str, object]:
        record = someone("Sasha", "Lindqvist", born=born_on_file)
        on_record = record_at(world.district_a, record)
        imported = case_against(on_record, older(record), source="hr-2026-11")
        post = resolve_post(imported, outcome="same_person", date_of_birth=typed.isoformat())
        assert da.post(case_url(imported, "resolve"), post).status_code == 302
        page = da.get(case_url(imported))
        (resolution,) = [row for row in page.context["history"] if row["corrected"]]
        dob = {str(row["label"]): row for row in page.context["rows"]}["Date of birth"]
        return {"corrected": resolution["corrected"], "now": dob["now_label"], "record": dob["record"]}

    born = date(1983, 6, 14)
    assert resolved_with(born, born) == resolved_with(born, born + timedelta(days=1))
    assert resolved_with(born, born)["corrected"] == ["Date of birth"]


def test_the_now_level_of_a_withheld_date_of_birth_does_not_tell_a_right_guess(world: World) -> None:
    """The registrant typed a date one day off the record's (a "close" level). A Directory
    Administrator who types the record's date (a right guess) leaves the record as it was; any
    other date rewrites it, and the comparison's "Now" level would move: so it is not shown for
    a withheld date of birth. (review1: no test failed with the `and not withheld` of case_views.py
    _side_by_side removed: the dates of the test above give the same level either way.)"""
    da = console_client(world.da_a)

    def now_after(typed: date) -> str:
        record = someone("Sasha", "Lindqvist", born=date(1983, 6, 14))
        person = record_at(world.district_a, record)
        case = case_against(
            person, record.with_(date_of_birth=date(1983, 6, 15), first_name="Alexis"), source="hr-2026-11"
        )
        post = resolve_post(case, outcome="same_person", date_of_birth=typed.isoformat())
        assert da.post(case_url(case, "resolve"), post).status_code == 302
        rows = {str(row["label"]): row for row in da.get(case_url(case)).context["rows"]}
        return str(rows["Date of birth"]["now_label"])

    assert now_after(date(1983, 6, 14)) == now_after(date(1971, 1, 2))


def test_a_directory_administrator_cannot_correct_the_date_of_birth_on_a_registration_case(
    world: World,
) -> None:
    """sec2 L3. A registration case's data was typed into Create a Profile, signed out: a
    Directory Administrator could type their staff member's SSN and names there with a date of
    birth of their own, decide "same person" correcting the record to it, and set up the
    Profile (`scope.submitted_by_actor` sees only what was typed in the console). So the date
    of birth on a registration case is customer service's to correct: the administrator is
    refused and escalates with what they propose. Deciding "same person" without correcting it
    stays theirs."""
    victim = someone("Jordan", "Whitfield")
    person = record_at(world.district_a, victim, profile=False)
    made_up = older(victim)  # the SSN and names agree, the date of birth is the typist's
    case = blocked(Client(), made_up)
    assert case.source == "registration"
    da = console_client(world.da_a)
    page = da.get(case_url(case))
    assert "only customer service may correct it on a case from Create a Profile" in page.content.decode()
    post = resolve_post(case, outcome="same_person", date_of_birth=made_up.date_of_birth.isoformat())
    refused = da.post(case_url(case, "resolve"), post)
    assert refused.status_code == 200
    assert "only customer service may correct the record" in " ".join(
        refused.context["resolve_form"].non_field_errors()
    )
    assert 'name="note"' in refused.content.decode()  # the escalate form is there
    person.refresh_from_db()
    case.refresh_from_db()
    assert person.date_of_birth == victim.date_of_birth and case.status == CaseStatus.OPEN
    assert not AuditEvent.objects.filter(
        event_type=EventType.PERSON_UPDATED, target_id=str(person.pk)
    ).exists()
    note = "The license file gives another date of birth: please correct the record"
    assert da.post(case_url(case, "escalate"), {"note": note}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ESCALATED


def test_a_directory_administrator_cannot_add_a_person_to_their_staff_then_rewrite_them(world: World) -> None:
    """review8 L2: a case about a person on no staff, reassigned to district B. B's administrator
    may not correct the record; adding the person to B's staff afterwards (a known-person search:
    names, date of birth, full SSN) does not make it theirs to rewrite either, since the entry
    began after the case was opened. Customer service still corrects it."""
    case = case_opened_directly(None)
    agent = console_client(world.service)
    routed = agent.post(case_url(case, "route"), {"codes": world.district_b.code, "reason": "ask B"})
    assert routed.status_code == 302
    da_b = console_client(world.da_b)
    mallory = resolve_post(case, outcome="same_person", first_name="Mallory")
    assert da_b.post(case_url(case, "resolve"), mallory).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        staffing.add_known_person(person=case.person, organization=world.district_b, role_title="x", ctx=CTX)
    refused = da_b.post(case_url(case, "resolve"), mallory)
    assert refused.status_code == 200
    assert shows(
        refused.content.decode(), "was added to the staff of your organization after this case was opened"
    )
    assert Person.objects.get(pk=case.person_id).first_name == "Riley"
    by_service = resolve_post(case, shown=True, outcome="same_person", first_name="Mallory")
    assert agent.post(case_url(case, "resolve"), by_service).status_code == 302
    assert Person.objects.get(pk=case.person_id).first_name == "Mallory"


def test_a_move_between_a_district_s_schools_after_the_case_keeps_it_the_district_s(world: World) -> None:
    """review9 L4: on school A1's staff since before the case; moved to school A2 (same district)
    after it was opened — added at A2, A1's entry ended. District A's administrator had the
    person on their staff when the case was opened, and every current entry is theirs: they
    correct the record. A1's own administrator, with no entry of theirs current, sees no case."""
    record = someone("Riley", "Haddad")
    person = record_at(world.school_a1, record)
    case = blocked(Client(), older(record))
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        entry = StaffEntry.objects.get(person=person, organization=world.school_a1, ended_at=None)
        directory_actions.do_add_staff(person=person, organization=world.school_a2, role_title="T", ctx=CTX)
        directory_actions.do_end_staff_entry(entry=entry, ctx=CTX)
    rylee = resolve_post(case, outcome="same_person", first_name="Rylee")
    assert console_client(world.da_school_a1).post(case_url(case, "resolve"), rylee).status_code == 404
    assert Person.objects.get(pk=person.pk).first_name == "Riley"
    assert console_client(world.da_a).post(case_url(case, "resolve"), rylee).status_code == 302
    assert Person.objects.get(pk=person.pk).first_name == "Rylee"
