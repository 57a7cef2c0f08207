"""Production: every key from the environment, HTTPS only. `edgate check --deploy` is clean."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import OAUTH2_PROVIDER, env_list


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production")
    return value


SECRET_KEY = _required("EDGATE_SECRET_KEY")
PII_KEYS = env_list("EDGATE_PII_KEYS") or [_required("EDGATE_PII_KEYS")]
LOOKUP_KEY = _required("EDGATE_LOOKUP_KEY")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Clients' redirect URIs: HTTPS only.
OAUTH2_PROVIDER = {**OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["https"]}
