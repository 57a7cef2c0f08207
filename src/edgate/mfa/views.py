"""The second step of a privileged sign-in: a code from the app (or a recovery code), or
enrolling the app the first time."""

from __future__ import annotations

from base64 import b32encode
from binascii import unhexlify
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from edgate.accounts.models import CUSTOMER_SERVICE_PERMISSION
from edgate.accounts.signin import NEXT_ASKED
from edgate.core import throttle
from edgate.core.context import ctx_from_request
from edgate.directory.models import OrgAdministrator

from . import actions, session
from .forms import ConfirmDeviceForm, SecondFactorForm

WRONG_CODE = _("That code is not correct, or it was used already. Wait for a new code and try again.")
LOCKED = _(
    "For your security, after several wrong codes no code is checked for a while. "
    "Try again later, or call customer service."
)
WRONG_ENROLMENT_CODE = _(
    "That enrolment code is not valid for your Profile, or it has expired or was already used. "
    "Call customer service for a new one."
)
WRONG_SETUP_CODE = _("That code does not match. Check the time on your phone, then enter the new code.")


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure()):
        return wanted
    return ""


def landing(request: HttpRequest, next_url: str) -> str:
    """Where a privileged person goes once the second factor is passed: the page they asked
    for (a same-host `next`, checked by `_next`), else their console — customer service's for
    customer service, the admin site for a security administrator, the Directory
    Administrators' for one — else My applications. The sign-in page's own default (My
    applications, where every page waited for the code) is not something they asked for."""
    default = resolve_url(settings.LOGIN_REDIRECT_URL)
    asked = request.session.pop(NEXT_ASKED, True)
    if next_url and (asked or next_url != default):
        return next_url
    profile = request.user
    if profile.is_superuser and profile.is_staff:  # type: ignore[union-attr]
        return reverse("admin:index")
    if profile.has_perm(CUSTOMER_SERVICE_PERMISSION):  # type: ignore[union-attr]
        return reverse("backoffice:service")
    if OrgAdministrator.objects.filter(profile=profile, organization__active=True).exists():
        return reverse("backoffice:home")
    return default


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


@login_required
@sensitive_post_parameters("code")
@sensitive_variables()
def verify(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    if request.user.is_verified():  # type: ignore[union-attr]
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    if not session.has_device(request):
        return redirect(_with_next(reverse("mfa:enrol"), next_url))
    form = SecondFactorForm(request.POST or None)
    check = None
    if request.method == "POST" and form.is_valid():
        check = actions.do_verify_second_factor(
            profile=request.user, code=form.cleaned_data["code"], ctx=ctx_from_request(request)
        )
        if check.device is not None:
            session.complete(request, check.device)
            return redirect(landing(request, next_url))
        # On the field, so the error summary links to it.
        form.add_error("code", LOCKED if check.refused else WRONG_CODE)
    if not form.errors:
        # Nothing else to do on this page: the cursor waits in the code box. (With errors, the
        # summary takes focus and links to the box.)
        form.fields["code"].widget.attrs["autofocus"] = True
    response = render(request, "mfa/verify.html", {"form": form, "next": next_url})
    if check is not None and check.refused:
        return throttle.too_many(response, check.retry_after)
    return response


@require_POST
@login_required
def skip(request: HttpRequest) -> HttpResponse:
    """Go on without privileges (My applications); the admin site still asks for the code."""
    session.skip(request)
    return redirect(settings.LOGIN_REDIRECT_URL)


@login_required
@sensitive_post_parameters("code")
@sensitive_variables()
def enrol(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    # Only privileged sessions enrol: marked at sign-in, or privileged since (appointed during the
    # session, and sent here by single sign-on's authorization endpoint).
    if request.user.is_verified() or not (request.session.get(session.DUE) or session.is_owed(request)):  # type: ignore[union-attr]
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    if session.has_device(request):
        return redirect(_with_next(reverse("mfa:verify"), next_url))
    # The secret lives in the session until confirmed: nothing is written for a page view.
    secret = request.session.setdefault(session.ENROL_KEY, actions.new_secret())
    form = ConfirmDeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolment = actions.do_enrol_totp(
            profile=request.user,
            secret=secret,
            code=form.cleaned_data["code"],
            enrolment_code=form.cleaned_data["enrolment_code"],
            ctx=ctx_from_request(request),
        )
        if isinstance(enrolment, actions.Enrolment):
            session.complete(request, enrolment.device)
            # Shown once, in this response only (never stored where a later page could show them).
            context = {"codes": enrolment.recovery_codes, "next": landing(request, next_url)}
            return render(request, "mfa/recovery_codes.html", context)
        if enrolment == actions.EnrolmentRefused.ENROLMENT_CODE:
            form.add_error("enrolment_code", WRONG_ENROLMENT_CODE)
        else:
            form.add_error("code", WRONG_SETUP_CODE)
    uri = TOTPDevice(user=request.user, key=secret).config_url
    text_secret = b32encode(unhexlify(secret)).decode()
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": segno.make(uri, error="m").svg_inline(scale=4, border=4, omitsize=True, light="#fff"),
        "text_secret": " ".join(text_secret[i : i + 4] for i in range(0, len(text_secret), 4)),
    }
    return render(request, "mfa/enrol.html", context)
