from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.utils.safestring import SafeString

from .models import AccessGrant, Application, AppRole, Organization, StaffEntry


@dataclass(frozen=True)
class GrantedRole:
    """A role an active grant gives, and at which organization: the role's name in the page's
    language (AppRole.shown_name), the organization's as written."""

    name: str
    name_es: str
    organization: str

    @property
    def shown_name(self) -> str | SafeString:
        return AppRole(name=self.name, name_es=self.name_es).shown_name

    def __str__(self) -> str:
        return f"{self.name} — {self.organization}"


@dataclass(frozen=True)
class AppAccess:
    application: Application
    roles: list[GrantedRole]


def applications_for(profile: AbstractBaseUser) -> list[AppAccess]:
    """Applications the Profile may use: every open one, and the others it holds a grant in force
    for, by name; with each, the roles those grants give (role and organization), in the order
    granted. In force as sso.access.active_grants says, which decides sign-in (review9 L1: a
    grant whose role no longer fits its organization's kind gave a card and no access): not
    revoked, at an active organization, its staff entry (if any) not ended, its role fitting
    the organization's kind (AppRole.fits). The statement reads what decides it; the role's
    kinds are checked here, in Python, as there.

    One written-out statement (_APPLICATIONS_SQL) rather than two querysets: My applications is
    a page every signed-in person sees first, and compiling the querysets (select_related, an
    OR of two filters, distinct) cost more CPU than running them (docs/performance.md)."""
    columns = _APPLICATION_COLUMNS()
    width = len(columns)
    found: dict[int, AppAccess] = {}
    kinds_field = AppRole._meta.get_field("org_types")
    with connection.cursor() as cursor:
        cursor.execute(_APPLICATIONS_SQL(), [profile.pk])
        for row in cursor.fetchall():
            app_id = row[0]
            access = found.get(app_id)
            if access is None:
                app = Application.from_db(connection.alias, columns, row[:width])
                access = found[app_id] = AppAccess(app, [])
            role, role_es, organization, kinds, org_type, org_active, entry_ended_at = row[width:]
            if role is None or not org_active or entry_ended_at is not None:
                continue
            if AppRole(org_types=kinds_field.from_db_value(kinds, None, connection)).fits(
                Organization(org_type=org_type)
            ):
                access.roles.append(GrantedRole(role, role_es, organization))
    return [access for access in found.values() if access.application.open_to_all or access.roles]


@cache
def _APPLICATION_COLUMNS() -> list[str]:  # noqa: N802 - a constant, made once the models are ready
    """Application's concrete field names, the primary key first (the statement's order)."""
    meta = Application._meta
    return [meta.pk.attname] + [f.attname for f in meta.concrete_fields if not f.primary_key]


@cache
def _APPLICATIONS_SQL() -> str:  # noqa: N802 - a constant, made once the models are ready
    """Each application the Profile may hold, once per unrevoked grant it holds for it (with
    the role's and organization's names, and what decides whether the grant is in force: the
    role's kinds, the organization's kind and whether it is active, when its staff entry
    ended), or once with NULLs when it holds none there (open to all). Table and column names
    come from the models, so a rename follows; the Profile's id is the one parameter."""
    quote = connection.ops.quote_name
    app, grant = Application._meta, AccessGrant._meta
    role, org, entry = AppRole._meta, Organization._meta, StaffEntry._meta

    def column(meta, name: str) -> str:  # type: ignore[no-untyped-def]
        return quote(meta.get_field(name).column)

    app_columns = ", ".join(f"a.{quote(app.get_field(name).column)}" for name in _APPLICATION_COLUMNS())
    role_columns = f"r.{column(role, 'name')}, r.{column(role, 'name_es')}"
    return (
        f"SELECT {app_columns}, {role_columns}, o.{column(org, 'name')}, r.{column(role, 'org_types')}, "  # noqa: S608 - names from the models, quoted; the value a parameter
        f"o.{column(org, 'org_type')}, o.{column(org, 'active')}, s.{column(entry, 'ended_at')} "
        f"FROM {quote(app.db_table)} a "
        f"LEFT JOIN {quote(grant.db_table)} g ON g.{column(grant, 'application')} = a.{column(app, 'id')} "
        f"AND g.{column(grant, 'profile')} = %s AND g.{column(grant, 'revoked_at')} IS NULL "
        f"LEFT JOIN {quote(role.db_table)} r ON r.{column(role, 'id')} = g.{column(grant, 'role')} "
        f"LEFT JOIN {quote(org.db_table)} o ON o.{column(org, 'id')} = g.{column(grant, 'organization')} "
        f"LEFT JOIN {quote(entry.db_table)} s ON s.{column(entry, 'id')} = g.{column(grant, 'staff_entry')} "
        f"WHERE a.{column(app, 'open_to_all')} OR g.{column(grant, 'id')} IS NOT NULL "
        f"ORDER BY a.{column(app, 'name')}, a.{column(app, 'id')}, g.{column(grant, 'id')}"
    )
