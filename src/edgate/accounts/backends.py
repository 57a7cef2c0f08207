from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from .models import Profile


class ProfileBackend(ModelBackend):
    """User Names are matched without regard to case. Django's ModelBackend already runs
    the hasher for an unknown User Name, so a miss costs the same time as a wrong password."""

    @sensitive_variables()
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Profile | None:
        if username is None or password is None:
            return None
        return super().authenticate(request, username=username.strip(), password=password, **kwargs)
