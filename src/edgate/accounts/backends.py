from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from .models import Profile

_LOOK_UP = object()


class ProfileBackend(ModelBackend):
    """User Names are matched without regard to case. Django's ModelBackend already runs
    the hasher for an unknown User Name, so a miss costs the same time as a wrong password.

    `known`: the Profile the caller already found by the same User Name (or None: none), as the
    portal's sign-in does (accounts.signin), so it is not looked up a second time; the checks
    are the same, the hasher run for an unknown User Name included."""

    @sensitive_variables()
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        known: Any = _LOOK_UP,
        **kwargs: Any,
    ) -> Profile | None:
        if username is None or password is None:
            return None
        if known is _LOOK_UP:
            return super().authenticate(request, username=username.strip(), password=password, **kwargs)
        if known is None:
            Profile().set_password(password)  # the same hashing work as for a real Profile
            return None
        if known.check_password(password) and self.user_can_authenticate(known):
            return known  # type: ignore[no-any-return]
        return None

    def get_user(self, user_id: Any) -> Profile | None:
        """The session's Profile, as ModelBackend.get_user finds it (none unless it may still
        sign in: a disabled Profile loses its sessions at their next request), by one
        written-out statement (Profile.objects.find_by_id) instead of a compiled `.get()`."""
        try:
            pk = Profile._meta.pk.to_python(user_id)
        except (TypeError, ValueError, ValidationError):
            return None
        profile = Profile.objects.find_by_id(pk)
        return profile if profile is not None and self.user_can_authenticate(profile) else None
