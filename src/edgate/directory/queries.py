from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser

from .models import AccessGrant, Application


@dataclass(frozen=True)
class AppAccess:
    application: Application
    roles: list[str]


def applications_for(profile: AbstractBaseUser) -> list[AppAccess]:
    """Applications the Profile may use: every open one, and the others it holds a grant for."""
    roles: dict[int, list[str]] = {}
    for grant in AccessGrant.objects.active().filter(profile=profile).select_related("role", "organization"):
        roles.setdefault(grant.application_id, []).append(f"{grant.role.name} — {grant.organization.name}")
    apps = Application.objects.filter(open_to_all=True) | Application.objects.filter(pk__in=roles.keys())
    return [AppAccess(app, roles.get(app.pk, [])) for app in apps.distinct().order_by("name")]
