"""Right after the password, a privileged session is sent to its second factor."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from edgate.core.middleware import SECOND_FACTOR_OWED

from . import session

# Pages an unverified privileged session may always reach: the second-factor pages themselves
# and signing out (also at the admin's address, which the portal's sign-out serves).
OPEN_PAGES = ("mfa:verify", "mfa:enrol", "mfa:skip", "accounts:logout")
# Held even after "go on without privileges": changing the password or the hint.
GUARDED_PAGES = ("accounts:change_password", "accounts:change_hint")
# Single sign-on's authorization endpoint holds a privileged session itself (a code for an
# application is a sign-in there; with the password alone it would open every application of a
# privileged person): it must answer prompt=none to the client, never with a page (OIDC Core
# 3.1.2.1). It is told whether the session owes its second factor (SECOND_FACTOR_OWED).
AUTHORIZE = "oauth2_provider:authorize"


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and request.path == reverse(AUTHORIZE):
            setattr(request, SECOND_FACTOR_OWED, session.is_owed(request))
            return self.get_response(request)
        if request.user.is_authenticated and session.is_due(request) and self._held(request):
            # The whole address: an authorization request's parameters are in its query.
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('mfa:verify')}?{query}")
        return self.get_response(request)

    @staticmethod
    def _held(request: HttpRequest) -> bool:
        path = request.path
        admin = reverse("admin:index")
        if path.startswith(settings.STATIC_URL) or path == f"{admin}logout/":
            return False
        if path in {reverse(name) for name in OPEN_PAGES}:
            return False
        # Having chosen to go on without privileges, only the privileged pages (the admin site
        # and the consoles) send them back, and the pages that change the password or hint:
        # with the password alone, someone could otherwise change it and sign the owner out
        # everywhere.
        console = reverse("backoffice:home")
        guarded = path.startswith((admin, console)) or path in {reverse(name) for name in GUARDED_PAGES}
        return guarded or not request.session.get(session.SKIPPED)
