from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from edgate.core import flowstate, throttle
from edgate.core.context import ctx_from_request
from edgate.core.flowstate import Lookup

from . import flows
from .forms import AnswerForm, CodeForm, ResetPasswordForm, UsernameForm
from .steps import KIND, State

FORMS: dict[State, type[forms.Form]] = {
    State.USERNAME: UsernameForm,
    State.ANSWER: AnswerForm,
    State.CODE: CodeForm,
    State.PASSWORD: ResetPasswordForm,
}
LOCKED_MESSAGE = gettext_lazy(
    "That answer does not match, and there have been too many attempts. "
    "For your security, password recovery is paused for this Profile. "
    "Call customer service for help."
)


def step_url(state: State | str) -> str:
    return reverse("recovery:step", args=[str(state)])


ADDRESS_LOCKED = gettext_lazy(
    "Too many password-recovery attempts have come from your network. Try again in an hour, "
    "or call customer service."
)
CODE_REFUSED = gettext_lazy(
    "That code is not valid for that User Name, or it has expired or was already used. "
    "Check both and try again, or call customer service for a new code."
)
CODE_LOCKED = gettext_lazy(
    "There have been too many attempts. For your security, codes are not accepted for a while. "
    "Call customer service for help."
)


def start(request: HttpRequest) -> HttpResponse:
    flowstate.start(request, kind=KIND, state=State.USERNAME)
    return redirect(step_url(State.USERNAME))


def start_with_code(request: HttpRequest) -> HttpResponse:
    flowstate.start(request, kind=KIND, state=State.CODE)
    return redirect(step_url(State.CODE))


@method_decorator(sensitive_variables(), name="dispatch")
@method_decorator(
    sensitive_post_parameters("answer", "code", "new_password", "confirm_password"), name="dispatch"
)
class StepView(View):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.state = State(kwargs["step"])
        except ValueError as exc:
            raise Http404 from exc
        lookup, flow = flowstate.find(request, kind=KIND)
        if flow is None:
            if lookup is Lookup.EXPIRED:
                messages.warning(
                    request,
                    _("Your password reset expired after a period without activity. Please start again."),
                )
            return start(request)
        if self.state != flow.state:
            return redirect(step_url(flow.state))
        self.flow = flow
        self.ctx = ctx_from_request(request)
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data: Any = None) -> forms.Form | None:
        form_class = FORMS.get(self.state)
        if form_class is None:
            return None
        if form_class is ResetPasswordForm:
            return form_class(data, user=flows.profile_for(self.flow))
        return form_class(data)

    def get(self, request: HttpRequest, step: str) -> HttpResponse:
        return self.render(self._form())

    def post(self, request: HttpRequest, step: str) -> HttpResponse:
        form = self._form(request.POST)
        if form is None or not form.is_valid():
            return self.render(form)
        if self.state == State.USERNAME:
            return redirect(
                step_url(flows.submit_username(self.flow, form.cleaned_data["username"], self.ctx))
            )
        if self.state == State.ANSWER:
            try:
                if flows.submit_answer(self.flow, form.cleaned_data["answer"], self.ctx):
                    return redirect(step_url(State.PASSWORD))
                form.add_error("answer", _("That answer does not match. Check it and try again."))
            except flows.Locked as locked:
                form.add_error("answer", ADDRESS_LOCKED if locked.from_address else LOCKED_MESSAGE)
                return throttle.too_many(self.render(form), locked.retry_after)
            return self.render(form)
        if self.state == State.CODE:
            data = form.cleaned_data
            try:
                if flows.submit_code(self.flow, data["username"], data["code"], self.ctx):
                    return redirect(step_url(State.PASSWORD))
                form.add_error("code", CODE_REFUSED)
            except flows.Locked as locked:
                form.add_error("code", ADDRESS_LOCKED if locked.from_address else CODE_LOCKED)
                return throttle.too_many(self.render(form), locked.retry_after)
            return self.render(form)
        return redirect(
            step_url(flows.submit_password(self.flow, form.cleaned_data["new_password"], self.ctx))
        )

    def render(self, form: forms.Form | None) -> HttpResponse:
        context = {
            "form": form,
            "state": str(self.state),
            "question": self.flow.data.get("question", ""),
        }
        return render(self.request, f"recovery/{self.state}.html", context)
