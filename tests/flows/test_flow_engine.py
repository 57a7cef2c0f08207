"""The flow engine (core.flow) through HTTP: transitions checked for real, state saved only in
the step's locked transaction, Post/Redirect/Get, nothing lost by going back, one flow per tab."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.db import connection
from django.test import Client

from edgate.accounts.models import Profile
from edgate.audit.models import AuditEvent, EventType
from edgate.core.flow import PAGE_KEY, Action, TransitionError
from edgate.core.models import Flow
from edgate.registration import flows, steps
from edgate.registration.states import State
from tests.factories import CONTACT_POST, Someone, security_post, someone
from tests.pii import register_ssn

from .helpers import flow_id, landed, location, post_step, refused, shows, start, step, url

pytestmark = pytest.mark.django_db


def to_review(client: Client, who) -> str:  # type: ignore[no-untyped-def]
    start(client)
    post_step(client, "identity", who.identity_post())
    post_step(client, "contact", CONTACT_POST)
    post_step(client, "security", security_post())
    return flow_id(client)


def test_a_forbidden_transition_is_refused_through_http(client: Client) -> None:
    start(client)
    assert location(post_step(client, "identity", someone("Ada", "Quist").identity_post())) == step("contact")
    # Page 4 before pages 2 and 3: refused, back to where the flow is, nothing saved.
    tag = flow_id(client)
    response = client.post(url(client, "review"), {"flow": tag, "confirm": "on"})
    assert response.status_code == 303 and location(response) == step("contact")
    flow = Flow.objects.get(pk=tag)
    assert flow.state == State.CONTACT and "contact" not in flow.data
    assert Profile.objects.count() == 0


def test_a_terminal_flow_takes_no_more_submissions(client: Client) -> None:
    to_review(client, someone("Bo", "Rindell"))
    assert landed(post_step(client, "review", {"confirm": "on"}, follow=True)) == step("created")
    tag = flow_id(client)
    before = Flow.objects.get(pk=tag).data
    for earlier in ("identity", "contact", "security", "review"):
        response = client.post(url(client, earlier), {"flow": tag, **CONTACT_POST})
        assert location(response) == step("created"), earlier
    flow = Flow.objects.get(pk=tag)
    assert flow.state == State.CREATED and flow.data == before == {"match": before["match"]}


def test_a_handler_asking_for_an_undeclared_step_is_never_saved(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine, not the handler, moves the flow: a target the graph does not declare is a
    programming error, and the transaction (with the handler's writes) is rolled back."""
    start(client)
    post_step(client, "identity", someone("Cy", "Ormond").identity_post())

    def jumps(run, cleaned):  # type: ignore[no-untyped-def]
        run.data["contact"] = {"city": "Nowhere"}
        return State.CREATED

    declared = steps.STEPS[State.CONTACT]
    monkeypatch.setitem(steps.STEPS, State.CONTACT, replace(declared, submit=Action(jumps)))
    with pytest.raises(TransitionError):
        post_step(client, "contact", CONTACT_POST)
    flow = Flow.objects.get(pk=flow_id(client))
    assert flow.state == State.CONTACT and "contact" not in flow.data


def test_flow_rows_are_written_only_inside_a_transaction_that_locked_them(client: Client) -> None:
    """The lost update of the old wizard: the flow row was saved again after the handler's
    transaction, from a copy read outside it, and could put page 1's data back into a finished
    flow. Now every write of a flow row (after its creation) follows a read of that row in the
    same transaction — FOR UPDATE on PostgreSQL."""
    statements: list[tuple[str, bool]] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if '"core_flow"' in sql:
            statements.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        to_review(client, someone("Dee", "Lavelle"))
        refused(client, "review", {})  # a refused submission is kept the same way
        post_step(client, "review", {"confirm": "on"})
    updates = [i for i, (sql, _) in enumerate(statements) if sql.startswith("UPDATE")]
    assert len(updates) >= 5
    for i in updates:
        assert statements[i][1], statements[i][0]
        locked = [sql for sql, atomic in statements[:i] if sql.startswith("SELECT") and atomic]
        assert locked, statements[i][0]
        if connection.vendor == "postgresql":
            assert locked[-1].rstrip().endswith("FOR UPDATE"), locked[-1]
    flow = Flow.objects.get()
    assert flow.state == State.CREATED and set(flow.data) == {"match"}


def own_last_four(who: Someone) -> Someone:
    """WHO with SSN last four digits that nothing else on page 1 has. The factory's are its counter
    (1000 + n): a drawn 1984 is the birth year in the year box, a drawn 1985 the year in the hint's
    example, and an absence check of the last four failed on them."""
    return who.with_(ssn=register_ssn(f"{who.ssn[:5]}7306"))


def test_errors_come_back_on_a_get_with_what_was_typed_except_the_ssn(client: Client) -> None:
    who = own_last_four(someone("Eli", "Marsh"))
    start(client)
    response = post_step(client, "identity", who.identity_post(dob_year="85"))
    assert response.status_code == 303 and location(response) == step("identity")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and page.context["form"].errors["dob_year"]
    assert 'value="Eli"' in html and 'value="Marsh"' in html  # kept
    assert not shows(html, who.ssn[-4:])  # never shown again, nor kept for it...
    assert str(steps.SSN_AGAIN) in html  # ...and the field says so
    kept = Flow.objects.get().data[PAGE_KEY]
    assert "ssn" not in kept["values"] and kept["retype"] == ["ssn"]
    # Reload: the same page, errors and all; nothing is submitted again.
    assert client.get(response["Location"]).context["form"].errors["dob_year"]
    assert not AuditEvent.objects.filter(event_type=EventType.MATCH_OUTCOME).exists()


def test_an_empty_ssn_is_not_said_to_need_typing_again(client: Client) -> None:
    start(client)
    page = refused(client, "identity", someone().identity_post(ssn=""))
    assert str(steps.SSN_AGAIN) not in page.content.decode()


def test_passwords_are_never_kept_for_redisplay(client: Client) -> None:
    start(client)
    post_step(client, "identity", someone("Fay", "Odum").identity_post())
    post_step(client, "contact", CONTACT_POST)
    typed = security_post() | {"confirm_password": "something else entirely 42"}
    page = refused(client, "security", typed)
    html = page.content.decode()
    assert typed["new_password"] not in html and typed["hint_answer"] not in html
    assert str(steps.PASSWORD_AGAIN) in html
    # The hint answer was not wrong, yet it is blank too: its field says why.
    hint = page.context["form"]["hint_answer"]
    assert str(steps.HINT_ANSWER_AGAIN) in hint.help_text
    assert f'id="{hint.auto_id}_helptext">{steps.HINT_ANSWER_AGAIN}' in html
    values = Flow.objects.get().data[PAGE_KEY]["values"]
    assert not {"new_password", "confirm_password", "hint_answer"} & set(values)


def test_going_back_to_page_one_keeps_pages_two_to_four_when_still_no_match(client: Client) -> None:
    who = someone("Gus", "Pellow")
    to_review(client, who)
    hashed = Flow.objects.get().data["security"]
    # Back to page 1 to add a middle name: matched again (still none), on to the review page.
    response = post_step(client, "identity", who.identity_post(middle_name="Tobias"))
    assert location(response) == step("review")
    data = Flow.objects.get().data
    assert data["identity"]["middle_name"] == "Tobias"
    assert data["contact"]["city"] == CONTACT_POST["city"] and data["security"] == hashed
    assert AuditEvent.objects.filter(event_type=EventType.MATCH_OUTCOME).count() == 2
    assert "Gus Tobias Pellow" in client.get(url(client, "review")).content.decode()
    # Submitted again unchanged: nothing to match again.
    assert location(post_step(client, "identity", who.identity_post(middle_name="Tobias"))) == step("review")
    assert AuditEvent.objects.filter(event_type=EventType.MATCH_OUTCOME).count() == 2
    assert landed(post_step(client, "review", {"confirm": "on"}, follow=True)) == step("created")
    assert Profile.objects.get().person.middle_name == "Tobias"


def test_going_back_to_page_one_says_why_the_ssn_is_blank(client: Client) -> None:
    who = own_last_four(someone("Ida", "Brennock"))
    start(client)
    assert location(post_step(client, "identity", who.identity_post())) == step("contact")
    page = client.get(url(client, "identity"))
    html = page.content.decode()
    assert 'value="Brennock"' in html and not shows(html, who.ssn[-4:])  # the rest kept, never the SSN
    ssn = page.context["form"]["ssn"]
    assert f'id="{ssn.auto_id}_helptext">{steps.SSN_AGAIN}' in html  # beside the field
    assert str(steps.SSN_AGAIN) not in html.replace(f">{steps.SSN_AGAIN}", "", 1)  # once
    # Page 3 likewise: answered, then visited again, its password and hint answer are blank.
    post_step(client, "contact", CONTACT_POST)
    assert str(steps.HINT_ANSWER_AGAIN) not in client.get(url(client, "security")).content.decode()
    post_step(client, "security", security_post())
    page3 = client.get(url(client, "security"))
    assert str(steps.HINT_ANSWER_AGAIN) in page3.context["form"]["hint_answer"].help_text
    assert str(steps.PASSWORD_AGAIN) in page3.context["form"]["new_password"].help_text
    # A first visit has nothing to type again.
    start(client)
    assert str(steps.SSN_AGAIN) not in client.get(url(client, "identity")).content.decode()


def test_going_back_to_page_two_keeps_page_three(client: Client) -> None:
    start(client)
    post_step(client, "identity", someone("Hal", "Varga").identity_post())
    post_step(client, "contact", CONTACT_POST)
    post_step(client, "security", security_post())
    page = client.get(url(client, "contact"))
    assert page.context["form"].initial["city"] == CONTACT_POST["city"]
    assert location(post_step(client, "contact", CONTACT_POST | {"phone": "4135550199"})) == step("review")


def test_two_tabs_are_two_flows_and_never_one_profile_of_two_people(client: Client) -> None:
    ana, ben = someone("Ana", "Tolliver"), someone("Ben", "Quarry")
    start(client)
    tab_a = flow_id(client)
    start(client)
    tab_b = flow_id(client)
    assert tab_a != tab_b

    def post(tab: str, name: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
        return client.post(f"{step(name)}?flow={tab}", {"flow": tab, **data})

    assert location(post(tab_a, "identity", ana.identity_post())) == step("contact")
    assert location(post(tab_b, "identity", ben.identity_post())) == step("contact")
    post(tab_a, "contact", CONTACT_POST | {"email": "ana@example.org"})
    post(tab_b, "contact", CONTACT_POST | {"email": "ben@example.org"})
    post(tab_a, "security", security_post())
    post(tab_b, "security", security_post())
    assert location(post(tab_a, "review", {"confirm": "on"})) == step("created")
    assert location(post(tab_b, "review", {"confirm": "on"})) == step("created")
    people = {p.person.first_name: p.person for p in Profile.objects.select_related("person")}
    assert people["Ana"].last_name == "Tolliver" and people["Ana"].email == "ana@example.org"
    assert people["Ben"].last_name == "Quarry" and people["Ben"].email == "ben@example.org"


def test_a_flow_id_is_useless_to_another_session(client: Client) -> None:
    start(client)
    post_step(client, "identity", someone("Ivy", "Castellan").identity_post())
    stolen = flow_id(client)
    # Without a session at all: the page says cookies are needed, and nothing of the flow shows.
    cookieless = Client().get(f"{step('contact')}?flow={stolen}")
    assert cookieless.status_code == 200 and not shows(cookieless.content.decode(), "Ivy")
    assert "did not keep your place" in cookieless.content.decode()
    # With a session of its own, the flow is not its: back to a page 1 of its own.
    thief = Client()
    start(thief)
    post_step(thief, "identity", {})  # its own flow (a refused page 1), and so a session
    page = thief.get(f"{step('contact')}?flow={stolen}", follow=True)
    assert landed(page) == step("identity") and not shows(page.content.decode(), "Ivy")
    response = thief.post(f"{step('contact')}?flow={stolen}", {"flow": stolen, **CONTACT_POST})
    assert location(response) == step("identity")
    flow = Flow.objects.get(pk=stolen)
    assert flow.state == State.CONTACT and "contact" not in flow.data
    assert flows.resume(flow.data) == State.CONTACT


def test_a_link_to_a_later_page_without_a_flow_starts_at_page_one_without_talk_of_expiry() -> None:
    page = Client().get(step("review"), follow=True)
    assert landed(page) == step("identity")
    assert "expired" not in page.content.decode()
