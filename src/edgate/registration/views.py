"""HTTP for the wizard: find the flow, check the step may be shown, call one flow function."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from edgate.accounts.forms import ContactForm
from edgate.accounts.passwords import PasswordContext
from edgate.audit.record import record_throttle_alert
from edgate.core import conf, crypto, flowstate, throttle
from edgate.core.context import ctx_from_request
from edgate.core.flowstate import Lookup
from edgate.core.models import Flow
from edgate.recovery import flows as recovery

from . import cases, flows
from .forms import CaseStatusForm, IdentityForm, ReviewForm, SecurityForm
from .steps import KIND, PAGE_TITLES, PAGES, STEPS, UNCHANGED, State, can_view

FORMS: dict[State, type[forms.Form]] = {
    State.IDENTITY: IdentityForm,
    State.CHECK: IdentityForm,
    State.CONTACT: ContactForm,
    State.SECURITY: SecurityForm,
    State.REVIEW: ReviewForm,
    State.SETUP: SecurityForm,
}
HANDLERS = {
    State.IDENTITY: flows.submit_identity,
    State.CHECK: flows.submit_check,
    State.CONTACT: flows.submit_contact,
    State.SECURITY: flows.submit_security,
    State.REVIEW: lambda flow, cleaned, ctx: flows.complete_registration(flow.pk, ctx),
    State.SETUP: flows.submit_setup,
}
EXPIRED = _lazy(
    "Your registration expired after a period without activity, so it was cleared. Please start again."
)
SENSITIVE = (
    "ssn",
    "dob_day",
    "dob_month",
    "dob_year",
    "new_password",
    "confirm_password",
    "hint_answer",
    "code",
)


CODE_REFUSED = _lazy(
    "That code is not valid for this Profile, or it has expired or was already used. "
    "Check it and try again, or ask whoever gave you the code (your Directory Administrator or "
    "customer service) for a new one."
)
CODE_LOCKED = _lazy(
    "There have been too many attempts. For your security, codes are not accepted for a while. "
    "Call customer service for help."
)


def _refuse(form: forms.Form, message: str) -> None:
    """A refusal above the form, bound or not (the check page's "Continue without changes"
    reads no form: its page is shown again with the answers as they were)."""
    if form.is_bound:
        form.add_error(None, message)
    else:
        form.errors[NON_FIELD_ERRORS] = form.error_class([message], error_class="nonfield")


def step_url(state: State | str) -> str:
    return reverse("registration:step", args=[str(state)])


def flow_tag(flow: Flow) -> str:
    """Ties a submitted page to the flow it was rendered for (a second tab, a tampered page)."""
    return crypto.lookup_hash("flow-tag", flow.pk)[:24]


def start(request: HttpRequest) -> HttpResponse:
    lookup, flow = flowstate.find(request, kind=KIND)
    if lookup is Lookup.EXPIRED:
        messages.warning(request, EXPIRED)
    if flow is None or STEPS[State(flow.state)].terminal:
        flow = flowstate.start(request, kind=KIND, state=State.IDENTITY)
    return redirect(step_url(flow.state))


@require_POST
def restart(request: HttpRequest) -> HttpResponse:
    flowstate.end(request, kind=KIND)
    return redirect("registration:start")


@sensitive_variables()
def _initial(state: State, flow: Flow) -> dict[str, Any]:
    data = flow.data
    if state in (State.IDENTITY, State.CHECK) and "identity" in data:
        ident = dict(data["identity"])
        ident.pop("ssn", None)  # never sent back to the browser
        year, month, day = ident.pop("date_of_birth").split("-")
        return ident | {"dob_year": int(year), "dob_month": str(int(month)), "dob_day": int(day)}
    if state == State.CONTACT:
        return dict(data.get("contact", {}))
    return {}


def _form_kwargs(state: State, flow: Flow, profile: Any) -> dict[str, Any]:
    if state == State.SECURITY:
        return {"password_context": PasswordContext.from_identity(flow.data.get("identity", {}))}
    if state == State.SETUP and profile is not None:
        return {
            "password_context": PasswordContext.for_profile(profile),
            "require_code": bool(flow.data.get("match", {}).get("code_required"))
            or flows.setup_code_required(profile),
        }
    return {}


# Every page of the wizard may hold page 1's data (see edgate.core.debug).
@method_decorator(sensitive_variables(), name="dispatch")
@method_decorator(sensitive_post_parameters(*SENSITIVE), name="dispatch")
class StepView(View):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.state = State(kwargs["step"])
        except ValueError as exc:
            raise Http404 from exc
        lookup, flow = flowstate.find(request, kind=KIND)
        if flow is None:
            # The session's idle timeout and the flow's lifetime are both 30 minutes, so an
            # expired registration usually arrives here as "missing": say the same for both.
            if lookup is Lookup.EXPIRED or self.state != State.IDENTITY:
                messages.warning(request, EXPIRED)
            flow = flowstate.start(request, kind=KIND, state=State.IDENTITY)
            # Page 1 is shown straight away rather than redirected to itself: a browser that
            # refuses cookies would otherwise bounce between two redirects for ever.
            if not (self.state == State.IDENTITY and request.method == "GET"):
                return redirect(step_url(State.IDENTITY))
        if not can_view(self.state, State(flow.state)):
            return redirect(step_url(flow.state))
        self.flow = flow
        self.profile = flows.profile_of(flow)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, step: str) -> HttpResponse:
        form_class = FORMS.get(self.state)
        form = (
            form_class(
                initial=_initial(self.state, self.flow),
                **_form_kwargs(self.state, self.flow, self.profile),
            )
            if form_class
            else None
        )
        return self.render(form)

    def post(self, request: HttpRequest, step: str) -> HttpResponse:
        if request.POST.get("flow") != flow_tag(self.flow):
            messages.warning(
                request,
                _("That page was out of date, so nothing was saved. Please continue from here."),
            )
            return redirect(step_url(self.flow.state))
        if self.state == State.EXACT:
            return self.change_password()
        form_class = FORMS.get(self.state)
        if form_class is None:
            return redirect(step_url(self.flow.state))
        kwargs = _form_kwargs(self.state, self.flow, self.profile)
        unchanged = self.state == State.CHECK and UNCHANGED in request.POST
        if unchanged:  # the answers as they were: nothing of the form is read
            form = form_class(initial=_initial(self.state, self.flow), **kwargs)
        else:
            form = form_class(request.POST, **kwargs)
        if unchanged or form.is_valid():
            try:
                if unchanged:
                    target = flows.submit_unchanged(self.flow, ctx_from_request(request))
                else:
                    target = HANDLERS[self.state](self.flow, form.cleaned_data, ctx_from_request(request))
            except flows.CodeRefused as refused:
                field = "code" if "code" in form.fields else None  # None: access granted since page 1
                form.add_error(field, CODE_LOCKED if refused.locked else CODE_REFUSED)
                if refused.locked:
                    return throttle.too_many(self.render(form), refused.retry_after)
            except flows.Throttled as throttled:
                _refuse(
                    form,
                    _(
                        "We cannot check your information right now because of too many attempts. "
                        "Try again in an hour, or call customer service."
                    ),
                )
                return throttle.too_many(self.render(form), throttled.retry_after)
            else:
                flowstate.touch(Flow.objects.get(pk=self.flow.pk))
                return redirect(step_url(target))
        return self.render(form, status=200)

    def change_password(self) -> HttpResponse:
        """From the exact-match reminder: answer the hint question, then choose a password."""
        if self.profile is None:
            return redirect("registration:start")
        recovery.start_for_profile(self.request, self.profile, ctx_from_request(self.request))
        return redirect("recovery:step", "answer")

    def render(self, form: forms.Form | None, status: int = 200) -> HttpResponse:
        step = STEPS[self.state]
        context = {
            "step": step,
            "form": form,
            "flow_tag": flow_tag(self.flow),
            "pages": [(i + 1, title, PAGES[i]) for i, title in enumerate(PAGE_TITLES)],
            "profile": self.profile,
            "match": self.flow.data.get("match", {}),
        }
        if self.state == State.REVIEW:
            context["review"] = _review(self.flow.data)
        if self.state == State.PARTIAL:
            context["contacts"] = cases.case_contacts(context["match"].get("case", ""))
            context["customer_service_tel"] = cases.tel_uri(conf.get().customer_service_phone)
        return render(
            request=self.request,
            template_name=f"registration/{self.state}.html",
            context=context,
            status=status,
        )


@sensitive_variables()
def _review(data: dict[str, Any]) -> dict[str, Any]:
    ident, contact = data.get("identity", {}), data.get("contact", {})
    return {
        "name": " ".join(
            p for p in (ident.get("first_name"), ident.get("middle_name"), ident.get("last_name")) if p
        ),
        "former_last_name": ident.get("former_last_name"),
        "date_of_birth": ident.get("date_of_birth"),
        "ssn_masked": f"***-**-{ident['ssn'][-4:]}" if ident.get("ssn") else "",
        "state_id": ident.get("state_id"),
        "contact": contact,
        "hint_question": data.get("security", {}).get("hint_question"),
    }


CASE_STATUS_THROTTLED = _lazy(
    "There have been too many look-ups from your network. Try again in an hour, or call customer service."
)
UNKNOWN_REFERENCE = _lazy(
    "We have no case with that reference. Check it against the page that gave it to you."
)


@require_http_methods(["GET", "POST"])
def case_status(request: HttpRequest) -> HttpResponse:
    """Anyone may ask how a case stands, by its reference (POST, counted per address): open,
    with customer service, resolved, or unknown. Nothing about the person or the record.

    `?reference=` only fills the form in (the partial-match page links here with the case's
    reference, which is not personal data); the look-up itself is the counted POST."""
    if request.method == "POST":
        form = CaseStatusForm(request.POST)
    else:
        form = CaseStatusForm(initial={"reference": request.GET.get("reference", "").strip()[:20]})
    state, reference, refused_for = None, "", 0
    if form.is_bound and form.is_valid():
        ctx = ctx_from_request(request)
        counted = throttle.attempt(throttle.named("case_status_address"), ctx.client_ip)
        if not counted.allowed:
            if counted.tripped:
                record_throttle_alert(ctx=ctx, limit=counted.limit.name, attempts=counted.number)
            form.add_error(None, CASE_STATUS_THROTTLED)
            refused_for = max(1, counted.retry_after)
        else:
            reference = form.cleaned_data["reference"]
            state = cases.case_state(reference)
            if state is cases.CaseState.UNKNOWN:
                form.add_error("reference", UNKNOWN_REFERENCE)
                state, reference = None, ""
    response = render(
        request,
        "registration/case_status.html",
        {
            "form": form,
            "state": state,
            "reference": reference,
            "customer_service_tel": cases.tel_uri(conf.get().customer_service_phone),
        },
    )
    return throttle.too_many(response, refused_for) if refused_for else response
