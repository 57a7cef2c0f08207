"""The one step view for every flow declared with core.flow: HTTP in, one engine call, a redirect.

GET shows a step (with the errors of a refused submission, kept in the flow row); POST reads
the step's form, runs its action through `flow.advance` and always answers 303 See Other: to
the next step, or back to the same step with its errors. So no page a person sees is ever the
answer to a POST, and Back, Reload and a restored tab never ask to resubmit a form.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.dispatch import Signal
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from . import flow as engine
from . import throttle
from .context import client_ip, ctx_from_request
from .flow import FLOW_FIELD, Graph, Moved, Page, Refused, Run, Stay, Step
from .models import Flow
from .views import error_page

# A page of a flow refused as an attempt to get round the flow (ASVS V16.3.3): sent with
# request, graph, reason and flow_id (the id asked for, "" if none). The audit log listens
# (edgate.audit.refusals): core cannot import audit, which builds on it. Reasons:
#   "flow_mismatch"     the URL and the form name different flows (a tampered page)
#   "forged_id"         an id this site never issued (flow.suspicious)
#   "not_this_session"  the live flow of another session (flow.suspicious), asked for with a
#                       session of this browser's own
#   "no_session"        the same, asked for without any session cookie: a browser that blocks
#                       cookies, or a script that drops its session to go unnoticed (not sent
#                       for the flow this browser was given from this address a moment ago:
#                       flow.made_here_just_now)
#   "step_skipped"      a step the flow has not reached (Graph.ahead)
#   "adoption_refused"  page 1 posted again under an id whose row another session made, and not
#                       handed over (flow.adopt), with `why`: another browser's or address's,
#                       too old, gone too far, or handed over already
# Not sent for what a person does by accident: a flow that expired or ended (theirs, or one their
# expired session owned), a page without any flow, Back to a step already passed, a double
# submission.
flow_refused = Signal()
REFUSAL_REASONS = (
    "flow_mismatch",
    "forged_id",
    "not_this_session",
    "no_session",
    "step_skipped",
    "adoption_refused",
)
# A row made by page 1's first click handed to the second click's session (flow.adopt): sent
# with request, graph and flow_id; the audit log records it (edgate.audit.refusals).
flow_adopted = Signal()


def refuse(request: HttpRequest, graph: Graph, reason: str, flow_id: str | None, why: str = "") -> None:
    assert reason in REFUSAL_REASONS, reason
    flow_refused.send(FlowView, request=request, graph=graph, reason=reason, flow_id=flow_id or "", why=why)


def refuse_foreign(request: HttpRequest, graph: Graph, flow_id: str) -> None:
    """A flow id this session does not own: refused, and told when it looks like an attempt.

    Another session's live flow asked for with no session cookie at all is what a browser that
    blocks cookies sends for the flow it was given a moment ago (the session that owns it was
    never kept): a person's setting, shown the page that says cookies are needed
    (`cookies_needed`), and not recorded when the flow was made by this browser from this
    address within the minute (`flow.made_here_just_now`). Otherwise it is recorded as
    "no_session", apart from "not_this_session": a script could drop its session cookie to go
    unnoticed. An id this site never issued is recorded either way."""
    reason = engine.suspicious(graph, flow_id)
    if reason == "not_this_session" and settings.SESSION_COOKIE_NAME not in request.COOKIES:
        if engine.made_here_just_now(request, graph, flow_id):
            return
        reason = "no_session"
    if reason:
        refuse(request, graph, reason, flow_id)


OUT_OF_DATE = _lazy("That page was out of date, so nothing was saved. Please continue from here.")


class SeeOther(HttpResponseRedirect):
    """303: the browser follows with a GET, and the POST leaves no history entry to resubmit."""

    status_code = 303


def redirect_to(graph: Graph, step: str, flow_id: str | None = None) -> HttpResponse:
    return SeeOther(graph.url(step, flow_id))


# Flows started per client address (EDGATE["THROTTLES"]): each start writes a flow row and a
# session, so a robot starting flows again and again is refused before it fills tables. (A
# registration's row is made when page 1 is first posted: showing it writes and counts nothing.)
FLOW_STARTS = "flow_start_address"


def start_refused(request: HttpRequest) -> HttpResponse | None:
    """None when a new flow may start from this address; else the 429 page that says when."""
    counted = throttle.attempt(throttle.named(FLOW_STARTS), client_ip(request))
    if counted.allowed:
        return None
    seconds = max(1, counted.retry_after)
    response = error_page(
        request, _("Too many new starts from your network"), "starts", 429, minutes=-(-seconds // 60)
    )
    return throttle.too_many(response, seconds)


def cookies_needed(request: HttpRequest, graph: Graph) -> HttpResponse:
    """A page of a flow came back without the session cookie that owns it: said plainly, and
    nothing started. Redirecting to a new flow instead would loop for ever in a browser that
    refuses cookies, writing a flow row and a session at every turn."""
    return error_page(
        request, _("Your browser did not keep your place"), "cookies", 200, start_url=graph.url(graph.first)
    )


def start_at(request: HttpRequest, graph: Graph, step: str | None = None) -> HttpResponse:
    """A new flow (the entry of a flow's URL conf), and its first page. A flow made by its
    first submission (Graph.create_on_submit) is only given its pending id here: nothing is
    written, nothing counted; its first POST makes the row (and counts it)."""
    if graph.create_on_submit and (step is None or step == graph.first):
        return redirect_to(graph, graph.first, engine.pending_id())
    if refused := start_refused(request):
        return refused
    flow = engine.start(request, graph, state=step or graph.first)
    return redirect_to(graph, flow.state, flow.pk)


# Every page of a flow may hold personal data: no POST parameter or local variable of these
# views reaches an error report (edgate.core.debug).
@method_decorator(sensitive_variables(), name="dispatch")
@method_decorator(sensitive_post_parameters(), name="dispatch")
class FlowView(View):
    graph: Graph

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        step = self.graph.step(kwargs["step"])
        if step is None:
            raise Http404
        self.step: Step = step
        # The flow named by the page: its URL, and the hidden field of its form (the page may
        # have been shown at a URL without it); when both are sent they must agree.
        in_url = request.GET.get(FLOW_FIELD)
        in_form = request.POST.get(FLOW_FIELD) if request.method == "POST" else None
        if in_url and in_form and in_url != in_form:
            refuse(request, self.graph, "flow_mismatch", in_form)
            return self.out_of_date(request, in_url)
        wanted = in_form or in_url
        # Owned before `find` looks (it forgets an expired flow): a flow of this session that
        # expired is an accident; an id it never owned may not be.
        foreign = bool(wanted) and wanted not in engine.owned(request, self.graph.kind)
        self.adopted = False
        flow = engine.find(request, self.graph, wanted)
        if flow is None and self.graph.create_on_submit and self.step.name == self.graph.first:
            pending = self.pending(request, wanted, foreign=foreign)
            if isinstance(pending, HttpResponse):
                return pending
            flow = pending
        elif flow is None:
            if wanted and settings.SESSION_COOKIE_NAME not in request.COOKIES:
                # No session came back with a page of a flow: cookies are refused (or were
                # cleared), or a robot tries flow ids. Starting again would only lead back here.
                refuse_foreign(request, self.graph, wanted)
                return cookies_needed(request, self.graph)
            if wanted or self.step.name != self.graph.first:
                # A page of a flow that is no more (expired, ended, from another browser), or
                # a page past the first with no flow at all.
                if wanted:
                    if foreign:
                        refuse_foreign(request, self.graph, wanted)
                    messages.warning(request, self.gone(request, wanted))
                return self.start_over(request)
            if request.method == "GET":
                # The first page straight away, rather than redirected to itself: a browser
                # that refuses cookies would otherwise bounce between two redirects for ever.
                if refused := start_refused(request):
                    return refused
                flow = engine.start(request, self.graph)
            else:
                return self.start_over(request)
        self.flow: Flow = flow
        self.run = Run(flow_id=flow.pk, state=flow.state, data=flow.data, ctx=ctx_from_request(request))
        if not self.graph.can_view(self.step.name, flow.state):
            if self.graph.ahead(self.step.name, flow.state):
                refuse(request, self.graph, "step_skipped", flow.pk)
            return redirect_to(self.graph, flow.state, flow.pk)
        return super().dispatch(request, *args, **kwargs)

    def pending(self, request: HttpRequest, wanted: str | None, *, foreign: bool) -> Flow | HttpResponse:
        """The first page of a flow made by its first submission (Graph.create_on_submit),
        when this session owns no flow of that id.

        GET: shown under a pending id — the one in the URL (so Back to this page finds the
        flow once it exists) or a new one — without writing anything. POST of a pending id:
        the row is made now, counted against the address's new flows, owned by this session.
        Any other id (another browser's flow, a stale or forged id): a page 1 of its own,
        nothing written. (A browser that keeps no cookies is told so by the CSRF check when
        it posts the page: core.views.csrf_failure.)"""
        if request.method == "POST" and engine.is_pending(wanted):
            assert wanted is not None
            if refused := start_refused(request):
                return refused
            flow = engine.create(request, self.graph, wanted)
            if flow is None:
                # Made already. By this browser's first click a moment ago, when it had no
                # session yet: that click's session owns the row, but its answer never reached
                # the browser, so this session takes the row on (engine.adopt, once, within
                # seconds, same browser and address) and the page is submitted again as the
                # owner's second click is. Else (a page shared with another browser, a third
                # click, ...) refused and recorded: the page, asked for again, starts afresh.
                adoption = engine.adopt(request, self.graph, wanted)
                if adoption.flow is None:
                    refuse(request, self.graph, "adoption_refused", wanted, why=adoption.refused)
                    if adoption.refused == "used" and self.graph.elsewhere:
                        # A third click, or the first click's session coming back to page 1:
                        # the flow went on in this browser's other session.
                        if engine.held_elsewhere(request, self.graph, wanted):
                            messages.warning(request, self.graph.elsewhere)
                    return redirect_to(self.graph, self.graph.first, wanted)
                flow_adopted.send(FlowView, request=request, graph=self.graph, flow_id=wanted)
                self.adopted = True
                return adoption.flow
            return flow
        if request.method == "GET":
            if not wanted:
                return engine.unsaved(self.graph, engine.pending_id())
            if engine.is_pending(wanted) and not engine.taken(wanted):
                return engine.unsaved(self.graph, wanted)
        if wanted and not engine.is_pending(wanted):
            if foreign:
                refuse_foreign(request, self.graph, wanted)
            messages.warning(request, self.graph.expired)
        return redirect_to(self.graph, self.graph.first, engine.pending_id())

    def gone(self, request: HttpRequest, flow_id: str) -> str:
        """What a page of a flow this session no longer has says: that it goes on in this
        browser's other session, when it was handed there (a double click on page 1,
        flow.held_elsewhere), else that it expired."""
        if self.graph.elsewhere and engine.held_elsewhere(request, self.graph, flow_id):
            return self.graph.elsewhere
        return self.graph.expired

    def out_of_date(self, request: HttpRequest, flow_id: str) -> HttpResponse:
        messages.warning(request, OUT_OF_DATE)
        flow = engine.find(request, self.graph, flow_id)
        if flow is None:
            return self.start_over(request)
        return redirect_to(self.graph, flow.state, flow.pk)

    def start_over(self, request: HttpRequest) -> HttpResponse:
        return start_at(request, self.graph)

    # --- GET ---

    def get(self, request: HttpRequest, step: str) -> HttpResponse:
        page = Page.from_data(self.run.data)
        if page is not None and page.step != self.step.name:
            page = None
        response = self.render(self.form_for(page))
        if page is not None and page.once:
            engine.forget_page(self.graph, self.flow.pk, page)
        if page is not None and page.retry_until:
            remaining = int(page.retry_until - timezone.now().timestamp())
            if remaining > 0:
                return throttle.too_many(response, remaining)
        return response

    def form_for(self, page: Page | None) -> forms.Form | None:
        step = self.step
        if step.form is None:
            return None
        initial = step.initial(self.run.data) if step.initial else {}
        # A page answered before (page 1 from the review page's "Change who you are"): what was
        # deliberately not kept is blank, and its field says to type it again, refused or not.
        reopened = bool(initial) or bool(step.kept and step.kept in self.run.data)
        if page is not None:
            initial = initial | page.values
        form = step.form(initial=initial, **self.form_kwargs())
        # A first visit: nothing typed, kept or refused, nothing of the person in the form.
        self.pristine = page is None and not initial and not (step.kept and step.kept in self.run.data)
        if page is not None:
            show_errors(form, page, step, reopened=reopened)
        elif initial or (step.kept and step.kept in self.run.data):
            # Back on a page already answered: what was deliberately not kept is blank.
            ask_again(form, step, step.sensitive)
        return form

    def form_kwargs(self) -> dict[str, Any]:
        return self.step.form_kwargs(self.run) if self.step.form_kwargs else {}

    def render(self, form: forms.Form | None) -> HttpResponse:
        flow_id = self.flow.pk
        context = {
            "step": self.step,
            "form": form,
            "flow_id": flow_id,
            "flow_field": FLOW_FIELD,
            "flow_query": f"?{FLOW_FIELD}={flow_id}",
            "flow_action": self.graph.url(self.step.name, flow_id),
            # The form as every first visitor sees it (no value, no error, no note about a
            # field to type again): a template may keep its rendered fields in the
            # "fragments" cache (settings/base.py), per language.
            "pristine_form": form is not None and getattr(self, "pristine", False),
        }
        if self.graph.context is not None:
            context |= self.graph.context(self.step, self.run)
        return render(self.request, f"{self.graph.templates}/{self.step.name}.html", context)

    # --- POST ---

    def post(self, request: HttpRequest, step: str) -> HttpResponse:
        flow_id = self.flow.pk
        button = next((name for name in self.step.buttons if name in request.POST), None)
        action = self.step.buttons[button] if button else self.step.submit
        if action is None:
            return redirect_to(self.graph, self.flow.state, flow_id)
        cleaned: dict[str, Any] | None = None
        if button is None:
            assert self.step.form is not None, f"{self.step.name}: a submission without a form"
            form = self.step.form(request.POST, **self.form_kwargs())
            if not form.is_valid():
                invalid = form.errors.as_data()

                def errors() -> dict[str, list[str]]:
                    return {name: [m for e in errs for m in e.messages] for name, errs in invalid.items()}

                return self.refused(engine.refused_page(self.step, request.POST, errors))
            cleaned = form.cleaned_data
        try:
            if action.prepare is not None:
                action.prepare(self.run, cleaned)
            result = engine.advance(
                self.graph,
                flow_id,
                self.step,
                action,
                cleaned,
                self.run.ctx,
                prepared=self.run.prepared,
                typed=request.POST,
            )
        except Refused as refusal:
            field, message = refusal.field or NON_FIELD_ERRORS, refusal.message

            def refusal_errors() -> dict[str, list[str]]:
                return {field: [str(message)]}

            page = engine.refused_page(
                self.step, request.POST, refusal_errors, retry_after=refusal.retry_after
            )
            return self.refused(page)
        except engine.Gone:
            messages.warning(request, self.graph.expired)
            return self.start_over(request)
        if isinstance(result, Stay):
            return redirect_to(self.graph, self.step.name, flow_id)
        if isinstance(result, Moved):
            if self.adopted and result.state not in engine.adoptable(self.graph):
                # Handed over while the first click was still at work, which then took the flow
                # where page 1 is not submitted again (engine.adoptable): this click's answers
                # were not checked for it, so this session lets the row go (a blank page 1).
                engine.disown(request, self.graph, flow_id)
                refuse(request, self.graph, "adoption_refused", flow_id, why="too_far")
                return self.start_over(request)
            return redirect_to(self.graph, result.state, flow_id)
        return self.after(result)

    def after(self, target: str) -> HttpResponse:
        """Where the browser goes once a step is taken: the next step of the same flow."""
        return redirect_to(self.graph, target, self.flow.pk)

    def refused(self, page: Page) -> HttpResponse:
        try:
            engine.keep_refusal(self.graph, self.flow.pk, page)
        except engine.Gone:
            messages.warning(self.request, self.graph.expired)
            return self.start_over(self.request)
        return redirect_to(self.graph, self.step.name, self.flow.pk)


def ask_again(form: forms.Form, step: Step, names: Iterable[str]) -> None:
    """Beside each of these sensitive fields, the step's plain statement that it is not shown
    again and must be typed again."""
    for name in names:
        if name in form.fields:
            note = str(step.sensitive[name])
            # A field whose help text already says what the note says gives a shorter one here.
            help_text = getattr(form.fields[name], "retyped_help_text", form.fields[name].help_text)
            form.fields[name].help_text = f"{note} {help_text}" if help_text else note


def show_errors(form: forms.Form, page: Page, step: Step, *, reopened: bool = False) -> None:
    """A refused submission's errors on an unbound form (the GET after the redirect), and, on
    each sensitive field that was typed (every one, on a page `reopened` from further on, whose
    earlier answer was not kept), the plain statement that it must be typed again."""
    errors = ErrorDict()
    for name, messages_ in page.errors_now().items():
        if name == NON_FIELD_ERRORS or name not in form.fields:
            errors.setdefault(NON_FIELD_ERRORS, form.error_class(error_class="nonfield")).extend(messages_)
        else:
            errors[name] = form.error_class(messages_)
    ask_again(form, step, [*page.retype, *(n for n in step.sensitive if reopened and n not in page.retype)])
    form._errors = errors  # noqa: SLF001 - Django's own cache of a form's errors
    mark = getattr(form, "mark_errors", None)
    if mark is not None:
        mark()
