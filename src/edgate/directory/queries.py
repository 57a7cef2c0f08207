from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.utils.safestring import SafeString

from .models import AccessGrant, Application, AppRole, Organization


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
    """Applications the Profile may use: every open one, and the others it holds an active grant
    for (a revoked grant, or one whose staff entry was ended, has revoked_at set), by name;
    with each, the roles its active grants give (role and organization), in the order granted.

    One written-out statement (_APPLICATIONS_SQL) rather than two querysets: My applications is
    a page every signed-in person sees first, and compiling the querysets (select_related, an
    OR of two filters, distinct) cost more CPU than running them (docs/performance.md)."""
    columns = _APPLICATION_COLUMNS()
    width = len(columns)
    found: dict[int, AppAccess] = {}
    with connection.cursor() as cursor:
        cursor.execute(_APPLICATIONS_SQL(), [profile.pk])
        for row in cursor.fetchall():
            app_id = row[0]
            access = found.get(app_id)
            if access is None:
                app = Application.from_db(connection.alias, columns, row[:width])
                access = found[app_id] = AppAccess(app, [])
            role, role_es, organization = row[width : width + 3]
            if role is not None:
                access.roles.append(GrantedRole(role, role_es, organization))
    return list(found.values())


@cache
def _APPLICATION_COLUMNS() -> list[str]:  # noqa: N802 - a constant, made once the models are ready
    """Application's concrete field names, the primary key first (the statement's order)."""
    meta = Application._meta
    return [meta.pk.attname] + [f.attname for f in meta.concrete_fields if not f.primary_key]


@cache
def _APPLICATIONS_SQL() -> str:  # noqa: N802 - a constant, made once the models are ready
    """Each application the Profile may use, once per active grant it holds for it (with the
    role's and organization's names), or once with NULLs when it holds none there (open to
    all). Table and column names come from the models, so a rename follows; the Profile's id
    is the one parameter."""
    quote = connection.ops.quote_name
    app, grant = Application._meta, AccessGrant._meta
    role, org = AppRole._meta, Organization._meta

    def column(meta, name: str) -> str:  # type: ignore[no-untyped-def]
        return quote(meta.get_field(name).column)

    app_columns = ", ".join(f"a.{quote(app.get_field(name).column)}" for name in _APPLICATION_COLUMNS())
    role_columns = f"r.{column(role, 'name')}, r.{column(role, 'name_es')}"
    return (
        f"SELECT {app_columns}, {role_columns}, o.{column(org, 'name')} "  # noqa: S608 - names from the models, quoted; the value a parameter
        f"FROM {quote(app.db_table)} a "
        f"LEFT JOIN {quote(grant.db_table)} g ON g.{column(grant, 'application')} = a.{column(app, 'id')} "
        f"AND g.{column(grant, 'profile')} = %s AND g.{column(grant, 'revoked_at')} IS NULL "
        f"LEFT JOIN {quote(role.db_table)} r ON r.{column(role, 'id')} = g.{column(grant, 'role')} "
        f"LEFT JOIN {quote(org.db_table)} o ON o.{column(org, 'id')} = g.{column(grant, 'organization')} "
        f"WHERE a.{column(app, 'open_to_all')} OR g.{column(grant, 'id')} IS NOT NULL "
        f"ORDER BY a.{column(app, 'name')}, a.{column(app, 'id')}, g.{column(grant, 'id')}"
    )
