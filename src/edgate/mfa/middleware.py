"""Right after the password, a privileged session is sent to its second factor."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from . import session

# Pages an unverified privileged session may always reach: the second-factor pages themselves
# and signing out (also at the admin's address, which the portal's sign-out serves).
OPEN_PAGES = ("mfa:verify", "mfa:enrol", "mfa:skip", "accounts:logout")
# Held even after "go on without privileges": changing the password or the hint, and single
# sign-on's authorization endpoint (a code for an application is a sign-in there; with the
# password alone it would open every application of a privileged person).
GUARDED_PAGES = ("accounts:change_password", "accounts:change_hint", "oauth2_provider:authorize")


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
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
        # everywhere; and the authorization endpoint, which would sign them in to applications.
        console = reverse("backoffice:home")
        guarded = path.startswith((admin, console)) or path in {reverse(name) for name in GUARDED_PAGES}
        return guarded or not request.session.get(session.SKIPPED)
