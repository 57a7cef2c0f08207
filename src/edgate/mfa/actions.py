"""Every write to a second-factor device: enrolment, provisioning, and a code's check (which
moves the TOTP device's last-used step, or spends a recovery code). Devices and recovery codes
are django-otp's (TOTPDevice, StaticDevice)."""

from __future__ import annotations

import enum
import secrets
import time
from binascii import unhexlify
from dataclasses import dataclass, field

from django.db import transaction
from django.views.decorators.debug import sensitive_variables
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from edgate.accounts.actions import do_issue_activation_code, do_redeem_activation_code
from edgate.accounts.models import CodePurpose, Profile
from edgate.audit.events import audited
from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event, record_throttle_alert
from edgate.core import crypto, throttle
from edgate.core.context import Ctx

RECOVERY_CODES = 10
RECOVERY_CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32: no 0/1/8/9 to mistake
RECOVERY_CODE_LENGTH = 24  # 120 bits (V6.5.2: over 112, so a keyed hash may store them), in groups of 4
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


@dataclass(frozen=True)
class Check:
    device: Device | None = None
    refused: bool = False  # over the limit: the code was not examined
    retry_after: int = 0  # when refused: seconds before a code can be examined again


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str] = field(repr=False)


def new_secret() -> str:
    """A new TOTP secret (hex, 160 bits from `secrets` via django-otp), held in the session
    until the person confirms it with a code."""
    return default_key()


def new_recovery_code() -> str:
    body = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(body[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4))


def recovery_token(code: str) -> str:
    """What django-otp's StaticToken row holds for a recovery code: a keyed hash (its column
    takes 16 characters), so a copy of the database does not hand out working codes."""
    compact = code.replace("-", "").lower()
    return crypto.lookup_hash("mfa-recovery-code", compact)[:16]  # 64 bits of HMAC-SHA256


def _matching_device(profile: Profile, code: str) -> Device | None:
    for device in devices_for_user(profile, confirmed=True, for_verify=True):
        token = recovery_token(code) if isinstance(device, StaticDevice) else code
        if device.verify_token(token):
            return device
    return None


@sensitive_variables()
@audited(
    EventType.OTP_PASSED, EventType.OTP_FAILED, EventType.OTP_RECOVERY_CODE_USED, EventType.THROTTLE_ALERT
)
def do_verify_second_factor(*, profile: Profile, code: str, ctx: Ctx) -> Check:
    """Counted first (a six-digit code is guessable without a limit), then checked against the
    Profile's app and its recovery codes; a right code takes its own attempt back."""
    key = str(profile.pk)
    # A short window against bursts, a day's window so slow guessing never adds up.
    limits = (throttle.named("otp_profile"), throttle.named("otp_profile_day"))
    attempts = throttle.attempt_all(*((limit, key) for limit in limits))
    refused = [a for a in attempts if not a.allowed]
    if refused:
        record_event(
            EventType.OTP_FAILED,
            ctx=ctx,
            target=profile,
            outcome=Outcome.DENIED,
            detail={"limit": refused[0].limit.name},
        )
        for tripped in (a for a in refused if a.tripped):
            record_throttle_alert(ctx=ctx, limit=tripped.limit.name, attempts=tripped.number, target=profile)
        return Check(refused=True, retry_after=throttle.retry_after(*refused))
    with transaction.atomic():
        device = _matching_device(profile, code)
        if device is None:
            record_event(
                EventType.OTP_FAILED,
                ctx=ctx,
                target=profile,
                outcome=Outcome.FAILURE,
                detail={"attempt": attempts[0].number},
            )
            return Check()
        if isinstance(device, StaticDevice):
            left = device.token_set.count()
            record_event(EventType.OTP_RECOVERY_CODE_USED, ctx=ctx, target=profile, detail={"left": left})
        else:
            record_event(EventType.OTP_PASSED, ctx=ctx, target=profile)
    for limit in limits:
        throttle.undo(limit, key)
    return Check(device=device)


class EnrolmentRefused(enum.Enum):
    APP_CODE = "app_code"  # the code from the app does not match the secret shown
    ENROLMENT_CODE = "enrolment_code"  # customer service's enrolment code is wrong or spent
    ALREADY = "already"  # the Profile has an app already


@sensitive_variables()
@audited(EventType.OTP_ENROLLED, EventType.ACTIVATION_CODE_REDEEMED, EventType.ACTIVATION_CODE_FAILED)
@transaction.atomic
def do_enrol_totp(
    *, profile: Profile, secret: str, code: str, enrolment_code: str, ctx: Ctx
) -> Enrolment | EnrolmentRefused:
    """Confirm the app set up with `secret` by its current code and the one-time enrolment code
    customer service issued; then the device is saved and ten fresh recovery codes replace any
    earlier ones. A refusal writes nothing but its audit event. The caller shows the recovery
    codes once; they are never shown again."""
    # The Profile's row serializes enrolments: two at once must not leave two apps.
    profile = Profile.objects.select_for_update().get(pk=profile.pk)
    if TOTPDevice.objects.filter(user=profile, confirmed=True).exists():
        return EnrolmentRefused.ALREADY  # one app per Profile: never replaced silently
    device = TOTPDevice(user=profile, name=APP_DEVICE_NAME, key=secret, confirmed=True)
    totp = TOTP(unhexlify(secret), device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not code.isdigit() or not totp.verify(int(code), device.tolerance):
        return EnrolmentRefused.APP_CODE
    if not do_redeem_activation_code(
        profile=profile, purpose=CodePurpose.ENROL, typed=enrolment_code, ctx=ctx
    ):
        return EnrolmentRefused.ENROLMENT_CODE
    device.last_t = totp.t()  # this code cannot be used again to pass the second factor
    device.save()
    StaticDevice.objects.filter(user=profile).delete()
    static = StaticDevice.objects.create(user=profile, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=recovery_token(c)) for c in codes)
    record_event(EventType.OTP_ENROLLED, ctx=ctx, target=profile, detail={"recovery_codes": RECOVERY_CODES})
    return Enrolment(device=device, recovery_codes=codes)


@audited(EventType.OTP_ENROLLED)
@transaction.atomic
def do_provision_totp(*, profile: Profile, ctx: Ctx) -> TOTPDevice:
    """A confirmed app device with a new secret, for someone who is given the secret rather
    than enrolling (the demo accounts). A Profile that has one keeps it: nothing written."""
    existing = TOTPDevice.objects.filter(user=profile, confirmed=True).order_by("pk").first()
    if existing is not None:
        return existing
    device = TOTPDevice.objects.create(user=profile, name=APP_DEVICE_NAME, confirmed=True)
    record_event(EventType.OTP_ENROLLED, ctx=ctx, target=profile, detail={"provisioned": True})
    return device


@sensitive_variables()
@audited(EventType.OTP_RESET, EventType.ACTIVATION_CODE_ISSUED)
@transaction.atomic
def do_reset_second_factor(*, profile: Profile, reason: str, ctx: Ctx) -> str:
    """Customer service, for a privileged Profile whose authenticator is lost: its app and its
    recovery codes are deleted, and a one-time enrolment code is issued so that its owner (and
    nobody who merely knows the password) can attach a new app. Returns the code, shown once."""
    profile = Profile.objects.select_for_update().get(pk=profile.pk)
    removed = sorted(
        [f"totp:{d.name}" for d in TOTPDevice.objects.filter(user=profile)]
        + [f"static:{d.name}" for d in StaticDevice.objects.filter(user=profile)]
    )
    TOTPDevice.objects.filter(user=profile).delete()
    StaticDevice.objects.filter(user=profile).delete()  # its recovery codes go with it (cascade)
    record_event(
        EventType.OTP_RESET,
        ctx=ctx,
        target=profile,
        detail={"devices_old": removed, "devices_new": [], "reason": reason},
    )
    code, _row = do_issue_activation_code(profile=profile, purpose=CodePurpose.ENROL, ctx=ctx, reason=reason)
    return code
