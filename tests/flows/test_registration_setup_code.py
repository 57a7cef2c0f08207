"""rules-4 E9 through the wizard (docs/matching.md §3.1 E9): a record without an SSN whose names
and birth date agree is an exact that only a one-time activation code finishes, and that shows
nothing of the record — neither a pre-created Profile's set-up nor an active Profile's User Name
is handed to whoever knows a name and a birth date."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from edgate.accounts.actions import do_issue_activation_code
from edgate.accounts.models import CodePurpose, Profile, Status
from edgate.audit.models import AuditEvent, EventType
from edgate.audit.models import Outcome as AuditOutcome
from edgate.core import conf
from edgate.core.models import Flow
from edgate.directory.actions import do_add_staff
from edgate.directory.models import Organization, OrgType
from edgate.matching.models import MatchCase
from edgate.people.actions import PersonData, do_create_person
from edgate.people.models import Person, ssn_lookup
from tests.factories import CTX, HINT_QUESTION, on_file, precreated, security_post, someone, with_profile

from .helpers import landed, location, post_step, start, step, url

pytestmark = pytest.mark.django_db


def _without_ssn(person: Person) -> Person:
    """As a staff file without SSNs created it."""
    Person.objects.filter(pk=person.pk).update(ssn_hash=None, ssn_ciphertext=None, ssn_last4="")
    return Person.objects.get(pk=person.pk)


def _record_without_ssn(*, active: bool) -> tuple[Person, Profile]:
    who = someone("Morgan", "Okafor", middle_name="Quintessa")
    person = _without_ssn(on_file(who, street="4 Hidden Way", email="morgan.private@example.org"))
    district = Organization.objects.create(
        code="01230000", name="Northfield Public Schools", org_type=OrgType.DISTRICT
    )
    do_add_staff(person=person, organization=district, role_title="Teacher", ctx=CTX)
    profile = with_profile(person) if active else precreated(person)
    return person, profile


def _secrets(person: Person, profile: Profile) -> tuple[str, ...]:
    return (profile.username, "Quintessa", "Hidden Way", "morgan.private", person.state_id, "Northfield")


def _colleague(person: Person):  # type: ignore[no-untyped-def]
    """Someone who knows the names and the birth date, with an SSN of their own (held by no one)."""
    return someone(person.first_name, person.last_name, born=person.date_of_birth)


def test_a_precreated_profile_matched_on_names_and_birth_date_needs_a_code_and_shows_nothing(
    client: Client,
) -> None:
    person, profile = _record_without_ssn(active=False)
    start(client)
    typed = _colleague(person)
    assert location(post_step(client, "identity", typed.identity_post())) == step("setup")
    page = client.get(url(client, "setup")).content.decode()
    assert 'data-testid="setup-code-needed"' in page and 'name="code"' in page
    assert "Directory Administrator" in page and conf.get().customer_service_phone in page
    assert "come back" in page
    for secret in _secrets(person, profile):
        assert secret not in page
    # Without a code, or with a made-up one, the Profile is not set up.
    missing = post_step(client, "setup", security_post(), follow=True)
    assert missing.status_code == 200 and "Enter the activation code" in missing.content.decode()
    wrong = post_step(
        client,
        "setup",
        security_post() | {"code": "0000-0000-0000-0000-0000-0000-00", "ssn_again": typed.ssn},
        follow=True,
    )
    assert wrong.status_code == 200 and "That code is not valid" in wrong.content.decode()
    for response in (missing, wrong):
        for secret in _secrets(person, profile):
            assert secret not in response.content.decode()
    profile.refresh_from_db()
    assert profile.status == Status.AWAITING_SETUP and not profile.has_usable_password()
    assert not MatchCase.objects.exists()


def test_with_the_code_the_owner_comes_back_to_the_same_page_and_finishes(client: Client) -> None:
    person, profile = _record_without_ssn(active=False)
    owner = _colleague(person)
    start(client)
    post_step(client, "identity", owner.identity_post())
    # The Directory Administrator checks who they are and gives them a code, outside the wizard.
    code, _ = do_issue_activation_code(profile=profile, purpose=CodePurpose.SETUP, ctx=CTX)
    later = Client()
    start(later)
    assert location(post_step(later, "identity", owner.identity_post())) == step("setup")
    done = post_step(later, "setup", security_post() | {"code": code, "ssn_again": owner.ssn}, follow=True)
    assert landed(done) == step("setup_done") and profile.username in done.content.decode()
    profile.refresh_from_db()
    assert profile.status == Status.ACTIVE and profile.check_password(security_post()["new_password"])
    # The first tab, left on the set-up page, cannot use the spent code.
    again = post_step(client, "setup", security_post() | {"code": code, "ssn_again": owner.ssn}, follow=True)
    assert "That code is not valid" in again.content.decode()


def test_an_active_profile_matched_on_names_and_birth_date_shows_no_user_name(client: Client) -> None:
    person, profile = _record_without_ssn(active=True)
    start(client)
    assert location(post_step(client, "identity", _colleague(person).identity_post())) == step("exact")
    page = client.get(url(client, "exact")).content.decode()
    assert 'data-testid="weak-exact-options"' in page
    assert reverse("accounts:login") in page and reverse("recovery:start") in page
    assert conf.get().customer_service_phone in page
    for secret in (*_secrets(person, profile), HINT_QUESTION):
        assert secret not in page
    assert not AuditEvent.objects.filter(event_type=EventType.USERNAME_REMINDED).exists()
    # "Change my password" (the hint question of this Profile) is not offered, even when posted.
    response = post_step(client, "exact", {})
    assert location(response) == step("exact")
    assert not Flow.objects.filter(kind="recovery").exists()


def test_the_same_registrant_with_the_ssn_on_file_is_shown_the_user_name(client: Client) -> None:
    """The contrast: with the SSN on the record agreeing, the reminder is shown as before."""
    who = someone("Morgan", "Okafor")
    profile = with_profile(on_file(who))
    start(client)
    assert location(post_step(client, "identity", who.identity_post())) == step("exact")
    assert profile.username in client.get(url(client, "exact")).content.decode()


def _set_up_with_a_code(
    client: Client, person: Person, profile: Profile, owner, again: str | None = None
) -> None:  # type: ignore[no-untyped-def]
    """Page 1 as `owner`, then the set-up page with a code, the SSN typed again as `again`
    (by default the same as on page 1)."""
    start(client)
    assert location(post_step(client, "identity", owner.identity_post())) == step("setup")
    code, _ = do_issue_activation_code(profile=profile, purpose=CodePurpose.SETUP, ctx=CTX)
    typed = {"code": code, "ssn_again": owner.ssn if again is None else again}
    done = post_step(client, "setup", security_post() | typed, follow=True)
    assert landed(done) == step("setup_done")


def test_the_ssn_typed_joins_the_record_when_the_set_up_code_is_redeemed(client: Client) -> None:
    """The record had no SSN (E9); once the code proved the person, the SSN they typed is added,
    so their next registration is an ordinary exact — not E9 and another code."""
    person, profile = _record_without_ssn(active=False)
    owner = _colleague(person)
    _set_up_with_a_code(client, person, profile, owner)
    person.refresh_from_db()
    assert person.ssn_hash == ssn_lookup(owner.ssn) and person.ssn_last4 == owner.ssn[-4:]
    (added,) = AuditEvent.objects.filter(event_type=EventType.PERSON_SSN_ADDED, target_id=str(person.pk))
    assert added.outcome == AuditOutcome.SUCCESS and added.detail == {"source": "registration"}
    assert Flow.objects.filter(kind="registration").count() == 1  # the SSN left the flow row with it
    assert all("typed_ssn" not in flow.data for flow in Flow.objects.all())
    later = Client()
    start(later)
    assert location(post_step(later, "identity", owner.identity_post())) == step("exact")
    assert profile.username in later.get(url(later, "exact")).content.decode()


def test_the_ssn_is_asked_again_and_a_mistyped_one_can_be_corrected(client: Client) -> None:
    """The code proves the person, not the digits they typed on page 1: a typo added to the
    record would be on file as theirs, and block the number's real holder. So the set-up page
    asks for the SSN again; typed differently, the page says so on that field (review M3: it
    was dropped silently and the set-up completed), compared with their own page-1 answer only,
    and nothing is spent; typed the same, it is added."""
    person, profile = _record_without_ssn(active=False)
    owner = _colleague(person)
    start(client)
    post_step(client, "identity", owner.identity_post())
    page = client.get(url(client, "setup"))
    assert 'name="ssn_again"' in page.content.decode()
    assert "we add it to your record only if both match" in page.content.decode()
    # Asked, and required: refused without it, and what was typed is not shown back.
    code, _ = do_issue_activation_code(profile=profile, purpose=CodePurpose.SETUP, ctx=CTX)
    refused = post_step(client, "setup", security_post() | {"code": code}, follow=True)
    assert (
        landed(refused) == step("setup") and "Enter your Social Security Number." in refused.content.decode()
    )
    mistyped = owner.ssn[:4] + str((int(owner.ssn[4]) + 1) % 10) + owner.ssn[5:]
    differs = post_step(client, "setup", security_post() | {"code": code, "ssn_again": mistyped}, follow=True)
    body = differs.content.decode()
    assert (
        landed(differs) == step("setup")
        and "This does not match the number you typed on the first page" in body
    )
    assert mistyped not in body and owner.ssn not in body
    assert 'id="id_ssn_again_error">This does not match the number you typed on the first page' in body
    person.refresh_from_db()
    profile.refresh_from_db()
    assert profile.status != Status.ACTIVE and person.ssn_hash is None
    assert not AuditEvent.objects.filter(event_type=EventType.PERSON_SSN_ADDED).exists()
    # Corrected: the same code finishes, and the SSN joins the record.
    done = post_step(client, "setup", security_post() | {"code": code, "ssn_again": owner.ssn}, follow=True)
    assert landed(done) == step("setup_done")
    person.refresh_from_db()
    assert person.ssn_hash == ssn_lookup(owner.ssn)
    # A set-up of a record with an SSN on file is not asked for it.
    other, who = Client(), someone("Dana", "Whitlock")
    precreated(on_file(who))
    start(other)
    assert location(post_step(other, "identity", who.identity_post())) == step("setup")
    assert 'name="ssn_again"' not in other.get(url(other, "setup")).content.decode()


def test_a_record_that_gained_an_ssn_since_page_one_keeps_it_and_the_event_says_so(client: Client) -> None:
    """Review M4: the record gained an SSN between page 1 and the set-up page, which then did not
    ask for it again; the event said "typed_differently" (nothing was typed) instead of why."""
    person, profile = _record_without_ssn(active=False)
    owner = _colleague(person)
    start(client)
    assert location(post_step(client, "identity", owner.identity_post())) == step("setup")
    on_record = someone("Elsewhere", "Filed").ssn
    person.set_ssn(on_record)
    person.save(update_fields=["ssn_ciphertext", "ssn_hash", "ssn_last4"])
    assert 'name="ssn_again"' not in client.get(url(client, "setup")).content.decode()
    code, _ = do_issue_activation_code(profile=profile, purpose=CodePurpose.SETUP, ctx=CTX)
    done = post_step(client, "setup", security_post() | {"code": code}, follow=True)
    assert landed(done) == step("setup_done")
    person.refresh_from_db()
    assert person.ssn_hash == ssn_lookup(on_record)
    (event,) = AuditEvent.objects.filter(event_type=EventType.PERSON_SSN_ADDED)
    assert event.outcome == AuditOutcome.FAILURE
    assert event.detail == {"reason": "record_has_ssn", "source": "registration"}


def test_an_ssn_another_record_took_meanwhile_is_not_added_and_the_set_up_completes(
    client: Client,
) -> None:
    """SSNs are unique on file: if the SSN typed on page 1 was put on another record before the
    set-up finished (an agency file, another registration), the set-up still completes, the record
    stays without an SSN, and the failure is audited for a person to look at — no error page."""
    person, profile = _record_without_ssn(active=False)
    owner = _colleague(person)
    start(client)
    post_step(client, "identity", owner.identity_post())
    other = on_file(someone("Rowan", "Ellery", ssn=owner.ssn))
    code, _ = do_issue_activation_code(profile=profile, purpose=CodePurpose.SETUP, ctx=CTX)
    done = post_step(client, "setup", security_post() | {"code": code, "ssn_again": owner.ssn}, follow=True)
    assert done.status_code == 200 and landed(done) == step("setup_done")
    person.refresh_from_db()
    profile.refresh_from_db()
    assert profile.status == Status.ACTIVE and person.ssn_hash is None
    assert Person.objects.get(ssn_hash=ssn_lookup(owner.ssn)) == other
    (refused,) = AuditEvent.objects.filter(event_type=EventType.PERSON_SSN_ADDED)
    assert refused.outcome == AuditOutcome.FAILURE and refused.target_id == str(person.pk)
    assert refused.detail == {"reason": "held_by_another_record", "source": "registration"}


def test_a_short_first_name_a_letter_off_on_a_record_without_ssn_is_held_not_duplicated(
    client: Client, settings
) -> None:  # type: ignore[no-untyped-def]
    """rules-5 rule 11 through the wizard: the record (no SSN) says Tina, the registrant types Tia
    with the same surname and birth date — the check page, then a case; rules-4 made a new Profile."""
    person = _without_ssn(on_file(someone("Tina", "Okafor")))
    typed = someone("Tia", "Okafor", born=person.date_of_birth)
    start(client)
    assert location(post_step(client, "identity", typed.identity_post())) == step("check")
    assert location(post_step(client, "check", {"unchanged": "1"})) == step("partial")
    assert MatchCase.objects.get().person == person
    settings.EDGATE = settings.EDGATE | {"MATCH_RULES": "rules-4"}
    conf.reset()
    try:
        again = Client()
        start(again)
        assert location(post_step(again, "identity", typed.identity_post())) == step("contact")
    finally:
        conf.reset()


def test_an_unusable_ssn_on_file_is_replaced_by_the_one_typed_and_no_longer_a_data_problem(
    client: Client,
) -> None:
    """A record an agency file gave an SSN never issued (kept as unusable, docs/matching.md §7): E9,
    and the coded set-up gives it the SSN typed and clears that field's data-quality problem."""
    who = someone("Riley", "Haddad")
    person = do_create_person(
        data=PersonData(
            first_name=who.first_name,
            last_name=who.last_name,
            date_of_birth=who.date_of_birth,
            data_problems={"ssn": "invalid", "postcode": "invalid"},
            unusable_raw={"ssn": "666-12-3456", "postcode": "0136"},
        ),
        source="import",
        ctx=CTX,
    )
    profile, owner = precreated(person), _colleague(person)
    _set_up_with_a_code(client, person, profile, owner)
    person.refresh_from_db()
    assert person.ssn_hash == ssn_lookup(owner.ssn)
    assert set(person.data_problems) == {"postcode"}
    assert person.data_problem_values() == {"postcode": "0136"}
