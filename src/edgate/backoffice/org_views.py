"""The Directory Administrator console: organizations, staff, application access, activity.

A Directory Administrator works on the organization they administer and, for a district, its
schools; customer service and security administrators on any organization. Every object comes
through `scope`; every write is one action (or `staffing`, which composes actions in one
transaction).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from edgate.accounts import actions as account_actions
from edgate.accounts.models import CodePurpose, Profile, Status
from edgate.audit.models import AuditEvent, EventType, Outcome
from edgate.audit.record import record_event, record_throttle_alert
from edgate.core import throttle
from edgate.core.context import ctx_from_request
from edgate.core.templatetags.edgate_format import day, when
from edgate.directory import actions as directory_actions
from edgate.directory.models import AccessGrant, AppRole, Organization, StaffEntry
from edgate.identity import normalize
from edgate.people.models import Person
from edgate.recovery.policy import is_privileged

from . import org_forms, scope, staffing
from .scope import Actor

PAGE_SIZE = 50
PICK_LIMIT = 50  # people offered at once on "already on my staff"
FOUND_KEY = "backoffice_org_found_person"  # session: the person the known-person search found


# --- helpers ------------------------------------------------------------------------------


def _family(organization: Organization) -> list[Organization]:
    """The organization and, for a district, its active schools."""
    return [organization, *organization.children.filter(active=True).order_by("name")]


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> tuple[Page, str]:
    """One page of 50, and the query string (without the page) its links keep."""
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _entry_in(actor: Actor, organization: Organization, pk: int) -> StaffEntry:
    entry = scope.staff_entry(actor, pk)
    if entry.organization_id != organization.pk:
        raise Http404
    return entry


def _profile_of(entry: StaffEntry) -> Profile | None:
    return Profile.objects.filter(person_id=entry.person_id).first()


def _problem(actor: Actor, profile: Profile | None) -> str | None:
    """Why this actor may not change this Profile's access (themselves, agency staff), or None."""
    return scope.change_problem(actor, profile) if profile is not None else None


def _reason(form: Any) -> str:
    return str(form.cleaned_data.get("reason", ""))


def _grantable_roles() -> QuerySet[AppRole]:
    """Roles of every application that needs a grant (open-to-all ones are not offered)."""
    return (
        AppRole.objects.filter(application__open_to_all=False)
        .select_related("application")
        .order_by("application__name", "name")
    )


def _roles_offered_at(organization: Organization) -> QuerySet[AppRole]:
    """The grantable roles that may be granted at this kind of organization (`AppRole.fits`,
    worked out in Python: a handful of roles, and SQLite has no JSON containment)."""
    roles = _grantable_roles()
    return roles.filter(pk__in=[role.pk for role in roles if role.fits(organization)])


_WORD_BREAK = re.compile(r"[\s,;]+")


def name_words(text: str) -> list[str]:
    """The words of a staff search, split at spaces and commas ("Smith, Sandra", as the list
    shows names, is two words in either order)."""
    return [word for word in _WORD_BREAK.split(text) if normalize.name_key(word)]


def name_word_q(word: str, *, person: str = "") -> Q:
    """One typed word against a person's normalized name keys (accents, case, hyphens and
    apostrophes folded, as the matcher and customer service's search read names: Maria finds
    María, Garcia-Lopez finds García López, Nguyen finds Nguyễn) or their User Name. Anywhere in
    the name, as before; the keys are columns of the person row, so the list stays one query."""
    key = normalize.name_key(word)
    return (
        Q(**{f"{person}first_name_key__contains": key})
        | Q(**{f"{person}last_name_key__contains": key})
        | Q(**{f"{person}former_last_name_key__contains": key})
        | Q(**{f"{person}profile__username__contains": key})
        | Q(**{f"{person}profile__username__icontains": word})
    )


# --- organizations ------------------------------------------------------------------------


@scope.console_page(*scope.DIRECTORY)
def organizations(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The organizations this actor may administer (every one for the agency's staff)."""
    orgs = scope.organizations(actor).select_related("parent").order_by("code")
    q = request.GET.get("q", "").strip()[:120]
    if q:
        orgs = orgs.filter(Q(code__startswith=q) | Q(name__icontains=q))
    page, query = _page(request, orgs)
    return render(
        request,
        "backoffice/org/organizations.html",
        {"console_section": "org", "page": page, "query": query, "q": q},
    )


SEARCH_KEY = "backoffice_staff_search"  # session: the staff list's search {"org": code, "data": …}


@scope.console_page(*scope.DIRECTORY, methods=("GET", "POST"))
def organization(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """The organization's staff: searched, filtered, 50 a page. The search is POSTed and kept in
    the session (one search, for this organization), then the list is shown by GET: its pages
    are `?page=N`, so no name goes into a URL, a browser's history or an access log."""
    org = scope.organization(actor, code)
    if request.method == "POST":
        form = org_forms.StaffSearchForm(request.POST, organization=org)
        if "clear" in request.POST:
            request.session.pop(SEARCH_KEY, None)
            return redirect("backoffice:org", code=org.code)
        if form.is_valid():
            data = {name: value for name, value in form.cleaned_data.items() if value}
            request.session[SEARCH_KEY] = {"org": org.code, "data": data}
            return redirect("backoffice:org", code=org.code)
    else:
        saved = request.session.get(SEARCH_KEY) or {}
        data = saved.get("data") if saved.get("org") == org.code else None
        form = org_forms.StaffSearchForm(data or None, organization=org)
    family = _family(org)
    entries = (
        scope.staff_entries(actor)
        .filter(organization__in=family, ended_at__isnull=True)
        .select_related("person", "person__profile", "organization")
        .order_by("person__last_name", "person__first_name", "pk")
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        for word in name_words(data["q"]):
            entries = entries.filter(name_word_q(word, person="person__"))
        if data["role_title"]:
            entries = entries.filter(role_title__icontains=data["role_title"])
        if data["status"] == "none":
            entries = entries.filter(person__profile__isnull=True)
        elif data["status"]:
            entries = entries.filter(person__profile__status=data["status"])
        if data.get("school"):
            entries = entries.filter(organization__code=data["school"])
    elif form.is_bound:
        entries = entries.none()
    page, query = _page(request, entries)
    return render(
        request,
        "backoffice/org/organization.html",
        {
            "console_section": "org-staff",
            "organization": org,
            "is_district": len(family) > 1,
            "form": form,
            "page": page,
            "query": query,
            "statuses": dict(Status.choices),
        },
    )


# --- adding staff ---------------------------------------------------------------------------


@scope.console_page(*scope.DIRECTORY)
def add_staff(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    org = scope.organization(actor, code)
    return render(
        request, "backoffice/org/add_staff.html", {"console_section": "org-add", "organization": org}
    )


def _added(request: HttpRequest, org: Organization, added: staffing.Added) -> HttpResponse:
    assert added.entry is not None
    messages.success(
        request,
        _("%(name)s is on the staff of %(org)s.") % {"name": added.entry.person.full_name, "org": org.name},
    )
    return redirect("backoffice:org_entry", code=org.code, entry=added.entry.pk)


@scope.console_page(*scope.DIRECTORY, methods=("GET", "POST"))
def add_staff_pick(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """Path (a): someone already on the staff of one of my organizations. The search is POSTed
    (`step=search`): no name goes into a URL."""
    org = scope.organization(actor, code)
    searching = request.method == "POST" and request.POST.get("step") == "search"
    picking = request.method == "POST" and not searching
    search = org_forms.PickStaffSearchForm(request.POST if searching else None)
    candidates = (
        scope.people(actor)
        .filter(staff_entries__in=scope.staff_entries(actor).filter(ended_at__isnull=True))
        .exclude(pk__in=StaffEntry.objects.filter(organization=org, ended_at__isnull=True).values("person"))
        .select_related("profile")
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
    if search.is_bound and search.is_valid():
        for word in name_words(search.cleaned_data["q"]):
            candidates = candidates.filter(name_word_q(word))
        shown = list(candidates[: PICK_LIMIT + 1])
    else:
        shown = []
    if picking:
        # The choices are what the search offered; the person is checked against scope again.
        pk = request.POST.get("person", "")
        shown = list(candidates.filter(pk=pk)) if pk.isdigit() else []
    more = len(shown) > PICK_LIMIT
    shown = shown[:PICK_LIMIT]
    choices = [(p.pk, _label(p)) for p in shown]
    form = org_forms.ask_reason(
        org_forms.PickStaffForm(request.POST if picking else None, choices=choices), required=actor.is_agency
    )
    if picking and form.is_valid():
        person = next(p for p in shown if p.pk == form.cleaned_data["person"])
        added = staffing.add_known_person(
            person=person,
            organization=org,
            role_title=form.cleaned_data["role_title"],
            ctx=ctx_from_request(request),
            reason=_reason(form),
        )
        return _added(request, org, added)
    return render(
        request,
        "backoffice/org/add_pick.html",
        {
            "console_section": "org-add",
            "organization": org,
            "search": search,
            "form": form,
            "searched": search.is_bound and search.is_valid(),
            "more": more,
            # The search form is not called `form`: base.html's window title says "Error:" by this.
            "page_has_errors": bool(search.errors),
        },
    )


def _label(person: Person) -> str:
    try:
        username = person.profile.username
    except Profile.DoesNotExist:
        username = _("no Profile")
    return f"{person.full_name} — {username}"


TOO_MANY_LOOKUPS = _lazy("Too many searches in the last hour. Try again later, or call customer service.")


@sensitive_variables()
def _ssn_lookup_refused(request: HttpRequest, actor: Actor) -> int:
    """Counts one look-up by SSN, before it is made: the known-person search (path b) and adding
    someone new (path c, which runs the matcher) are both SSN oracles, limited together per
    administrator (staff_search_actor). 0 when allowed, else the seconds until one would be."""
    limit = throttle.named("staff_search_actor")
    attempt = throttle.attempt(limit, str(actor.profile.pk))
    if attempt.allowed:
        return 0
    ctx = ctx_from_request(request)
    record_event(
        EventType.STAFF_SEARCH_THROTTLED, ctx=ctx, outcome=Outcome.DENIED, detail={"limit": limit.name}
    )
    if attempt.tripped:
        record_throttle_alert(ctx=ctx, limit=limit.name, attempts=attempt.number)
    return max(1, attempt.retry_after)


@never_cache
@sensitive_post_parameters("ssn", "dob_month", "dob_day", "dob_year")
@scope.console_page(*scope.DIRECTORY, methods=("GET", "POST"))
def add_staff_known(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """Path (b): someone the agency knows — first name, last name, date of birth and SSN, by
    POST, all agreeing exactly with the record. A result shows only what was typed (names and
    the SSN's last four): nothing of the record, not even its User Name, until the person is
    added; then the staff entry page shows what an administrator sees of their own staff."""
    org = scope.organization(actor, code)
    context: dict[str, Any] = {"console_section": "org-add", "organization": org}
    step = request.POST.get("step", "search")
    if request.method == "POST" and step == "add":
        # Only the person this administrator's own search found (kept in the session, never
        # taken from the form): the add step cannot be pointed at anyone else.
        pk = request.session.get(FOUND_KEY)
        person = Person.objects.filter(pk=pk).first() if isinstance(pk, int) else None
        if person is None:
            messages.error(request, _("Search again: the person found earlier is no longer selected."))
            return redirect("backoffice:org_add_known", code=org.code)
        form = org_forms.ask_reason(org_forms.RoleTitleForm(request.POST), required=actor.is_agency)
        if form.is_valid():
            request.session.pop(FOUND_KEY, None)
            added = staffing.add_known_person(
                person=person,
                organization=org,
                role_title=form.cleaned_data["role_title"],
                ctx=ctx_from_request(request),
                reason=_reason(form),
            )
            return _added(request, org, added)
        return render(
            request,
            "backoffice/org/add_known.html",
            context | _found() | {"add_form": form, "page_has_errors": bool(form.errors)},
        )
    search = org_forms.KnownPersonForm(request.POST if request.method == "POST" else None)
    context["form"] = search
    if search.is_bound and not search.is_valid():
        search.ask_ssn_again()
    if request.method == "POST" and search.is_valid():
        if refused_for := _ssn_lookup_refused(request, actor):
            search.add_error(None, TOO_MANY_LOOKUPS)
            search.ask_ssn_again()
            return throttle.too_many(render(request, "backoffice/org/add_known.html", context), refused_for)
        data = search.cleaned_data
        person = staffing.find_known_person(
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            ssn=data["ssn"],
        )
        if person is None:
            request.session.pop(FOUND_KEY, None)
            context["not_found"] = True
            search.ask_ssn_again()
        else:
            request.session[FOUND_KEY] = person.pk
            context |= _found(data) | {
                "add_form": org_forms.ask_reason(org_forms.RoleTitleForm(), required=actor.is_agency),
            }
            context["form"] = None
    return render(request, "backoffice/org/add_known.html", context)


@sensitive_variables()
def _found(typed: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the page says once a person is found: only what the administrator typed (names and
    the SSN's last four), never anything of the record — no User Name, no Profile status.
    After the add step the staff entry page shows what an administrator sees of their staff."""
    if typed is None:
        return {"found": True}
    shown = {"first_name": typed["first_name"], "last_name": typed["last_name"]}
    return {"found": True, "typed": shown | {"ssn_masked": f"***-**-{typed['ssn'][-4:]}"}}


@never_cache
@sensitive_post_parameters("ssn", "dob_month", "dob_day", "dob_year")
@scope.console_page(*scope.DIRECTORY, methods=("GET", "POST"))
def add_staff_new(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """Path (c): someone new — matched like the registration wizard before anyone is created."""
    org = scope.organization(actor, code)
    form = org_forms.ask_reason(
        org_forms.NewStaffForm(request.POST if request.method == "POST" else None), required=actor.is_agency
    )
    if request.method == "POST" and form.is_valid():
        if refused_for := _ssn_lookup_refused(request, actor):
            form.add_error(None, TOO_MANY_LOOKUPS)
            form.ask_ssn_again()
            response = render(
                request,
                "backoffice/org/add_new.html",
                {"console_section": "org-add", "organization": org, "form": form},
            )
            return throttle.too_many(response, refused_for)
        added = _add_new(form.cleaned_data, org, request, actor)  # the reason is in cleaned_data
        if added.outcome == "partial":
            assert added.case is not None
            return render(
                request,
                "backoffice/org/add_partial.html",
                {
                    "console_section": "org-add",
                    "organization": org,
                    "reference": added.case.given,  # this submission's own (do_open_case)
                    # Only whether this actor sees it: the case's organizations are not named.
                    "in_my_queue": scope.cases(actor).filter(pk=added.case.pk).exists(),
                },
            )
        return _added(request, org, added)
    if form.is_bound:
        form.ask_ssn_again()  # shown again with what was typed, but for the SSN
    return render(
        request,
        "backoffice/org/add_new.html",
        {"console_section": "org-add", "organization": org, "form": form},
    )


@sensitive_variables()
def _add_new(data: dict[str, Any], org: Organization, request: HttpRequest, actor: Actor) -> staffing.Added:
    new = staffing.NewPerson(
        first_name=data["first_name"],
        middle_name=data["middle_name"],
        last_name=data["last_name"],
        date_of_birth=data["date_of_birth"],
        ssn=data["ssn"],
        email=data["email"],
        phone=data["phone"],
    )
    return staffing.add_new_person(
        new=new,
        organization=org,
        role_title=data["role_title"],
        ctx=ctx_from_request(request),
        reason=data.get("reason", ""),
        # A case this opens is not for the administrator who typed it to decide.
        not_to=frozenset() if actor.is_agency else actor.org_ids,
    )


# --- one staff entry: access, ending, activation code -------------------------------------


@scope.console_page(*scope.DIRECTORY, methods=("GET", "POST"))
def staff_entry(request: HttpRequest, actor: Actor, code: str, entry: int) -> HttpResponse:
    """The staff member, their grants at this organization, and the form to grant a role."""
    org = scope.organization(actor, code)
    current = _entry_in(actor, org, entry)
    profile = _profile_of(current)
    offered = _roles_offered_at(org)
    form = org_forms.ask_reason(
        org_forms.GrantForm(request.POST or None, roles=_grantable_roles(), offered=offered),
        required=actor.is_agency,
    )
    problem = _problem(actor, profile)
    if request.method == "POST":
        if current.ended_at is not None or profile is None:
            raise Http404
        if problem is None and form.is_valid():
            try:
                directory_actions.do_grant_access(
                    profile=profile,
                    role=form.cleaned_data["role"],
                    organization=org,
                    staff_entry=current,
                    ctx=ctx_from_request(request),
                    reason=_reason(form),
                )
            except directory_actions.GrantRefused as refused:
                form.add_error("role", str(refused))
            else:
                messages.success(request, _("Access granted."))
                return redirect("backoffice:org_entry", code=org.code, entry=current.pk)
    grants = (
        scope.grants(actor).active().filter(profile=profile, organization=org).order_by("application__name")
        if profile
        else AccessGrant.objects.none()
    )
    return render(
        request,
        "backoffice/org/entry.html",
        {
            "console_section": "org-staff",
            "organization": org,
            "entry": current,
            "profile": profile,
            "grants": grants,
            "form": form,
            "problem": problem,
            "can_grant": current.ended_at is None
            and profile is not None
            and problem is None
            and profile.status in directory_actions.GRANTABLE_STATUSES,
            "roles_offered": offered.exists(),
            **_setup_code_offer(actor, current, profile, problem),
        },
    )


def _setup_code_offer(
    actor: Actor, current: StaffEntry, profile: Profile | None, problem: str | None
) -> dict:
    """Whether the entry page offers a set-up code (`may_issue_code`), and if a Directory
    Administrator may not issue it for someone also on another organization's staff
    (`scope.setup_code_problem`), the page says so instead of a link to a refusal."""
    waiting = (
        current.ended_at is None
        and profile is not None
        and problem is None
        and profile.status == Status.AWAITING_SETUP
        and (actor.is_agency or not is_privileged(profile))
    )
    elsewhere = scope.setup_code_problem(actor, current.person) if waiting else None
    return {"may_issue_code": waiting and elsewhere is None, "setup_code_elsewhere": elsewhere}


@scope.console_page(*scope.DIRECTORY, methods=("GET", "POST"))
def edit_entry(request: HttpRequest, actor: Actor, code: str, entry: int) -> HttpResponse:
    """The role title and start date of a current staff entry."""
    org = scope.organization(actor, code)
    current = _entry_in(actor, org, entry)
    if current.ended_at is not None:
        raise Http404
    initial = {"role_title": current.role_title, "started_on": current.started_on}
    form = org_forms.ask_reason(
        org_forms.EditEntryForm(request.POST or None, initial=initial), required=actor.is_agency
    )
    problem = _problem(actor, _profile_of(current))
    if request.method == "POST" and problem is None and form.is_valid():
        directory_actions.do_update_staff_entry(
            entry=current,
            role_title=form.cleaned_data["role_title"],
            started_on=form.cleaned_data["started_on"],
            ctx=ctx_from_request(request),
            reason=_reason(form),
        )
        messages.success(request, _("Staff entry saved."))
        return redirect("backoffice:org_entry", code=org.code, entry=current.pk)
    return render(
        request,
        "backoffice/org/edit.html",
        {
            "console_section": "org-staff",
            "organization": org,
            "entry": current,
            "form": form,
            "problem": problem,
        },
    )


def _confirm(request: HttpRequest, actor: Actor) -> org_forms.ConfirmForm:
    form = org_forms.ConfirmForm(request.POST if request.method == "POST" else None)
    return org_forms.ask_reason(form, required=actor.is_agency)  # type: ignore[return-value]


@scope.console_page(*scope.DIRECTORY, methods=("GET", "POST"))
def revoke_grant(request: HttpRequest, actor: Actor, code: str, grant: int) -> HttpResponse:
    org = scope.organization(actor, code)
    current = scope.grant(actor, grant)
    if current.organization_id != org.pk or current.revoked_at is not None:
        raise Http404
    entry = current.staff_entry
    form = _confirm(request, actor)
    problem = _problem(actor, current.profile)
    if request.method == "POST" and problem is None and form.is_valid():
        directory_actions.do_revoke_access(grant=current, ctx=ctx_from_request(request), reason=_reason(form))
        messages.success(request, _("Access revoked."))
        if entry is not None:
            return redirect("backoffice:org_entry", code=org.code, entry=entry.pk)
        return redirect("backoffice:org", code=org.code)
    return render(
        request,
        "backoffice/org/revoke.html",
        {
            "console_section": "org-staff",
            "organization": org,
            "grant": current,
            "entry": entry,
            "form": form,
            "problem": problem,
        },
    )


@scope.console_page(*scope.DIRECTORY, methods=("GET", "POST"))
def end_entry(request: HttpRequest, actor: Actor, code: str, entry: int) -> HttpResponse:
    org = scope.organization(actor, code)
    current = _entry_in(actor, org, entry)
    if current.ended_at is not None:
        raise Http404
    form = _confirm(request, actor)
    problem = _problem(actor, _profile_of(current))
    if request.method == "POST" and problem is None and form.is_valid():
        directory_actions.do_end_staff_entry(
            entry=current, ctx=ctx_from_request(request), reason=_reason(form)
        )
        messages.success(
            request,
            _("%(name)s is no longer on the staff; their access here was revoked.")
            % {"name": current.person.full_name},
        )
        return redirect("backoffice:org", code=org.code)
    grants = (
        AccessGrant.objects.active()
        .filter(staff_entry=current)
        .select_related("application", "role", "organization")
    )
    return render(
        request,
        "backoffice/org/end.html",
        {
            "console_section": "org-staff",
            "organization": org,
            "entry": current,
            "grants": grants,
            "form": form,
            "problem": problem,
        },
    )


@never_cache
@scope.console_page(*scope.DIRECTORY, methods=("GET", "POST"))
def activation_code(request: HttpRequest, actor: Actor, code: str, entry: int) -> HttpResponse:
    """A one-time set-up code for a pre-created Profile, shown once, printable."""
    org = scope.organization(actor, code)
    current = _entry_in(actor, org, entry)
    profile = _profile_of(current)
    if current.ended_at is not None or profile is None or profile.status != Status.AWAITING_SETUP:
        raise Http404
    if is_privileged(profile) and not actor.is_agency:
        # Whoever holds the code (and knows the person's details) finishes the Profile: for one
        # with administrator access, only customer service issues it.
        raise Http404
    form = _confirm(request, actor)
    problem = _problem(actor, profile) or scope.setup_code_problem(actor, current.person)
    context = {
        "console_section": "org-staff",
        "organization": org,
        "entry": current,
        "profile": profile,
        "form": form,
        "problem": problem,
    }
    if request.method == "POST" and problem is None and form.is_valid():
        typed_code, row = account_actions.do_issue_activation_code(
            profile=profile,
            purpose=CodePurpose.SETUP,
            organization=org.code,
            reason=_reason(form),
            ctx=ctx_from_request(request),
        )
        context |= {
            "code": typed_code,
            "expires_at": row.expires_at,
            "register_url": request.build_absolute_uri(reverse("registration:start")),
            # The set-up page asks a record without an SSN for it twice (registration/flows.py ssn_to_add).
            "ssn_again": not current.person.ssn_hash,
        }
        return render(request, "backoffice/org/code_issued.html", context)
    return render(request, "backoffice/org/code.html", context)


# --- activity -------------------------------------------------------------------------------


def _readable(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(_readable(v) for v in value) or "—"
    return str(value)


# What the directory's actions write in an event's detail (directory/actions.py, accounts/
# actions.py do_issue_activation_code), in the page's words; a key not listed is shown as written.
DETAIL_LABELS = {
    "organization": _lazy("Organization"),
    "reason": _lazy("Reason"),
    "fields": _lazy("Changed"),
    "role_title_old": _lazy("Role title before"),
    "role_title_new": _lazy("Role title after"),
    "started_on_old": _lazy("Started on before"),
    "started_on_new": _lazy("Started on after"),
    "application": _lazy("Application"),
    "role": _lazy("Role"),
    "staff_entry": _lazy("Staff entry"),
    "purpose": _lazy("Purpose"),
    "expires_at": _lazy("Expires"),
}
CHANGED_FIELDS = {"role_title": _lazy("Role title"), "started_on": _lazy("Started on")}
PURPOSES = dict(CodePurpose.choices)


def _detail_value(key: str, value: Any, names: dict[str, str], entries: dict[str, str]) -> str:
    if key == "organization" and value in names:
        return f"{names[value]} ({value})"
    if key == "staff_entry":
        return entries.get(str(value), str(GONE["directory.staffentry"]))
    if key == "fields" and isinstance(value, list):
        return ", ".join(str(CHANGED_FIELDS.get(name, name)) for name in value) or "—"
    if key == "purpose":
        return str(PURPOSES.get(value, value))
    if key == "expires_at" and isinstance(value, str):
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:
            return value
    if key.startswith("started_on_") and isinstance(value, str):
        try:
            return day(date.fromisoformat(value))
        except ValueError:
            return value
    return _readable(value)


def _detail_lines(
    detail: dict[str, Any], names: dict[str, str], entries: dict[str, str]
) -> list[tuple[str, str]]:
    """`names`: the organizations' names by code (an event names its organization by code);
    `entries`: the staff entries an event's detail names, in words, by id."""
    return [
        (
            str(DETAIL_LABELS.get(key, key.replace("_", " ").capitalize())),
            _detail_value(key, value, names, entries),
        )
        for key, value in detail.items()
    ]


# What the About column says of a thing the event names that is no longer there.
GONE = {
    "accounts.profile": _lazy("A Profile that no longer exists"),
    "directory.staffentry": _lazy("A staff entry that no longer exists"),
}


def _targets(events: list[AuditEvent]) -> tuple[dict[tuple[str, str], dict[str, str]], dict[str, str]]:
    """What each event was about, in the words a Directory Administrator knows from the staff
    list: a Profile by its person's name and User Name, a staff entry by the staff member's
    name, role title and organization (backoffice/org/_activity_target.html says it). Also the
    staff entries the events' details name ("Staff entry": an access grant's), in words by id."""
    ids: dict[str, set[int]] = {}
    for event in events:
        if event.target_id.isdigit():
            ids.setdefault(event.target_type, set()).add(int(event.target_id))
        entry_id = event.detail.get("staff_entry")
        if isinstance(entry_id, int) and not isinstance(entry_id, bool):
            ids.setdefault("detail.staff_entry", set()).add(entry_id)
    targets: dict[tuple[str, str], dict[str, str]] = {}
    for profile in Profile.objects.filter(pk__in=ids.get("accounts.profile", ())).select_related("person"):
        targets[("accounts.profile", str(profile.pk))] = {
            "kind": "profile",
            "name": profile.person.full_name,
            "username": profile.username,
        }
    wanted = ids.get("directory.staffentry", set()) | ids.get("detail.staff_entry", set())
    entries: dict[str, str] = {}
    for e in StaffEntry.objects.filter(pk__in=wanted).select_related("organization", "person"):
        targets[("directory.staffentry", str(e.pk))] = {
            "kind": "staff",
            "name": e.person.full_name,
            "title": e.role_title,
            "organization": e.organization.name,
        }
        entries[str(e.pk)] = _("%(title)s at %(org)s") % {"title": e.role_title, "org": e.organization.name}
    return targets, entries


def _target_fallback(event: AuditEvent) -> dict[str, str]:
    """A thing the event names that is gone; nothing for a kind this page does not describe
    (none of the events the page lists names one: tests/flows/test_activity_about.py)."""
    if event.target_type not in GONE:
        return {"kind": "none"}
    return {"kind": "gone", "text": str(GONE[event.target_type])}


ACTIVITY_KEY = "backoffice_activity_filter"  # session: the activity filter {"org": code, "data": …}


@scope.console_page(*scope.DIRECTORY, methods=("GET", "POST"))
def activity(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """Who did what in this organization (and, for a district, its schools), newest first.

    The filter names a User Name: it is POSTed and kept in the session (one filter, for this
    organization), then the list is shown by GET with pages `?page=N`, as the staff search is,
    so no User Name goes into a URL, a browser's history or an access log."""
    org = scope.organization(actor, code)
    names = {o.code: o.name for o in _family(org)}
    events = scope.events(actor).filter(detail__organization__in=list(names)).order_by("-at", "-id")
    if request.method == "POST":
        form = org_forms.ActivityFilterForm(request.POST)
        if "clear" in request.POST:
            request.session.pop(ACTIVITY_KEY, None)
            return redirect("backoffice:org_activity", code=org.code)
        if form.is_valid():
            # As typed (the form's own text), so that the GET binds it again exactly.
            data = {name: request.POST[name] for name in form.fields if request.POST.get(name)}
            request.session[ACTIVITY_KEY] = {"org": org.code, "data": data}
            return redirect("backoffice:org_activity", code=org.code)
    else:
        saved = request.session.get(ACTIVITY_KEY) or {}
        data = saved.get("data") if saved.get("org") == org.code else None
        form = org_forms.ActivityFilterForm(data or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["event_type"]:
            events = events.filter(event_type=data["event_type"])
        if data["actor"]:
            events = events.filter(actor_label__iexact=data["actor"].strip())
        if data["date_from"]:
            events = events.filter(at__date__gte=data["date_from"])
        if data["date_to"]:
            events = events.filter(at__date__lte=data["date_to"])
    elif form.is_bound:
        events = events.none()
    page, query = _page(request, events)
    shown = list(page.object_list)
    targets, entries = _targets(shown)
    labels = dict(EventType.choices)
    outcomes = dict(Outcome.choices)
    rows = [
        {
            "at": event.at,
            "actor": event.actor_label or _("system"),
            "event": labels.get(event.event_type, event.event_type),
            "outcome": event.outcome,
            "outcome_label": outcomes.get(event.outcome, event.outcome),
            "target": targets.get((event.target_type, event.target_id), _target_fallback(event)),
            "detail": _detail_lines(event.detail, names, entries),
        }
        for event in shown
    ]
    return render(
        request,
        "backoffice/org/activity.html",
        {
            "console_section": "org-activity",
            "organization": org,
            "form": form,
            "page": page,
            "rows": rows,
            "query": query,
        },
    )
