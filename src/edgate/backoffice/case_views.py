"""The match-case console: the queue, the side-by-side case page, and what decides a case.

Every case comes through `scope.case` (404 outside the actor's scope). Directory
Administrators act on open cases of their organizations; an escalated case is customer
service's (Directory Administrators still see it); customer service also reassigns.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from edgate.audit.models import EventType
from edgate.core.context import ctx_from_request
from edgate.core.templatetags.edgate_format import day
from edgate.directory.models import Organization
from edgate.identity.records import Identity
from edgate.matching import actions, service
from edgate.matching.models import PENDING, CaseStatus, LaterSubmission, MatchCase
from edgate.people.quality import data_problems

from . import scope
from .case_forms import CaseFilterForm, EscalateForm, ResolveForm, RouteForm
from .scope import Actor
from .staffing import SOURCE as STAFFING_SOURCE

PAGE_SIZE = 50

LEVELS = {
    "agree": _lazy("Agree"),
    "close": _lazy("Close"),
    "differ": _lazy("Differ"),
    "missing": _lazy("Missing"),
}
# The side-by-side rows: what the registrant types on page 1, and the record's field.
ROWS = (
    ("first_name", _lazy("First name")),
    ("middle_name", _lazy("Middle name")),
    ("last_name", _lazy("Last name")),
    ("former_last_name", _lazy("Former last name")),
    ("date_of_birth", _lazy("Date of birth")),
    ("ssn", _lazy("Social Security Number")),
    ("state_id", _lazy("State educator ID")),
)


def decidable(actor: Actor) -> tuple[str, ...]:
    """The statuses in which the actor decides a case: open ones whoever sees them, escalated
    ones customer service. Passed to the actions, which check them on the locked row."""
    return PENDING if actor.is_agency else (CaseStatus.OPEN,)


def may_act(actor: Actor, case: MatchCase) -> bool:
    """Whether the actor decides (or escalates) the case now. Never a Directory Administrator
    who typed its conflicting data (path c of adding staff): whoever typed it cannot resolve it."""
    if case.status not in decidable(actor):
        return False
    return actor.is_agency or not scope.submitted_by_actor(actor, case)


def _masked(last4: str) -> str:
    return f"***-**-{last4}" if last4 else ""


def _organizations(actor: Actor) -> QuerySet[Organization]:
    """Which of a case's organizations the actor is shown: a Directory Administrator, their
    own (a case may also have gone to another district's); agency roles, all of them."""
    everything = Organization.objects.order_by("code")
    return everything if actor.is_agency else everything.filter(pk__in=actor.org_ids)


def _queue(actor: Actor) -> QuerySet[MatchCase]:
    # Open first (escalated first for customer service, whose they are), oldest first.
    first, second = (
        (CaseStatus.ESCALATED, CaseStatus.OPEN)
        if actor.is_agency
        else (CaseStatus.OPEN, CaseStatus.ESCALATED)
    )
    rank = Case(
        When(status=first, then=Value(0)),
        When(status=second, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        scope.cases(actor)
        .annotate(rank=rank)
        .order_by("rank", "created_at", "pk")
        .prefetch_related(Prefetch("organizations", queryset=_organizations(actor)))
    )


@scope.console_page(*scope.DIRECTORY)
def case_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    cases = _queue(actor)
    counts = scope.cases(actor).aggregate(
        open=Count("pk", filter=Q(status=CaseStatus.OPEN)),
        escalated=Count("pk", filter=Q(status=CaseStatus.ESCALATED)),
    )
    if form.is_bound and form.is_valid():
        if status := form.cleaned_data["status"]:
            cases = cases.filter(status=status)
        if typed := form.cleaned_data["reference"].strip():
            # A case's own reference, or one given to a later submission counted on it (the
            # registrant who calls holds their own submission's: do_open_case).
            later = LaterSubmission.objects.filter(reference__icontains=typed.upper()).values("case_id")
            cases = cases.filter(Q(reference__icontains=typed.upper()) | Q(pk__in=later))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "backoffice/cases/list.html",
        {
            "console_section": "cases",
            "actor": actor,
            "form": form,
            "page": page,
            "counts": counts,
            "query": query.urlencode(),
        },
    )


# Rows that conflict are highlighted (a background on each cell, and the level in words).
HIGHLIGHT = {"differ": "bg-secondary-lighter", "close": "bg-accent-warm-lighter"}
LABELS = dict(ROWS)


def submitted_by(case: MatchCase) -> str:
    """Whose data the case compares with the record: the registrant's, a Directory
    Administrator's (adding staff), or an import file's row."""
    if case.source == "registration":
        return _("Typed by the registrant")
    if case.source == STAFFING_SOURCE:
        return _("Typed by a Directory Administrator")
    return _("From the import file")


# The record's fields a Directory Administrator is not shown on a case page: nowhere else in
# their console are they shown either (their staff's names and the SSN's last four are).
WITHHELD_FROM_DIRECTORY = frozenset({"date_of_birth", "state_id"})


@sensitive_variables()
def _side_by_side(case: MatchCase, actor: Actor) -> list[dict[str, Any]]:
    """Each field as submitted and as on the record now, with the level it had when the case
    was opened and, where the record was corrected since, the level it has now. A Directory
    Administrator is not shown the record's date of birth or state ID, nor anything of the
    submission: per field, only whether it agrees (the levels)."""
    typed: Identity = service.submitted_identity(case) if actor.is_agency else Identity()
    person = case.person
    fields = case.explanation.get("fields", {})
    kinds = case.explanation.get("details", {})
    now = service.levels_now(case)
    problems = data_problems(person, [name for name, _label in ROWS])
    rows = []
    for name, label in ROWS:
        if name == "ssn":
            mine, theirs = _masked(typed.ssn[-4:] if typed.ssn else ""), _masked(person.ssn_last4)
        elif name == "date_of_birth":
            # Written as every date of this page is (edgate_format.day: "Feb 17, 1991").
            mine, theirs = day(typed.date_of_birth), day(person.date_of_birth)
        else:
            mine, theirs = getattr(typed, name) or "", getattr(person, name) or ""
        withheld = not actor.is_agency and name in WITHHELD_FROM_DIRECTORY
        if withheld:
            theirs = ""
        level = fields.get(name, "")
        level_now = now.get(name, "") if level else ""
        rows.append(
            {
                "label": label,
                "typed": mine,
                "record": theirs,
                "level": level,
                "level_label": LEVELS.get(level, ""),
                "kind": str(kinds.get(name, "")).replace("_", " "),
                "highlight": HIGHLIGHT.get(level, ""),
                "level_now": level_now,
                "now_label": LEVELS.get(level_now, "") if level_now != level else "",
                # The record's raw value for a field an agency file gave unusable (§7 of matching.md).
                "problem": None if withheld else problems.get(name),
                "withheld": withheld,
                "problem_withheld": withheld and name in problems,  # said, its value not shown
            }
        )
    return rows


def _history(case: MatchCase) -> list[dict[str, Any]]:
    """The case's events, a resolution naming the record's fields it corrected (names only)."""
    rows = []
    for event in service.history(case):
        corrected = (
            event.detail.get("corrected") if event.event_type == EventType.MATCH_CASE_RESOLVED else None
        )
        rows.append(
            {
                "event": event,
                "corrected": [str(LABELS.get(name, name.replace("_", " "))) for name in corrected or ()],
                # A later submission's own reference, which its registrant may quote.
                "given": event.detail.get("given", "")
                if event.event_type == EventType.MATCH_CASE_REPEATED
                and event.detail.get("given") != case.reference
                else "",
            }
        )
    return rows


def _page(
    request: HttpRequest,
    actor: Actor,
    case: MatchCase,
    *,
    resolve: ResolveForm | None = None,
    escalate: EscalateForm | None = None,
    route: RouteForm | None = None,
) -> HttpResponse:
    acting = may_act(actor, case)
    organizations = list(_organizations(actor).filter(match_cases=case))
    context = {
        "console_section": "cases",
        "actor": actor,
        "case": case,
        "rows": _side_by_side(case, actor),
        "explanation": case.explanation,
        "organizations": organizations,
        "history": _history(case),
        "submitted_by": submitted_by(case),
        "may_act": acting,
        "resolve_form": resolve
        or (ResolveForm(person=case.person, show_birth_date=actor.is_agency) if acting else None),
        "correction_problem": scope.correction_problem(actor, case.person) if acting else None,
        "own_submission": not actor.is_agency and scope.submitted_by_actor(actor, case),
        "escalate_form": escalate or (EscalateForm() if acting and case.status == CaseStatus.OPEN else None),
        "route_form": route
        or (
            RouteForm(initial={"codes": " ".join(org.code for org in organizations)})
            if actor.is_agency and case.status != CaseStatus.RESOLVED
            else None
        ),
        # The page's forms are not called `form`: base.html's window title says "Error:" by this.
        "page_has_errors": any(f is not None and f.errors for f in (resolve, escalate, route)),
    }
    return render(request, "backoffice/cases/detail.html", context)


def _case(actor: Actor, reference: str) -> MatchCase:
    case = scope.case(actor, reference)
    return MatchCase.objects.select_related("person", "resolved_by").get(pk=case.pk)


@scope.console_page(*scope.DIRECTORY)
def case_detail(request: HttpRequest, actor: Actor, reference: str) -> HttpResponse:
    return _page(request, actor, _case(actor, reference))


def _closed(request: HttpRequest, case: MatchCase) -> HttpResponse:
    case.refresh_from_db(fields=["status"])
    if case.status == CaseStatus.ESCALATED:
        text = _("Case %(ref)s was escalated to customer service meanwhile: nothing was changed.")
    else:
        text = _("Case %(ref)s was already decided: nothing was changed.")
    messages.warning(request, text % {"ref": case.reference})
    return redirect("backoffice:case", reference=case.reference)


@scope.console_page(*scope.DIRECTORY, methods=("POST",))
@sensitive_post_parameters("date_of_birth")
def case_resolve(request: HttpRequest, actor: Actor, reference: str) -> HttpResponse:
    case = _case(actor, reference)
    if case.status == CaseStatus.RESOLVED:
        return _closed(request, case)
    if not may_act(actor, case):
        raise PermissionDenied
    form = ResolveForm(request.POST, person=case.person, show_birth_date=actor.is_agency)
    problem = scope.correction_problem(actor, case.person)
    if form.is_valid() and problem and form.corrections():
        form.add_error(None, problem)
    elif form.is_valid():
        try:
            actions.do_resolve_case(
                case=case,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["reason"],
                corrections=form.corrections(),
                allowed=decidable(actor),
                ctx=ctx_from_request(request),
            )
        except actions.CaseClosed:
            return _closed(request, case)
        except actions.SharedSSN:
            form.add_error(
                "outcome",
                _(
                    "They share an SSN, so one of them is wrong: correct the record (same person) "
                    "or escalate the case to customer service."
                ),
            )
        else:
            messages.success(request, _("Case %(ref)s resolved.") % {"ref": case.reference})
            return redirect("backoffice:case", reference=case.reference)
    return _page(request, actor, case, resolve=form)


@scope.console_page(*scope.DIRECTORY, methods=("POST",))
def case_escalate(request: HttpRequest, actor: Actor, reference: str) -> HttpResponse:
    case = _case(actor, reference)
    if case.status != CaseStatus.OPEN:
        return _closed(request, case)
    if not may_act(actor, case):
        raise PermissionDenied
    form = EscalateForm(request.POST)
    if form.is_valid():
        try:
            actions.do_escalate_case(case=case, note=form.cleaned_data["note"], ctx=ctx_from_request(request))
        except actions.CaseClosed:
            return _closed(request, case)
        messages.success(request, _("Case %(ref)s sent to customer service.") % {"ref": case.reference})
        return redirect("backoffice:case", reference=case.reference)
    return _page(request, actor, case, escalate=form)


@scope.console_page(*scope.SERVICE, methods=("POST",))
def case_route(request: HttpRequest, actor: Actor, reference: str) -> HttpResponse:
    case = _case(actor, reference)
    if case.status == CaseStatus.RESOLVED:
        return _closed(request, case)
    form = RouteForm(request.POST)
    if form.is_valid():
        actions.do_route_case(
            case=case,
            organizations=form.cleaned_data["codes"],
            note=form.cleaned_data["reason"],
            ctx=ctx_from_request(request),
        )
        messages.success(request, _("Case %(ref)s reassigned.") % {"ref": case.reference})
        return redirect("backoffice:case", reference=case.reference)
    return _page(request, actor, case, route=form)
