from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from edgate.core import throttle
from edgate.core.context import ctx_from_request

from . import actions, signin
from .forms import ChangeHintForm, ChangePasswordForm, ContactForm, SignInForm

SIGN_IN_FAILED = gettext_lazy("The User Name or password is not correct.")
NOT_CHECKED = gettext_lazy("We did not check that password: it came before the wait was over.")


@sensitive_post_parameters("password")
@sensitive_variables()
def login_view(request: HttpRequest) -> HttpResponse:
    # `again`: an application asked for a fresh sign-in (single sign-on's prompt=login or
    # max_age): the form is shown to a signed-in person too, whose session stays as it is
    # unless this sign-in succeeds (then it is replaced, as any sign-in replaces it).
    again = bool(request.GET.get("again"))
    if request.user.is_authenticated and not again:
        return redirect(settings.LOGIN_REDIRECT_URL)
    # The User Name the wizard has just shown this browser (signin.offer_username): once, and
    # only on a page not posted; taken from the session either way.
    offered = signin.offered_username(request)
    if request.method == "POST":
        form = SignInForm(request.POST or None)
    else:
        form = SignInForm(initial={"username": offered} if offered else None)
        if offered:
            form.fields["password"].widget.attrs["autofocus"] = True
    result = None
    if request.method == "POST" and form.is_valid():
        result = signin.sign_in(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if result.ok:
            next_url = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(
                next_url, {request.get_host()}, require_https=request.is_secure()
            ):
                next_url = ""
            request.session[signin.NEXT_ASKED] = bool(next_url)
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        form.add_error(None, SIGN_IN_FAILED if not result.delayed else NOT_CHECKED)
        if result.retry_after and not result.from_address:
            form.add_error(None, _wait_message(result.retry_after))
    context = {"form": form, "next": request.GET.get("next", ""), "again": again}
    response = render(request, "accounts/login.html", context)
    # 429 for an attempt refused unexamined (before its wait was over, or over the address's
    # limit); a wrong password is an ordinary form error, and so is a locked User Name, which
    # reads like one on purpose (docs/security.md, Abuse controls and lockout).
    if result and (result.delayed or result.from_address):
        return throttle.too_many(response, result.retry_after)
    if result and result.retry_after:
        response["Retry-After"] = str(result.retry_after)
    return response


def _wait_message(seconds: int) -> str:
    """The same words for every User Name, known or not: nothing here tells whether it exists."""
    if seconds >= 90:
        wait = ngettext("about %(n)d minute", "about %(n)d minutes", round(seconds / 60)) % {
            "n": round(seconds / 60)
        }
    else:
        wait = ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    return _(
        "For your security, after several tries, each sign-in with this User Name must wait. "
        "Wait %(wait)s, then sign in again."
    ) % {"wait": wait}


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    signin.sign_out(request)
    messages.success(request, _("You are signed out."))
    return redirect("accounts:login")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    person = request.user.person
    initial = {name: getattr(person, name) for name in actions.CONTACT_FIELDS}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.do_update_contact(
            profile=request.user, contact=form.cleaned_data, ctx=ctx_from_request(request)
        )
        messages.success(request, _("Your contact details are saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "person": person})


@login_required
@sensitive_post_parameters("current_password", "new_password", "confirm_password")
@sensitive_variables()
def change_password(request: HttpRequest) -> HttpResponse:
    form, valid, refused_for = signin.reauthenticate(request, ChangePasswordForm, user=request.user)
    if valid:
        actions.do_change_password(
            profile=request.user,
            new_password=form.cleaned_data["new_password"],
            ctx=ctx_from_request(request),
        )
        # Keep this session; every other session of the Profile ends (its hash no longer matches).
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password is changed. You were signed out everywhere else."))
        return redirect("accounts:profile")
    response = render(request, "accounts/change_password.html", {"form": form})
    return throttle.too_many(response, refused_for) if refused_for else response


@login_required
@sensitive_post_parameters("current_password", "hint_answer")
@sensitive_variables()
def change_hint(request: HttpRequest) -> HttpResponse:
    form, valid, refused_for = signin.reauthenticate(request, ChangeHintForm, user=request.user)
    if valid:
        actions.do_change_hint(
            profile=request.user,
            question=form.cleaned_data["hint_question"],
            answer=form.cleaned_data["hint_answer"],
            ctx=ctx_from_request(request),
        )
        messages.success(request, _("Your Password Hint Question and Answer are changed."))
        return redirect("accounts:profile")
    response = render(request, "accounts/change_hint.html", {"form": form})
    return throttle.too_many(response, refused_for) if refused_for else response
