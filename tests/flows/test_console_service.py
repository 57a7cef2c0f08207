"""The customer-service console, through its pages: search, the Profile page, every action with
its audit event, the recovery-code journey, and merging and unmerging duplicate Persons."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from edgate.accounts import actions as account_actions
from edgate.accounts.models import ActivationCode, CodePurpose, Profile, Status
from edgate.accounts.usernames import canonical
from edgate.audit.models import AuditEvent, EventType
from edgate.backoffice import actions as service_actions
from edgate.backoffice.models import PersonMerge
from edgate.backoffice.templatetags.audit_tags import audit_value, console_time
from edgate.core import throttle
from edgate.core.templatetags.edgate_format import day, when
from edgate.directory import actions as directory_actions
from edgate.directory.models import AccessGrant, OrgAdministrator, StaffEntry
from edgate.identity.records import Identity
from edgate.matching import service as matching_service
from edgate.matching.models import MatchCase
from edgate.mfa import actions as mfa_actions
from edgate.people.models import Person
from tests.backoffice import World, build_world, console_client, person_with_profile
from tests.factories import CTX, on_file, precreated, someone, with_profile
from tests.pii import register_secret
from tests.second_factor import current_code

pytestmark = pytest.mark.django_db
NEW_PASSWORD = register_secret("copper lantern harbor meadow")
REASON = "Caller verified by phone, ticket 4471"


@pytest.fixture
def world() -> World:
    return build_world()


def last_event(event_type: EventType, target: Model | None = None) -> AuditEvent:
    events = AuditEvent.objects.filter(event_type=event_type)
    if target is not None:
        events = events.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
    event = events.order_by("-id").first()
    assert event is not None, f"no {event_type} event"
    return event


def without_ssn(person: Person) -> Person:
    Person.objects.filter(pk=person.pk).update(ssn_hash=None, ssn_ciphertext=None, ssn_last4="")
    return Person.objects.get(pk=person.pk)


def open_case_for(person: Person) -> MatchCase:
    query = Identity(first_name=person.first_name, last_name=person.last_name, date_of_birth=None, ssn="")
    decision = matching_service.match(query)
    return matching_service.do_open_case(
        person=person, query=query, decision=decision, source="test", ctx=CTX
    )


# --- who may use the console -----------------------------------------------------------------


def service_urls(world: World) -> list[str]:
    target = world.educator
    directory_actions.do_appoint_admin(profile=target, organization=world.school_b1, ctx=CTX)
    duplicate = without_ssn(on_file(someone("Dup", "Licate")))
    service_actions.do_merge_persons(
        survivor=target.person,
        duplicate=duplicate,
        reason="r",
        allow_privileged=True,
        state_ids_checked=True,
        ctx=CTX,
    )
    kwargs = {"profile": target.pk}
    return [
        reverse("backoffice:service"),
        reverse("backoffice:service_profile", kwargs=kwargs),
        reverse("backoffice:service_unlock", kwargs=kwargs),
        reverse("backoffice:service_disable", kwargs=kwargs),
        reverse("backoffice:service_enable", kwargs=kwargs),
        reverse("backoffice:service_reset_recovery", kwargs=kwargs),
        reverse("backoffice:service_reset_second_factor", kwargs=kwargs),
        reverse("backoffice:service_appoint", kwargs=kwargs),
        reverse("backoffice:service_remove_appointment", kwargs=kwargs | {"code": world.school_b1.code}),
        reverse("backoffice:service_merge"),
        reverse("backoffice:service_unmerge", kwargs={"person": duplicate.pk}),
    ]


def test_directory_administrators_and_educators_get_403_on_every_service_page(world: World) -> None:
    urls = service_urls(world)
    clients = {
        p.username: console_client(p) for p in (world.da_a, world.da_school_a1, world.da_b, world.educator)
    }
    before_pk = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for username, client in clients.items():
        for url in urls:
            assert client.get(url).status_code == 403, (username, url)
            posted = client.post(url, {"reason": "x", "survivor": "x", "duplicate": "y"})
            assert posted.status_code == (405 if url == urls[1] else 403), url  # the Profile page is GET only
    # Nothing was done: the only events are the refusals themselves, one per request.
    written = AuditEvent.objects.filter(pk__gt=before_pk).exclude(event_type=EventType.CONSOLE_REFUSED)
    assert not written.exists()
    refused = AuditEvent.objects.filter(pk__gt=before_pk, event_type=EventType.CONSOLE_REFUSED)
    expected_403s = len(clients) * (2 * len(urls) - 1)  # every GET and POST but the GET-only page's 405
    assert refused.count() == expected_403s
    for url in urls:
        assert Client().get(url)["Location"].startswith(reverse("accounts:login"))
    # Both agency roles reach them.
    for profile in (world.service, world.security):
        assert console_client(profile).get(urls[1]).status_code == 200
    home = console_client(world.service).get(reverse("backoffice:home")).content.decode()
    assert reverse("backoffice:service") in home and reverse("backoffice:service_merge") in home
    assert (
        reverse("backoffice:service")
        not in console_client(world.da_a).get(reverse("backoffice:home")).content.decode()
    )


# --- search ----------------------------------------------------------------------------------


def search(client: Client, **fields: str):  # type: ignore[no-untyped-def]
    data = {"name": "", "username": "", "ssn_last4": "", "email": "", **fields}
    return client.post(reverse("backoffice:service"), data)


def test_search_by_each_key_shows_user_name_name_status_masked_ssn_and_organizations(world: World) -> None:
    person, target = person_with_profile("Marisol", "Quintanilla")
    Person.objects.filter(pk=person.pk).update(email="marisol.q@example.org")
    directory_actions.do_add_staff(person=person, organization=world.school_a1, role_title="Teacher", ctx=CTX)
    other_person, other = person_with_profile("Marisol", "Brightwater")
    client = console_client(world.service)

    assert client.get(reverse("backoffice:service")).status_code == 200
    for fields in (
        {"name": "quintan"},
        {"name": "Marisol Quint"},
        {"username": target.username.upper()},
        {"ssn_last4": person.ssn_last4},
        {"email": "MARISOL.Q@example.org"},
    ):
        page = search(client, **fields)
        body = page.content.decode()
        assert page.status_code == 200, fields
        assert target.username in body, fields
        assert other.username not in body, fields
        assert page.context["page"].paginator.count == 1
        assert f"***-**-{person.ssn_last4}" in body
        assert "Northfield High School (01230010)" in body and "Active" in body
    both = search(client, name="marisol")
    assert {p.username for p in both.context["page"].object_list} == {target.username, other.username}
    # Every filled field narrows the search.
    assert (
        search(client, name="marisol", ssn_last4=other_person.ssn_last4).context["page"].paginator.count == 1
    )


def test_search_pages_by_fifty_through_posted_pages(world: World) -> None:
    for _ in range(53):
        precreated(on_file(someone("Pat", "Pagewell")))
    client = console_client(world.service)
    first = search(client, name="pagewell")
    assert first.context["page"].paginator.count == 53
    assert len(first.context["page"].object_list) == 50
    assert 'name="page" value="2"' in first.content.decode()
    second = search(client, name="pagewell", page="2")
    assert len(second.context["page"].object_list) == 3
    shown = {p.pk for p in first.context["page"].object_list} | {
        p.pk for p in second.context["page"].object_list
    }
    assert len(shown) == 53


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"ssn_last4": "12a4"}, "ssn_last4", "exactly the last 4 digits"),
        ({"ssn_last4": "123"}, "ssn_last4", "exactly the last 4 digits"),
        ({"ssn_last4": "12345"}, "ssn_last4", "4 characters or fewer"),
        ({"email": "not-an-address"}, "email", "like name@example.com"),
        ({}, None, "at least one of the fields"),
        ({"name": "x" * 500}, "name", "120 characters or fewer"),
    ],
)
def test_bad_search_input_gives_field_errors(
    world: World, fields: dict[str, str], field: str | None, message: str
) -> None:
    page = search(console_client(world.service), **fields)
    assert page.status_code == 200
    form = page.context["form"]
    errors = form.errors.get(field) if field else form.non_field_errors()
    assert errors and message in " ".join(errors), form.errors
    assert page.context["page"] is None
    assert 'id="error-summary"' in page.content.decode()


# --- the Profile page -------------------------------------------------------------------------


def test_profile_page_shows_the_record_staff_grants_cases_devices_and_events(world: World) -> None:
    person, target = person_with_profile("Odalys", "Fairweather")
    entry = directory_actions.do_add_staff(
        person=person, organization=world.school_a1, role_title="Counselor", ctx=CTX
    )
    directory_actions.do_grant_access(
        profile=target,
        role=world.role("MDCS", "submitter"),
        organization=world.school_a1,
        ctx=CTX,
        staff_entry=entry,
    )
    revoked = directory_actions.do_grant_access(
        profile=target, role=world.role("DROPBOX", "user"), organization=world.school_a1, ctx=CTX
    )
    directory_actions.do_revoke_access(grant=revoked, ctx=CTX)
    case = open_case_for(person)
    account_actions.do_set_status(profile=target, status=Status.LOCKED, reason="too many calls", ctx=CTX)

    page = console_client(world.service).get(
        reverse("backoffice:service_profile", kwargs={"profile": target.pk})
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "Odalys Fairweather" in body and person.state_id in body and f"***-**-{person.ssn_last4}" in body
    assert person.date_of_birth.strftime("%B") in body  # shown to customer service
    assert "Counselor" in body and "MDCS: Submitter" in body and "Dropbox: User" in body
    assert ">Revoked<" not in body and ">Status<" in body  # one column says active or revoked when
    revoked.refresh_from_db()
    assert (
        f"Revoked {day(timezone.localtime(revoked.revoked_at))}" in body
        and 'data-label="Status">Active<' in body
    )
    assert [g.pk for g in page.context["active_grants"]] != [] and [
        g.pk for g in page.context["revoked_grants"]
    ] == [revoked.pk]
    assert f'href="/console/cases/{case.reference}/"' in body
    # No second factor, and none required: the page says nothing of one (uxcon).
    assert "No authenticator app enrolled." not in body and "Second factor" not in body
    assert "Locked" in body
    # Recent activity: readable, with the reason and old and new values.
    assert "Profile locked, unlocked, disabled or re-enabled" in body
    assert "status old: active" in body and "status new: locked" in body and "reason: too many calls" in body
    assert "Application access granted" in body
    # The actions offered for a locked Profile.
    assert reverse("backoffice:service_unlock", kwargs={"profile": target.pk}) in body
    assert reverse("backoffice:service_enable", kwargs={"profile": target.pk}) not in body

    assert (
        console_client(world.service)
        .get(reverse("backoffice:service_profile", kwargs={"profile": 999999}))
        .status_code
        == 404
    )


def test_profile_page_shows_times_in_the_details_as_local_readable_times_and_dashes_for_empty(
    world: World,
) -> None:
    person, target = person_with_profile("Tempo", "Readable")
    Person.objects.filter(pk=person.pk).update(phone="", former_last_name="")
    code, row = account_actions.do_issue_activation_code(
        profile=target, purpose=CodePurpose.RECOVERY, reason="called", ctx=CTX
    )
    register_secret(code)
    event = last_event(EventType.ACTIVATION_CODE_ISSUED, target)
    page = console_client(world.service).get(
        reverse("backoffice:service_profile", kwargs={"profile": target.pk})
    )
    body = page.content.decode()
    raw = event.detail["expires_at"]
    assert raw not in body  # not the stored UTC ISO string
    assert f"expires at: {console_time(row.expires_at)}" in body
    assert console_time(event.at) in body  # the event's own time, in the same format
    assert "EST" in console_time(row.expires_at) or "EDT" in console_time(row.expires_at)
    # 12-hour, as every other time of the portal (edgate_format `when`), with the seconds.
    noon = datetime(2026, 7, 1, 17, 4, 9, tzinfo=UTC)  # 1:04:09 PM in New York (EDT)
    assert console_time(noon) == "Jul 1, 2026, 1:04:09 PM EDT"
    assert when(timezone.localtime(noon)) == "Jul 1, 2026, 1:04 PM EDT"  # the portal's, minus seconds
    assert audit_value(date(2026, 7, 1)) == day(date(2026, 7, 1)) == "Jul 1, 2026"
    assert 'Phone</dt><dd class="tablet:grid-col-8 margin-left-0">—</dd>' in body
    assert ">-<" not in body
    assert audit_value(None) == audit_value("") == audit_value([]) == "—"
    assert audit_value([1, 2]) == "1, 2" and audit_value("not a time") == "not a time"


# --- actions on a Profile ---------------------------------------------------------------------


def act(client: Client, name: str, profile: Profile, reason: str = REASON, *, follow: bool = False):  # type: ignore[no-untyped-def]
    """`follow`: an action that issues a code redirects to the page that shows it once."""
    url = reverse(f"backoffice:service_{name.replace('-', '_')}", kwargs={"profile": profile.pk})
    return client.post(url, {"reason": reason}, follow=follow)


def test_unlock_makes_a_locked_profile_active_and_lifts_the_sign_in_lock(world: World) -> None:
    _, target = person_with_profile("Lockett", "Holloway")
    account_actions.do_set_status(profile=target, status=Status.LOCKED, reason="test", ctx=CTX)
    limit, key = throttle.named("sign_in_profile"), canonical(target.username)
    for _ in range(limit.limit + 1):
        throttle.attempt(limit, key)
    client = console_client(world.service)

    confirm = client.get(reverse("backoffice:service_unlock", kwargs={"profile": target.pk}))
    assert confirm.status_code == 200 and "Unlock this Profile" in confirm.content.decode()
    target.refresh_from_db()
    assert target.status == Status.LOCKED  # a GET only asks

    response = act(client, "unlock", target)
    assert response["Location"] == reverse("backoffice:service_profile", kwargs={"profile": target.pk})
    shown = client.get(response["Location"]).content.decode()
    assert f"Profile {target.username} unlocked; its sign-in lock was lifted." in shown
    target.refresh_from_db()
    assert target.status == Status.ACTIVE
    assert throttle.count(limit, key) == 0
    status = last_event(EventType.PROFILE_STATUS_CHANGED, target)
    assert {"status_old": "locked", "status_new": "active", "reason": REASON}.items() <= status.detail.items()
    assert status.actor_id == world.service.pk
    lifted = last_event(EventType.SIGN_IN_LOCK_LIFTED, target)
    assert lifted.detail["reason"] == REASON and lifted.detail["attempts_cleared"] == limit.limit + 1


def test_unlock_is_offered_only_for_a_locked_profile_or_a_holding_sign_in_lock(world: World) -> None:
    _, target = person_with_profile("Una", "Unlocked")
    client = console_client(world.service)
    profile_url = reverse("backoffice:service_profile", kwargs={"profile": target.pk})
    unlock = reverse("backoffice:service_unlock", kwargs={"profile": target.pk})
    assert unlock not in client.get(profile_url).content.decode()
    refused = act(client, "unlock", target)
    assert (
        refused.status_code == 200 and "is not locked, and no sign-in lock holds" in refused.content.decode()
    )
    assert not AuditEvent.objects.filter(
        event_type=EventType.SIGN_IN_LOCK_LIFTED, target_id=str(target.pk)
    ).exists()
    # Wrong passwords up to the limit: the sign-in lock holds, and Unlock lifts it.
    limit, key = throttle.named("sign_in_profile"), canonical(target.username)
    for _ in range(limit.limit):
        throttle.attempt(limit, key)
    assert unlock in client.get(profile_url).content.decode()
    done = client.post(unlock, {"reason": REASON}, follow=True)
    assert f"Profile {target.username}: its sign-in lock was lifted." in done.content.decode()
    assert "Done:" not in done.content.decode()
    assert throttle.count(limit, key) == 0
    # A held delay alone also counts.
    throttle.hold(limit, key, timedelta(minutes=5))
    assert unlock in client.get(profile_url).content.decode()


def test_disable_and_enable_need_a_reason_and_record_old_and_new_status(world: World) -> None:
    _, target = person_with_profile("Dana", "Offswitch")
    client = console_client(world.service)
    missing = act(client, "disable", target, reason="   ")
    assert missing.status_code == 200 and "Give the reason" in missing.content.decode()
    target.refresh_from_db()
    assert target.status == Status.ACTIVE
    assert not AuditEvent.objects.filter(
        event_type=EventType.PROFILE_STATUS_CHANGED, target_id=str(target.pk)
    ).exists()

    assert act(client, "disable", target).status_code == 302
    target.refresh_from_db()
    assert target.status == Status.DISABLED
    event = last_event(EventType.PROFILE_STATUS_CHANGED, target)
    assert (event.detail["status_old"], event.detail["status_new"], event.detail["reason"]) == (
        "active",
        "disabled",
        REASON,
    )
    # Disabling twice is refused (nothing to do), without a 500.
    again = act(client, "disable", target)
    assert again.status_code == 200 and "cannot be done" in again.content.decode()

    assert act(client, "enable", target, reason="Identity confirmed").status_code == 302
    target.refresh_from_db()
    assert target.status == Status.ACTIVE
    event = last_event(EventType.PROFILE_STATUS_CHANGED, target)
    assert (event.detail["status_old"], event.detail["status_new"], event.detail["reason"]) == (
        "disabled",
        "active",
        "Identity confirmed",
    )
    # A Profile never set up is enabled back to awaiting setup.
    waiting = precreated(on_file(someone("Wren", "Waiting")))
    account_actions.do_set_status(profile=waiting, status=Status.DISABLED, reason="t", ctx=CTX)
    act(client, "enable", waiting)
    waiting.refresh_from_db()
    assert waiting.status == Status.AWAITING_SETUP


def signed_in(client: Client) -> bool:
    """Whether the client's session is signed in (My applications, not the sign-in page)."""
    return client.get(reverse("directory:applications")).status_code == 200


def test_a_session_ended_by_disabling_does_not_come_back_when_the_profile_is_enabled(world: World) -> None:
    """sec2 M3. Customer service disables a Profile ("its open sessions end at their next
    request"), e.g. because someone else is signed in to it, then enables it once the owner is
    verified. The backend only refused the inactive user: Django answered AnonymousUser without
    flushing the session, so once enabled the intruder was signed in again; a privileged
    session came back with its second factor still verified. Disabling now raises the
    Profile's session epoch: the old sessions fail the auth-hash check and are flushed."""
    intruder = Client()
    intruder.force_login(world.educator)
    privileged = console_client(world.da_a)  # password and second factor passed
    console = reverse("backoffice:home")
    assert signed_in(intruder) and privileged.get(console).status_code == 200
    agent = console_client(world.service)
    for target in (world.educator, world.da_a):
        assert act(agent, "disable", target, reason="someone else is using this Profile").status_code == 302
    assert not signed_in(intruder) and privileged.get(console).status_code == 302
    for target in (world.educator, world.da_a):
        assert act(agent, "enable", target, reason="owner verified by phone").status_code == 302
    assert not signed_in(intruder), "the intruder's session is signed in again after the enable"
    again = privileged.get(console)
    assert again.status_code == 302 and "/login/" in again["Location"]
    assert "_auth_user_id" not in privileged.session and "otp_device_id" not in privileged.session


def test_sessions_ended_by_a_lock_or_a_merge_do_not_come_back_with_the_unlock_or_the_undo(
    world: World,
) -> None:
    """sec2 M3, the other ways a Profile leaves the active state and comes back: locked then
    unlocked; merged away (disabled) then the merge undone."""
    _, locked = person_with_profile("Lockett", "Revenant")
    session = Client()
    session.force_login(locked)
    assert signed_in(session)
    account_actions.do_set_status(profile=locked, status=Status.LOCKED, reason="test", ctx=CTX)
    assert not signed_in(session)
    agent = console_client(world.service)
    assert act(agent, "unlock", locked).status_code == 302
    assert Profile.objects.get(pk=locked.pk).status == Status.ACTIVE
    assert not signed_in(session), "a session ended by the lock is back after the unlock"

    survivor = person_with_profile("Harriet", "Okonkwo")[1]
    duplicate = with_profile(without_ssn(on_file(someone("Harriet", "Okonkwo-Hale"))))
    session = Client()
    session.force_login(duplicate)
    assert signed_in(session)
    assert merge_via_pages(agent, survivor.username, duplicate.username).status_code == 302
    assert not signed_in(session)
    undo = reverse("backoffice:service_unmerge", kwargs={"person": duplicate.person_id})
    assert agent.post(undo, {"reason": REASON}).status_code == 302
    assert Profile.objects.get(pk=duplicate.pk).status == Status.ACTIVE
    assert not signed_in(session), "a session ended by the merge is back after the undo"


def test_agents_cannot_change_their_own_or_agency_staff_profiles_but_security_admins_can(
    world: World,
) -> None:
    client = console_client(world.service)
    own = act(client, "disable", world.service)
    assert own.status_code == 200 and "your own Profile" in own.content.decode()
    staff = act(client, "disable", world.security)
    assert staff.status_code == 200 and "only a security administrator" in staff.content.decode()
    assert Profile.objects.get(pk=world.security.pk).status == Status.ACTIVE
    assert act(console_client(world.security), "disable", world.service).status_code == 302
    assert Profile.objects.get(pk=world.service.pk).status == Status.DISABLED


def one_time_code(page: Any) -> str:
    found = re.search(r'id="one-time-code">([0-9A-Z-]+)<', page.content.decode())
    assert found, "no code on the page"
    return register_secret(found.group(1))


def test_reset_recovery_journey_code_new_password_sign_in(world: World) -> None:
    _, target = person_with_profile("Ruth", "Forgetful")  # an ordinary, non-privileged Profile
    page = act(console_client(world.service), "reset-recovery", target, follow=True)
    assert page.status_code == 200
    code = one_time_code(page)
    assert reverse("recovery:with_code") in page.content.decode()
    issued = last_event(EventType.ACTIVATION_CODE_ISSUED, target)
    assert issued.detail["purpose"] == "recovery" and issued.detail["reason"] == REASON
    assert code not in str(issued.detail)
    assert (
        ActivationCode.objects.filter(profile=target, purpose=CodePurpose.RECOVERY, used_at=None).count() == 1
    )

    person_client = Client()
    started = person_client.get(reverse("recovery:with_code"))["Location"]
    assert started.split("?")[0] == reverse("recovery:step", args=["activation-code"])
    step = person_client.post(started, {"username": target.username, "code": code})
    assert step["Location"].split("?")[0] == reverse("recovery:step", args=["password"])
    done = person_client.post(
        step["Location"],
        {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        follow=True,
    )
    assert done.redirect_chain[-1][0].split("?")[0] == reverse("recovery:step", args=["done"])
    assert last_event(EventType.PASSWORD_RESET, target)
    signed_in = Client().post(
        reverse("accounts:login"), {"username": target.username, "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert last_event(EventType.SIGN_IN, target)
    # The code is spent.
    again = Client()
    refused = again.post(
        again.get(reverse("recovery:with_code"))["Location"],
        {"username": target.username, "code": code},
        follow=True,
    )
    assert refused.status_code == 200 and "not valid" in refused.content.decode()


def test_reset_recovery_is_refused_for_a_profile_that_is_not_active(world: World) -> None:
    _, target = person_with_profile("Lou", "Lockedout")
    account_actions.do_set_status(profile=target, status=Status.LOCKED, reason="t", ctx=CTX)
    page = act(console_client(world.service), "reset-recovery", target)
    assert page.status_code == 200 and "cannot be done to a Profile that is locked" in page.content.decode()
    assert not ActivationCode.objects.filter(profile=target).exists()


def test_reset_second_factor_removes_the_devices_and_issues_an_enrolment_code(world: World) -> None:
    target = world.da_a
    console_client(target)  # provisions its authenticator app
    StaticDevice.objects.create(user=target, name=mfa_actions.RECOVERY_DEVICE_NAME, confirmed=True)
    client = console_client(world.service)
    before = client.get(reverse("backoffice:service_profile", kwargs={"profile": target.pk})).content.decode()
    assert "Authenticator app enrolled." in before
    page = act(client, "reset-second-factor", target, follow=True)
    code = one_time_code(page)
    # Without an app the action is named for what it does.
    after = client.get(reverse("backoffice:service_profile", kwargs={"profile": target.pk})).content.decode()
    assert ">Issue an enrolment code<" in after and ">Reset second factor<" not in after
    assert ">Reset second factor<" in before
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert not StaticDevice.objects.filter(user=target).exists()
    reset = last_event(EventType.OTP_RESET, target)
    assert reset.detail["reason"] == REASON and reset.detail["devices_new"] == []
    assert sorted(reset.detail["devices_old"]) == ["static:Recovery codes", "totp:Authenticator app"]
    assert last_event(EventType.ACTIVATION_CODE_ISSUED, target).detail["purpose"] == "enrol"
    # The person enrols a new app with that code.
    secret = mfa_actions.new_secret()
    enrolled = mfa_actions.do_enrol_totp(
        profile=target, secret=secret, code=current_code(TOTPDevice(key=secret)), enrolment_code=code, ctx=CTX
    )
    assert isinstance(enrolled, mfa_actions.Enrolment)
    # Not offered to an ordinary Profile without devices.
    _, plain = person_with_profile("Nadia", "Nodevice")
    refused = act(client, "reset-second-factor", plain)
    assert refused.status_code == 200 and "cannot be done" in refused.content.decode()


# --- Directory Administrator appointments ----------------------------------------------------------


def test_appoint_and_remove_a_directory_administrator(world: World) -> None:
    _, target = person_with_profile("Ines", "Appointed")
    client = console_client(world.service)
    url = reverse("backoffice:service_appoint", kwargs={"profile": target.pk})
    form = client.get(url)
    assert form.status_code == 200 and "01230010 — Northfield High School" in form.content.decode()

    bad = client.post(url, {"organization": "999999", "reason": REASON})
    assert bad.status_code == 200 and "Choose the organization" in bad.content.decode()
    no_reason = client.post(url, {"organization": world.school_b1.pk, "reason": ""})
    assert no_reason.status_code == 200 and "Give the reason" in no_reason.content.decode()
    assert not OrgAdministrator.objects.filter(profile=target).exists()

    # No authenticator app yet: the appointment issues the enrolment code they need to attach one.
    done = client.post(url, {"organization": world.school_b1.pk, "reason": REASON})
    assert done.status_code == 200
    body = done.content.decode()
    assert f"{target.username} appointed Directory Administrator of" in body and "enrolment code" in body
    code = one_time_code(done)
    assert OrgAdministrator.objects.filter(profile=target, organization=world.school_b1).exists()
    appointed = last_event(EventType.ADMIN_APPOINTED, target)
    assert appointed.detail == {"organization": world.school_b1.code, "reason": REASON}
    enrol = last_event(EventType.ACTIVATION_CODE_ISSUED, target)
    assert enrol.detail["purpose"] == "enrol" and enrol.actor_id == world.service.pk
    assert world.school_b1.code in enrol.detail["reason"] and REASON in enrol.detail["reason"]
    assert last_event(EventType.OTP_RESET, target).detail["devices_new"] == []
    secret = mfa_actions.new_secret()
    enrolled = mfa_actions.do_enrol_totp(
        profile=target, secret=secret, code=current_code(TOTPDevice(key=secret)), enrolment_code=code, ctx=CTX
    )
    assert isinstance(enrolled, mfa_actions.Enrolment)
    # With an app enrolled, a further appointment issues nothing and says what happened.
    issued = ActivationCode.objects.filter(profile=target).count()
    again = client.post(url, {"organization": world.school_a1.pk, "reason": REASON}, follow=True)
    assert f"{target.username} appointed Directory Administrator of" in again.content.decode()
    assert ActivationCode.objects.filter(profile=target).count() == issued
    assert TOTPDevice.objects.filter(user=target, confirmed=True).exists()
    OrgAdministrator.objects.filter(profile=target, organization=world.school_a1).delete()
    page = client.get(reverse("backoffice:service_profile", kwargs={"profile": target.pk})).content.decode()
    remove = reverse(
        "backoffice:service_remove_appointment", kwargs={"profile": target.pk, "code": world.school_b1.code}
    )
    assert remove in page

    assert client.get(remove).status_code == 200
    assert client.post(remove, {"reason": "Left the school"}).status_code == 302
    assert not OrgAdministrator.objects.filter(profile=target).exists()
    assert last_event(EventType.ADMIN_REMOVED, target).detail == {
        "organization": world.school_b1.code,
        "reason": "Left the school",
    }
    assert client.post(remove, {"reason": "again"}).status_code == 404


# --- merging duplicate Persons ---------------------------------------------------------------


def state(*people: Person) -> dict[str, Any]:
    """Every row a merge may touch, as plain values."""
    ids = [p.pk for p in people]
    profiles = Profile.objects.filter(person__in=ids)
    return {
        "staff": list(StaffEntry.objects.filter(person__in=ids).order_by("pk").values()),
        "grants": list(AccessGrant.objects.filter(profile__in=profiles).order_by("pk").values()),
        "cases": list(
            MatchCase.objects.filter(person__in=ids).order_by("pk").values("pk", "person_id", "status")
        ),
        "profiles": list(profiles.order_by("pk").values("pk", "person_id", "status", "username")),
    }


def duplicates(world: World) -> dict[str, Any]:
    """A survivor and a duplicate with a conflicting staff entry and grant, others to move,
    an ended entry, a revoked grant, a grant riding on the conflicting entry, and a case."""
    survivor_person, survivor = person_with_profile("Harriet", "Okonkwo")
    duplicate_person = without_ssn(on_file(someone("Harriet", "Okonkwo-Hale")))
    duplicate = with_profile(duplicate_person)
    a1 = world.school_a1
    submitter, approver = world.role("MDCS", "submitter"), world.role("MDCS", "approver")
    survivor_a1 = directory_actions.do_add_staff(
        person=survivor_person, organization=a1, role_title="Teacher", ctx=CTX
    )
    directory_actions.do_grant_access(
        profile=survivor, role=submitter, organization=a1, staff_entry=survivor_a1, ctx=CTX
    )
    dup_a1 = directory_actions.do_add_staff(
        person=duplicate_person, organization=a1, role_title="Teacher", ctx=CTX
    )
    dup_b1 = directory_actions.do_add_staff(
        person=duplicate_person, organization=world.school_b1, role_title="Aide", ctx=CTX
    )
    dup_old = directory_actions.do_add_staff(
        person=duplicate_person, organization=world.school_a2, role_title="Intern", ctx=CTX
    )
    old = directory_actions.do_grant_access(
        profile=duplicate, role=world.role("DROPBOX", "user"), organization=world.school_a2, ctx=CTX
    )
    directory_actions.do_end_staff_entry(entry=dup_old, ctx=CTX)  # revokes `old`
    same = directory_actions.do_grant_access(
        profile=duplicate, role=submitter, organization=a1, staff_entry=dup_a1, ctx=CTX
    )
    riding = directory_actions.do_grant_access(
        profile=duplicate, role=approver, organization=a1, staff_entry=dup_a1, ctx=CTX
    )
    moved = directory_actions.do_grant_access(
        profile=duplicate,
        role=world.role("DROPBOX", "user"),
        organization=world.school_b1,
        staff_entry=dup_b1,
        ctx=CTX,
    )
    case = open_case_for(duplicate_person)
    return {
        "survivor": survivor,
        "duplicate": duplicate,
        "survivor_a1": survivor_a1,
        "dup_a1": dup_a1,
        "dup_b1": dup_b1,
        "dup_old": dup_old,
        "same": same,
        "riding": riding,
        "moved": moved,
        "old": old,
        "case": case,
    }


def merge_via_pages(client: Client, survivor: str, duplicate: str, reason: str = REASON):  # type: ignore[no-untyped-def]
    url = reverse("backoffice:service_merge")
    preview = client.post(url, {"survivor": survivor, "duplicate": duplicate})
    assert preview.status_code == 200
    if preview.context.get("problem") or "sides" not in preview.context:
        return preview
    confirm = {"state_ids_checked": "on"} if "state_ids_checked" in preview.context["form"].fields else {}
    return client.post(url, {"survivor": survivor, "duplicate": duplicate, "reason": reason, **confirm})


def test_merge_and_unmerge_round_trip_restores_everything(world: World) -> None:
    rows = duplicates(world)
    survivor, duplicate = rows["survivor"], rows["duplicate"]
    before = state(survivor.person, duplicate.person)
    client = console_client(world.service)

    preview = client.post(
        reverse("backoffice:service_merge"),
        {"survivor": survivor.username, "duplicate": duplicate.person.state_id},
    )
    body = preview.content.decode()
    assert preview.status_code == 200 and preview.context["problem"] is None
    assert "Harriet Okonkwo-Hale" in body and f"***-**-{survivor.person.ssn_last4}" in body
    # The fields where the two records differ are flagged on both sides; equal ones are not. The
    # duplicate has no SSN: a value only one record has is not a conflict, and says so.
    sides = dict(preview.context["sides"])
    compared = sides["Survivor (stays)"]
    assert "name" in compared.differs and "ssn" not in compared.differs
    assert "ssn" in compared.one_sided and not compared.one_sided & compared.differs
    same_email = survivor.person.email.lower() == duplicate.person.email.lower()
    assert ("email" in compared.differs) is not same_email
    assert body.count('<strong class="usa-tag">differs</strong>') == 2 * len(compared.differs)
    assert body.count(">only on one record</strong>") == 2 * len(compared.one_sided)
    assert not PersonMerge.objects.exists()  # comparing merges nothing
    no_reason = client.post(
        reverse("backoffice:service_merge"),
        {"survivor": survivor.username, "duplicate": duplicate.username, "reason": ""},
    )
    assert no_reason.status_code == 200 and "Give the reason" in no_reason.content.decode()
    assert not PersonMerge.objects.exists()

    done = merge_via_pages(client, survivor.username, duplicate.username)
    assert done["Location"] == reverse("backoffice:service_profile", kwargs={"profile": survivor.pk})
    told = client.get(done["Location"]).content.decode()
    assert f"Merged {duplicate.username} into {survivor.username}." in told
    assert f"{duplicate.username} was merged into this one." in told
    merge = PersonMerge.objects.get()
    for name in ("dup_b1", "dup_old"):
        assert StaffEntry.objects.get(pk=rows[name].pk).person_id == survivor.person_id
    dup_a1 = StaffEntry.objects.get(pk=rows["dup_a1"].pk)
    assert dup_a1.person_id == duplicate.person_id and dup_a1.ended_at is not None
    same = AccessGrant.objects.get(pk=rows["same"].pk)
    assert (
        same.profile_id == duplicate.pk
        and same.revoked_at is not None
        and same.revoked_by_id == world.service.pk
    )
    riding = AccessGrant.objects.get(pk=rows["riding"].pk)
    assert (riding.profile_id, riding.staff_entry_id, riding.revoked_at) == (
        survivor.pk,
        rows["survivor_a1"].pk,
        None,
    )
    for name in ("moved", "old"):
        assert AccessGrant.objects.get(pk=rows[name].pk).profile_id == survivor.pk
    assert MatchCase.objects.get(pk=rows["case"].pk).person_id == survivor.person_id
    assert Profile.objects.get(pk=duplicate.pk).status == Status.DISABLED
    assert Profile.objects.get(pk=survivor.pk).username == survivor.username  # both User Names kept

    event = last_event(EventType.PERSONS_MERGED, survivor.person)
    assert event.detail["reason"] == REASON and event.detail["merge"] == merge.pk
    assert (
        event.detail["duplicate"] == duplicate.person_id and event.detail["duplicate_profile"] == duplicate.pk
    )
    assert sorted(event.detail["staff_moved"]) == sorted([rows["dup_b1"].pk, rows["dup_old"].pk])
    assert event.detail["staff_ended"] == [rows["dup_a1"].pk]
    assert event.detail["grants_revoked"] == [rows["same"].pk]
    assert sorted(event.detail["grants_moved"]) == sorted(
        [rows["riding"].pk, rows["moved"].pk, rows["old"].pk]
    )
    assert event.detail["grants_restaffed"] == [rows["riding"].pk]
    assert event.detail["cases_moved"] == [rows["case"].pk]
    status = last_event(EventType.PROFILE_STATUS_CHANGED, duplicate)
    assert (status.detail["status_old"], status.detail["status_new"]) == ("active", "disabled")

    # Both Profile pages tell the story and link to the undo page.
    undo = reverse("backoffice:service_unmerge", kwargs={"person": duplicate.person_id})
    for profile in (survivor, duplicate):
        page = client.get(
            reverse("backoffice:service_profile", kwargs={"profile": profile.pk})
        ).content.decode()
        assert undo in page
    survivor_page = client.get(
        reverse("backoffice:service_profile", kwargs={"profile": survivor.pk})
    ).content.decode()
    assert "Duplicate person merged into another" in survivor_page

    # The duplicate's Profile stays disabled while the merge stands: no Enable or Unlock.
    dup_page = client.get(reverse("backoffice:service_profile", kwargs={"profile": duplicate.pk}))
    for name in ("enable", "unlock"):
        url = reverse(f"backoffice:service_{name}", kwargs={"profile": duplicate.pk})
        assert url not in dup_page.content.decode()
        refused = client.post(url, {"reason": "Wants to sign in"})
        assert refused.status_code == 200 and "undo the merge first" in refused.content.decode()
        assert undo in refused.content.decode()
    assert Profile.objects.get(pk=duplicate.pk).status == Status.DISABLED

    undo_page = client.get(undo)
    assert undo_page.status_code == 200
    assert f"Undo the merge of {duplicate.username} into {survivor.username}" in undo_page.content.decode()
    assert client.post(undo, {"reason": ""}).status_code == 200  # a reason is required
    assert PersonMerge.objects.get().undone_at is None
    undone_page = client.post(undo, {"reason": "Twins, not one person"}, follow=True)
    assert undone_page.redirect_chain[-1][0] == reverse("backoffice:service_merge")
    assert f"Merge of {duplicate.username} into {survivor.username} undone" in undone_page.content.decode()
    assert state(survivor.person, duplicate.person) == before
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undo_reason == "Twins, not one person"
    undone = last_event(EventType.PERSONS_UNMERGED, survivor.person)
    assert undone.detail["reason"] == "Twins, not one person" and undone.detail["merge"] == merge.pk
    assert undone.detail["staff_ended"] == [rows["dup_a1"].pk]
    assert client.get(undo).status_code == 404  # nothing left to undo
    # The same two may be merged again after an undo.
    assert merge_via_pages(client, survivor.username, duplicate.username).status_code == 302
    assert PersonMerge.objects.filter(undone_at=None).count() == 1


def test_unmerge_is_refused_when_rows_changed_since_and_says_why(world: World) -> None:
    rows = duplicates(world)
    survivor, duplicate = rows["survivor"], rows["duplicate"]
    client = console_client(world.service)
    merge_via_pages(client, survivor.username, duplicate.username)
    # The case was moved on to someone else since (what the merge set is no longer there).
    elsewhere = on_file(someone("Third", "Person"))
    MatchCase.objects.filter(pk=rows["case"].pk).update(person=elsewhere)
    # Someone put the duplicate on the staff of A1 again: the entry the merge ended cannot be current.
    directory_actions.do_add_staff(
        person=duplicate.person, organization=world.school_a1, role_title="Teacher", ctx=CTX
    )
    after_merge = state(survivor.person, duplicate.person, elsewhere)
    undo = reverse("backoffice:service_unmerge", kwargs={"person": duplicate.person_id})
    refused = client.post(undo, {"reason": "Not the same"})
    body = refused.content.decode()
    assert refused.status_code == 200 and "cannot be undone exactly" in body
    assert f"match case {rows['case'].pk} was changed after the merge (person)" in body
    assert f"staff entry {rows['dup_a1'].pk} cannot be made current again" in body
    assert state(survivor.person, duplicate.person, elsewhere) == after_merge
    assert PersonMerge.objects.get().undone_at is None
    assert not AuditEvent.objects.filter(event_type=EventType.PERSONS_UNMERGED).exists()


def test_merge_refusals(world: World) -> None:
    client = console_client(world.service)
    _, alice = person_with_profile("Alice", "Twofold")
    _, other = person_with_profile("Alicia", "Twofold")  # both have an SSN, and they differ
    same = merge_via_pages(client, alice.username, alice.person.state_id)
    assert "cannot be merged with themselves" in same.content.decode()
    unknown = merge_via_pages(client, "nobody99", "12")
    assert "No Profile has this User Name" in unknown.content.decode()
    assert unknown.context["form"].errors.keys() == {"survivor", "duplicate"}
    empty = merge_via_pages(client, "", "")
    assert "Type the survivor" in empty.content.decode()

    different = merge_via_pages(client, alice.username, other.username)
    assert "two different people, not a duplicate" in different.content.decode()
    assert "Merge the duplicate into the survivor" not in different.content.decode()  # no confirm button
    forced = client.post(
        reverse("backoffice:service_merge"),
        {"survivor": alice.username, "duplicate": other.username, "reason": "x"},
    )
    assert forced.status_code == 200 and not PersonMerge.objects.exists()

    # A privileged Profile (a Directory Administrator): a security administrator's merge.
    dup_of_da = without_ssn(on_file(someone("Dana", "Northfield")))
    privileged = merge_via_pages(client, world.da_a.username, dup_of_da.state_id)
    assert "only a security administrator may merge it" in privileged.content.decode()
    assert not PersonMerge.objects.exists()
    assert (
        merge_via_pages(console_client(world.security), world.da_a.username, dup_of_da.state_id).status_code
        == 302
    )
    assert PersonMerge.objects.filter(survivor=world.da_a.person, duplicate=dup_of_da).exists()

    # Already merged: neither as a duplicate again, nor as a survivor.
    third = without_ssn(on_file(someone("Dana", "Northfield")))
    again = merge_via_pages(console_client(world.security), alice.username, dup_of_da.state_id)
    assert "already been merged" in again.content.decode()
    into_merged = merge_via_pages(console_client(world.security), dup_of_da.state_id, third.state_id)
    assert "was itself merged" in into_merged.content.decode()
    assert PersonMerge.objects.count() == 1
    # The action refuses by itself too (a page from before another merge).
    with pytest.raises(service_actions.MergeRefused):
        service_actions.do_merge_persons(
            survivor=alice.person,
            duplicate=dup_of_da,
            reason="r",
            allow_privileged=True,
            state_ids_checked=True,
            ctx=CTX,
        )


def test_a_duplicate_with_access_needs_a_survivor_with_a_profile(world: World) -> None:
    survivor = without_ssn(on_file(someone("Noel", "Noprofile")))
    duplicate_person, duplicate = person_with_profile("Noel", "Noprofile")
    duplicate_person = without_ssn(duplicate_person)  # else the SSN rule speaks first
    directory_actions.do_add_staff(
        person=duplicate_person, organization=world.school_a1, role_title="Teacher", ctx=CTX
    )
    directory_actions.do_grant_access(
        profile=duplicate, role=world.role("MDCS", "submitter"), organization=world.school_a1, ctx=CTX
    )
    page = merge_via_pages(console_client(world.service), survivor.state_id, duplicate.username)
    assert "the survivor has no Profile to receive it" in page.content.decode()
    assert not PersonMerge.objects.exists()


def test_merge_is_refused_when_only_the_duplicate_has_the_ssn(world: World) -> None:
    """Merged away, the SSN would send the person registering again to the disabled Profile."""
    _, with_ssn = person_with_profile("Sonia", "Numbered")
    survivor = without_ssn(on_file(someone("Sonia", "Numbered")))
    with_profile(survivor)
    client = console_client(world.service)
    page = merge_via_pages(client, survivor.state_id, with_ssn.username)
    body = page.content.decode()
    assert "Only the duplicate has a Social Security number" in body
    assert "Choose the record with the Social Security number as the survivor" in body
    assert not PersonMerge.objects.exists()
    with pytest.raises(service_actions.MergeRefused):
        service_actions.do_merge_persons(
            survivor=survivor,
            duplicate=with_ssn.person,
            reason="r",
            allow_privileged=True,
            state_ids_checked=True,
            ctx=CTX,
        )
    # The other way round is the right merge.
    assert merge_via_pages(client, with_ssn.username, survivor.state_id).status_code == 302
    assert PersonMerge.objects.get().survivor_id == with_ssn.person_id


@pytest.mark.parametrize("status", [Status.LOCKED, Status.DISABLED])
def test_merge_is_refused_while_the_survivors_profile_cannot_be_given_access(
    world: World, status: Status
) -> None:
    rows = duplicates(world)
    survivor, duplicate = rows["survivor"], rows["duplicate"]
    account_actions.do_set_status(profile=survivor, status=status, reason="test", ctx=CTX)
    before = state(survivor.person, duplicate.person)
    page = merge_via_pages(console_client(world.service), survivor.username, duplicate.username)
    assert f"The survivor&#x27;s Profile is {status.label.lower()}" in page.content.decode()
    assert "Unlock or enable it first" in page.content.decode()
    assert not PersonMerge.objects.exists() and state(survivor.person, duplicate.person) == before
    with pytest.raises(service_actions.MergeRefused):
        service_actions.do_merge_persons(
            survivor=survivor.person,
            duplicate=duplicate.person,
            reason="r",
            allow_privileged=True,
            state_ids_checked=True,
            ctx=CTX,
        )


def test_a_clash_with_a_row_added_meanwhile_is_a_refusal_not_a_500(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A staff entry or grant committed for the survivor while the merge runs breaks a unique
    index when the duplicate's row moves: the merge says so and changes nothing."""
    rows = duplicates(world)
    survivor, duplicate = rows["survivor"], rows["duplicate"]
    before = state(survivor.person, duplicate.person)

    def clash(self, kind, row, **values):  # type: ignore[no-untyped-def]
        raise IntegrityError("one_current_entry_per_person_and_organization")

    monkeypatch.setattr(service_actions._Snapshot, "change", clash)
    page = merge_via_pages(console_client(world.service), survivor.username, duplicate.username)
    assert page.status_code == 200
    assert "changed while merging" in page.content.decode()
    assert not PersonMerge.objects.exists() and state(survivor.person, duplicate.person) == before


def test_unmerge_is_refused_while_a_grant_given_since_rests_on_an_entry_going_back(world: World) -> None:
    rows = duplicates(world)
    survivor, duplicate = rows["survivor"], rows["duplicate"]
    client = console_client(world.service)
    merge_via_pages(client, survivor.username, duplicate.username)
    # After the merge the survivor (now on B1's staff through the duplicate's entry) gets access there.
    given = directory_actions.do_grant_access(
        profile=survivor, role=world.role("MDCS", "submitter"), organization=world.school_b1, ctx=CTX
    )
    assert given.staff_entry_id == rows["dup_b1"].pk
    undo = reverse("backoffice:service_unmerge", kwargs={"person": duplicate.person_id})
    refused = client.post(undo, {"reason": "Not the same"})
    body = refused.content.decode()
    assert refused.status_code == 200
    assert f"access grant {given.pk} (MDCS: Submitter at {world.school_b1.code}) was given after" in body
    assert "revoke that grant first" in body
    assert PersonMerge.objects.get().undone_at is None
    assert AccessGrant.objects.get(pk=given.pk).revoked_at is None
    # Once it is revoked the undo goes through, and the entry is the duplicate's again.
    directory_actions.do_revoke_access(grant=given, ctx=CTX)
    assert client.post(undo, {"reason": "Not the same"}).status_code == 302
    assert StaffEntry.objects.get(pk=rows["dup_b1"].pk).person_id == duplicate.person_id


def test_unmerge_of_a_privileged_profile_needs_a_security_administrator(world: World) -> None:
    dup_of_da = without_ssn(on_file(someone("Dana", "Northfield")))
    assert (
        merge_via_pages(console_client(world.security), world.da_a.username, dup_of_da.state_id).status_code
        == 302
    )
    merge = PersonMerge.objects.get()
    undo = reverse("backoffice:service_unmerge", kwargs={"person": dup_of_da.pk})
    agent = console_client(world.service)
    assert "only a security administrator may undo this merge" in agent.get(undo).content.decode()
    refused = agent.post(undo, {"reason": "Not the same"})
    assert refused.status_code == 200 and "only a security administrator may undo" in refused.content.decode()
    merge.refresh_from_db()
    assert merge.undone_at is None
    with pytest.raises(service_actions.UnmergeRefused):
        service_actions.do_unmerge_persons(merge=merge, reason="r", allow_privileged=False, ctx=CTX)
    assert console_client(world.security).post(undo, {"reason": "Not the same"}).status_code == 302
    merge.refresh_from_db()
    assert merge.undone_at is not None


def test_a_directory_administrators_appointment_moves_with_the_merge_and_back(world: World) -> None:
    """Left on the disabled duplicate Profile, the district would lose its administrator."""
    dup_person = without_ssn(on_file(someone("Dana", "Brookfield")))
    dup_profile = with_profile(dup_person)
    directory_actions.do_appoint_admin(profile=dup_profile, organization=world.district_b, ctx=CTX)
    directory_actions.do_appoint_admin(profile=dup_profile, organization=world.district_a, ctx=CTX)
    _, survivor = person_with_profile("Dana", "Brookfield")
    directory_actions.do_appoint_admin(profile=survivor, organization=world.district_a, ctx=CTX)
    security = console_client(world.security)

    assert merge_via_pages(security, survivor.username, dup_person.state_id).status_code == 302
    administers = lambda org: set(  # noqa: E731
        OrgAdministrator.objects.filter(organization=org).values_list("profile_id", flat=True)
    )
    assert survivor.pk in administers(world.district_b) and dup_profile.pk not in administers(
        world.district_b
    )
    assert survivor.pk in administers(world.district_a)  # already theirs: the duplicate's row stays put
    event = AuditEvent.objects.filter(event_type=EventType.PERSONS_MERGED).latest("pk")
    moved = OrgAdministrator.objects.get(organization=world.district_b, profile=survivor)
    assert event.detail["appointments_moved"] == [moved.pk]

    undo = reverse("backoffice:service_unmerge", kwargs={"person": dup_person.pk})
    assert security.post(undo, {"reason": "Not the same"}).status_code == 302
    assert dup_profile.pk in administers(world.district_b) and survivor.pk not in administers(
        world.district_b
    )
    assert {survivor.pk, dup_profile.pk} <= administers(world.district_a)


def test_a_directory_administrators_merge_needs_a_survivor_with_a_profile(world: World) -> None:
    dup_person = without_ssn(on_file(someone("Dana", "Brookfield")))
    dup_profile = with_profile(dup_person)
    directory_actions.do_appoint_admin(profile=dup_profile, organization=world.district_b, ctx=CTX)
    survivor = on_file(someone("Dana", "Brookfield"))
    refused = merge_via_pages(console_client(world.security), survivor.state_id, dup_person.state_id)
    assert "survivor has no Profile to take the appointment" in refused.content.decode()
    assert not PersonMerge.objects.exists()
    assert OrgAdministrator.objects.filter(profile=dup_profile, organization=world.district_b).exists()


@pytest.mark.postgres
def test_merge_and_unmerge_on_postgresql_with_conflicting_entries_and_grants(world: World) -> None:
    """PostgreSQL checks the partial unique indexes (one current entry per person and
    organization, one active grant per Profile, role and organization) on every statement."""
    rows = duplicates(world)
    survivor, duplicate = rows["survivor"], rows["duplicate"]
    before = state(survivor.person, duplicate.person)
    merge = service_actions.do_merge_persons(
        survivor=survivor.person,
        duplicate=duplicate.person,
        reason=REASON,
        allow_privileged=False,
        state_ids_checked=True,
        ctx=CTX,
    )
    assert (
        StaffEntry.objects.filter(person=survivor.person, organization=world.school_a1, ended_at=None).count()
        == 1
    )
    assert (
        AccessGrant.objects.active()
        .filter(profile=survivor, role=world.role("MDCS", "submitter"), organization=world.school_a1)
        .count()
        == 1
    )
    service_actions.do_unmerge_persons(merge=merge, reason="undo", allow_privileged=False, ctx=CTX)
    assert state(survivor.person, duplicate.person) == before
    # Merge again, then a conflicting entry added to the duplicate since blocks the undo.
    merge = service_actions.do_merge_persons(
        survivor=survivor.person,
        duplicate=duplicate.person,
        reason=REASON,
        allow_privileged=False,
        state_ids_checked=True,
        ctx=CTX,
    )
    directory_actions.do_add_staff(
        person=duplicate.person, organization=world.school_b1, role_title="Aide", ctx=CTX
    )
    with pytest.raises(service_actions.UnmergeRefused) as refused:
        service_actions.do_unmerge_persons(merge=merge, reason="undo", allow_privileged=False, ctx=CTX)
    assert "another current entry there" in str(refused.value)


def test_bad_input_gives_messages_or_404_never_a_500(world: World) -> None:
    _, target = person_with_profile("Bea", "Badinput")
    client = console_client(world.service)
    too_long = act(client, "disable", target, reason="x" * 1001)
    assert too_long.status_code == 200 and "1000 characters or fewer" in too_long.content.decode()
    assert Profile.objects.get(pk=target.pk).status == Status.ACTIVE
    for url in (
        reverse("backoffice:service_profile", kwargs={"profile": 987654}),
        reverse("backoffice:service_disable", kwargs={"profile": 987654}),
        reverse("backoffice:service_appoint", kwargs={"profile": 987654}),
        reverse("backoffice:service_remove_appointment", kwargs={"profile": target.pk, "code": "99999999"}),
        reverse(
            "backoffice:service_remove_appointment",
            kwargs={"profile": target.pk, "code": world.school_a1.code},
        ),
        reverse("backoffice:service_unmerge", kwargs={"person": target.person_id}),  # never merged
        reverse("backoffice:service_unmerge", kwargs={"person": 987654}),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "r"}).status_code == (405 if url.endswith("/987654/") else 404), (
            url
        )
    odd = client.post(reverse("backoffice:service_merge"), {"survivor": "x" * 300, "duplicate": "\u0000"})
    assert odd.status_code == 200 and odd.context["form"].errors
    appoint = client.post(
        reverse("backoffice:service_appoint", kwargs={"profile": target.pk}),
        {"organization": "abc", "reason": "r"},
    )
    assert appoint.status_code == 200 and "Choose the organization" in appoint.content.decode()
    page = search(client, username="\u0130\u0131", name="\u00e9\u00e8 --", email="")
    assert page.status_code == 200


def test_demo_prints_a_duplicate_that_merges_and_unmerges_and_a_second_run_changes_nothing(
    world: World,
) -> None:
    out = StringIO()
    call_command("demo", "--force", stdout=out)
    found = re.search(r"^Duplicate to merge: (\S+) into (\S+)$", out.getvalue(), re.MULTILINE)
    assert found, out.getvalue()
    duplicate, survivor = (Profile.objects.get(username=name) for name in found.groups())
    assert duplicate.person.source == "import" and not duplicate.person.ssn_hash
    assert duplicate.status == Status.AWAITING_SETUP and survivor.person.ssn_hash
    assert (duplicate.person.first_name, duplicate.person.last_name, duplicate.person.date_of_birth) == (
        survivor.person.first_name,
        survivor.person.last_name,
        survivor.person.date_of_birth,
    )
    events, people = AuditEvent.objects.count(), Person.objects.count()
    again = StringIO()
    call_command("demo", "--force", stdout=again)
    assert (AuditEvent.objects.count(), Person.objects.count()) == (events, people)
    assert found.group(0) in again.getvalue()

    client = console_client(world.service)
    done = merge_via_pages(client, survivor.username, duplicate.username)
    assert done.status_code == 302, done.content.decode()
    assert Profile.objects.get(pk=duplicate.pk).status == Status.DISABLED
    call_command("demo", "--force", stdout=StringIO())  # a run after the merge leaves it standing
    undo = reverse("backoffice:service_unmerge", kwargs={"person": duplicate.person_id})
    assert client.post(undo, {"reason": "Trying it out"}).status_code == 302
    assert Profile.objects.get(pk=duplicate.pk).status == Status.AWAITING_SETUP


def test_demo_prints_a_profile_with_a_data_quality_problem_customer_service_can_see(world: World) -> None:
    out = StringIO()
    call_command("demo", "--force", stdout=out)
    found = re.search(
        r"^Data-quality problem to look at: (\S+), .*console: (\S+)\)$", out.getvalue(), re.MULTILINE
    )
    assert found, out.getvalue()
    profile = Profile.objects.get(username=found.group(1))
    assert "date_of_birth" in profile.person.data_problems and profile.person.date_of_birth is None
    page = console_client(world.service).get(found.group(2))
    body = page.content.decode()
    assert page.status_code == 200 and "Data-quality problem" in body and "1986-14-03" in body
