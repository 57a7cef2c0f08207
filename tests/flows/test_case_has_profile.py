"""An open case whose person has their Profile by now (backoffice/case_profile.py): marked in
the queue and on the case page (since when; the User Name only to whoever may already see that
Profile), closed by a person's one click with an audit event of its own, never on its own."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from edgate.accounts import actions as account_actions
from edgate.accounts.models import Profile, Status
from edgate.audit.models import EventType
from edgate.backoffice import actions as backoffice_actions
from edgate.directory import actions as directory_actions
from edgate.identity.records import Identity
from edgate.matching import service
from edgate.matching.models import CaseOutcome, CaseStatus, DistinctPair, LaterSubmission, MatchCase
from edgate.people.actions import PersonData, do_create_person

from ..backoffice import World, build_world, console_client
from ..factories import CTX, Someone, security_post, someone, with_profile
from .helpers import landed, location, post_step, start, step
from .test_console_cases import blocked, case_url, ctx_for, events_of, older, record_at, resolve_post

pytestmark = pytest.mark.django_db

MARK = 'data-testid="has-profile"'
REMINDED = 'data-testid="has-profile-reminded"'
CLOSE = 'data-testid="close-has-profile"'
QUEUE = reverse("backoffice:cases")


@pytest.fixture
def world() -> World:
    return build_world()


def queue_row(client: Client, case: MatchCase) -> str:
    """The case's row in the client's queue."""
    page = client.get(QUEUE).content.decode()
    rows = [
        row for row in re.findall(r'<tr data-testid="case-row">.*?</tr>', page, re.S) if case.reference in row
    ]
    assert len(rows) == 1, page
    return rows[0]


def test_a_registrant_who_then_set_up_the_profile_leaves_a_marked_case_closed_in_one_click(
    world: World,
) -> None:
    record = someone("Imogen", "Castellanos")
    person = record_at(world.school_a1, record)  # on file, no Profile yet
    registrant = Client()
    case = blocked(registrant, older(record))
    da = console_client(world.da_school_a1)
    assert MARK not in queue_row(da, case) and MARK not in da.get(case_url(case)).content.decode()

    # They come back and type page 1 right: the exact path, which finishes the pre-created Profile.
    start(registrant)
    assert location(post_step(registrant, "identity", record.identity_post())) == step("setup")
    assert landed(post_step(registrant, "setup", security_post(), follow=True)) == step("setup_done")
    profile = Profile.objects.get(person=person, status=Status.ACTIVE)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN  # not closed on its own

    row = queue_row(da, case)
    assert MARK in row and "The person has an active Profile, since" in row and profile.username in row
    page = da.get(case_url(case))
    html = page.content.decode()
    assert "The person on this record now has an active Profile" in html and profile.username in html
    assert page.context["profile_now"].kinds == ["set_up"] and "The Profile was set up (" in html
    assert CLOSE in html

    response = da.post(case_url(case, "has_profile"))
    assert response.status_code == 302 and response["Location"] == case_url(case)
    case.refresh_from_db()
    assert (case.status, case.outcome) == (CaseStatus.RESOLVED, CaseOutcome.HAS_PROFILE)
    assert case.resolved_by_id == world.da_school_a1.pk and case.resolved_at is not None
    (event,) = events_of(case, EventType.MATCH_CASE_CLOSED_HAS_PROFILE)
    assert event.actor_id == world.da_school_a1.pk
    assert (event.detail["status_old"], event.detail["status_new"]) == ("open", "resolved")
    assert event.detail["profile"] == profile.pk and event.detail["evidence"] == ["set_up"]
    assert events_of(case, EventType.MATCH_CASE_RESOLVED) == []
    assert not DistinctPair.objects.filter(person=person).exists()  # nothing decided about who typed it
    after = da.get(case_url(case)).content.decode()
    assert "The person has their Profile" in after and MARK not in after and CLOSE not in after
    assert MARK not in queue_row(da, case)


def test_a_profile_active_before_the_case_was_opened_does_not_mark_it(world: World) -> None:
    """What an attempt on the record of someone who has a Profile looks like: a case to decide."""
    record = someone("Tobias", "Wrenfield")
    record_at(world.school_a1, record, profile=True)
    case = blocked(Client(), older(record))
    da = console_client(world.da_school_a1)
    assert MARK not in queue_row(da, case)
    page = da.get(case_url(case)).content.decode()
    assert MARK not in page and CLOSE not in page and 'name="outcome"' in page
    # Nor is it the resolve form's to give: its outcomes are decisions about the registrant.
    bad = da.post(case_url(case, "resolve"), resolve_post(case, outcome="has_profile"))
    assert bad.status_code == 200 and "Choose whether they are the same person" in bad.content.decode()
    refused = da.post(case_url(case, "has_profile"), follow=True)
    assert "shows that the person on its record has an active Profile: nothing was changed" in (
        refused.content.decode()
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and events_of(case, EventType.MATCH_CASE_CLOSED_HAS_PROFILE) == []


def test_an_escalated_case_whose_person_then_set_up_the_profile_is_closed_by_customer_service(
    world: World,
) -> None:
    record = someone("Marisol", "Oyelaran")
    person = record_at(world.school_a1, record)
    registrant = Client()
    case = blocked(registrant, older(record))
    da = console_client(world.da_school_a1)
    assert da.post(case_url(case, "escalate"), {"note": "Cannot tell from here"}).status_code == 302
    # They come back and type page 1 right, set up the Profile, and later type it again: reminded.
    start(registrant)
    assert location(post_step(registrant, "identity", record.identity_post())) == step("setup")
    assert landed(post_step(registrant, "setup", security_post(), follow=True)) == step("setup_done")
    start(registrant)
    assert location(post_step(registrant, "identity", record.identity_post())) == step("exact")

    page = da.get(case_url(case))
    assert page.context["profile_now"].kinds == ["set_up", "reminded"]
    assert MARK in page.content.decode() and CLOSE not in page.content.decode()  # escalated: not theirs
    assert da.post(case_url(case, "has_profile")).status_code == 403
    agent = console_client(world.service)
    assert person.profile.username in queue_row(agent, case)
    html = agent.get(case_url(case)).content.decode()
    assert person.profile.username in html and CLOSE in html
    assert "Create a Profile matched this record exactly" in html
    assert agent.post(case_url(case, "has_profile")).status_code == 302
    (event,) = events_of(case, EventType.MATCH_CASE_CLOSED_HAS_PROFILE)
    assert event.actor_id == world.service.pk and event.detail["evidence"] == ["set_up", "reminded"]
    assert (event.detail["status_old"], event.detail["status_new"]) == ("escalated", "resolved")


def test_a_user_name_reminder_alone_is_shown_but_not_closable_in_one_click(world: World) -> None:
    """review7: the victim had an active Profile before the prober's case. The victim (or anyone
    who knows the whole record) later types it on Create a Profile and is reminded of the User
    Name: what the owner typing their own record looks like, whoever made the attempt. The case
    page says so; the case is decided with the resolve form."""
    record = someone("Rosalind", "Pennyworth")
    record_at(world.school_a1, record, profile=True)
    case = blocked(Client(), older(record))  # the prober: SSN and names, not the birth date
    da = console_client(world.da_school_a1)
    assert MARK not in da.get(case_url(case)).content.decode()
    victim = Client()
    start(victim)
    assert location(post_step(victim, "identity", record.identity_post())) == step("exact")

    page = da.get(case_url(case))
    html = page.content.decode()
    assert page.context["profile_now"].kinds == ["reminded"] and not page.context["profile_now"].closable
    assert REMINDED in html and "The person on this record was reminded of their User Name" in html
    assert "Create a Profile matched this record exactly" in html and "The case needs a decision" in html
    assert MARK not in html and CLOSE not in html and 'name="outcome"' in html
    assert MARK not in queue_row(da, case)
    refused = da.post(case_url(case, "has_profile"), follow=True)
    assert (
        "only the Profile&#x27;s User Name was shown: the case needs a decision" in refused.content.decode()
    )
    with pytest.raises(backoffice_actions.ReminderOnly):
        backoffice_actions.do_close_case_has_profile(case=case, ctx=ctx_for(world.service))
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and events_of(case, EventType.MATCH_CASE_CLOSED_HAS_PROFILE) == []


def test_the_user_name_is_shown_only_to_whoever_may_already_see_the_profile(world: World) -> None:
    """Customer service reassigned the case to district B, whose administrator does not see the
    person's Profile anywhere in their console: the mark, without the User Name."""
    record = someone("Anneliese", "Quarterman")
    person = record_at(world.school_a1, record)
    case = blocked(Client(), older(record))
    profile = with_profile(person)  # set up since (customer service helped them on the phone)
    agent = console_client(world.service)
    codes = f"{world.school_a1.code} {world.district_b.code}"
    assert agent.post(case_url(case, "route"), {"codes": codes, "reason": "Works in both"}).status_code == 302

    da_b = console_client(world.da_b)
    row = queue_row(da_b, case)
    assert MARK in row and profile.username not in row
    page = da_b.get(case_url(case)).content.decode()
    assert MARK in page and profile.username not in page and CLOSE in page
    for allowed in (world.da_school_a1, world.da_a, world.service):
        client = console_client(allowed)
        assert profile.username in queue_row(client, case)
        assert profile.username in client.get(case_url(case)).content.decode()


def case_on(person: object, who: Someone) -> MatchCase:
    """A case opened on `person`'s record by a conflicting submission of `who`'s names and
    another birth date (no SSN)."""
    query = Identity(
        first_name=who.first_name, last_name=who.last_name, date_of_birth=older(who).date_of_birth
    )
    return service.do_open_case(
        person=person,  # type: ignore[arg-type]
        query=query,
        decision=service.match(query),
        source="registration",
        ctx=CTX,
    )


def test_a_merge_that_moved_the_case_to_the_record_marks_it_until_it_is_undone(world: World) -> None:
    """A district's record of them without an SSN had the case; customer service merged it into
    the record with the Profile: who the person is was sorted out."""
    record = someone("Cornelius", "Abernathy")
    person = record_at(world.school_a1, record, profile=True)
    duplicate = do_create_person(
        data=PersonData(first_name="Cornelius", last_name="Abernathy", date_of_birth=record.date_of_birth),
        source="test",
        ctx=CTX,
    )
    directory_actions.do_add_staff(
        person=duplicate, organization=world.school_a1, role_title="Teacher", ctx=CTX
    )
    case = case_on(duplicate, record)
    da = console_client(world.da_school_a1)
    assert MARK not in da.get(case_url(case)).content.decode()
    agent = ctx_for(world.service)
    merge = backoffice_actions.do_merge_persons(
        survivor=person,
        duplicate=duplicate,
        reason="One teacher, two records",
        allow_privileged=False,
        state_ids_checked=True,
        ctx=agent,
    )
    case.refresh_from_db()
    assert case.person_id == person.pk
    page = da.get(case_url(case))
    assert page.context["profile_now"].kinds == ["merged"] and CLOSE in page.content.decode()
    assert "Customer service merged another record into this one (" in page.content.decode()
    assert MARK in queue_row(da, case)
    backoffice_actions.do_unmerge_persons(
        merge=merge, reason="Two people after all", allow_privileged=False, ctx=agent
    )
    assert MARK not in da.get(case_url(case)).content.decode() and MARK not in queue_row(da, case)


def test_a_merge_of_an_unrelated_duplicate_into_the_record_does_not_mark_the_case(world: World) -> None:
    """review7: the victim had an active Profile before the prober's case, which was on the
    victim's record all along. Customer service then merges an old duplicate of the victim into
    it, for its own reasons: nothing about who typed what opened the case changed."""
    record = someone("Leopold", "Fairweather")
    person = record_at(world.school_a1, record, profile=True)
    case = blocked(Client(), older(record))
    duplicate = do_create_person(
        data=PersonData(first_name="Leopold", last_name="Fairweather", date_of_birth=record.date_of_birth),
        source="test",
        ctx=CTX,
    )
    case_on(duplicate, record)  # the duplicate's own case moves too: it is not this one
    backoffice_actions.do_merge_persons(
        survivor=person,
        duplicate=duplicate,
        reason="Old import",
        allow_privileged=False,
        state_ids_checked=True,
        ctx=ctx_for(world.service),
    )
    da = console_client(world.da_school_a1)
    page = da.get(case_url(case))
    html = page.content.decode()
    assert page.context["profile_now"] is None
    assert MARK not in html and REMINDED not in html and CLOSE not in html and MARK not in queue_row(da, case)
    da.post(case_url(case, "has_profile"))
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and events_of(case, EventType.MATCH_CASE_CLOSED_HAS_PROFILE) == []


def test_a_profile_disabled_since_no_longer_counts(world: World) -> None:
    record = someone("Ottilie", "Brannigan")
    person = record_at(world.school_a1, record)
    case = blocked(Client(), older(record))
    profile = with_profile(person)
    da = console_client(world.da_school_a1)
    assert MARK in da.get(case_url(case)).content.decode()
    account_actions.do_set_status(profile=profile, status=Status.DISABLED, reason="reported stolen", ctx=CTX)
    page = da.get(case_url(case)).content.decode()
    assert MARK not in page and MARK not in queue_row(da, case)
    da.post(case_url(case, "has_profile"))
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and events_of(case, EventType.MATCH_CASE_CLOSED_HAS_PROFILE) == []


def test_an_attempt_made_after_the_profile_was_set_up_is_live_work(world: World) -> None:
    """review7: the owner's typo opens a case; the owner then sets up their Profile (the case is
    marked); a prober then types the owner's SSN with another birth date, counted on the same
    open case. That attempt came after the Profile existed (had the case been closed already, it
    would have opened a new, unmarked case): not marked, and not closable, also for a close
    asked with the case as it was before the attempt (the action asks again under the lock)."""
    record = someone("Philippa", "Harrowgate")
    person = record_at(world.school_a1, record)
    owner = Client()
    case = blocked(owner, older(record))
    start(owner)
    assert location(post_step(owner, "identity", record.identity_post())) == step("setup")
    assert landed(post_step(owner, "setup", security_post(), follow=True)) == step("setup_done")
    profile = Profile.objects.get(person=person, status=Status.ACTIVE)
    da = console_client(world.da_school_a1)
    assert MARK in da.get(case_url(case)).content.decode()
    before = MatchCase.objects.get(pk=case.pk)  # as the page showed it

    prober_case = blocked(Client(), older(record, years=11))  # the SSN and names, another birth date
    assert prober_case.pk == case.pk
    case.refresh_from_db()
    assert case.attempts == 2 and case.last_attempt_at > profile.activated_at
    assert LaterSubmission.objects.filter(case=case).count() == 1

    page = da.get(case_url(case))
    html = page.content.decode()
    assert page.context["profile_now"] is None
    assert MARK not in html and CLOSE not in html and 'name="outcome"' in html
    assert MARK not in queue_row(da, case)
    with pytest.raises(backoffice_actions.NoProfileNow):
        backoffice_actions.do_close_case_has_profile(case=before, ctx=ctx_for(world.da_school_a1))
    refused = da.post(case_url(case, "has_profile"), follow=True).content.decode()
    assert "Nothing since the last attempt on case" in refused
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and events_of(case, EventType.MATCH_CASE_CLOSED_HAS_PROFILE) == []


def test_evidence_after_the_last_attempt_counts_and_the_page_says_since_when(world: World) -> None:
    """Two conflicting submissions, then the registrant sets up the Profile: marked, counted from
    the last attempt."""
    record = someone("Evander", "Quillfeather")
    record_at(world.school_a1, record)
    registrant = Client()
    case = blocked(registrant, older(record))
    assert blocked(Client(), older(record, years=9)).pk == case.pk
    start(registrant)
    assert location(post_step(registrant, "identity", record.identity_post())) == step("setup")
    assert landed(post_step(registrant, "setup", security_post(), follow=True)) == step("setup_done")
    case.refresh_from_db()
    da = console_client(world.da_school_a1)
    page = da.get(case_url(case))
    html = page.content.decode()
    assert page.context["profile_now"].kinds == ["set_up"]
    assert page.context["profile_now"].since == case.last_attempt_at > case.created_at
    assert MARK in html and CLOSE in html and "Since the last attempt on this case (" in html
    assert MARK in queue_row(da, case)
