"""HTTP for the wizard: the flow engine's step view, with the wizard's declaration (steps.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from edgate.accounts import signin
from edgate.audit.record import record_throttle_alert
from edgate.core import conf, throttle
from edgate.core import flow as engine
from edgate.core.context import ctx_from_request
from edgate.core.flow import FLOW_FIELD
from edgate.core.flowview import FlowView, redirect_to, start_at
from edgate.recovery import flows as recovery
from edgate.recovery import steps as recovery_steps
from edgate.recovery.states import State as RecoveryState

from . import cases, flows
from .forms import CaseStatusForm
from .steps import GRAPH, State


def start(request: HttpRequest) -> HttpResponse:
    """Create a Profile: a new registration, in this tab (another tab keeps its own)."""
    return start_at(request, GRAPH)


@require_POST
def restart(request: HttpRequest) -> HttpResponse:
    engine.end(request, GRAPH, request.POST.get(FLOW_FIELD, ""))
    return start_at(request, GRAPH)


class StepView(FlowView):
    graph = GRAPH

    def get(self, request: HttpRequest, step: str) -> HttpResponse:
        response = super().get(request, step)
        if self.step.name in (State.CREATED, State.SETUP_DONE, State.EXACT) and response.status_code == 200:
            # "Your Profile is ready", or the exact match's reminder, has just shown this browser
            # its User Name: the sign-in page its "Sign in" button leads to is given it (once, by
            # the session). Not after an exact match on names and a birth date only (rules-4
            # E9), whose page shows no User Name.
            profile = flows.profile_of(self.run.data)
            if profile is not None and not self.run.data.get("match", {}).get("weak"):
                signin.offer_username(request, profile.username)
        return response

    def post(self, request: HttpRequest, step: str) -> HttpResponse:
        if self.step.name == State.EXACT:
            return self.change_password()
        return super().post(request, step)

    def change_password(self) -> HttpResponse:
        """From the exact-match reminder: answer the hint question, then choose a password
        (a recovery flow of its own, started at the question)."""
        profile = flows.profile_of(self.run.data)
        if profile is None:
            return start_at(self.request, GRAPH)
        if self.run.data.get("match", {}).get("weak"):
            # Matched on names and a birth date only (rules-4 E9): no hint question of this
            # Profile is shown to whoever typed them; the page offers sign-in and recovery.
            return redirect_to(GRAPH, State.EXACT, self.run.flow_id)
        data = recovery.data_for_profile(profile, ctx_from_request(self.request))
        started = engine.start(self.request, recovery_steps.GRAPH, state=RecoveryState.ANSWER, data=data)
        return redirect_to(recovery_steps.GRAPH, started.state, started.pk)


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
