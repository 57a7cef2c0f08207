"""What a new user's walk through the staff consoles found (uxcon): the stale case's button is an
action; customer service is not offered an escalation to itself, and the action refuses it; a
decided case says what to tell the person and names its decision in its history; customer service
issues a set-up code for a Profile awaiting setup; the outcome in brackets is lowercase; the staff
entry page's "Leaving" reads as a heading in Spanish."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from edgate.accounts.models import CUSTOMER_SERVICE_PERMISSION, ActivationCode, CodePurpose, Status
from edgate.audit.models import AuditEvent, EventType
from edgate.matching import actions
from edgate.matching.models import CaseStatus

from ..backoffice import World, build_world, console_client, staff_pages
from ..factories import security_post, someone
from .helpers import landed, location, post_step, shows, start, step
from .test_console_cases import (
    blocked,
    case_opened_directly,
    case_url,
    ctx_for,
    events_of,
    older,
    record_at,
    resolve_post,
)
from .test_spanish_consoles import in_spanish

pytestmark = pytest.mark.django_db

QUEUE = reverse("backoffice:cases")


@pytest.fixture
def world() -> World:
    return build_world()


def page_of(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


# --- the stale case's button, and the outcome in the queue ---------------------------------


def test_the_close_button_of_a_case_whose_person_has_their_profile_says_it_closes_the_case(
    world: World,
) -> None:
    record = someone("Imogen", "Castellanos")
    record_at(world.school_a1, record)
    registrant = Client()
    case = blocked(registrant, older(record))
    start(registrant)  # they type page 1 right and finish the pre-created Profile
    assert location(post_step(registrant, "identity", record.identity_post())) == step("setup")
    assert landed(post_step(registrant, "setup", security_post(), follow=True)) == step("setup_done")
    da = console_client(world.da_school_a1)

    assert shows(page_of(da, case_url(case)), "Close the case: the person has their Profile")
    spanish = page_of(in_spanish(console_client(world.da_school_a1)), case_url(case))
    assert shows(spanish, "Cerrar el caso: la persona ya tiene su Perfil")

    assert da.post(case_url(case, "has_profile")).status_code == 302
    # In the queue the outcome is lowercase in its brackets, as every other outcome is.
    assert shows(page_of(da, QUEUE), "Resolved (the person has their Profile)")
    assert shows(
        page_of(in_spanish(console_client(world.da_school_a1)), QUEUE), "(la persona ya tiene su Perfil)"
    )


# --- escalation is a Directory Administrator's -----------------------------------------------


def test_customer_service_is_not_offered_an_escalation_and_the_action_refuses_it(world: World) -> None:
    case = case_opened_directly(world.district_a)
    escalate = case_url(case, "escalate")
    for agency in (world.service, world.security):
        page = page_of(console_client(agency), case_url(case))
        assert 'name="outcome"' in page  # they decide it
        assert not shows(page, "Escalate to customer service") and escalate not in page
        refused = console_client(agency).post(escalate, {"note": "Cannot tell"})
        assert refused.status_code == 403
        with pytest.raises(actions.EscalationRefused):
            actions.do_escalate_case(case=case, note="Cannot tell", ctx=ctx_for(agency))
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and events_of(case, EventType.MATCH_CASE_ESCALATED) == []
    assert actions.CUSTOMER_SERVICE_PERMISSION == CUSTOMER_SERVICE_PERMISSION  # one permission
    # A Directory Administrator of the case's organization still hands it on.
    da = console_client(world.da_a)
    assert shows(page_of(da, case_url(case)), "Escalate to customer service")
    assert da.post(escalate, {"note": "Cannot tell"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ESCALATED


# --- after a decision ------------------------------------------------------------------------


def history_row(page: str) -> str:
    return page.split('data-testid="case-history"', 1)[1]


def test_a_same_person_decision_says_what_to_tell_the_person_and_names_itself_in_the_history(
    world: World,
) -> None:
    case = case_opened_directly(world.district_a)  # its person has no Profile yet
    da = console_client(world.da_a)
    before = page_of(da, case_url(case))
    assert shows(before, "Why a person must decide") and 'data-testid="next-step"' not in before
    assert da.post(case_url(case, "resolve"), resolve_post(case, outcome="same_person")).status_code == 302

    after = page_of(da, case_url(case))
    assert 'data-testid="next-step"' in after
    assert shows(after, "Ask them to go to Create a Profile again")
    assert shows(after, "They then finish setting up their Profile with a password and a hint question")
    assert not shows(after, "Why a person must decide")
    assert shows(history_row(after), "Match case resolved (same person)")
    assert not shows(after, "Match case resolved (same person or different people)")
    spanish = page_of(in_spanish(console_client(world.da_a)), case_url(case))
    assert shows(history_row(spanish), "Caso de coincidencia resuelto (misma persona)")


def test_a_same_person_decision_about_someone_with_a_profile_says_they_are_shown_their_user_name(
    world: World,
) -> None:
    record = someone("Tobias", "Wrenfield")
    record_at(world.school_a1, record, profile=True)
    case = blocked(Client(), older(record))
    agent = console_client(world.service)
    post = resolve_post(case, shown=True, outcome="same_person")
    assert agent.post(case_url(case, "resolve"), post).status_code == 302
    page = page_of(agent, case_url(case))
    assert shows(page, "They already have a Profile: they are shown its User Name")


def test_a_different_people_decision_says_the_registrant_goes_on_as_a_new_person(world: World) -> None:
    record = someone("Alex", "Moreau")
    record_at(world.district_b, record, profile=True)
    namesake = someone("Alex", "Moreau", born=record.date_of_birth)  # another SSN
    case = blocked(Client(), namesake)
    da = console_client(world.da_b)
    post = resolve_post(case, outcome="different_people", reason="Other SSN, other person")
    assert da.post(case_url(case, "resolve"), post).status_code == 302
    page = page_of(da, case_url(case))
    assert shows(page, "type the same details as before")
    assert shows(page, "this record no longer stops them, so they go on as a new person")
    assert shows(history_row(page), "Match case resolved (different people)")


# --- customer service and a Profile awaiting setup ------------------------------------------


def test_customer_service_issues_a_set_up_code_for_a_profile_awaiting_setup(world: World) -> None:
    made = staff_pages(world)
    waiting = made.pending.person.profile
    assert waiting.status == Status.AWAITING_SETUP
    agent = console_client(world.service)
    profile_url = reverse("backoffice:service_profile", kwargs={"profile": waiting.pk})
    code_url = reverse("backoffice:service_setup_code", kwargs={"profile": waiting.pk})
    page = page_of(agent, profile_url)
    assert code_url in page and shows(page, "Issue a set-up code")
    # Nothing to say about a second factor it has not got and need not have; a Profile that must
    # have one (a Directory Administrator's) still shows it has none.
    assert not shows(page, "Second factor") and not shows(page, "second-factor recovery codes left")
    privileged = page_of(agent, reverse("backoffice:service_profile", kwargs={"profile": world.da_a.pk}))
    assert shows(privileged, "Second factor") and shows(privileged, "No authenticator app enrolled.")

    response = agent.post(code_url, {"reason": "Called; checked her license"}, follow=True)
    assert response.status_code == 200
    issued = response.context["code"]
    (row,) = ActivationCode.objects.filter(profile=waiting, purpose=CodePurpose.SETUP)
    assert row.issued_by_id == world.service.pk and row.used_at is None
    (event,) = AuditEvent.objects.filter(
        event_type=EventType.ACTIVATION_CODE_ISSUED, target_type="accounts.profile", target_id=str(waiting.pk)
    )
    assert event.actor_id == world.service.pk and event.detail["purpose"] == "setup"
    assert event.detail["reason"] == "Called; checked her license"
    assert shows(response.content.decode(), issued)
    assert reverse("registration:start") in response.content.decode()

    # Not for an active Profile: refused, nothing issued.
    active = made.entry.person.profile
    active_code_url = reverse("backoffice:service_setup_code", kwargs={"profile": active.pk})
    assert active_code_url not in page_of(agent, reverse("backoffice:service_profile", args=[active.pk]))
    refused = agent.post(active_code_url, {"reason": "try"})
    assert refused.status_code == 200 and "code" not in refused.context
    assert not ActivationCode.objects.filter(profile=active).exists()


# --- Spanish ---------------------------------------------------------------------------------


def test_the_staff_entry_page_s_leaving_heading_in_spanish(world: World) -> None:
    made = staff_pages(world)
    path = reverse("backoffice:org_entry", args=[world.school_a1.code, made.entry.pk])
    page = page_of(in_spanish(console_client(world.da_a)), path)
    assert shows(page, "Baja del personal") and not shows(page, "Se va")
