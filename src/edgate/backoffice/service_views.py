"""The customer-service console: find a Profile, see everything about it, and help its owner
(unlock, disable, enable, a recovery code, a new second factor, Directory Administrator
appointments); merge and unmerge duplicate Persons.

Every page is for customer service and security administrators (`scope.SERVICE`); every change
asks for a reason, which its audit event records with the old and new values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import and_

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from edgate.accounts import actions as account_actions
from edgate.accounts.models import CodePurpose, Profile, Status
from edgate.accounts.usernames import canonical
from edgate.audit.models import AuditEvent
from edgate.core import throttle
from edgate.core.context import Ctx, ctx_from_request
from edgate.directory import actions as directory_actions
from edgate.directory.models import OrgAdministrator, StaffEntry
from edgate.identity import normalize
from edgate.matching.models import MatchCase
from edgate.mfa import actions as mfa_actions
from edgate.people.models import Person
from edgate.people.quality import DataProblem, data_problems
from edgate.recovery.flows import recovery_paused_until
from edgate.recovery.policy import is_privileged

from . import actions, scope
from .models import PersonMerge
from .scope import Actor, Role
from .service_forms import AppointForm, ConfirmMergeForm, MergeForm, ReasonForm, SearchForm

PAGE_SIZE = 50
RECENT_EVENTS = 50


def _context(actor: Actor, **values: object) -> dict[str, object]:
    return {"actor": actor, "console_section": "service", **values}


# --- search --------------------------------------------------------------------------------


def _matching_profiles(profiles: QuerySet[Profile], data: dict[str, str]) -> QuerySet[Profile]:
    """Every filled field narrows the result; each uses an indexed or short column."""
    conditions: list[Q] = []
    if data.get("username"):
        conditions.append(Q(lowered__startswith=canonical(data["username"])))
    if data.get("email"):
        conditions.append(Q(person__email__iexact=data["email"]))
    if data.get("ssn_last4"):
        conditions.append(Q(person__ssn_last4=data["ssn_last4"]))
    for word in data.get("name", "").split():
        key = normalize.name_key(word)
        if key:
            conditions.append(
                Q(person__last_name_key__startswith=key)
                | Q(person__first_name_key__startswith=key)
                | Q(person__former_last_name_key__startswith=key)
            )
    current = (
        StaffEntry.objects.filter(ended_at=None).select_related("organization").order_by("organization__code")
    )
    return (
        profiles.annotate(lowered=Lower("username"))
        .filter(reduce(and_, conditions, Q()))
        .select_related("person")
        .prefetch_related(Prefetch("person__staff_entries", queryset=current, to_attr="current_entries"))
        .order_by("person__last_name", "person__first_name", "username")
    )


@scope.console_page(*scope.SERVICE, methods=("GET", "POST"))
def search(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = SearchForm(request.POST if request.method == "POST" else None)
    page = None
    if form.is_valid():
        found = _matching_profiles(scope.profiles(actor), form.cleaned_data)
        page = Paginator(found, PAGE_SIZE).get_page(request.POST.get("page"))
    return render(request, "backoffice/service/search.html", _context(actor, form=form, page=page))


# --- the Profile page ----------------------------------------------------------------------


def case_url(reference: str) -> str:
    try:
        return reverse("backoffice:case", kwargs={"reference": reference})
    except NoReverseMatch:  # the case pages are another part of the console
        return f"/console/cases/{reference}/"


def profile_events(profile: Profile) -> QuerySet[AuditEvent]:
    person = str(profile.person_id)
    return AuditEvent.objects.filter(
        Q(target_type="accounts.profile", target_id=str(profile.pk))
        | Q(target_type="people.person", target_id=person)
    ).order_by("-at", "-id")[:RECENT_EVENTS]


def readable(event: AuditEvent) -> list[tuple[str, object]]:
    """An event's detail as label/value pairs (the template's `audit_value` shows each value)."""
    return [(key.replace("_", " "), value) for key, value in event.detail.items()]


@scope.console_page(*scope.SERVICE)
def profile_page(request: HttpRequest, actor: Actor, profile: int) -> HttpResponse:
    target = scope.profile(actor, profile)
    person = target.person
    merged_into = actions.standing_merge(person)
    grants = scope.grants(actor).filter(profile=target).order_by("revoked_at", "-granted_at")
    cases = [(case, case_url(case.reference)) for case in scope.cases(actor).filter(person=person)]
    devices = {
        "app": TOTPDevice.objects.filter(user=target, confirmed=True).exists(),
        "recovery_codes": sum(d.token_set.count() for d in StaticDevice.objects.filter(user=target)),
    }
    # A Profile with no second factor, and not required to have one, has nothing to show there.
    devices["shown"] = (
        devices["app"]
        or bool(devices["recovery_codes"])
        or is_privileged(target)
        or StaticDevice.objects.filter(user=target).exists()
        or TOTPDevice.objects.filter(user=target).exists()
    )
    context = _context(
        actor,
        profile=target,
        person=person,
        privileged=is_privileged(target),
        # Wrong hint answers have paused self-service recovery: the person who calls is told why.
        recovery_paused_until=recovery_paused_until(target),
        # Every field this page shows may carry one (docs/matching.md §7).
        data_problems=list(data_problems(person).values()),
        staff=scope.staff_entries(actor)
        .filter(person=person)
        .select_related("organization")
        .order_by("ended_at"),
        active_grants=[g for g in grants if g.revoked_at is None],
        revoked_grants=[g for g in grants if g.revoked_at is not None],
        cases=cases,
        devices=devices,
        appointments=OrgAdministrator.objects.filter(profile=target).select_related("organization"),
        appoint_form=AppointForm(organizations=scope.organizations(actor).filter(active=True)),
        merged_into=merged_into,
        survivor_label=person_label(merged_into.survivor) if merged_into else "",
        merges_received=[
            (merge, person_label(merge.duplicate))
            for merge in PersonMerge.objects.filter(survivor=person, undone_at=None).select_related(
                "duplicate"
            )
        ],
        events=[(event, readable(event)) for event in profile_events(target)],
        actions=[
            (a.title_for(target), action_url(a, target))
            for a in PROFILE_ACTIONS.values()
            if offered(a, target)
        ],
    )
    return render(request, "backoffice/service/profile.html", context)


# --- actions on a Profile --------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileAction:
    slug: str
    title: str
    explanation: str
    button: str
    offered: Callable[[Profile], bool]
    # Does the work; returns a one-time code to show (with when it expires, if it does), or None
    # to go back to the Profile page.
    perform: Callable[[Profile, str, Ctx], str | tuple[str, datetime] | None]
    code_note: str = ""
    # The code's name on the page that shows it, as the person's own page names it: an
    # "activation code" (recovery: /recover/with-code/), an "enrolment code" (second factor);
    # never "recovery code", which are the second factor's ten codes.
    code_name: str = ""
    # What happened, in words, from the Profile as it was before (actions that show no code).
    done: Callable[[Profile], str] = lambda p: ""
    # The title when the Profile has no authenticator app (the reset then only issues a code).
    title_without_device: str = ""
    # Refused while the person's merge into another stands (the Profile must stay disabled).
    not_while_merged: bool = False
    # The page the code is typed at, named in `code_note`'s {url}.
    code_url: str = "recovery:with_code"

    def title_for(self, profile: Profile) -> str:
        if self.title_without_device and not has_app(profile):
            return str(self.title_without_device)
        return str(self.title)


def has_app(profile: Profile) -> bool:
    return TOTPDevice.objects.filter(user=profile, confirmed=True).exists()


def sign_in_lock_holds(profile: Profile) -> bool:
    """Wrong passwords have locked or delayed sign-in to this User Name (the throttle store)."""
    limit, key = throttle.named("sign_in_profile"), canonical(profile.username)
    return throttle.count(limit, key) >= limit.limit or throttle.held_for(limit, key) > 0


def _unlock(profile: Profile, reason: str, ctx: Ctx) -> None:
    actions.do_unlock_profile(profile=profile, reason=reason, ctx=ctx)
    return None


def _unlocked(profile: Profile) -> str:
    if profile.status == Status.LOCKED:
        return _("Profile {username} unlocked; its sign-in lock was lifted.").format(
            username=profile.username
        )
    return _("Profile {username}: its sign-in lock was lifted.").format(username=profile.username)


def _disable(profile: Profile, reason: str, ctx: Ctx) -> None:
    account_actions.do_set_status(profile=profile, status=Status.DISABLED, reason=reason, ctx=ctx)
    return None


def _enable(profile: Profile, reason: str, ctx: Ctx) -> None:
    status = Status.ACTIVE if profile.activated_at is not None else Status.AWAITING_SETUP
    account_actions.do_set_status(profile=profile, status=status, reason=reason, ctx=ctx)
    return None


def _enabled(profile: Profile) -> str:
    if profile.activated_at is None:
        return _("Profile {username} enabled; it is awaiting setup again.").format(username=profile.username)
    return _("Profile {username} enabled; it can sign in again.").format(username=profile.username)


def _recovery_code(profile: Profile, reason: str, ctx: Ctx) -> tuple[str, datetime]:
    code, row = account_actions.do_issue_activation_code(
        profile=profile, purpose=CodePurpose.RECOVERY, reason=reason, ctx=ctx
    )
    return code, row.expires_at


def _setup_code(profile: Profile, reason: str, ctx: Ctx) -> tuple[str, datetime]:
    # The action a Directory Administrator's staff page prints the code with (org_views).
    code, row = account_actions.do_issue_activation_code(
        profile=profile, purpose=CodePurpose.SETUP, reason=reason, ctx=ctx
    )
    return code, row.expires_at


def _reset_second_factor(profile: Profile, reason: str, ctx: Ctx) -> str:
    return mfa_actions.do_reset_second_factor(profile=profile, reason=reason, ctx=ctx)


ENROL_NOTE = gettext_lazy(
    "Read this enrolment code to the person. They sign in, and type it when asked to set up "
    "their authenticator app."
)

PROFILE_ACTIONS: dict[str, ProfileAction] = {
    action.slug: action
    for action in (
        ProfileAction(
            "unlock",
            gettext_lazy("Unlock"),
            gettext_lazy(
                "The Profile becomes active again (a Profile never set up goes back to awaiting setup) "
                "and any sign-in lock or delay from wrong passwords is lifted."
            ),
            gettext_lazy("Unlock this Profile"),
            lambda p: (
                p.status == Status.LOCKED
                or (p.status in (Status.ACTIVE, Status.AWAITING_SETUP) and sign_in_lock_holds(p))
            ),
            _unlock,
            done=_unlocked,
            not_while_merged=True,
        ),
        ProfileAction(
            "disable",
            gettext_lazy("Disable"),
            gettext_lazy("The Profile can no longer sign in; its open sessions end at their next request."),
            gettext_lazy("Disable this Profile"),
            lambda p: p.status != Status.DISABLED,
            _disable,
            done=lambda p: _("Profile {username} disabled; it can no longer sign in.").format(
                username=p.username
            ),
        ),
        ProfileAction(
            "enable",
            gettext_lazy("Enable"),
            gettext_lazy(
                "The Profile can sign in again (a Profile never set up goes back to awaiting setup)."
            ),
            gettext_lazy("Enable this Profile"),
            lambda p: p.status == Status.DISABLED,
            _enable,
            done=_enabled,
            not_while_merged=True,
        ),
        ProfileAction(
            "reset-recovery",
            gettext_lazy("Reset recovery"),
            gettext_lazy(
                "Issues a one-time activation code, valid for 24 hours, that replaces any earlier one. "
                "The person chooses a new password with it at the address shown with the code. "
                "Give it only to the person, once you have checked who they are."
            ),
            gettext_lazy("Issue an activation code"),
            lambda p: p.status == Status.ACTIVE,
            _recovery_code,
            gettext_lazy(
                "Read this code to the person. They go to {url}, type their User Name and this code, "
                "and choose a new password."
            ),
            code_name=gettext_lazy("Activation code (shown only now)"),
        ),
        ProfileAction(
            "setup-code",
            gettext_lazy("Issue a set-up code"),
            gettext_lazy(
                "For a Profile awaiting setup: issues a one-time activation code that replaces any "
                "earlier one, including one a Directory Administrator printed. With it the person "
                "finishes setting up their Profile on Create a Profile. Give it only to the person, "
                "once you have checked who they are."
            ),
            gettext_lazy("Issue a set-up code"),
            lambda p: p.status == Status.AWAITING_SETUP,
            _setup_code,
            gettext_lazy(
                "Read this code to the person. They go to {url}, enter their name, date of birth and "
                "Social Security Number, then this code, a password and a Password Hint Question. "
                "The code works once."
            ),
            code_name=gettext_lazy("Activation code (shown only now)"),
            not_while_merged=True,
            code_url="registration:start",
        ),
        ProfileAction(
            "reset-second-factor",
            gettext_lazy("Reset second factor"),
            gettext_lazy(
                "For a privileged Profile whose authenticator app is lost, or that has none yet: any app "
                "and recovery codes are removed and a one-time enrolment code is issued. At the next "
                "sign-in the person attaches a new app with that code."
            ),
            gettext_lazy("Remove the second factor and issue an enrolment code"),
            lambda p: (
                is_privileged(p)
                or TOTPDevice.objects.filter(user=p).exists()
                or StaticDevice.objects.filter(user=p).exists()
            ),
            _reset_second_factor,
            ENROL_NOTE,
            code_name=gettext_lazy("Enrolment code (shown only now)"),
            title_without_device=gettext_lazy("Issue an enrolment code"),
        ),
    )
}


def merged_problem(action: ProfileAction, profile: Profile) -> str | None:
    if not action.not_while_merged or (standing := actions.standing_merge(profile.person)) is None:
        return None
    return _(
        "This person was merged into {survivor}, so this Profile stays disabled. "
        "To use it again, undo the merge first."
    ).format(survivor=person_label(standing.survivor))


def offered(action: ProfileAction, profile: Profile) -> bool:
    return action.offered(profile) and merged_problem(action, profile) is None


# A code just issued, until the page it redirects to shows it (once).
CODE_KEY = "service_code_issued"


def _held_code(
    request: HttpRequest, action: ProfileAction, profile: Profile
) -> tuple[str, datetime | None, str] | None:
    held = request.session.pop(CODE_KEY, None)
    if not held or held.get("profile") != profile.pk or held.get("action") != action.slug:
        return None
    expires = held.get("expires_at") or ""
    return str(held["code"]), datetime.fromisoformat(expires) if expires else None, str(held["title"])


def action_url(action: ProfileAction, profile: Profile) -> str:
    return reverse(f"backoffice:service_{action.slug.replace('-', '_')}", kwargs={"profile": profile.pk})


@scope.console_page(*scope.SERVICE, methods=("GET", "POST"))
def profile_action(request: HttpRequest, actor: Actor, profile: int, action: str) -> HttpResponse:
    target = scope.profile(actor, profile)
    chosen = PROFILE_ACTIONS.get(action)
    if chosen is None:
        raise Http404
    title = chosen.title_for(target)
    problem = scope.change_problem(actor, target) or merged_problem(chosen, target)
    if problem is None and not chosen.offered(target):
        problem = _("This cannot be done to a Profile that is {status}.").format(
            status=target.get_status_display().lower()
        )
        if chosen.slug == "unlock":
            problem = _("Profile {username} is not locked, and no sign-in lock holds on it.").format(
                username=target.username
            )
    if request.method == "GET" and (held := _held_code(request, chosen, target)) is not None:
        code, expires_at, title = held
        # The set-up page asks a record without an SSN for it twice (registration/flows.py
        # ssn_to_add), as the Directory Administrator's printed code says.
        no_ssn = target.person is not None and not target.person.ssn_hash
        note = chosen.code_note.format(url=request.build_absolute_uri(reverse(chosen.code_url)))
        return render(
            request,
            "backoffice/service/code.html",
            _context(
                actor,
                profile=target,
                title=title,
                code=code,
                note=note,
                code_name=chosen.code_name,
                expires_at=expires_at,
                ssn_again=chosen.slug == "setup-code" and no_ssn,
            ),
        )
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and problem is None and form.is_valid():
        try:
            before = Profile.objects.get(pk=target.pk)
            issued = chosen.perform(target, form.cleaned_data["reason"], ctx_from_request(request))
        except account_actions.StatusChangeRefused as refused:
            form.add_error(None, str(refused))
        else:
            if issued is None:
                messages.success(request, chosen.done(before))
                return redirect("backoffice:service_profile", profile=target.pk)
            # Shown by the GET this redirects to, once: a reload neither issues another code (which
            # would withdraw the one just read out) nor shows this one again.
            code, expires_at = issued if isinstance(issued, tuple) else (issued, None)
            request.session[CODE_KEY] = {
                "profile": target.pk,
                "action": chosen.slug,
                "code": code,
                "expires_at": expires_at.isoformat() if expires_at else "",
                "title": title,  # as it was before the action (a reset's title names the device)
            }
            return redirect(action_url(chosen, target))
    return render(
        request,
        "backoffice/service/confirm.html",
        _context(
            actor,
            profile=target,
            action=chosen,
            title=title,
            form=form,
            problem=problem,
            merged=merged_problem(chosen, target) is not None,
        ),
    )


# --- Directory Administrator appointments ----------------------------------------------------


@scope.console_page(*scope.SERVICE, methods=("GET", "POST"))
def appoint(request: HttpRequest, actor: Actor, profile: int) -> HttpResponse:
    target = scope.profile(actor, profile)
    organizations = scope.organizations(actor).filter(active=True).order_by("code")
    form = AppointForm(request.POST if request.method == "POST" else None, organizations=organizations)
    problem = scope.change_problem(actor, target)
    if target.status != Status.ACTIVE and problem is None:
        problem = _("Only an active Profile can be appointed.")
    if request.method == "POST" and problem is None and form.is_valid():
        organization, reason = form.cleaned_data["organization"], form.cleaned_data["reason"]
        ctx = ctx_from_request(request)
        directory_actions.do_appoint_admin(profile=target, organization=organization, reason=reason, ctx=ctx)
        appointed = _("{username} appointed Directory Administrator of {org}.").format(
            username=target.username, org=organization
        )
        if has_app(target):
            messages.success(request, appointed)
            return redirect("backoffice:service_profile", profile=target.pk)
        # A Directory Administrator signs in with an authenticator app; without one they need an
        # enrolment code to attach it, so the appointment issues one (its own audited action).
        code = mfa_actions.do_reset_second_factor(
            profile=target,
            reason=_("Enrolment for the appointment at {code}: {reason}").format(
                code=organization.code, reason=reason
            ),
            ctx=ctx,
        )
        note = _(
            "{appointed} They have no authenticator app yet: read them this enrolment code. They sign in, "
            "and type it when asked to set up their authenticator app."
        ).format(appointed=appointed)
        return render(
            request,
            "backoffice/service/code.html",
            _context(actor, profile=target, title=_("Appointed"), code=code, note=note),
        )
    return render(
        request,
        "backoffice/service/appoint.html",
        _context(actor, profile=target, form=form, problem=problem),
    )


@scope.console_page(*scope.SERVICE, methods=("GET", "POST"))
def remove_appointment(request: HttpRequest, actor: Actor, profile: int, code: str) -> HttpResponse:
    target = scope.profile(actor, profile)
    organization = scope.organization(actor, code)
    appointment = OrgAdministrator.objects.filter(profile=target, organization=organization).first()
    if appointment is None:
        raise Http404
    problem = scope.change_problem(actor, target)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and problem is None and form.is_valid():
        directory_actions.do_remove_admin(
            appointment=appointment, reason=form.cleaned_data["reason"], ctx=ctx_from_request(request)
        )
        messages.success(request, _("Removed as Directory Administrator of {org}.").format(org=organization))
        return redirect("backoffice:service_profile", profile=target.pk)
    return render(
        request,
        "backoffice/service/remove_appointment.html",
        _context(actor, profile=target, organization=organization, form=form, problem=problem),
    )


# --- merging duplicate Persons -------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One of the two records, for the side-by-side view."""

    person: Person
    profile: Profile | None
    staff: list[StaffEntry]
    grants: int
    cases: int
    differs: frozenset[str] = frozenset()  # the fields where it differs from the other record
    one_sided: frozenset[str] = frozenset()  # the fields this record or the other one lacks
    # Data-quality problems of the fields this view shows (docs/matching.md §7).
    problems: tuple[DataProblem, ...] = ()

    @property
    def label(self) -> str:
        return person_label(self.person, self.profile)


def person_label(person: Person, profile: Profile | None = None) -> str:
    """How the console names a record in a merge: its User Name, else its state ID."""
    profile = profile or actions.profile_of(person)
    if profile is not None:
        return profile.username
    return _("person {state_id}").format(state_id=person.state_id)


def _side(person: Person, compared: Comparison | None = None) -> Side:
    compared = compared or Comparison(frozenset(), frozenset())
    profile = actions.profile_of(person)
    return Side(
        person=person,
        profile=profile,
        staff=list(person.staff_entries.filter(ended_at=None).select_related("organization")),
        grants=profile.grants.active().count() if profile is not None else 0,
        cases=MatchCase.objects.filter(person=person).count(),
        differs=compared.differs,
        one_sided=compared.one_sided,
        problems=tuple(data_problems(person, SIDE_FIELDS).values()),
    )


SIDE_FIELDS = ("first_name", "middle_name", "last_name", "former_last_name", "date_of_birth", "ssn", "email")


@dataclass(frozen=True)
class Comparison:
    """Two records' fields shown side by side: those that conflict (a value on each side, not
    the same) and those only one record has (nothing to choose between: not a conflict)."""

    differs: frozenset[str]
    one_sided: frozenset[str]


COMPARED: dict[str, Callable[[Person], tuple[object, ...]]] = {
    "name": lambda p: (p.first_name, p.middle_name, p.last_name, p.former_last_name),
    "date_of_birth": lambda p: (p.date_of_birth,),
    "ssn": lambda p: (p.ssn_hash,),  # SSNs compared by their hash
    "email": lambda p: ((p.email or "").lower(),),
    # Every record is given one; two that differ need the merge confirmed (actions.state_ids_differ).
    "state_id": lambda p: (p.state_id,),
}


def compare(one: Person, other: Person) -> Comparison:
    differs, one_sided = set(), set()
    for name, parts in COMPARED.items():
        pairs = list(zip(parts(one), parts(other), strict=True))
        if any(a and b and a != b for a, b in pairs):
            differs.add(name)
        elif any(bool(a) != bool(b) for a, b in pairs):
            one_sided.add(name)
    return Comparison(frozenset(differs), frozenset(one_sided))


def _sides(survivor: Person, duplicate: Person) -> list[tuple[str, Side]]:
    compared = compare(survivor, duplicate)
    return [
        (_("Survivor (stays)"), _side(survivor, compared)),
        (_("Duplicate (merged away)"), _side(duplicate, compared)),
    ]


def _hidden(form: forms.Form) -> forms.Form:
    for name in ("survivor", "duplicate"):
        form.fields[name].widget = forms.HiddenInput()
    return form


@scope.console_page(*scope.SERVICE, methods=("GET", "POST"))
def merge(request: HttpRequest, actor: Actor) -> HttpResponse:
    people = scope.people(actor)
    allow_privileged = Role.SECURITY_ADMIN in actor.roles
    context = _context(
        actor,
        recent=PersonMerge.objects.select_related("survivor", "duplicate")[:20],
    )
    if request.method != "POST":
        return render(request, "backoffice/service/merge.html", context | {"form": MergeForm(people=people)})
    confirming = "reason" in request.POST
    chosen = MergeForm(request.POST, people=people)
    if not chosen.is_valid():
        return render(request, "backoffice/service/merge.html", context | {"form": chosen})
    survivor, duplicate = chosen.cleaned_data["survivor"], chosen.cleaned_data["duplicate"]
    problem = actions.merge_problem(survivor=survivor, duplicate=duplicate, allow_privileged=allow_privileged)
    typed = {"survivor": chosen.data.get("survivor", ""), "duplicate": chosen.data.get("duplicate", "")}
    form = ConfirmMergeForm(
        request.POST if confirming else None,
        initial=typed,
        people=people,
        state_ids=(survivor.state_id, duplicate.state_id)
        if actions.state_ids_differ(survivor, duplicate)
        else None,
    )
    if confirming and problem is None and form.is_valid():
        try:
            actions.do_merge_persons(
                survivor=survivor,
                duplicate=duplicate,
                reason=form.cleaned_data["reason"],
                allow_privileged=allow_privileged,
                state_ids_checked=bool(form.cleaned_data.get("state_ids_checked")),
                ctx=ctx_from_request(request),
            )
        except actions.MergeRefused as refused:
            problem = str(refused)
        else:
            messages.success(
                request,
                _("Merged {duplicate} into {survivor}.").format(
                    duplicate=person_label(duplicate), survivor=person_label(survivor)
                ),
            )
            target = actions.profile_of(survivor)
            if target is not None:
                return redirect("backoffice:service_profile", profile=target.pk)
            return redirect("backoffice:service_merge")
    return render(
        request,
        "backoffice/service/merge_confirm.html",
        context | {"form": _hidden(form), "sides": _sides(survivor, duplicate), "problem": problem},
    )


@scope.console_page(*scope.SERVICE, methods=("GET", "POST"))
def unmerge(request: HttpRequest, actor: Actor, person: int) -> HttpResponse:
    duplicate = scope.person(actor, person)
    standing = actions.standing_merge(duplicate)
    if standing is None:
        raise Http404
    form = ReasonForm(request.POST if request.method == "POST" else None)
    allow_privileged = Role.SECURITY_ADMIN in actor.roles
    problems: list[str] = []
    if not allow_privileged and actions.unmerge_privileged(standing):
        problems = [actions.UNMERGE_PRIVILEGED]  # said before the agent types a reason
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_unmerge_persons(
                merge=standing,
                reason=form.cleaned_data["reason"],
                allow_privileged=allow_privileged,
                ctx=ctx_from_request(request),
            )
        except actions.UnmergeRefused as refused:
            problems = refused.problems
        else:
            messages.success(
                request,
                _("Merge of {duplicate} into {survivor} undone: every row it changed is back.").format(
                    duplicate=person_label(duplicate), survivor=person_label(standing.survivor)
                ),
            )
            return redirect("backoffice:service_merge")
    return render(
        request,
        "backoffice/service/unmerge.html",
        _context(
            actor,
            merge=standing,
            duplicate_label=person_label(duplicate),
            survivor_label=person_label(standing.survivor),
            sides=_sides(standing.survivor, duplicate),
            form=form,
            problems=problems,
        ),
    )
