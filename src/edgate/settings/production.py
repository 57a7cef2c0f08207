"""Production: every key from the environment, HTTPS only. `edgate check --deploy` is clean."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, OAUTH2_PROVIDER, env_list


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

# PostgreSQL through Django's psycopg pool, one pool per worker process: a request takes a
# connection for its duration and gives it back, so a worker holds at most EDGATE_DB_POOL_SIZE
# connections (by default the server's threads per worker, EDGATE_THREADS, so no thread waits
# for a connection another thread holds; workers × it must stay under
# PostgreSQL's max_connections) and no burst opens a connection per request. CONN_HEALTH_CHECKS
# makes the pool check a connection before handing it out, so after a PostgreSQL restart the
# dead ones are replaced without restarting EdGate (requests meanwhile get the 503 page,
# core.views.server_error). A request waits at most EDGATE_DB_POOL_TIMEOUT seconds for one.
_default_db = DATABASES["default"]
if _default_db["ENGINE"] == "django.db.backends.postgresql":
    _pool_size = int(os.environ.get("EDGATE_DB_POOL_SIZE") or os.environ.get("EDGATE_THREADS") or "8")
    _default_db["CONN_MAX_AGE"] = 0  # the pool keeps the connections (Django requires 0 with it)
    _default_db["CONN_HEALTH_CHECKS"] = True
    _default_db["OPTIONS"] = {
        **_default_db.get("OPTIONS", {}),
        "pool": {
            "min_size": min(2, _pool_size),
            "max_size": _pool_size,
            "timeout": float(os.environ.get("EDGATE_DB_POOL_TIMEOUT", "5")),
            "max_idle": 300,
        },
    }

# Cookie names with the `__Host-` prefix (ASVS V3.3.1, V3.3.3): a browser keeps such a cookie only
# if it came over HTTPS with Secure, Path=/ and no Domain, so no other host under the domain (nor
# a plain-HTTP page) can set or overwrite it. Secure comes from settings/base.py; the paths are
# Django's default "/" and no *_COOKIE_DOMAIN is set. Development and test settings serve plain
# HTTP, where a browser refuses the prefix, so they keep Django's names (sessionid, csrftoken,
# django_language); code reads the names from settings, never spelled out.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
LANGUAGE_COOKIE_NAME = "__Host-django_language"
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = LANGUAGE_COOKIE_PATH = "/"
SESSION_COOKIE_DOMAIN = CSRF_COOKIE_DOMAIN = LANGUAGE_COOKIE_DOMAIN = None
# Django's messages cookie has a fixed name ("messages"): the same storage, renamed.
MESSAGE_STORAGE = "edgate.core.message_storage.HostFallbackStorage"
