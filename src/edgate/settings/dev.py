"""Local development and `make run`: SQLite by default, keys kept in a git-ignored file."""

import json
import os
import secrets

from cryptography.fernet import Fernet

from .base import *  # noqa: F403
from .base import STORAGES, WORK_DIR, env_list

# DEBUG is off unless asked for (EDGATE_DEBUG=1). `make run` is how people try EdGate with the
# demo's identities, on a machine that may be reachable by others: with DEBUG off an error is
# the portal's own error page, not Django's debug page (source, settings, SQL), and nothing
# else changes — WhiteNoise serves the static files either way. Even with EDGATE_DEBUG=1 the
# debug page hides SSNs, dates of birth, passwords and hint answers (edgate.core.debug).
# (make run binds 127.0.0.1 by default, but HOST=0.0.0.0 is one word away.)
DEBUG = os.environ.get("EDGATE_DEBUG", "0") == "1"
DEMO_DATA_ALLOWED = True
ALLOWED_HOSTS = env_list("EDGATE_ALLOWED_HOSTS") or ["127.0.0.1", "localhost", "[::1]"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}


def _dev_secrets() -> dict[str, str]:
    """Random keys made once per working directory; never committed (.gitignore)."""
    path = WORK_DIR / ".edgate-dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    values = {
        "secret_key": secrets.token_urlsafe(50),
        "pii_key": Fernet.generate_key().decode(),
        "lookup_key": secrets.token_urlsafe(32),
    }
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


_keys = _dev_secrets()
SECRET_KEY = os.environ.get("EDGATE_SECRET_KEY", _keys["secret_key"])
PII_KEYS = env_list("EDGATE_PII_KEYS") or [_keys["pii_key"]]
LOOKUP_KEY = os.environ.get("EDGATE_LOOKUP_KEY", _keys["lookup_key"])
