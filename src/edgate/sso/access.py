"""Who may sign in to a client's application, and what the client is told about them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from edgate.accounts.models import Status
from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event
from edgate.core.context import ctx_from_request
from edgate.directory.models import AccessGrant, Application

from . import authn
from .models import ClientApplication, Subject

# What each scope tells a client, in the person's language (the consent page and Connected
# applications; the library's own descriptions, settings.OAUTH2_PROVIDER["SCOPES"], are English).
SCOPE_DESCRIPTIONS = {
    "openid": gettext_lazy("Who you are to this application (an identifier) and your roles in it"),
    "profile": gettext_lazy("Your User Name and your name"),
    "email": gettext_lazy("Your email address"),
}


def describe_scopes(scopes: Any) -> list[str]:
    """The descriptions of `scopes`, in the provider's order."""
    return [str(text) for name, text in SCOPE_DESCRIPTIONS.items() if name in set(scopes)]


def link_of(client: Any) -> ClientApplication | None:
    return ClientApplication.objects.select_related("application").filter(client=client).first()


def application_of(client: Any) -> Application | None:
    link = link_of(client)
    return link.application if link else None


def active_grants(profile: AbstractBaseUser, application: Application) -> list[AccessGrant]:
    """Grants in force: not revoked, at an organization that is active, not carried by a staff
    entry that has ended, and whose role fits its organization's kind now (AppRole.fits).

    The kind is checked here as well as when a grant is made (directory.grant_problem): a grant
    made before role kinds existed, a kind ticked on a role later, or an organization's kind
    changed in the admin site leaves a grant that would not be made today. Such a grant is not
    revoked (the security administrator sees them: the admin site's grant list, "Fits its
    role's kinds: No"), but it neither lets the person sign in nor appears in the `roles`
    claim: a client that reads only the role must never see district_admin at a school."""
    grants = (
        AccessGrant.objects.active()
        .filter(profile=profile, application=application, organization__active=True)
        .filter(Q(staff_entry__isnull=True) | Q(staff_entry__ended_at__isnull=True))
        .select_related("role", "organization")
        .order_by("organization__code", "role__code")
    )
    return [grant for grant in grants if grant.role.fits(grant.organization)]


def may_sign_in(profile: AbstractBaseUser | None, client: Any) -> bool:
    """An active Profile, and a client linked to an application that is open to all or for
    which the Profile holds a grant in force (active_grants: one whose role fits its
    organization's kind). Asked at the authorization endpoint, at every code exchange and
    refresh, and at userinfo."""
    if profile is None or getattr(profile, "status", None) != Status.ACTIVE:
        return False
    application = application_of(client)
    if application is None:
        return False
    return application.open_to_all or bool(active_grants(profile, application))


def roles(profile: AbstractBaseUser, client: Any) -> list[dict[str, str]]:
    application = application_of(client)
    if application is None:
        return []
    return [
        {
            "role": grant.role.code,
            "organization": grant.organization.code,
            "organization_name": grant.organization.name,
        }
        for grant in active_grants(profile, application)
    ]


def subject(profile: AbstractBaseUser) -> str:
    row, _created = Subject.objects.get_or_create(profile=profile)
    return str(row.sub)


def existing_subject(profile: AbstractBaseUser) -> str | None:
    """The Profile's `sub` if a client was ever told one (nothing is made here)."""
    sub = Subject.objects.filter(profile=profile).values_list("sub", flat=True).first()
    return str(sub) if sub else None


def record_authorization(request: HttpRequest, client: Any, *, allowed: bool) -> None:
    """The authorization endpoint's answer, in the audit log (as the portal's own sign-in is):
    a code issued to the client, or the person turned away for want of access."""
    application = application_of(client)
    detail = {
        "client_id": getattr(client, "client_id", None),
        "application": application.code if application else None,
    }
    if allowed:  # how the session signed in, as the ID token will say (amr)
        detail["amr"] = authn.amr_text(authn.of_session(request).amr)
    record_event(
        EventType.SSO_SIGN_IN if allowed else EventType.SSO_ACCESS_DENIED,
        ctx=ctx_from_request(request),
        target=request.user,
        outcome=Outcome.SUCCESS if allowed else Outcome.DENIED,
        detail=detail,
    )


def record_refusal(request: HttpRequest, client: Any, *, reason: str) -> None:
    """A request refused because the signed-in session will not do: with prompt=none,
    `max_age` (it signed in too long ago), `id_token_hint` (it is another person's) or
    `acr_values` (no second factor passed), answered login_required; or `acr_values` when the
    person has no second factor at all, answered access_denied."""
    application = application_of(client)
    record_event(
        EventType.SSO_SIGN_IN_REFUSED,
        ctx=ctx_from_request(request),
        target=request.user,
        outcome=Outcome.DENIED,
        detail={
            "client_id": getattr(client, "client_id", None),
            "application": application.code if application else None,
            "reason": reason,
        },
    )


# How much of a client_id a failed client authentication records: the provider's are 40
# characters; anything longer is not one of them (and never a secret: only the client_id).
CLIENT_ID_RECORDED = 64


def record_client_auth_failure(request: HttpRequest, client_id: str, *, endpoint: str) -> None:
    """A failed client authentication at the token or revocation endpoint (`invalid_client`):
    the client_id as given, truncated, and the endpoint; never the secret, the code or the
    token."""
    record_event(
        EventType.SSO_CLIENT_AUTH_FAILED,
        ctx=ctx_from_request(request),
        outcome=Outcome.FAILURE,
        detail={"client_id": client_id[:CLIENT_ID_RECORDED], "endpoint": endpoint},
    )
