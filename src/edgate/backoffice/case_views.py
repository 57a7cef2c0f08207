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

from . import actions as backoffice_actions
from . import case_next, case_profile, scope
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
# How a field compared (identity/compare.py's kinds), in the page's words; "differ" and
# "missing" say no more than the level beside them.
KINDS = {
    "exact": _lazy("exact"),
    "nickname": _lazy("nickname"),
    "shared_nickname": _lazy("both short for one name"),
    "variant": _lazy("feminine or masculine form"),
    "typo": _lazy("a typing slip"),
    "typo2": _lazy("two typing slips"),
    "short_typo": _lazy("a short name, one letter off"),
    "initial": _lazy("initial"),
    "middle": _lazy("first and middle names mixed"),
    "phonetic": _lazy("sounds alike"),
    "former": _lazy("a former last name"),
    "compound": _lazy("part of a compound name"),
    "one_digit": _lazy("one digit off"),
    "one_digit_decade": _lazy("one digit off, ten years or more apart"),
    "swapped": _lazy("day and month swapped"),
    "transposed": _lazy("two digits swapped"),
    "last4": _lazy("the last four digits agree"),
    "similar": _lazy("similar"),
}
# Why the matcher left a case to a person (identity/engine.py's partial rules, which stay English
# there: the matcher is pure and its explanation is stored with the case), in the page's words.
RULES = {
    "SSN agrees but other data conflicts": _lazy("the SSN agrees but other data conflicts"),
    "state ID agrees but other data conflicts": _lazy("the state ID agrees but other data conflicts"),
    "SSN one keystroke away, with date of birth and name near": _lazy(
        "the SSN is one keystroke away, and the date of birth and name are near"
    ),
    "name and date of birth agree; no full SSN to tell them apart": _lazy(
        "the name and date of birth agree, with no full SSN to tell them apart"
    ),
    "full name and date of birth agree but the SSN differs": _lazy(
        "the full name and date of birth agree but the SSN differs"
    ),
    "last four SSN digits, name and date of birth near": _lazy(
        "the last four SSN digits, the name and the date of birth are near"
    ),
    "no full SSN; name and date of birth near": _lazy("no full SSN; the name and date of birth are near"),
    "no full SSN; first name, date of birth and contact agree": _lazy(
        "no full SSN; the first name, date of birth and contact details agree"
    ),
    "no full SSN; first name and contact agree, date of birth near": _lazy(
        "no full SSN; the first name and contact details agree, the date of birth is near"
    ),
    "no full SSN; surname and date of birth agree, a short first name near": _lazy(
        "no full SSN; the last name and date of birth agree, a short first name is near"
    ),
    "no full SSN; whole name and contact agree, birth date does not": _lazy(
        "no full SSN; the whole name and contact details agree, the date of birth does not"
    ),
    "SSN one keystroke away, no birth date; whole name and contact agree": _lazy(
        "the SSN is one keystroke away and there is no date of birth; the whole name and contact "
        "details agree"
    ),
    "middle name agrees, birth date and a name near; no SSN agrees": _lazy(
        "the middle name agrees, the date of birth and a name are near, and no SSN agrees"
    ),
    "whole name agrees; no birth date and no SSN on one side to tell them apart": _lazy(
        "the whole name agrees, and one side has no date of birth and no SSN to tell them apart"
    ),
}


# What tied the record's Profile to its person after the case was opened (case_profile.Evidence).
EVIDENCE = {
    case_profile.Evidence.SET_UP: _lazy("The Profile was set up"),
    case_profile.Evidence.REMINDED: _lazy(
        "Create a Profile matched this record exactly and showed the Profile's User Name"
    ),
    case_profile.Evidence.MERGED: _lazy("Customer service merged another record into this one"),
}


def rule_words(rule: str) -> str:
    """The matcher's rule in the page's words; a rule not listed, as the matcher wrote it
    (English, marked so by the template)."""
    return str(RULES.get(rule, ""))


def kind_words(kind: str, level: str) -> str:
    if not kind or kind in (level, "differ", "missing"):
        return ""
    return str(KINDS.get(kind, kind.replace("_", " ")))


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


def may_escalate(actor: Actor, case: MatchCase) -> bool:
    """An open case goes to customer service from a Directory Administrator only: customer
    service and security administrators decide it (`matching.actions.do_escalate_case` refuses
    them too)."""
    return case.status == CaseStatus.OPEN and not actor.is_agency


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
    typed = ""
    if form.is_bound and form.is_valid():
        if status := form.cleaned_data["status"]:
            cases = cases.filter(status=status)
        if typed := form.cleaned_data["reference"].strip().upper():
            # A case's own reference, or one given to a later submission counted on it (the
            # registrant who calls holds their own submission's: do_open_case).
            later = LaterSubmission.objects.filter(reference__icontains=typed).values("case_id")
            cases = cases.filter(Q(reference__icontains=typed) | Q(pk__in=later))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    if typed:
        _say_which_reference(page.object_list, typed)
    _with_profiles_now(actor, page.object_list)
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


def _say_which_reference(cases: list[MatchCase], typed: str) -> None:
    """A case found by a later submission's reference (not its own) lists that reference too:
    staff who typed what a caller read out would otherwise see only a reference they did not
    type, and wonder whether it is the right case."""
    for case in cases:
        case.found_by = []  # type: ignore[attr-defined]
    others = {case.pk: case for case in cases if typed not in case.reference}
    given = LaterSubmission.objects.filter(case_id__in=others, reference__icontains=typed)
    for case_id, reference in given.order_by("pk").values_list("case_id", "reference"):
        others[case_id].found_by.append(reference)  # type: ignore[attr-defined]


def _with_profiles_now(actor: Actor, cases: list[MatchCase]) -> None:
    """Sets each case's `profile_now` (`case_profile`: the person on its record has their
    Profile by now, or None) and `profile_username`: that Profile's User Name for an actor who
    may already see the Profile (`scope.profiles`: a Directory Administrator, that of their own
    staff), '' for any other."""
    found = case_profile.profiles_now(cases)
    ids = {now.profile_id for now in found.values()}
    visible = set(scope.profiles(actor).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for case in cases:
        now = found.get(case.pk)
        case.profile_now = now  # type: ignore[attr-defined]
        case.profile_username = now.username if now and now.profile_id in visible else ""  # type: ignore[attr-defined]


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


def opened_by(case: MatchCase) -> str:
    """What opened the case, in words (its `source` is a code, and an import's is a file's
    source name)."""
    if case.source == "registration":
        return _("a registration")
    if case.source == STAFFING_SOURCE:
        return _("a Directory Administrator adding staff")
    return _("the import “%(source)s”") % {"source": case.source}


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
        # Not for a withheld field: after a resolution correcting it, whether its level moved
        # would tell whether the date of birth typed (not shown) was the record's.
        level_now = now.get(name, "") if level and not withheld else ""
        rows.append(
            {
                "label": label,
                "typed": mine,
                "record": theirs,
                "level": level,
                "level_label": LEVELS.get(level, ""),
                "kind": kind_words(str(kinds.get(name, "")), level),
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
                # A resolution names its decision ("Match case resolved (same person)").
                "what": case_next.resolved_label(str(event.detail.get("outcome", "")))
                if event.event_type == EventType.MATCH_CASE_RESOLVED
                else event.get_event_type_display(),
                "corrected": [str(LABELS.get(name, name.replace("_", " "))) for name in corrected or ()],
                # A later submission's own reference, which its registrant may quote.
                "given": event.detail.get("given", "")
                if event.event_type == EventType.MATCH_CASE_REPEATED
                and event.detail.get("given") != case.reference
                else "",
            }
        )
    return rows


def _resolve_form(actor: Actor, case: MatchCase, data: Any = None) -> ResolveForm:
    """The record's date of birth is shown to the agency's roles only; a Directory
    Administrator corrects it only where `scope.birth_date_correction_problem` lets them."""
    return ResolveForm(
        data,
        person=case.person,
        show_birth_date=actor.is_agency,
        birth_date_by_service=scope.birth_date_correction_problem(actor, case) is not None,
    )


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
    _with_profiles_now(actor, [case])
    now: case_profile.ProfileNow | None = case.profile_now  # type: ignore[attr-defined]
    context = {
        "console_section": "cases",
        "actor": actor,
        "case": case,
        "rows": _side_by_side(case, actor),
        "explanation": case.explanation,
        "rule_words": rule_words(str(case.explanation.get("rule", ""))),
        "organizations": organizations,
        "history": _history(case),
        "submitted_by": submitted_by(case),
        "opened_by": opened_by(case),
        # The references given to later submissions counted on this case: a caller may quote one.
        "later_references": list(case.later_submissions.values_list("reference", flat=True)),
        "may_act": acting,
        # After a decision, what to tell the person (what Create a Profile does for them next).
        "next_step": case_next.next_step(case, actor) if case.status == CaseStatus.RESOLVED else "",
        # The person on the case's record has their Profile by now: what shows it, and the close.
        "profile_now": now,
        "profile_username": case.profile_username,  # type: ignore[attr-defined]
        "profile_evidence": [(EVIDENCE[kind], at) for kind, at in now.evidence] if now else [],
        "resolve_form": resolve or (_resolve_form(actor, case) if acting else None),
        "correction_problem": scope.correction_problem(actor, case.person, opened_at=case.created_at)
        if acting
        else None,
        "own_submission": not actor.is_agency and scope.submitted_by_actor(actor, case),
        # Escalating hands a case to customer service: never offered to customer service itself.
        "escalate_form": escalate or (EscalateForm() if acting and may_escalate(actor, case) else None),
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
@sensitive_post_parameters("dob_month", "dob_day", "dob_year")
def case_resolve(request: HttpRequest, actor: Actor, reference: str) -> HttpResponse:
    case = _case(actor, reference)
    if case.status == CaseStatus.RESOLVED:
        return _closed(request, case)
    if not may_act(actor, case):
        raise PermissionDenied
    form = _resolve_form(actor, case, request.POST)
    problem = scope.correction_problem(actor, case.person, opened_at=case.created_at)
    birth_date_problem = scope.birth_date_correction_problem(actor, case)
    if form.is_valid() and problem and form.corrections():
        form.add_error(None, problem)
    elif form.is_valid() and birth_date_problem and "date_of_birth" in form.corrections():
        form.add_error(None, birth_date_problem)
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
def case_has_profile(request: HttpRequest, actor: Actor, reference: str) -> HttpResponse:
    """The case page's one click: the person on the case's record has their Profile
    (`case_profile`), so the case is closed without a decision about the registrant."""
    case = _case(actor, reference)
    if case.status == CaseStatus.RESOLVED:
        return _closed(request, case)
    if not may_act(actor, case):
        raise PermissionDenied
    try:
        backoffice_actions.do_close_case_has_profile(
            case=case, allowed=decidable(actor), ctx=ctx_from_request(request)
        )
    except actions.CaseClosed:
        return _closed(request, case)
    except backoffice_actions.ReminderOnly:
        messages.warning(
            request,
            _(
                "Since the last attempt on case %(ref)s, only the Profile's User Name was shown: the "
                "case needs a decision. Nothing was changed."
            )
            % {"ref": case.reference},
        )
    except backoffice_actions.NoProfileNow:
        messages.warning(
            request,
            _(
                "Nothing since the last attempt on case %(ref)s shows that the person on its record has "
                "an active Profile: nothing was changed."
            )
            % {"ref": case.reference},
        )
    else:
        messages.success(
            request, _("Case %(ref)s closed: the person has their Profile.") % {"ref": case.reference}
        )
    return redirect("backoffice:case", reference=case.reference)


# A Directory Administrator's only: customer service and security administrators decide cases
# (may_escalate and the action refuse them too); declared here so the console's role matrix
# (tests/test_backoffice_matrix.py) and the refusal audit see it.
@scope.console_page(scope.Role.DIRECTORY_ADMIN, methods=("POST",))
def case_escalate(request: HttpRequest, actor: Actor, reference: str) -> HttpResponse:
    case = _case(actor, reference)
    if case.status != CaseStatus.OPEN:
        return _closed(request, case)
    if not may_act(actor, case) or not may_escalate(actor, case):
        raise PermissionDenied
    form = EscalateForm(request.POST)
    if form.is_valid():
        try:
            actions.do_escalate_case(case=case, note=form.cleaned_data["note"], ctx=ctx_from_request(request))
        except actions.CaseClosed:
            return _closed(request, case)
        except actions.EscalationRefused as refused:
            raise PermissionDenied from refused
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
