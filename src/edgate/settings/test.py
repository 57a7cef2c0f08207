"""Test settings: PostgreSQL when DATABASE_URL is set (CI), SQLite otherwise.

Static files are served unhashed from the finders so live-server pages get their CSS
without collectstatic; the browser tests fail on any resource answering >= 400.
"""

from .base import *  # noqa: F403
from .base import STORAGES

DEBUG = False
ALLOWED_HOSTS = ["*"]
SECRET_KEY = "test-only-signing-key-not-a-secret-0123456789abcdef"  # noqa: S105
PII_KEYS = ["dGVzdC1vbmx5LXBpaS1rZXktMDEyMzQ1Njc4OWFiY2Q="]  # test-only Fernet key
LOOKUP_KEY = "test-only-lookup-key"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
STATIC_ROOT = None  # tests serve static files from the finders; nothing is collected
# Tests that hold attempts inside the hasher on purpose (tests/test_throttle_concurrency_postgres.py)
# must not meet the production bound on hashes in flight; tests/test_hashing_bound.py sets its own.
PASSWORD_HASHING_CONCURRENCY = 64
PASSWORD_HASHING_WAIT_SECONDS = 120
