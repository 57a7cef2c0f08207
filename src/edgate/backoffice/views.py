"""The consoles' front page: what this actor can do."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import scope
from .scope import Actor, Role


@scope.console_page(*scope.DIRECTORY)
def home(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(
        request,
        "backoffice/home.html",
        {
            "actor": actor,
            "organizations": scope.organizations(actor).filter(active=True).select_related("parent")
            if not actor.is_agency
            else None,
            "is_directory_admin": Role.DIRECTORY_ADMIN in actor.roles,
        },
    )
