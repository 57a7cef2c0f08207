"""Sign-in during an authorization request: the portal's sign-in and second-factor pages post
a form whose redirects end at the client's redirect URI. Browsers hold those redirects to the
page's `form-action` policy ('self'), so such a page names the client's origins too — only
those of the client the pending request is for."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from oauth2_provider.models import Application as Client

from .views import allow_redirects_to


def pending_client(next_url: str) -> Client | None:
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or parts.path != reverse("oauth2_provider:authorize"):
        return None
    client_id = parse_qs(parts.query).get("client_id", [""])[0]
    return Client.objects.filter(client_id=client_id).first() if client_id else None


# The pages on the way to a pending authorization request (the consent page is the
# authorization endpoint itself, whose view names its client), by the name of the URL the
# request resolved to: reversing the four names on every response cost ~0.4 ms of CPU a page.
SIGN_IN_PAGES = frozenset({"accounts:login", "mfa:verify", "mfa:enrol", "mfa:skip"})


class AuthorizationFormActionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            "html" not in response.get("Content-Type", "")
            or match is None
            or match.view_name not in SIGN_IN_PAGES
        ):
            return response
        next_url = request.GET.get("next", "")
        # Only a form the view has read already: a body is never read here (it may have been
        # refused unread).
        if not next_url and request.method == "POST" and hasattr(request, "_post"):
            next_url = request.POST.get("next", "")
        if next_url:
            allow_redirects_to(response, pending_client(next_url))
        return response
