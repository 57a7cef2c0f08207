"""No personal data on any error page, not even Django's technical 500 page (DEBUG=True).

Each test forces an exception deep inside a flow that holds an SSN, a date of birth, a
password or a hint answer, renders the real debug page through the test client, and looks
for every registered form of those values, including the `repr` of the date of birth.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from edgate.accounts import signin
from edgate.accounts.models import Profile
from edgate.matching import service
from edgate.people.admin import PersonAdmin
from edgate.recovery import flows as recovery_flows
from edgate.registration import flows as registration_flows
from tests.factories import CONTACT_POST, HINT_ANSWER, PASSWORD, on_file, security_post, someone, with_profile
from tests.flows.helpers import flow_id, location, post_step, start, step
from tests.pii import leaks, register_dob, register_ssn
from tests.second_factor import force_verified_login

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def boom(*args: object, **kwargs: object) -> None:
    raise Boom("forced by the test")


@pytest.fixture
def debug_client(settings) -> Client:  # type: ignore[no-untyped-def]
    settings.DEBUG = True
    return Client(raise_request_exception=False)


def debug_page(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 500
    body = html.unescape(response.content.decode())
    # The technical page, with local variables: proof that this is the page under test.
    assert "Boom" in body and "Local vars" in body and "forced by the test" in body
    assert "********************" in body  # and values were hidden, not merely absent
    return body


def assert_no_personal_data(body: str, *, dob_parts: tuple[int, int, int] | None = None) -> None:
    assert leaks(body) == []
    if dob_parts:  # the wizard's separate day / month / year fields, as a dict repr shows them
        year, month, day = dob_parts
        assert not re.search(rf"'dob_year': '?{year}\b", body)
        assert not re.search(rf"'dob_day': '?{day}\b.*'dob_month': '?{month}\b", body)


def _mid_match(monkeypatch: pytest.MonkeyPatch) -> None:
    # Deepest point: the per-query SSN hash cache calls the hasher with the SSN itself.
    monkeypatch.setattr(service, "ssn_lookup", boom)


def _after_match(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registration_flows, "record_event", boom)


@pytest.mark.parametrize("where", [_mid_match, _after_match], ids=["inside the matcher", "after the match"])
def test_page_1_failure_shows_no_ssn_or_birth_date(
    debug_client: Client, monkeypatch: pytest.MonkeyPatch, where: Callable[[pytest.MonkeyPatch], None]
) -> None:
    who = someone("Avery", "Lindqvist")
    on_file(someone("Avery", "Lindqvist", born=who.date_of_birth))  # a candidate to compare with
    start(debug_client)
    where(monkeypatch)
    body = debug_page(post_step(debug_client, "identity", who.identity_post()))
    born = who.date_of_birth
    assert_no_personal_data(body, dob_parts=(born.year, born.month, born.day))


def test_page_3_failure_shows_no_password_or_hint_answer(
    debug_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(debug_client)
    assert location(post_step(debug_client, "identity", someone().identity_post())) == step("contact")
    assert location(post_step(debug_client, "contact", CONTACT_POST)) == step("security")
    monkeypatch.setattr(registration_flows.hints, "hash_answer", boom)
    assert_no_personal_data(debug_page(post_step(debug_client, "security", security_post())))


def test_sign_in_failure_shows_no_password(debug_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = with_profile(on_file(someone()))
    monkeypatch.setattr(signin, "authenticate", boom)
    response = debug_client.post(
        reverse("accounts:login"), {"username": profile.username, "password": PASSWORD}
    )
    assert_no_personal_data(debug_page(response))


def test_recovery_failure_shows_no_hint_answer(debug_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = with_profile(on_file(someone()))
    debug_client.get(reverse("recovery:start"))
    recovery = {"flow": flow_id(debug_client, "recovery")}
    debug_client.post(reverse("recovery:step", args=["username"]), recovery | {"username": profile.username})
    monkeypatch.setattr(recovery_flows.hints, "check_password", boom)
    response = debug_client.post(
        reverse("recovery:step", args=["answer"]), recovery | {"answer": HINT_ANSWER}
    )
    assert_no_personal_data(debug_page(response))


def test_admin_person_change_failure_shows_no_birth_date(
    debug_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = with_profile(on_file(someone("Casey", "Admin")))
    Profile.objects.filter(pk=staff.pk).update(is_staff=True, is_superuser=True)
    force_verified_login(debug_client, staff)
    who = someone("Robin", "Vale")
    person = on_file(who)
    monkeypatch.setattr(PersonAdmin, "save_model", boom)
    form = {"first_name": "Robin", "last_name": "Vale", "date_of_birth": who.date_of_birth.isoformat()}
    response = debug_client.post(f"/admin/people/person/{person.pk}/change/", {**form, "source": "test"})
    assert_no_personal_data(debug_page(response))


def test_objects_that_carry_personal_data_print_none_of_it() -> None:
    """Frames outside any marked function still show their objects, the way the debug page does."""
    from datetime import date

    from django.template.defaultfilters import pprint

    from edgate.core.models import Flow
    from edgate.identity.records import Candidate, Identity
    from edgate.importer.rows import Row
    from edgate.people.actions import PersonData, build_person

    ssn, born = register_ssn("318421977"), register_dob(date(1961, 7, 23))
    identity = Identity(first_name="Robin", last_name="Vale", date_of_birth=born, ssn=ssn)
    data = PersonData(first_name="Robin", last_name="Vale", date_of_birth=born, ssn=ssn)
    flow = Flow(kind="registration", state="contact")
    flow.data = {"identity": {"ssn": ssn, "date_of_birth": born.isoformat()}}
    shown = [
        identity,
        Candidate("1", identity),
        Row(2, "x", identity),
        # A dirty row's raw values (kept for the administrator) print as nothing either.
        Row(3, "y", identity, "", ("ssn: not valid",), (("ssn", ssn), ("date_of_birth", born.isoformat()))),
        PersonData(first_name="Robin", last_name="Vale", unusable_raw={"ssn": ssn}),
        data,
        build_person(data, source="test"),
        flow,
    ]
    for thing in shown:
        assert leaks(pprint(thing)) == [] and leaks(str(thing)) == [], type(thing)


def test_setup_page_failure_shows_no_activation_code(
    debug_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from edgate.directory.actions import do_appoint_admin
    from edgate.directory.models import Organization, OrgType
    from tests.factories import CTX, precreated
    from tests.pii import register_secret

    who = someone("Ines", "Abernathy")
    profile = precreated(on_file(who))
    district = Organization.objects.create(code="05550000", name="Eastfield", org_type=OrgType.DISTRICT)
    do_appoint_admin(profile=profile, organization=district, ctx=CTX)
    out = StringIO()
    call_command("activation", "issue", "--username", profile.username, "--purpose", "setup", stdout=out)
    code = register_secret(re.search(r"^code=(\S+)$", out.getvalue(), re.M).group(1))  # type: ignore[union-attr]
    start(debug_client)
    assert location(post_step(debug_client, "identity", who.identity_post())) == step("setup")
    monkeypatch.setattr(registration_flows.account_actions, "do_redeem_activation_code", boom)
    body = debug_page(post_step(debug_client, "setup", security_post() | {"code": code}))
    assert code not in body
    assert_no_personal_data(body)
