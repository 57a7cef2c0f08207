from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from edgate.audit.models import EventType
from edgate.audit.record import record_event
from edgate.core.context import Ctx
from edgate.people.models import Person

from .models import AccessGrant, AppRole, OrgAdministrator, Organization, StaffEntry

# Profiles are seen as Django's configured user model (settings.AUTH_USER_MODEL), as the
# models' foreign keys see them: the directory and accounts do not import each other.


@transaction.atomic
def do_add_staff(*, person: Person, organization: Organization, role_title: str, ctx: Ctx) -> StaffEntry:
    entry, created = StaffEntry.objects.get_or_create(
        person=person, organization=organization, ended_at=None, defaults={"role_title": role_title}
    )
    if created:
        record_event(EventType.STAFF_ADDED, ctx=ctx, target=entry, detail={"organization": organization.code})
    return entry


@transaction.atomic
def do_end_staff_entry(*, entry: StaffEntry, ctx: Ctx) -> StaffEntry:
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
        detail={"organization": entry.organization.code},
    )
    for grant in entry.grants.active():
        do_revoke_access(grant=grant, ctx=ctx)
    return entry


@transaction.atomic
def do_grant_access(
    *,
    profile: AbstractBaseUser,
    role: AppRole,
    organization: Organization,
    ctx: Ctx,
    staff_entry: StaffEntry | None = None,
) -> AccessGrant:
    grant, created = AccessGrant.objects.active().get_or_create(
        profile=profile,
        role=role,
        organization=organization,
        defaults={
            "application": role.application,
            "staff_entry": staff_entry,
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
            },
        )
    return grant


@transaction.atomic
def do_revoke_access(*, grant: AccessGrant, ctx: Ctx) -> AccessGrant:
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
            },
        )
    return grant


@transaction.atomic
def do_appoint_admin(*, profile: AbstractBaseUser, organization: Organization, ctx: Ctx) -> OrgAdministrator:
    row, created = OrgAdministrator.objects.get_or_create(profile=profile, organization=organization)
    if created:
        record_event(
            EventType.ADMIN_APPOINTED,
            ctx=ctx,
            target=profile,
            detail={"organization": organization.code},
        )
    return row
