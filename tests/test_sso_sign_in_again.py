"""A fresh sign-in asked for by an application (prompt=login, max_age), and the way back from the
sign-in page (edgate_login_after). In process: the Django test client as the person's browser
and as the client."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import Grant

from edgate.directory import actions as directory
from edgate.mfa.actions import do_provision_totp
from edgate.sso import authn

from .factories import CTX
from .oidc import (
    REDIRECT,
    World,
    authorize,
    claims_of,
    code_of,
    csrf_of,
    exchange,
    grant,
    query,
    signed_in_page,
)
from .second_factor import current_code
from .test_oidc import person, register, sign_in_again, sign_in_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> World:
    from .oidc import signing_key, world

    signing_key()
    return world()


@pytest.fixture
def public(w: World):  # type: ignore[no-untyped-def]
    return register(w, public=True).client


def pass_code(page: Client, held, device) -> str:  # type: ignore[no-untyped-def]
    """The code page the endpoint held the session at: the code typed; answers where it goes."""
    assert held.status_code == 302 and held["Location"].startswith(f"{reverse('mfa:verify')}?next="), (
        held.status_code,
        held.get("Location"),
    )
    passed = page.post(held["Location"], {"code": current_code(device), "csrfmiddlewaretoken": csrf_of(page)})
    assert passed.status_code == 302, passed.status_code
    return passed["Location"]


# --- 1. amr and acr describe the authentication auth_time refers to ------------------------


def test_a_fresh_sign_in_does_not_keep_an_earlier_second_factor(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """OIDC Core §2 (amr, acr) and §3.1.2.1 (prompt=login, max_age): the ID token's amr and acr
    describe the authentication its auth_time refers to. A session that passed its second
    factor, then typed only the password again for prompt=login (or a max_age exceeded), kept
    the earlier second factor: amr said otp/mfa of a sign-in that used none. Now the new
    sign-in starts afresh: a Directory Administrator passes the code again before any code
    (and the admin site asks for it again too); a person whose client asks for the second factor
    (acr_values) is sent to the code page again; otherwise amr is `pwd` and acr the password."""
    admin = person("Dana", "Admin")
    grant(admin, w)
    directory.do_appoint_admin(profile=admin, organization=w.district, ctx=CTX)
    device = do_provision_totp(profile=admin, ctx=CTX)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        page = signed_in_page(admin)
        pass_code(page, authorize(page, public.client_id), device)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        back = sign_in_again(page, authorize(page, public.client_id, prompt="login"))
        held = page.get(back)  # the password alone: no code, the code page first
        assert not Grant.objects.exists()
        assert page.get(reverse("admin:index"))["Location"].startswith(reverse("mfa:verify"))
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        claims = claims_of(
            exchange(public.client_id, code_of(page.get(pass_code(page, held, device))))["id_token"]
        )
        assert (claims["auth_time"], claims["amr"], claims["acr"]) == (
            int((start + timedelta(minutes=5)).timestamp()),
            ["pwd", "otp", "mfa"],
            authn.ACR_SECOND_FACTOR,
        )

    # Not privileged, with the app: the second factor for a client that asked for it (acr_values).
    educator = person()
    grant(educator, w)
    device = do_provision_totp(profile=educator, ctx=CTX)
    strict = {"acr_values": authn.ACR_SECOND_FACTOR}
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        page = signed_in_page(educator)
        first = page.get(pass_code(page, authorize(page, public.client_id, **strict), device))
        assert claims_of(exchange(public.client_id, code_of(first))["id_token"])["amr"] == [
            "pwd",
            "otp",
            "mfa",
        ]
    with time_machine.travel(start + timedelta(minutes=15), tick=False):
        answer = page.get(sign_in_again(page, authorize(page, public.client_id, prompt="login")))
        claims = claims_of(exchange(public.client_id, code_of(answer))["id_token"])
        assert (claims["auth_time"], claims["amr"], claims["acr"]) == (
            int((start + timedelta(minutes=15)).timestamp()),
            ["pwd"],
            authn.ACR_PASSWORD,
        )
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        back = sign_in_again(page, authorize(page, public.client_id, max_age="60", **strict))
        answer = page.get(pass_code(page, page.get(back), device))
        claims = claims_of(exchange(public.client_id, code_of(answer))["id_token"])
        assert (claims["auth_time"], claims["acr"]) == (
            int((start + timedelta(minutes=20)).timestamp()),
            authn.ACR_SECOND_FACTOR,
        )


# --- 2. edgate_login_after the portal did not write ------------------------------------------

NOT_THE_PORTALS = (
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "-1e309",
    "1e309",
    "1" + "0" * 400,
    "9" * 1000,
    "99999999999",  # a moment to come (year 5138)
    "garbage",
    "",
    "0x10",
    " 1 ",
    "\u0661\u0662\u0663",  # Arabic-Indic digits: float() reads them
)


def test_a_login_after_the_portal_did_not_write_is_taken_as_absent(w: World, public) -> None:  # type: ignore[no-untyped-def]
    """edgate_login_after is the portal's own, on the way back from the sign-in page it sent the
    person to (prompt=login, max_age): only ever a stricter demand, which a browser can drop.
    A value it would not have written was read as a float: `nan` or a moment to come is met by
    no sign-in (the signed-in person sent to the sign-in page for nothing, a signed-out one
    signing in twice), garbage answered the client `invalid_request` about max_age, which it
    never sent. Each is now taken as absent: a signed-in browser gets its code at once (also
    with prompt=none), a signed-out one after one sign-in; never a 500 or a loop. The value the
    portal writes still asks for the sign-in (test_oidc.py
    test_prompt_login_does_not_end_the_session_before_a_new_sign_in)."""
    who = person()
    grant(who, w)
    page = signed_in_page(who)
    page.raise_request_exception = False
    for value in NOT_THE_PORTALS:
        extra = {authn.LOGIN_AFTER: value}
        answer = authorize(page, public.client_id, **extra)
        assert answer.status_code == 302 and "code" in query(answer["Location"]), (
            value,
            answer.get("Location"),
        )
        silent = authorize(page, public.client_id, prompt="none", **extra)
        assert "code" in query(silent["Location"]), (value, silent["Location"])
        with_max_age = authorize(page, public.client_id, max_age="3600", **extra)
        assert "code" in query(with_max_age["Location"]), (value, with_max_age["Location"])
        signed_out = Client(enforce_csrf_checks=True)
        signed_out.raise_request_exception = False
        first = authorize(signed_out, public.client_id, **extra)
        assert first["Location"].startswith(f"{reverse('accounts:login')}?next="), first.get("Location")
        back = sign_in_from(signed_out, first["Location"], who)
        assert back.status_code == 302
        answer = signed_out.get(back["Location"])
        assert answer.status_code == 302 and answer["Location"].startswith(REDIRECT), (
            value,
            answer.get("Location"),
        )
        assert "code" in query(answer["Location"]), (value, answer["Location"])
