"""Connected applications: the clients that hold a person's tokens (and so their consent), on a
page of My Profile where the person disconnects any of them (ASVS V10.4.9, V10.7.3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from oauth2_provider.models import AccessToken, RefreshToken, refresh_token_expire_timedelta
from oauth2_provider.models import Application as Client

from edgate.accounts.models import Profile
from edgate.core.context import ctx_from_request

from . import access, actions
from .models import TokenFamily


@dataclass
class Connection:
    client: Client
    application_name: str
    first_party: bool
    scopes: set[str]
    until: datetime | None  # when its last refresh-token family ends (None: no refresh token)

    @property
    def scope_descriptions(self) -> list[str]:
        return access.describe_scopes(self.scopes)


def connections(profile: Profile) -> list[Connection]:
    """Clients holding a token of the person's that still works: a live access token, or an
    unrevoked refresh token that can still be refreshed (its family has not ended, and it has
    not lapsed REFRESH_TOKEN_EXPIRE_SECONDS after its access token), outside an ended family."""
    now = timezone.now()
    scopes: dict[int, set[str]] = {}
    until: dict[int, datetime] = {}
    ended = TokenFamily.objects.filter(profile=profile, ends_at__lte=now).values("family")
    live_access = (
        AccessToken.objects.filter(user=profile, expires__gt=now)
        .exclude(refresh_token__token_family__in=ended)
        .exclude(source_refresh_token__token_family__in=ended)
    )
    for client_pk, scope in live_access.values_list("application_id", "scope"):
        scopes.setdefault(client_pk, set()).update(scope.split())
    live_refresh = RefreshToken.objects.filter(user=profile, revoked__isnull=True, access_token__isnull=False)
    if lapse := refresh_token_expire_timedelta():
        live_refresh = live_refresh.filter(access_token__expires__gt=now - lapse)
    ends = dict(
        TokenFamily.objects.filter(family__in=live_refresh.values("token_family")).values_list(
            "family", "ends_at"
        )
    )
    for client_pk, family, scope in live_refresh.values_list(
        "application_id", "token_family", "access_token__scope"
    ):
        end = ends.get(family)
        if end is None or end <= now:  # cannot be refreshed (families.has_ended)
            continue
        scopes.setdefault(client_pk, set()).update((scope or "").split())
        if end > until.get(client_pk, now):
            until[client_pk] = end
    clients = Client.objects.in_bulk(list(scopes))
    found = []
    for pk, granted in scopes.items():
        link = access.link_of(clients[pk])
        found.append(
            Connection(
                client=clients[pk],
                application_name=link.application.name if link else "",
                first_party=bool(link and link.first_party),
                scopes=granted,
                until=until.get(pk),
            )
        )
    return sorted(found, key=lambda connection: connection.client.name.lower())


@login_required
@require_http_methods(["GET", "POST"])
def connected_applications(request: HttpRequest) -> HttpResponse:
    """The list; a POST disconnects the client named by `client_id`, if it is one of the
    person's (any other value changes nothing and answers the list again, never an error)."""
    if request.method == "POST":
        wanted = request.POST.get("client_id", "")
        for connection in connections(request.user):
            if connection.client.client_id == wanted:
                actions.do_disconnect_client(
                    profile=request.user, client=connection.client, ctx=ctx_from_request(request)
                )
                messages.success(
                    request,
                    _("%(name)s is disconnected: it can no longer use your Profile.")
                    % {"name": connection.client.name},
                )
        return redirect("sso:connected")
    return render(request, "sso/connected.html", {"connections": connections(request.user)})
