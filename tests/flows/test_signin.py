"""Signing in and out, My applications, and the profile page."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.contrib.auth import hashers
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edgate.accounts import hints
from edgate.accounts.actions import do_set_privileges, do_set_status
from edgate.accounts.models import Profile, Status
from edgate.audit.models import AuditEvent, EventType
from edgate.directory.actions import do_add_staff, do_grant_access
from edgate.directory.models import Application, AppRole, Organization, OrgType
from tests.factories import CTX, HINT_ANSWER, PASSWORD, on_file, someone, with_profile
from tests.pii import register_secret
from tests.second_factor import pass_second_factor

from .helpers import shows

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def sign_in(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.fixture
def profile() -> Profile:
    return with_profile(on_file(someone("Harper", "Delacroix")))


def test_sign_in_is_case_insensitive_and_rotates_session(client: Client, profile: Profile) -> None:
    client.get(LOGIN)
    before = client.session.session_key
    response = sign_in(client, profile.username.upper())
    assert response["Location"] == reverse("directory:applications")
    assert client.session.session_key != before
    assert AuditEvent.objects.filter(event_type=EventType.SIGN_IN, target_id=str(profile.pk)).exists()


def test_wrong_user_name_and_wrong_password_read_the_same(client: Client, profile: Profile) -> None:
    wrong_password = sign_in(client, profile.username, register_secret("not the right password at all"))
    wrong_user = sign_in(client, "nobody-here", PASSWORD)
    assert wrong_password.status_code == wrong_user.status_code == 200
    assert wrong_password.context["form"].errors == wrong_user.context["form"].errors
    assert "not correct" in wrong_user.content.decode()


def test_unknown_user_costs_one_hash_like_a_known_one(client: Client, profile: Profile) -> None:
    with (
        mock.patch.object(
            hashers.Argon2PasswordHasher, "verify", autospec=True, return_value=False
        ) as verify,
        mock.patch.object(
            hashers.Argon2PasswordHasher,
            "encode",
            autospec=True,
            wraps=hashers.Argon2PasswordHasher.encode,
        ) as encode,
    ):
        sign_in(client, profile.username, "wrong wrong wrong wrong")
        known = verify.call_count + encode.call_count
        verify.reset_mock(), encode.reset_mock()
        sign_in(client, "nobody-here", "wrong wrong wrong wrong")
        unknown = verify.call_count + encode.call_count
    assert known == unknown == 1


def fail_until_locked(username: str, start) -> object:  # type: ignore[no-untyped-def]
    """Ten wrong passwords for `username`, each after the wait the previous one imposed.
    Returns the moment after the last one."""
    moment = start
    for i in range(10):
        with time_machine.travel(moment, tick=False):
            response = sign_in(Client(REMOTE_ADDR=f"192.0.2.{i}"), username, "wrong wrong wrong wrong")
        assert response.status_code == 200, f"attempt {i + 1} was not examined"
        moment += timedelta(seconds=int(response.get("Retry-After", 0)) + 1)
    return moment


def test_repeated_failures_lock_sign_in_and_the_lock_reads_like_a_wrong_password(
    client: Client, profile: Profile
) -> None:
    # Start just after a 15-minute window begins, so the ten attempts (about 9 minutes with
    # their waits) fall in one fixed window and the sliding estimate counts each of them.
    now = timezone.now()
    start = now.replace(minute=now.minute - now.minute % 15, second=1, microsecond=0) + timedelta(hours=1)
    after = fail_until_locked(profile.username, start)
    with time_machine.travel(after, tick=False):  # the last wait is over; the lock is not
        locked = sign_in(Client(REMOTE_ADDR="192.0.2.200"), profile.username)  # right password
    assert locked.status_code == 200 and "not correct" in locked.content.decode()
    assert AuditEvent.objects.filter(event_type=EventType.SIGN_IN_THROTTLED).count() == 1
    assert AuditEvent.objects.filter(event_type=EventType.SIGN_IN_FAILED).count() == 10
    alert = AuditEvent.objects.get(event_type=EventType.THROTTLE_ALERT)
    assert alert.detail["limit"] == "sign_in_profile"


def test_after_three_attempts_each_one_waits_a_doubling_delay_enforced_by_time(
    client: Client, profile: Profile
) -> None:
    start = timezone.now()
    wrong = "wrong wrong wrong wrong"
    with time_machine.travel(start, tick=False):
        for _ in range(2):
            assert sign_in(client, profile.username, wrong).status_code == 200
        third = sign_in(client, profile.username, wrong)
        assert third.status_code == 200 and third["Retry-After"] == "2"
        assert "Wait 2 seconds, then sign in again" in third.content.decode()
        # Within the wait the password is not even examined, right or wrong.
        with mock.patch.object(hashers.Argon2PasswordHasher, "verify", autospec=True) as verify:
            early = sign_in(client, profile.username)
        assert early.status_code == 429 and early["Retry-After"] == "2" and verify.call_count == 0
        assert "not correct" not in early.content.decode()
        assert "We did not check that password" in early.content.decode()
    waits = []
    moment = start
    for _ in range(4):
        moment += timedelta(seconds=int(third["Retry-After"]) if not waits else waits[-1])
        with time_machine.travel(moment, tick=False):
            response = sign_in(client, profile.username, wrong)
        assert response.status_code == 200
        waits.append(int(response["Retry-After"]))
    assert waits == [4, 8, 16, 32]
    assert AuditEvent.objects.filter(event_type=EventType.SIGN_IN_DELAYED).count() == 1
    # The right password after the wait signs in, and resets this User Name's count and delay.
    with time_machine.travel(moment + timedelta(seconds=32), tick=False):
        assert sign_in(client, profile.username).status_code == 302
        client.post(reverse("accounts:logout"))
        for _ in range(2):
            assert "Retry-After" not in sign_in(client, profile.username, wrong)


def test_an_unknown_user_name_gets_the_same_delays(client: Client, profile: Profile) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        known = [sign_in(client, profile.username, "wrong wrong wrong wrong") for _ in range(4)]
        unknown = [sign_in(client, "nobody-here", "wrong wrong wrong wrong") for _ in range(4)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [200, 200, 200, 429]
    assert [r.get("Retry-After") for r in known] == [r.get("Retry-After") for r in unknown]


def test_success_resets_only_the_accounts_counter_not_the_address_failures(profile: Profile) -> None:
    office = Client(REMOTE_ADDR="192.0.2.77")
    with time_machine.travel(timezone.now(), tick=False):
        for i in range(49):
            sign_in(office, f"guess{i}", "wrong wrong wrong wrong")
        assert sign_in(office, profile.username).status_code == 302  # 50th attempt: allowed, right
        office.post(reverse("accounts:logout"))
        assert sign_in(office, "guess-more", "wrong wrong wrong wrong").status_code == 200  # the 50th failure
        # The address's 50 failures still stand: even the right password is now refused there,
        # with the same words as a wrong password but 429 and when to come back.
        refused = sign_in(office, profile.username)
        assert refused.status_code == 429 and "not correct" in refused.content.decode()
        assert 0 < int(refused["Retry-After"]) <= 30 * 60
        assert sign_in(Client(REMOTE_ADDR="192.0.2.78"), profile.username).status_code == 302


def test_failures_from_one_address_are_throttled_across_accounts(client: Client, profile: Profile) -> None:
    for i in range(50):
        sign_in(client, f"guess{i}", "wrong wrong wrong wrong")  # each User Name fails once: no delays
    refused = sign_in(client, profile.username)  # refused from this address
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert sign_in(Client(REMOTE_ADDR="192.0.2.50"), profile.username).status_code == 302


def test_disabled_or_awaiting_profiles_cannot_sign_in(client: Client, profile: Profile) -> None:
    do_set_status(profile=profile, status=Status.DISABLED, reason="test", ctx=CTX)
    assert sign_in(client, profile.username).status_code == 200


def test_open_redirect_is_refused(client: Client, profile: Profile) -> None:
    response = client.post(
        LOGIN, {"username": profile.username, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("directory:applications")


def test_sign_out_needs_post_and_ends_the_session(client: Client, profile: Profile) -> None:
    sign_in(client, profile.username)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("directory:applications"))["Location"].startswith(LOGIN)


def test_my_applications_lists_open_ones_and_granted_ones(client: Client, profile: Profile) -> None:
    Application.objects.create(code="ELAR", name="ELAR — Licensure", open_to_all=True)
    mdcs = Application.objects.create(code="MDCS", name="MDCS — Data collection")
    Application.objects.create(code="DROPBOX", name="Dropbox — File exchange")
    role = AppRole.objects.create(application=mdcs, code="submitter", name="Submitter")
    district = Organization.objects.create(
        code="04560000", name="Riverside Regional", org_type=OrgType.DISTRICT
    )
    sign_in(client, profile.username)
    page = client.get(reverse("directory:applications")).content.decode()
    assert "ELAR" in page and not shows(page, "MDCS") and "Dropbox" not in page
    do_add_staff(person=profile.person, organization=district, role_title="Teacher", ctx=CTX)
    do_grant_access(profile=profile, role=role, organization=district, ctx=CTX)
    page = client.get(reverse("directory:applications")).content.decode()
    assert "MDCS" in page and "Submitter — Riverside Regional" in page and "Dropbox" not in page


def test_profile_page_shows_user_name_read_only_and_masked_ssn(client: Client, profile: Profile) -> None:
    sign_in(client, profile.username)
    response = client.get(reverse("accounts:profile"))
    page = response.content.decode()
    assert profile.username in page and profile.person.ssn_masked in page
    assert 'name="username"' not in page
    # Posting a username with the contact form changes nothing.
    client.post(
        reverse("accounts:profile"),
        {
            "username": "hacker",
            "street": "1 Oak Ave",
            "city": "Riverside",
            "state": "MA",
            "postcode": "01890",
            "email": "h@example.org",
            "phone": "",
        },
    )
    profile.refresh_from_db()
    assert profile.username != "hacker" and profile.person.street == "1 Oak Ave"
    assert AuditEvent.objects.filter(event_type=EventType.CONTACT_UPDATED).exists()


def test_change_password_needs_current_and_ends_other_sessions(profile: Profile) -> None:
    here, elsewhere = Client(), Client()
    sign_in(here, profile.username)
    sign_in(elsewhere, profile.username)
    new = register_secret("marigold ferry telescope")
    url = reverse("accounts:change_password")
    refused = here.post(
        url, {"current_password": "wrong wrong wrong", "new_password": new, "confirm_password": new}
    )
    assert "not your current password" in refused.content.decode()
    assert (
        here.post(
            url, {"current_password": PASSWORD, "new_password": new, "confirm_password": new}
        ).status_code
        == 302
    )
    assert here.get(reverse("directory:applications")).status_code == 200
    assert elsewhere.get(reverse("directory:applications")).status_code == 302  # signed out
    profile.refresh_from_db()
    assert profile.check_password(new)


def test_change_hint_needs_current_password(client: Client, profile: Profile) -> None:
    sign_in(client, profile.username)
    url = reverse("accounts:change_hint")
    answer = register_secret("Bellweather")
    refused = client.post(
        url, {"current_password": "wrong wrong", "hint_question_choice": "0", "hint_answer": answer}
    )
    assert refused.status_code == 200
    profile.refresh_from_db()
    assert hints.check_answer(HINT_ANSWER, profile.hint_answer_hash)
    client.post(url, {"current_password": PASSWORD, "hint_question_choice": "0", "hint_answer": answer})
    profile.refresh_from_db()
    assert hints.check_answer("  bellWEATHER ", profile.hint_answer_hash)
    assert profile.hint_question == str(hints.SUGGESTED_QUESTIONS[0])


def test_sessions_end_after_twelve_hours_even_when_active(client: Client, profile: Profile) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, profile.username)
    # A request every 25 minutes keeps the 30-minute idle timeout from ever firing...
    for minutes in range(25, 12 * 60, 25):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("directory:applications")).status_code == 200, minutes
    # ...but 12 hours after signing in, the session ends anyway.
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        assert client.get(reverse("directory:applications")).status_code == 302


def test_idle_sessions_end_after_thirty_minutes(client: Client, profile: Profile) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, profile.username)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get(reverse("directory:applications")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        assert client.get(reverse("directory:applications")).status_code == 302


def test_admin_sign_in_goes_through_the_portal_sign_in(client: Client, profile: Profile) -> None:
    do_set_privileges(profile=profile, is_staff=True, is_superuser=False, groups=[], ctx=CTX)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    response = client.post(LOGIN, {"username": profile.username, "password": PASSWORD, "next": "/admin/"})
    assert response["Location"] == "/admin/"
    # Staff are privileged: the admin waits for the second factor.
    assert client.get("/admin/")["Location"] == f"{reverse('mfa:verify')}?next=%2Fadmin%2F"
    pass_second_factor(client, profile)
    assert client.get("/admin/").status_code == 200  # and the session lasts beyond one request
    assert client.get("/admin/").status_code == 200


SAME_KEY = ["KKISS", "kki\u017fs", "\u212akiss", "\uff4b\uff4b\uff49\uff53\uff53"]  # ſ, Kelvin K, fullwidth
OTHER_KEY = ["kk\u0131ss", "kki\u0307ss", "KK\u0130SS"]  # dotless ı, combining dot, dotted İ


def test_one_canonical_user_name_key_for_lookup_lock_and_counter(profile: Profile) -> None:
    kim = with_profile(on_file(someone("Kim", "Kiss")))
    assert kim.username == "kkiss"
    for typed in SAME_KEY:  # folds to kkiss: the same account, the same counter
        assert sign_in(Client(), typed).status_code == 302, typed
    for typed in OTHER_KEY:  # folds to something else: no account at all, on every database
        assert sign_in(Client(), typed).status_code == 200, typed
    now = timezone.now()
    start = now.replace(minute=now.minute - now.minute % 15, second=1, microsecond=0) + timedelta(hours=1)
    after = fail_until_locked("kkiss", start)
    with time_machine.travel(after, tick=False):
        for typed in SAME_KEY + OTHER_KEY:
            assert sign_in(Client(), typed).status_code in (200, 429), f"{typed!r} got past the lock"


@pytest.mark.parametrize("page", ["accounts:change_password", "accounts:change_hint"])
def test_current_password_checks_are_counted_so_a_stolen_session_cannot_guess(
    page: str, profile: Profile
) -> None:
    client = Client()
    sign_in(client, profile.username)
    url = reverse(page)
    new = register_secret("juniper compass violet harbor")
    wrong = {
        "current_password": "not it at all",
        "new_password": new,
        "confirm_password": new,
        "hint_question_choice": "0",
        "hint_answer": new,
    }
    right = wrong | {"current_password": PASSWORD}
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(10):
            assert "not your current password" in client.post(url, wrong).content.decode()
        with mock.patch.object(hashers.Argon2PasswordHasher, "verify", autospec=True) as verify:
            refused = client.post(url, right)
        assert verify.call_count == 0 and refused.status_code == 429 and int(refused["Retry-After"]) > 0
        assert "cannot be checked again for a while" in refused.content.decode()
    assert AuditEvent.objects.filter(event_type=EventType.REAUTH_THROTTLED).count() == 1
    profile.refresh_from_db()
    assert profile.check_password(PASSWORD)
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        sign_in(client, profile.username)
        assert client.post(url, right).status_code == 302


def test_customer_service_lifts_a_sign_in_lock(profile: Profile) -> None:
    from io import StringIO

    from django.core.management import call_command

    now = timezone.now()
    start = now.replace(minute=now.minute - now.minute % 15, second=1, microsecond=0) + timedelta(hours=1)
    after = fail_until_locked(profile.username, start)
    with time_machine.travel(after, tick=False):
        assert sign_in(Client(), profile.username).status_code == 200  # locked
        out = StringIO()
        call_command("unlock", "--username", profile.username.upper(), stdout=out)
        assert "lifted" in out.getvalue()
        assert sign_in(Client(), profile.username).status_code == 302
    lifted = AuditEvent.objects.get(event_type=EventType.SIGN_IN_LOCK_LIFTED)
    assert lifted.target_id == str(profile.pk) and lifted.actor_label == "edgate unlock"


def test_the_admin_password_change_and_sign_out_are_the_portals(client: Client, profile: Profile) -> None:
    Profile.objects.filter(pk=profile.pk).update(is_staff=True)
    sign_in(client, profile.username)
    pass_second_factor(client, profile)
    assert client.get("/admin/password_change/")["Location"] == reverse("accounts:change_password")
    assert client.post("/admin/logout/")["Location"] == reverse("accounts:login")
    assert AuditEvent.objects.filter(event_type=EventType.SIGN_OUT, target_id=str(profile.pk)).exists()
