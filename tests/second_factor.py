"""A second factor for privileged test Profiles: passed through its page, or put in a session."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from edgate.accounts.models import Profile
from edgate.mfa.actions import do_provision_totp

from .factories import CTX


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def pass_second_factor(client: Client, profile: Profile) -> None:
    """A signed-in privileged session passes its second factor on the code page."""
    device = do_provision_totp(profile=profile, ctx=CTX)
    response = client.post(reverse("mfa:verify"), {"code": current_code(device)})
    assert response.status_code == 302 and not response["Location"].startswith(reverse("mfa:verify"))


def force_verified_login(client: Client, profile: Profile) -> None:
    """`force_login`, in a session that has passed a second factor (for tests about something else)."""
    device = do_provision_totp(profile=profile, ctx=CTX)
    client.force_login(profile)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
