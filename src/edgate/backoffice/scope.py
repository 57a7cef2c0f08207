"""Who may see and change what in the consoles: the one place that decides.

An `Actor` is the signed-in Profile with the roles that are *effective* in this session. A
privileged role counts only once the session has passed its second factor; before that the
Profile is treated as having no role at all (the decorator sends it to the code page).

- **Directory Administrator**: appointed to an organization; administers it and, for a
  district, its schools — nothing else (`Actor.org_ids`).
- **Customer service**: the `accounts.serve_customers` permission (through a group);
  sees every organization, Profile and case.
- **Security administrator**: a superuser with staff status (the Django admin's only users);
  has every customer-service power too.

Views never filter by hand: they take objects from the functions below, which answer 404 for
anything outside the actor's scope (never a hint that it exists) and 403 for a role the actor
lacks. `tests/test_backoffice_matrix.py` drives every console URL as every role.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from edgate.accounts.models import CUSTOMER_SERVICE_PERMISSION, Profile
from edgate.audit.models import AuditEvent, EventType, Outcome
from edgate.audit.record import record_event, record_throttle_alert
from edgate.core import throttle
from edgate.core.context import ctx_from_request
from edgate.core.views import error_page
from edgate.directory.models import AccessGrant, OrgAdministrator, Organization, StaffEntry
from edgate.matching.models import MatchCase
from edgate.people.models import Person
from edgate.recovery.policy import is_privileged


class Role(enum.Enum):
    DIRECTORY_ADMIN = "directory_administrator"
    CUSTOMER_SERVICE = "customer_service"
    SECURITY_ADMIN = "security_administrator"


# Roles that see every organization (the agency's own staff).
AGENCY_ROLES = frozenset({Role.CUSTOMER_SERVICE, Role.SECURITY_ADMIN})
# Who may use the Directory Administrator console (for the organizations in their scope).
DIRECTORY = (Role.DIRECTORY_ADMIN, Role.CUSTOMER_SERVICE, Role.SECURITY_ADMIN)
# Who may use the customer-service console.
SERVICE = (Role.CUSTOMER_SERVICE, Role.SECURITY_ADMIN)


@dataclass(frozen=True)
class Actor:
    profile: Profile
    roles: frozenset[Role]
    # Organizations administered: each appointment's organization and, for a district, its
    # schools. Empty for agency roles, which see everything (see `is_agency`).
    org_ids: frozenset[int]

    @property
    def is_agency(self) -> bool:
        return bool(self.roles & AGENCY_ROLES)

    def has_any(self, roles: Iterable[Role]) -> bool:
        return bool(self.roles & set(roles))

    def may_act_for(self, organization: Organization) -> bool:
        return self.is_agency or organization.pk in self.org_ids


def administered_org_ids(profile: Profile) -> frozenset[int]:
    appointed = Organization.objects.filter(
        active=True, pk__in=OrgAdministrator.objects.filter(profile=profile).values("organization")
    )
    ids = set(appointed.values_list("pk", flat=True))
    ids |= set(Organization.objects.filter(active=True, parent__in=ids).values_list("pk", flat=True))
    return frozenset(ids)


def actor_for(request: HttpRequest) -> Actor | None:
    """The roles effective in this request's session (cached on the request); None when the
    Profile is privileged but the session has not passed its second factor."""
    cached = getattr(request, "_backoffice_actor", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    profile: Profile = request.user  # type: ignore[assignment]
    actor: Actor | None
    if not profile.is_verified():  # type: ignore[attr-defined]
        actor = None if is_privileged(profile) else Actor(profile, frozenset(), frozenset())
    else:
        roles: set[Role] = set()
        org_ids = administered_org_ids(profile)
        if org_ids:
            roles.add(Role.DIRECTORY_ADMIN)
        if profile.is_active and profile.has_perm(CUSTOMER_SERVICE_PERMISSION):
            roles.add(Role.CUSTOMER_SERVICE)
        if profile.is_active and profile.is_superuser and profile.is_staff:
            roles.add(Role.SECURITY_ADMIN)
        actor = Actor(profile, frozenset(roles), org_ids)
    request._backoffice_actor = actor  # type: ignore[attr-defined]
    return actor


def console_page(
    *roles: Role, methods: tuple[str, ...] = ("GET",)
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Declares a console view: who may reach it and with which methods. The view receives
    the `Actor` as its second argument and finds every object through this module."""
    if not roles:
        raise ValueError("a console page names the roles that may use it")

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @require_http_methods(list(methods))
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = actor_for(request)
            if actor is None:  # privileged, second factor not passed yet
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('mfa:verify')}?{query}")
            if not actor.has_any(roles):
                if too_many := _refused(request, "no role for this page"):
                    return too_many
                raise PermissionDenied
            try:
                return view(request, actor, *args, **kwargs)
            except Http404:
                if too_many := _refused(request, "not found or not in scope"):
                    return too_many
                raise

        guarded.console_roles = frozenset(roles)  # type: ignore[attr-defined]
        guarded.console_methods = tuple(methods)  # type: ignore[attr-defined]
        return guarded

    return decorate


# Refusals audited per Profile (EDGATE["THROTTLES"]); beyond it, a 429 and nothing written.
REFUSALS = "console_refused_profile"
# `MatchCase.source` of a case that Create a Profile opened (registration/flows.py).
REGISTRATION_SOURCE = "registration"


def _refused(request: HttpRequest, reason: str) -> HttpResponse | None:
    """A console page refused to a signed-in, verified person: audited, so that someone trying
    pages or ids beyond their scope is seen. The path only (ids and organization codes, never
    personal data); not the query string, which may hold a search.

    Each audit event takes the chain's lock and a row, so a Profile walking ids in a loop
    would write without end: past the limit the refusal is not audited one by one (the first
    one over it is, as a throttle alert) and the answer is 429 with Retry-After."""
    ctx = ctx_from_request(request)
    counted = throttle.attempt(throttle.named(REFUSALS), str(request.user.pk))
    if not counted.allowed:
        if counted.tripped:
            record_throttle_alert(ctx=ctx, limit=counted.limit.name, attempts=counted.number)
        response = error_page(request, _("Too many refused pages"), "console-refusals", 429)
        return throttle.too_many(response, max(1, counted.retry_after))
    record_event(
        EventType.CONSOLE_REFUSED,
        ctx=ctx,
        outcome=Outcome.DENIED,
        detail={"method": request.method, "path": request.path, "reason": reason},
    )
    return None


def change_problem(actor: Actor, target: Profile) -> str | None:
    """Why `actor` may not change `target` (its status, codes, grants, staff entries), or None.

    Nobody changes their own Profile, access or staff entries in a console (no one grants
    themselves a role); the Profiles of agency staff (staff, superusers, members of a group) are
    a security administrator's to change. Every console page that changes a Profile's access
    asks this, whichever console it is in."""
    if target.pk == actor.profile.pk:
        return _("You cannot change your own Profile or access here: ask a colleague.")
    agency_staff = target.is_staff or target.is_superuser or target.groups.exists()
    if agency_staff and Role.SECURITY_ADMIN not in actor.roles:
        return _("This is an agency staff Profile: only a security administrator may change it.")
    return None


# --- objects in scope ---------------------------------------------------------------------
# Each returns a queryset limited to what the actor may see, or one object of it (else 404).


def _one(queryset: QuerySet[Any], **lookup: Any) -> Any:
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def organizations(actor: Actor) -> QuerySet[Organization]:
    everything = Organization.objects.all()
    return everything if actor.is_agency else everything.filter(pk__in=actor.org_ids)


def organization(actor: Actor, code: str) -> Organization:
    return _one(organizations(actor), code=code)  # type: ignore[no-any-return]


def staff_entries(actor: Actor) -> QuerySet[StaffEntry]:
    return StaffEntry.objects.filter(organization__in=organizations(actor))


def staff_entry(actor: Actor, pk: int) -> StaffEntry:
    return _one(staff_entries(actor).select_related("person", "organization"), pk=pk)  # type: ignore[no-any-return]


def people(actor: Actor) -> QuerySet[Person]:
    """Agency roles: every person. A Directory Administrator: people with a current staff
    entry in one of their organizations."""
    if actor.is_agency:
        return Person.objects.all()
    current = staff_entries(actor).filter(ended_at__isnull=True)
    return Person.objects.filter(pk__in=current.values("person"))


def person(actor: Actor, pk: int) -> Person:
    return _one(people(actor), pk=pk)  # type: ignore[no-any-return]


def profiles(actor: Actor) -> QuerySet[Profile]:
    everything = Profile.objects.select_related("person")
    return everything if actor.is_agency else everything.filter(person__in=people(actor))


def profile(actor: Actor, pk: int) -> Profile:
    return _one(profiles(actor), pk=pk)  # type: ignore[no-any-return]


def grants(actor: Actor) -> QuerySet[AccessGrant]:
    return AccessGrant.objects.filter(organization__in=organizations(actor)).select_related(
        "application", "role", "organization", "profile"
    )


def grant(actor: Actor, pk: int) -> AccessGrant:
    return _one(grants(actor), pk=pk)  # type: ignore[no-any-return]


def _reassigned_here(actor: Actor, routed: QuerySet[MatchCase]) -> list[int]:
    """Of the cases routed to the actor's organizations, those customer service (or a security
    administrator) reassigned to one of them: `matching.actions.do_route_case`, whose
    `match_case.routed` event names the organizations it left the case with, is called only by
    the customer-service console's "reassign" and the admin site."""
    codes = set(organizations(actor).values_list("code", flat=True))
    ids = routed.annotate(pk_text=Cast("pk", CharField())).values("pk_text")
    found = AuditEvent.objects.filter(
        event_type=EventType.MATCH_CASE_ROUTED, target_type=MatchCase._meta.label_lower, target_id__in=ids
    ).values_list("target_id", "detail")
    return [int(pk) for pk, detail in found if codes & set(detail.get("organizations_new") or ())]


def cases(actor: Actor) -> QuerySet[MatchCase]:
    """Agency roles: every case. A Directory Administrator: cases routed to their organizations
    whose person is on the current staff of one of them — being routed there when the case was
    opened is not enough (the person may have left, or been added since by the one who opened
    it) — or that customer service reassigned to one of them (`_reassigned_here`)."""
    everything = MatchCase.objects.all()
    if actor.is_agency:
        return everything
    routed = everything.filter(organizations__in=actor.org_ids)
    on_my_staff = StaffEntry.objects.filter(organization__in=actor.org_ids, ended_at__isnull=True)
    allowed = routed.filter(
        Q(person__in=on_my_staff.values("person")) | Q(pk__in=_reassigned_here(actor, routed))
    )
    return everything.filter(pk__in=allowed.values("pk"))


def administers_every_entry(actor: Actor, person: Person) -> bool:
    """Whether the person is on the current staff of an organization the actor administers
    (`Actor.org_ids`: their own and, for a district, its schools) and every current staff entry
    of theirs is at one; always for the agency's roles. A person on no organization's current
    staff is no Directory Administrator's: customer service reassigning their case to one
    lets that administrator see and decide it, not rewrite who the person is (before
    2026-12-01 an empty set of entries passed "every entry" vacuously)."""
    if actor.is_agency:
        return True
    working = set(
        StaffEntry.objects.filter(person=person, ended_at__isnull=True).values_list(
            "organization_id", flat=True
        )
    )
    return bool(working) and working <= actor.org_ids


def _on_no_staff_of(actor: Actor, person: Person) -> bool:
    """Whether the person is on no current staff of the actor's organizations (a Directory
    Administrator's reason to leave the record to customer service, said apart from "also
    works elsewhere")."""
    return not StaffEntry.objects.filter(
        person=person, ended_at__isnull=True, organization__in=actor.org_ids
    ).exists()


def _on_staff_at(actor: Actor, person: Person, moment: datetime) -> bool:
    """Whether the person was on the staff of one of the actor's organizations at `moment`: an
    entry there made at or before it and not ended before it (ended since, or not at all)."""
    return (
        StaffEntry.objects.filter(person=person, organization__in=actor.org_ids, created_at__lte=moment)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=moment))
        .exists()
    )


def correction_problem(actor: Actor, person: Person, *, opened_at: datetime | None = None) -> str | None:
    """Why the actor may not correct this person's names or date of birth, or None.

    A Directory Administrator corrects only the record of a person on their current staff whose
    current staff entries are all at organizations they administer (`administers_every_entry`).
    The record is shared with every organization the person works for: a school's
    administrator must not rewrite who a sibling school's (or another district's) staff member
    is; and a person on no organization's staff (a case customer service reassigned to the
    administrator) is no one's to rewrite but customer service's. Such a correction is
    customer service's (escalate the case).

    On a case (`opened_at`, when it was opened), the person must also have been on the staff of
    one of the actor's organizations when the case was opened (`_on_staff_at`): else the
    administrator could add a person on no staff to their own (a known-person search: names,
    date of birth, full SSN) and then rewrite who they are (review8 L2). Customer service still
    can. Opened, not routed: a case is routed after it is opened, so this covers both. The entry
    of then need not be the current one: a person moved since between schools the actor
    administers (added at one, their entry at the other ended) is still theirs (review9 L4),
    as long as every current entry is (the rule above)."""
    if administers_every_entry(actor, person):
        if actor.is_agency or opened_at is None or _on_staff_at(actor, person, opened_at):
            return None
        return _(
            "This person was added to the staff of your organization after this case was "
            "opened: only customer service may correct their names or date of birth. Escalate "
            "the case to customer service, saying what to correct."
        )
    if _on_no_staff_of(actor, person):
        return _(
            "This person is not on the current staff of an organization you administer: only "
            "customer service may correct their names or date of birth. Escalate the case to "
            "customer service, saying what to correct."
        )
    return _(
        "This person also works for an organization you do not administer: only customer service "
        "may correct their names or date of birth. Escalate the case to customer service, saying "
        "what to correct."
    )


def setup_code_problem(actor: Actor, person: Person) -> str | None:
    """Why the actor may not issue a set-up code for this person's pre-created Profile, or None.

    Issuing one withdraws every earlier unused one, whoever issued it, and whoever holds the
    code (and knows the person's details) finishes the Profile. So a Directory Administrator
    issues it only when every current staff entry of the person is at an organization they
    administer (`administers_every_entry`, as for correcting the record): otherwise another
    district's administrator could cancel the code a district handed over, and hold the only
    live one. Customer service issues it then."""
    if administers_every_entry(actor, person):
        return None
    if _on_no_staff_of(actor, person):
        return _(
            "This person is not on the current staff of an organization you administer: only "
            "customer service may issue their set-up code."
        )
    return _(
        "This person also works for an organization you do not administer: only customer service "
        "may issue their set-up code."
    )


def birth_date_correction_problem(actor: Actor, case: MatchCase) -> str | None:
    """Why the actor may not correct the record's date of birth in deciding this case, or None.

    A registration case compares the record with what someone typed into Create a Profile,
    signed out: nothing says who. A Directory Administrator who typed a staff member's SSN and
    names there, with a date of birth of their choosing, could otherwise decide the case "same
    person", correct the record's date of birth to theirs and then set up the Profile
    (`submitted_by_actor` sees only what was typed in the console). So on a registration case
    the date of birth is customer service's to correct: the Directory Administrator escalates
    the case with what they propose."""
    if actor.is_agency or case.source != REGISTRATION_SOURCE:
        return None
    return _(
        "The date of birth on this case was typed into Create a Profile: only customer service "
        "may correct the record's. Leave it empty, or escalate the case to customer service, "
        "saying what to correct."
    )


def submitted_by_actor(actor: Actor, case: MatchCase) -> bool:
    """Whether the actor typed the case's conflicting data (adding staff as someone new opened
    it, or was counted on it): the one who typed it does not decide it."""
    return AuditEvent.objects.filter(
        event_type__in=(EventType.MATCH_CASE_OPENED, EventType.MATCH_CASE_REPEATED),
        target_type=MatchCase._meta.label_lower,
        target_id=str(case.pk),
        actor_id=actor.profile.pk,
    ).exists()


def case(actor: Actor, reference: str) -> MatchCase:
    return _one(cases(actor), reference=reference)  # type: ignore[no-any-return]


def events(actor: Actor) -> QuerySet[AuditEvent]:
    """Agency roles: every event. A Directory Administrator: events that name one of their
    organizations (`detail.organization`)."""
    everything = AuditEvent.objects.all()
    if actor.is_agency:
        return everything
    codes = list(organizations(actor).values_list("code", flat=True))
    return everything.filter(Q(detail__organization__in=codes))
