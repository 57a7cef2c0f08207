"""Django's one-time messages ("This registration expired…", "X is disconnected") kept, under the
production settings, in a cookie with the `__Host-` prefix like every other cookie of the portal
(settings/production.py, docs/security.md V3.3.1). Django's CookieStorage has a fixed name
(`messages`) and no setting for it, so the name is all that changes here: the cookie is still
signed, HttpOnly, SameSite and Secure from the session cookie's settings, for Path=/ and with no
Domain (SESSION_COOKIE_DOMAIN is None in production), as the prefix requires."""

from __future__ import annotations

from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.messages.storage.session import SessionStorage


class HostCookieStorage(CookieStorage):
    cookie_name = "__Host-messages"


class HostFallbackStorage(FallbackStorage):
    """Django's default (a cookie, the session when the cookie would be too large), renamed."""

    storage_classes = (HostCookieStorage, SessionStorage)
