""" "What to tell the person" after a case is decided as the same person says what Create a Profile
then does (review10): a set-up code for a record without an SSN, and where it comes from; no User
Name shown for an active Profile on such a record; a new password by the hint question only when
the Profile allows it; an SSN that differed is not corrected by the decision. And customer
service's set-up code screen shows the code once, with its date, through a redirect."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edgate.accounts import actions as account_actions
from edgate.accounts.models import ActivationCode, CodePurpose, Status
from edgate.core import conf
from edgate.core.templatetags.edgate_format import when
from edgate.matching.models import MatchCase
from edgate.people.models import Person

from ..backoffice import World, build_world, console_client, staff_pages
from ..factories import CTX, new_ssn, precreated, someone, with_profile
from .helpers import location, post_step, shows, start, step, url
from .test_console_cases import blocked, case_url, older, record_at, resolve_post
from .test_spanish import text_of

pytestmark = pytest.mark.django_db

CANNOT_RECOVER_CS = "so they can neither sign in nor choose a new password"


@pytest.fixture
def world() -> World:
    return build_world()


def next_step(client: Client, case: MatchCase) -> str:
    page = client.get(case_url(case)).content.decode()
    assert 'data-testid="next-step"' in page
    return text_of(page.split('data-testid="next-step"', 1)[1].split("</div>", 1)[0])


def without_ssn(person: Person) -> Person:
    """A record from an agency file with no SSN (about one record in five)."""
    Person.objects.filter(pk=person.pk).update(ssn_hash=None, ssn_ciphertext=None, ssn_last4="")
    return Person.objects.get(pk=person.pk)


def same_person(world: World, case: MatchCase) -> None:
    agent = console_client(world.service)
    assert (
        agent.post(
            case_url(case, "resolve"), resolve_post(case, shown=True, outcome="same_person")
        ).status_code
        == 302
    )


def retyped(who) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    start(client)
    post_step(client, "identity", who.identity_post())
    return client


def test_a_record_without_an_ssn_needs_a_set_up_code_and_says_where_it_comes_from(world: World) -> None:
    who = someone("Morgan", "Okafor")
    person = without_ssn(record_at(world.school_a1, who))
    precreated(person)
    case = blocked(Client(), who.with_(first_name="Morgen"))
    same_person(world, case)

    told = next_step(console_client(world.service), case)
    assert "asks for a one-time set-up code" in told and "Issue a set-up code" in told
    assert "with a password and a hint question, and are given its User Name" not in told
    # The district's administrator, whose school has them on its staff, prints it.
    told_da = next_step(console_client(world.da_a), case)
    assert "Print a one-time activation code" in told_da and "Issue a set-up code" not in told_da
    # What the wizard then does.
    again = retyped(who)
    assert again.get(url(again, "setup")).context["form"].fields.get("code") is not None


def test_an_active_profile_on_a_record_without_an_ssn_is_not_named_by_create_a_profile(world: World) -> None:
    who = someone("Morgan", "Okafor")
    person = without_ssn(record_at(world.school_a1, who))
    profile = with_profile(person)
    case = blocked(Client(), who.with_(first_name="Morgen"))
    same_person(world, case)

    told = next_step(console_client(world.service), case)
    assert "does not show its User Name" in told
    assert "they are shown its User Name" not in told
    again = retyped(who)
    page = again.get(url(again, "exact")).content.decode()
    assert not shows(page, profile.username)


def test_the_hint_question_is_promised_only_when_it_lets_them_choose_a_password(world: World) -> None:
    who = someone("Tobias", "Wrenfield")
    person = record_at(world.school_a1, who, profile=True)
    case = blocked(Client(), older(who))
    same_person(world, case)
    assert "may choose a new password by answering their hint question" in next_step(
        console_client(world.service), case
    )

    account_actions.do_set_status(profile=person.profile, status=Status.DISABLED, reason="Left", ctx=CTX)
    told = next_step(console_client(world.service), case)
    assert "may choose a new password" not in told
    assert CANNOT_RECOVER_CS in told and "enable it" in told
    told_da = next_step(console_client(world.da_a), case)
    assert "may choose a new password" not in told_da and "call customer service" in told_da


def test_an_ssn_that_differed_is_not_corrected_by_the_decision(world: World) -> None:
    who = someone("Priya", "Castellane")
    record_at(world.school_a1, who)
    typed = who.with_(ssn=new_ssn())
    case = blocked(Client(), typed)
    same_person(world, case)

    told = next_step(console_client(world.service), case)
    assert "is not the record's" in told and "the same number opens another case" in told
    assert "finish setting up their Profile" not in told
    assert "ask them to call customer service" in next_step(console_client(world.da_a), case)
    # What the wizard does with their own SSN again: another partial match.
    again = Client()
    start(again)
    assert location(post_step(again, "identity", typed.identity_post())) == step("partial")


# --- customer service's set-up code ----------------------------------------------------------


def test_customer_service_s_set_up_code_is_shown_once_with_its_date_and_a_reload_issues_no_other(
    world: World,
) -> None:
    made = staff_pages(world)
    waiting = made.pending.person.profile
    agent = console_client(world.service)
    code_url = reverse("backoffice:service_setup_code", kwargs={"profile": waiting.pk})

    posted = agent.post(code_url, {"reason": "Called; checked her license"})
    assert posted.status_code == 302 and posted["Location"] == code_url
    (row,) = ActivationCode.objects.filter(profile=waiting, purpose=CodePurpose.SETUP)
    shown = agent.get(code_url)
    page = shown.content.decode()
    code = shown.context["code"]
    assert shows(page, code) and f"Use it before: {when(timezone.localtime(row.expires_at))}" in text_of(page)
    assert abs(row.expires_at - row.created_at - conf.get().activation_code_ttl).total_seconds() < 60
    assert 'data-testid="ssn-again"' not in page  # the record has an SSN

    # A reload shows the form again: no code, none issued, the one read out still valid.
    again = agent.get(code_url)
    assert again.status_code == 200 and "code" not in again.context
    assert not shows(again.content.decode(), code)
    (still,) = ActivationCode.objects.filter(profile=waiting, purpose=CodePurpose.SETUP)
    assert still.pk == row.pk and still.withdrawn_at is None and still.used_at is None

    # A record without an SSN: the set-up page asks for it twice, and the screen says so.
    without_ssn(waiting.person)
    agent.post(code_url, {"reason": "Called again"})
    page = agent.get(code_url).content.decode()
    assert 'data-testid="ssn-again"' in page and shows(page, "type your Social Security Number a second time")
