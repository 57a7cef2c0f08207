from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from edgate.audit.events import PendingEvent, audited, changes
from edgate.audit.models import EventType
from edgate.audit.record import record_event
from edgate.core.context import Ctx
from edgate.people.models import Person

from .models import (
    AccessGrant,
    Application,
    AppRole,
    OrgAdministrator,
    Organization,
    StaffEntry,
    in_org_type_order,
)

M = TypeVar("M", bound=models.Model)

# Profiles are seen as Django's configured user model (settings.AUTH_USER_MODEL), as the
# models' foreign keys see them: the directory and accounts do not import each other.


def build_staff_entry(
    *, person: Person, organization: Organization, role_title: str, started_on: date | None = None
) -> StaffEntry:
    """An unsaved staff entry (`do_add_staff` saves it; the bulk import copies it)."""
    return StaffEntry(person=person, organization=organization, role_title=role_title, started_on=started_on)


def _why(reason: str) -> dict[str, str]:
    """The reason customer service gave for a change it made (nothing when none was asked)."""
    return {"reason": reason} if reason else {}


def staff_added_event(entry: StaffEntry, *, ctx: Ctx, reason: str = "") -> PendingEvent:
    return PendingEvent(
        EventType.STAFF_ADDED,
        ctx=ctx,
        target=entry,
        detail={"organization": entry.organization.code} | _why(reason),
    )


@audited(EventType.STAFF_ADDED)
@transaction.atomic
def do_add_staff(
    *,
    person: Person,
    organization: Organization,
    role_title: str,
    ctx: Ctx,
    started_on: date | None = None,
    reason: str = "",
) -> StaffEntry:
    """Idempotent: a person has one open entry per organization."""
    current = StaffEntry.objects.filter(person=person, organization=organization, ended_at=None).first()
    if current is not None:
        return current
    entry = build_staff_entry(
        person=person, organization=organization, role_title=role_title, started_on=started_on
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:  # added concurrently (the one-open-entry constraint)
        return StaffEntry.objects.get(person=person, organization=organization, ended_at=None)
    staff_added_event(entry, ctx=ctx, reason=reason).record()
    return entry


@audited(EventType.STAFF_UPDATED)
@transaction.atomic
def do_update_staff_entry(
    *, entry: StaffEntry, role_title: str, started_on: date | None, ctx: Ctx, reason: str = ""
) -> StaffEntry:
    entry = StaffEntry.objects.select_for_update().get(pk=entry.pk)
    before = {"role_title": entry.role_title, "started_on": _plain(entry.started_on)}
    after = {"role_title": role_title, "started_on": _plain(started_on)}
    if before == after:
        return entry
    entry.role_title, entry.started_on = role_title, started_on
    entry.save(update_fields=["role_title", "started_on"])
    detail = {"organization": entry.organization.code} | changes(before, after) | _why(reason)
    record_event(EventType.STAFF_UPDATED, ctx=ctx, target=entry, detail=detail)
    return entry


@audited(EventType.STAFF_ENDED)
@transaction.atomic
def do_end_staff_entry(*, entry: StaffEntry, ctx: Ctx, reason: str = "") -> StaffEntry:
    """Ending a staff entry revokes every grant it carried."""
    entry = StaffEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.ended_at is not None:
        return entry
    entry.ended_at = timezone.now()
    entry.save(update_fields=["ended_at"])
    record_event(
        EventType.STAFF_ENDED,
        ctx=ctx,
        target=entry,
        detail={"organization": entry.organization.code} | _why(reason),
    )
    for grant in entry.grants.active():
        do_revoke_access(grant=grant, ctx=ctx, reason=reason)
    return entry


class GrantRefused(ValueError):
    """A grant the rules do not allow: the message says why, in words for the page."""


# Profile statuses that may hold a grant (accounts.models.Status values: the directory does
# not import accounts). A locked or disabled Profile is given nothing new.
GRANTABLE_STATUSES = frozenset({"active", "awaiting_setup"})


def current_staff_entry(profile: AbstractBaseUser, organization: Organization) -> StaffEntry | None:
    """The Profile's person's open staff entry at the organization, if any."""
    person_id = getattr(profile, "person_id", None)
    if person_id is None:
        return None
    return StaffEntry.objects.filter(person_id=person_id, organization=organization, ended_at=None).first()


def grant_problem(
    *,
    profile: AbstractBaseUser,
    role: AppRole,
    organization: Organization,
    staff_entry: StaffEntry | None = None,
) -> str | None:
    """Why this grant may not be made (None when it may). Every grant rests on the person's
    current staff entry at the organization, so ending that entry revokes it."""
    if role.application.open_to_all:
        return _("%(application)s is open to every Profile: it needs no grant.") % {
            "application": role.application.name
        }
    if getattr(profile, "status", None) not in GRANTABLE_STATUSES:
        return _("Only an active Profile, or one awaiting setup, can be given access.")
    entry = current_staff_entry(profile, organization)
    if entry is None:
        return _("This person is not on the staff of %(organization)s: add them to its staff first.") % {
            "organization": organization.name
        }
    if staff_entry is not None and staff_entry.pk != entry.pk:
        return _("That staff entry is not this person's current entry at the organization.")
    return kind_problem(role, organization)


def kind_problem(role: AppRole, organization: Organization) -> str | None:
    """Why this role may not be granted at this kind of organization (None when it may): a role
    meant for districts ("district_admin") given at a school would reach an application, through
    the `roles` claim, as the same role with the school's code."""
    if role.fits(organization):
        return None
    return _(
        "%(application)s: %(role)s cannot be granted at this kind of organization (%(kind)s). "
        "It may be granted at: %(kinds)s."
    ) % {
        "application": role.application.shown_text,
        "role": role.shown_text,
        "kind": organization.get_org_type_display(),
        "kinds": role.org_types_text,
    }


@audited(EventType.ACCESS_GRANTED)
@transaction.atomic
def do_grant_access(
    *,
    profile: AbstractBaseUser,
    role: AppRole,
    organization: Organization,
    ctx: Ctx,
    staff_entry: StaffEntry | None = None,
    reason: str = "",
) -> AccessGrant:
    """Idempotent. Refused (`GrantRefused`) unless the person has a current staff entry at the
    organization; the grant is tied to that entry (ending it revokes the grant)."""
    problem = grant_problem(profile=profile, role=role, organization=organization, staff_entry=staff_entry)
    if problem:
        raise GrantRefused(problem)
    # Locked, so an entry ended meanwhile cannot leave a grant behind it.
    entry = StaffEntry.objects.select_for_update().get(
        pk=current_staff_entry(profile, organization).pk  # type: ignore[union-attr]
    )
    if entry.ended_at is not None:
        raise GrantRefused(_("This staff entry has just been ended."))
    grant, created = AccessGrant.objects.active().get_or_create(
        profile=profile,
        role=role,
        organization=organization,
        defaults={
            "application": role.application,
            "staff_entry": entry,
            "granted_by_id": ctx.actor_id,
        },
    )
    if created:
        record_event(
            EventType.ACCESS_GRANTED,
            ctx=ctx,
            target=profile,
            detail={
                "application": role.application.code,
                "role": role.code,
                "organization": organization.code,
                "staff_entry": entry.pk,
            }
            | _why(reason),
        )
    return grant


@audited(EventType.ACCESS_REVOKED)
@transaction.atomic
def do_revoke_access(*, grant: AccessGrant, ctx: Ctx, reason: str = "") -> AccessGrant:
    grant = AccessGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.revoked_by_id = ctx.actor_id
        grant.save(update_fields=["revoked_at", "revoked_by"])
        record_event(
            EventType.ACCESS_REVOKED,
            ctx=ctx,
            target=grant.profile,
            detail={
                "application": grant.application.code,
                "role": grant.role.code,
                "organization": grant.organization.code,
            }
            | _why(reason),
        )
    return grant


@audited(EventType.ADMIN_APPOINTED)
@transaction.atomic
def do_appoint_admin(
    *, profile: AbstractBaseUser, organization: Organization, ctx: Ctx, reason: str = ""
) -> OrgAdministrator:
    row, created = OrgAdministrator.objects.get_or_create(profile=profile, organization=organization)
    if created:
        record_event(
            EventType.ADMIN_APPOINTED,
            ctx=ctx,
            target=profile,
            detail={"organization": organization.code} | ({"reason": reason} if reason else {}),
        )
    return row


@audited(EventType.ADMIN_REMOVED)
@transaction.atomic
def do_remove_admin(*, appointment: OrgAdministrator, ctx: Ctx, reason: str = "") -> None:
    row = OrgAdministrator.objects.select_for_update().filter(pk=appointment.pk).first()
    if row is None:
        return  # removed already (a double submit)
    profile, code = row.profile, row.organization.code
    row.delete()
    detail = {"organization": code} | ({"reason": reason} if reason else {})
    record_event(EventType.ADMIN_REMOVED, ctx=ctx, target=profile, detail=detail)


# --- configuration: organizations, applications, roles ------------------------------------


def _plain(value: object) -> object:
    """A value an event's detail can hold: a related row by its id, a date as ISO text."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
    return value


def _save_configuration(
    model: type[M], instance: M | None, values: dict[str, object], event: EventType, ctx: Ctx
) -> M:
    """Create or change one configuration row, validated, recording old and new values."""
    current = (
        model._default_manager.select_for_update().get(pk=instance.pk)
        if instance and instance.pk
        else model()
    )
    before = {name: _plain(getattr(current, name)) for name in values} if current.pk else {}
    for name, value in values.items():
        setattr(current, name, value)
    current.full_clean()
    after = {name: _plain(getattr(current, name)) for name in values}
    if before == after:
        return current
    created = current.pk is None
    current.save()
    record_event(event, ctx=ctx, target=current, detail={"created": created} | changes(before, after))
    return current


@audited(EventType.ORGANIZATION_SAVED)
@transaction.atomic
def do_save_organization(
    *,
    code: str,
    name: str,
    org_type: str,
    ctx: Ctx,
    parent: Organization | None = None,
    active: bool = True,
    organization: Organization | None = None,
) -> Organization:
    values = {"code": code, "name": name, "org_type": org_type, "parent": parent, "active": active}
    return _save_configuration(Organization, organization, values, EventType.ORGANIZATION_SAVED, ctx)


@audited(EventType.APPLICATION_SAVED)
@transaction.atomic
def do_save_application(
    *,
    code: str,
    name: str,
    ctx: Ctx,
    description: str = "",
    url: str = "",
    open_to_all: bool = False,
    name_es: str = "",
    description_es: str = "",
    application: Application | None = None,
) -> Application:
    values = {
        "code": code,
        "name": name,
        "description": description,
        "name_es": name_es,
        "description_es": description_es,
        "url": url,
        "open_to_all": open_to_all,
    }
    return _save_configuration(Application, application, values, EventType.APPLICATION_SAVED, ctx)


@audited(EventType.APP_ROLE_SAVED)
@transaction.atomic
def do_save_app_role(
    *,
    application: Application,
    code: str,
    name: str,
    ctx: Ctx,
    name_es: str = "",
    org_types: Iterable[str] = (),
    role: AppRole | None = None,
) -> AppRole:
    """`org_types`: the kinds of organization (OrgType values) at which the role may be granted;
    none: any kind."""
    values = {
        "application": application,
        "code": code,
        "name": name,
        "name_es": name_es,
        "org_types": in_org_type_order(org_types),
    }
    return _save_configuration(AppRole, role, values, EventType.APP_ROLE_SAVED, ctx)
