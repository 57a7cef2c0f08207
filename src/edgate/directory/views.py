"""The directory's one page: the applications a signed-in Profile may use.

It lives here, not in accounts, because what it shows is the directory's (applications and
access grants); accounts and the directory stay independent of each other (docs/architecture.md).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .queries import applications_for


@require_GET
@login_required
def applications(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/applications.html", {"apps": applications_for(request.user)})
