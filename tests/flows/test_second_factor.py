"""A second factor (TOTP, recovery codes) for privileged people, through the pages they use."""

from __future__ import annotations

import json
import re
from base64 import b32decode
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from edgate.accounts.actions import do_set_privileges
from edgate.accounts.models import Profile
from edgate.audit.models import AuditEvent, EventType, Outcome
from edgate.console import demo
from edgate.directory.actions import do_appoint_admin
from edgate.directory.models import Organization, OrgType
from edgate.mfa import actions as mfa_actions
from edgate.mfa import session as mfa_session
from edgate.mfa import views as mfa_views
from tests.backoffice import build_world
from tests.factories import CTX, PASSWORD, on_file, someone, with_profile
from tests.pii import register_secret
from tests.second_factor import current_code

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
APPS = reverse("directory:applications")
VERIFY = reverse("mfa:verify")
ENROL = reverse("mfa:enrol")


def sign_in(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password})


def events(event_type: EventType, profile: Profile) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type, target_id=str(profile.pk)).order_by("id"))


@pytest.fixture
def staff() -> Profile:
    profile = with_profile(on_file(someone("Morgan", "Staffer")))
    return do_set_privileges(profile=profile, is_staff=True, is_superuser=True, groups=[], ctx=CTX)


@pytest.fixture
def enrolled(staff: Profile) -> TOTPDevice:
    return mfa_actions.do_provision_totp(profile=staff, ctx=CTX)


def test_privileged_sign_in_needs_the_code(client: Client, staff: Profile, enrolled: TOTPDevice) -> None:
    assert sign_in(client, staff.username)["Location"] == APPS
    # Right after the password every page but the code page waits for the second factor.
    assert client.get(APPS)["Location"] == f"{VERIFY}?next=%2Fapplications%2F"
    assert client.get("/admin/")["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    page = client.get(VERIFY, {"next": "/admin/"})
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.content.decode()
    before = client.session.session_key
    response = client.post(VERIFY, {"code": current_code(enrolled), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.session.session_key != before  # a change of privilege rotates the session id
    assert client.get("/admin/").status_code == 200
    assert [e.outcome for e in events(EventType.OTP_PASSED, staff)] == [Outcome.SUCCESS]


def test_wrong_codes_are_counted_and_then_locked(
    client: Client, staff: Profile, enrolled: TOTPDevice
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, staff.username)
        for _ in range(5):
            page = client.post(VERIFY, {"code": "000000"})
            assert str(mfa_views.WRONG_CODE) in page.content.decode()
        # Past the limit even the right code is not examined, and the page says so.
        page = client.post(VERIFY, {"code": current_code(enrolled)})
        assert str(mfa_views.LOCKED) in page.content.decode()
        # 429, and the wait: to the end of this 15-minute window, then until the six counted
        # attempts have faded to four in the next one (a third of it).
        elapsed = int(start.timestamp()) % 900
        assert page.status_code == 429 and int(page["Retry-After"]) in (1200 - elapsed, 1201 - elapsed)
        assert client.get("/admin/")["Location"].startswith(VERIFY)
    failed = events(EventType.OTP_FAILED, staff)
    assert [e.outcome for e in failed] == [Outcome.FAILURE] * 5 + [Outcome.DENIED]
    assert [e.detail.get("attempt") for e in failed[:5]] == [1, 2, 3, 4, 5]
    alert = AuditEvent.objects.get(event_type=EventType.THROTTLE_ALERT)
    assert alert.detail["limit"] == "otp_profile"
    assert not events(EventType.OTP_PASSED, staff)
    # Two windows later the limit has passed (and so has the unverified session's idle time).
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        sign_in(client, staff.username)
        assert client.post(VERIFY, {"code": current_code(enrolled)})["Location"] == "/admin/"  # theirs
        assert client.get("/admin/").status_code == 200


def test_enrolment_then_a_recovery_code_works_once(client: Client, staff: Profile) -> None:
    sign_in(client, staff.username)
    # Without a device the code page sends them to enrolment, which nothing can skip to the admin.
    assert client.get("/admin/", follow=True).redirect_chain[-1][0] == f"{ENROL}?next=%2Fadmin%2F"
    page = client.get(ENROL, {"next": "/admin/"})
    html = page.content.decode()
    assert "<svg" in html and 'role="img"' in html  # the QR code, inline
    secret = client.session[mfa_session.ENROL_KEY]
    text_secret = page.context["text_secret"]
    assert text_secret in html and b32decode(text_secret.replace(" ", "")).hex() == secret
    assert not TOTPDevice.objects.filter(user=staff).exists()  # nothing written for a page view
    enrolment_code = issue_enrolment_code(staff)
    wrong = client.post(ENROL, {"code": "000000", "enrolment_code": enrolment_code, "next": "/admin/"})
    assert str(mfa_views.WRONG_SETUP_CODE) in wrong.content.decode()
    code = f"{totp(bytes.fromhex(secret)):06d}"
    done = client.post(ENROL, {"code": code, "enrolment_code": enrolment_code, "next": "/admin/"})
    codes = done.context["codes"]
    assert len(codes) == len(set(codes)) == 10 and all(c in done.content.decode() for c in codes)
    stored = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & {c.replace("-", "") for c in codes}  # kept hashed
    assert client.get("/admin/").status_code == 200  # enrolling verified this session
    assert [e.detail for e in events(EventType.OTP_ENROLLED, staff)] == [{"recovery_codes": 10}]
    assert client.get(ENROL)["Location"] == APPS  # once enrolled, the page is gone

    client.post(reverse("accounts:logout"))
    sign_in(client, staff.username)
    assert client.post(VERIFY, {"code": codes[0].upper()})["Location"] == "/admin/"  # typed in capitals
    used = events(EventType.OTP_RECOVERY_CODE_USED, staff)
    assert [e.detail for e in used] == [{"left": 9}]
    client.post(reverse("accounts:logout"))
    sign_in(client, staff.username)
    again = client.post(VERIFY, {"code": codes[0]})
    assert again.status_code == 200 and str(mfa_views.WRONG_CODE) in again.content.decode()
    assert client.get("/admin/")["Location"].startswith(VERIFY)


def issue_enrolment_code(profile: Profile) -> str:
    out = StringIO()
    call_command("activation", "issue", "--username", profile.username, "--purpose", "enrol", stdout=out)
    return register_secret(next(line[5:] for line in out.getvalue().splitlines() if line.startswith("code=")))


def test_the_password_alone_cannot_attach_an_app(client: Client, staff: Profile) -> None:
    """Someone who knows a privileged password must not enrol first and keep the owner out."""
    sign_in(client, staff.username)
    client.get(ENROL)
    secret = client.session[mfa_session.ENROL_KEY]
    code = f"{totp(bytes.fromhex(secret)):06d}"
    for typed in ("", "0000-0000-0000-0000-0000-0000-00"):
        refused = client.post(ENROL, {"code": code, "enrolment_code": typed})
        assert refused.status_code == 200
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert client.get("/admin/", follow=True).redirect_chain[-1][0].startswith(ENROL)
    assert AuditEvent.objects.filter(event_type=EventType.ACTIVATION_CODE_FAILED).count() == 1
    # Customer service's code for another purpose does not do either.
    recovery = StringIO()
    call_command("activation", "issue", "--username", staff.username, stdout=recovery)
    other = register_secret(next(x[5:] for x in recovery.getvalue().splitlines() if x.startswith("code=")))
    assert client.post(ENROL, {"code": code, "enrolment_code": other}).status_code == 200
    assert not TOTPDevice.objects.filter(user=staff).exists()


def test_two_enrolments_at_once_leave_one_app(staff: Profile) -> None:
    first = mfa_actions.new_secret()
    code = f"{totp(bytes.fromhex(first)):06d}"
    enrolment = issue_enrolment_code(staff)
    made = mfa_actions.do_enrol_totp(
        profile=staff, secret=first, code=code, enrolment_code=enrolment, ctx=CTX
    )
    assert isinstance(made, mfa_actions.Enrolment)
    second = mfa_actions.new_secret()
    again = mfa_actions.do_enrol_totp(
        profile=staff,
        secret=second,
        code=f"{totp(bytes.fromhex(second)):06d}",
        enrolment_code=issue_enrolment_code(staff),
        ctx=CTX,
    )
    assert again == mfa_actions.EnrolmentRefused.ALREADY
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_unverified_privileged_people_are_unprivileged(client: Client, staff: Profile) -> None:
    sign_in(client, staff.username)
    assert client.get(APPS)["Location"] == f"{VERIFY}?next=%2Fapplications%2F"
    # They may go on without their privileges: My applications works, the admin still asks.
    assert client.post(reverse("mfa:skip"))["Location"] == APPS
    assert client.get(APPS).status_code == 200
    assert client.get("/admin/")["Location"] == f"{VERIFY}?next=%2Fadmin%2F"


def test_the_admin_itself_refuses_an_unverified_session(client: Client) -> None:
    """Made staff after signing in (so never sent to the code page): the admin still refuses."""
    profile = with_profile(on_file(someone("Jordan", "Later")))
    sign_in(client, profile.username)
    do_set_privileges(profile=profile, is_staff=True, is_superuser=True, groups=[], ctx=CTX)
    assert client.get(APPS).status_code == 200
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_directory_administrator_is_sent_to_enrolment(client: Client) -> None:
    profile = with_profile(on_file(someone("Rowan", "Appointed")))
    district = Organization.objects.create(code="01230000", name="Northfield", org_type=OrgType.DISTRICT)
    do_appoint_admin(profile=profile, organization=district, ctx=CTX)
    sign_in(client, profile.username)
    response = client.get(APPS, follow=True)
    assert response.redirect_chain[-1][0] == f"{ENROL}?next=%2Fapplications%2F"
    # Newly appointed, with no enrolment code yet: they can still reach their applications
    # without their administrative rights, and the console still asks for the second factor.
    assert 'action="/second-factor/skip/"' in response.content.decode()
    assert client.post(reverse("mfa:skip"))["Location"] == APPS
    assert client.get(APPS).status_code == 200
    assert client.get(reverse("backoffice:home"))["Location"].startswith(VERIFY)


def test_ordinary_educators_are_never_asked(client: Client) -> None:
    educator = with_profile(on_file(someone("Taylor", "Teacher")))
    assert sign_in(client, educator.username)["Location"] == APPS
    assert client.get(APPS).status_code == 200
    assert mfa_session.DUE not in client.session
    assert client.get(ENROL)["Location"] == APPS  # no enrolment for them
    assert not TOTPDevice.objects.exists()


def test_verified_privileged_sessions_are_shorter(
    client: Client, staff: Profile, enrolled: TOTPDevice
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, staff.username)
        client.post(VERIFY, {"code": current_code(enrolled)})
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get("/admin/").status_code == 200
    # 16 idle minutes end it (an ordinary session lasts 30).
    with time_machine.travel(start + timedelta(minutes=14 + 16), tick=False):
        assert client.get(APPS)["Location"].startswith(LOGIN)

    later = start + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        sign_in(client, staff.username)
        client.post(VERIFY, {"code": current_code(enrolled)})
    # Busy all day: every 14 minutes. Eight hours after signing in the session ends anyway.
    minutes = 14
    while minutes < 8 * 60:
        with time_machine.travel(later + timedelta(minutes=minutes), tick=False):
            assert client.get(APPS).status_code == 200
        minutes += 14
    with time_machine.travel(later + timedelta(minutes=minutes), tick=False):
        assert client.get(APPS)["Location"].startswith(LOGIN)


def test_demo_accounts_have_secrets_that_sign_in(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    call_command("demo", "--force", "--accounts-json", str(path), stdout=StringIO())
    accounts = json.loads(path.read_text(encoding="utf-8"))
    privileged = {"directory_administrator", "customer_service", "security_administrator"}
    assert {a["role"] for a in accounts if a["totp_secret"]} == privileged
    assert all(a["totp_secret"] is None for a in accounts if a["role"] not in privileged)
    out = StringIO()
    call_command("demo", "--force", "--accounts-json", str(path), stdout=out)  # stable across runs
    assert json.loads(path.read_text(encoding="utf-8")) == accounts
    for account in accounts:
        role = account["role"]
        if role not in privileged:
            continue
        assert account["totp_secret"] in out.getvalue()  # `make run` prints it
        client = Client()
        sign_in(client, account["username"], demo.DEMO_PASSWORD)
        code = f"{totp(b32decode(account['totp_secret'])):06d}"
        consoles = {
            "directory_administrator": reverse("backoffice:home"),
            "customer_service": reverse("backoffice:service"),
            "security_administrator": reverse("admin:index"),
        }
        assert client.post(VERIFY, {"code": code})["Location"] == consoles[role]
        assert client.get(APPS).status_code == 200
        assert client.get(reverse("backoffice:home")).status_code == 200, role
        admin_site = role == "security_administrator"
        assert client.get("/admin/").status_code == (200 if admin_site else 302), role


def test_going_on_without_privileges_does_not_let_the_password_alone_change_it(
    client: Client, staff: Profile, enrolled: TOTPDevice
) -> None:
    sign_in(client, staff.username)
    client.post(reverse("mfa:skip"))
    assert client.get(reverse("accounts:profile")).status_code == 200
    for page in ("accounts:change_password", "accounts:change_hint"):
        assert client.get(reverse(page))["Location"].startswith(VERIFY), page
    assert client.post(VERIFY, {"code": current_code(enrolled)}).status_code == 302
    assert client.get(reverse("accounts:change_password")).status_code == 200


def test_slow_guessing_is_stopped_by_the_days_limit(
    client: Client, staff: Profile, enrolled: TOTPDevice
) -> None:
    start = timezone.now()
    for step in range(5):  # four wrong codes every 31 minutes: never the 15-minute limit
        with time_machine.travel(start + timedelta(minutes=31 * step), tick=False):
            sign_in(client, staff.username)
            for _ in range(4):
                assert str(mfa_views.WRONG_CODE) in client.post(VERIFY, {"code": "000000"}).content.decode()
    with time_machine.travel(start + timedelta(minutes=31 * 5), tick=False):
        sign_in(client, staff.username)
        page = client.post(VERIFY, {"code": current_code(enrolled)})
        assert str(mfa_views.LOCKED) in page.content.decode()
    assert AuditEvent.objects.get(event_type=EventType.THROTTLE_ALERT).detail["limit"] == "otp_profile_day"
    with time_machine.travel(start + timedelta(hours=49), tick=False):
        sign_in(client, staff.username)
        assert client.post(VERIFY, {"code": current_code(enrolled)})["Location"] == "/admin/"


# --- where the second factor lands them ---------------------------------------------------------


def signed_in_with_code(profile: Profile, login_next: str | None = None) -> str:
    """Sign in through the pages (password, then the code page the portal sends them to);
    return where the code sends them."""
    client = Client()
    device = mfa_actions.do_provision_totp(profile=profile, ctx=CTX)
    data = {"username": profile.username, "password": PASSWORD}
    if login_next is not None:
        data["next"] = login_next
    held = client.get(client.post(LOGIN, data)["Location"])
    assert held["Location"].startswith(VERIFY)
    response = client.get(held["Location"])
    assert response.status_code == 200
    return client.post(held["Location"], {"code": current_code(device), "next": response.context["next"]})[
        "Location"
    ]


def test_the_second_factor_lands_each_role_on_its_console() -> None:
    world = build_world()
    assert signed_in_with_code(world.service) == reverse("backoffice:service")
    assert signed_in_with_code(world.da_a) == reverse("backoffice:home")
    assert signed_in_with_code(world.security) == reverse("admin:index")


def test_a_page_asked_for_at_sign_in_still_wins_over_the_console() -> None:
    world = build_world()
    assert signed_in_with_code(world.service, "/applications/") == APPS  # asked for, even the default
    assert signed_in_with_code(world.da_a, "/profile/") == "/profile/"
    # Another host's address is not a page of the portal: not followed, the console instead.
    # (One sign-in per Profile: a code is accepted once.)
    assert signed_in_with_code(world.da_b, "https://evil.example/") == reverse("backoffice:home")
    assert signed_in_with_code(world.da_school_a1, "//evil.example/x") == reverse("backoffice:home")
    assert signed_in_with_code(world.security, "javascript:alert(1)") == reverse("admin:index")


def test_enrolment_lands_them_on_their_console_after_the_recovery_codes() -> None:
    world = build_world()
    client = Client()
    client.post(LOGIN, {"username": world.service.username, "password": PASSWORD})
    client.get(ENROL)
    secret = client.session[mfa_session.ENROL_KEY]
    done = client.post(
        ENROL,
        {"code": f"{totp(bytes.fromhex(secret)):06d}", "enrolment_code": issue_enrolment_code(world.service)},
    )
    assert done.context["next"] == reverse("backoffice:service")
    assert f'href="{reverse("backoffice:service")}"' in done.content.decode()


def test_the_code_box_has_focus_and_a_wrong_code_is_linked_to_it(
    client: Client, staff: Profile, enrolled: TOTPDevice
) -> None:
    sign_in(client, staff.username)
    first = client.get(VERIFY).content.decode()
    assert re.search(r'<input[^>]*name="code"[^>]*autofocus', first)
    wrong = client.post(VERIFY, {"code": "000000"}).content.decode()
    summary = re.search(r'<div[^>]*id="error-summary".*?</div>\s*</div>', wrong, re.S)
    assert (
        summary
        and f'<a class="usa-link edgate-tap" href="#id_code">{mfa_views.WRONG_CODE}</a>' in summary.group(0)
    )
    assert not re.search(r'<input[^>]*name="code"[^>]*autofocus', wrong)  # the summary has it
    assert re.search(
        r'<input[^>]*name="code"[^>]*usa-input--error|<input[^>]*usa-input--error[^>]*name="code"', wrong
    )
