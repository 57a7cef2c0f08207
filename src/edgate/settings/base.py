"""Settings shared by every environment.

Environment variables read here (and only here):
  DATABASE_URL          database (default: SQLite file edgate.sqlite3 in the working directory)
  REDIS_URL             cache and throttle counters shared by every node (optional)
  EDGATE_SECRET_KEY     Django's signing key
  EDGATE_PII_KEYS       comma-separated Fernet keys for personal data at rest; first one encrypts
  EDGATE_LOOKUP_KEY     HMAC key for lookup hashes (SSN, throttle keys)
  EDGATE_TRUSTED_PROXIES comma-separated addresses or networks (10.0.0.0/24) of the proxies
                        allowed to set X-Forwarded-For and X-Forwarded-Proto; `unix` for the
                        proxy on a unix socket (a peer without an address)
  EDGATE_THROTTLE_<NAME> a throttle's "LIMIT/SECONDS", overriding EDGATE["THROTTLES"][name]
  EDGATE_HASH_CONCURRENCY, EDGATE_HASH_WAIT_SECONDS  password hashes in flight per process, and
                        how long a request waits for one (then 503)
  EDGATE_HASH_NICE      Linux nice value of the threads that run password hashes (default 10;
                        0: hashes run in the request's thread at its priority)
  EDGATE_HASH_KEEP_MEMORY  0: Argon2's working memory is mapped anew for every hash instead of
                        kept by the process between hashes (default: kept)
  EDGATE_AGENCY_NAME_ES the agency's name in Spanish (when EDGATE_AGENCY_NAME is set; empty:
                        the name is shown as written)
  EDGATE_STATIC_ROOT    where `edgate collectstatic` puts the static files (default ./staticfiles)
"""

import os
from pathlib import Path

import dj_database_url

from edgate.core import proxies as _proxies

PACKAGE_DIR = Path(__file__).resolve().parent.parent
WORK_DIR = Path.cwd()


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


DEBUG = False
DEMO_DATA_ALLOWED = False  # `edgate demo` without --force: the development settings only
ALLOWED_HOSTS: list[str] = env_list("EDGATE_ALLOWED_HOSTS")

INSTALLED_APPS = [
    # The admin site requires a session verified by a second factor (edgate.mfa.sites).
    "edgate.mfa.adminconfig.VerifiedAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "edgate.core",
    "edgate.audit",
    "edgate.people",
    "edgate.accounts",
    "edgate.directory",
    "edgate.matching",
    "edgate.registration",
    "edgate.recovery",
    "edgate.importer",
    "oauth2_provider",
    "edgate.sso",  # after oauth2_provider: its admin module unregisters the library's
    "edgate.backoffice",
    "edgate.console",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "edgate.mfa",  # after the django_otp plugins: its admin module unregisters theirs
]

MIDDLEWARE = [
    # X-Forwarded-Proto only from a trusted proxy, before anything reads it.
    "edgate.core.middleware.ForwardedProtoMiddleware",
    # Then: /healthz and /readyz over plain HTTP, for any Host, without a session.
    "edgate.core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "edgate.core.middleware.IdleSessionMiddleware",  # saves the session when activity is due
    # English or Spanish: the language switch's cookie, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(), read by the two below
    "edgate.core.middleware.AbsoluteSessionTimeoutMiddleware",
    "edgate.mfa.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "edgate.core.middleware.CSPMiddleware",  # django-csp's, its policy text made once
    # Inside CSPMiddleware: sign-in pages of a pending authorization request may post to the client.
    "edgate.sso.middleware.AuthorizationFormActionMiddleware",
    "edgate.core.middleware.NoStoreMiddleware",
    # A request that waited too long for a password-hashing slot: 503 "busy" page.
    "edgate.core.middleware.HashingBusyMiddleware",
    # Innermost, so its refusal page gets every header above; nothing above reads the body.
    "edgate.core.middleware.RequestBodyLimitMiddleware",
]

# Request bodies. No page accepts a file, and the largest form (an admin change list with 100
# rows selected, a group with every permission) is a few KiB in a few hundred fields. A body
# over MAX_REQUEST_BODY_SIZE is refused with 413 before anything reads it (RequestBodyLimitMiddleware,
# with or without a Content-Length); Django's own limits say the same to the form parser.
MAX_REQUEST_BODY_SIZE = 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_SIZE
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_SIZE  # never a temporary file on disk
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
DATA_UPLOAD_MAX_NUMBER_FILES = 0  # a file in a multipart body is refused (400)

ROOT_URLCONF = "edgate.urls"
WSGI_APPLICATION = "edgate.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            # `{% extends %}` that finds a base template's blocks once, not at every render.
            "builtins": ["edgate.core.templatetags.edgate_extends"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "edgate.core.context_processors.branding",
                "edgate.backoffice.context_processors.console_link",
            ],
        },
    },
]

DATABASES = {
    # A kept connection is checked before a request reuses it, so one that a database restart
    # ended is replaced rather than failing the request (production pools instead: production.py).
    "default": dj_database_url.config(
        default=f"sqlite:///{WORK_DIR / 'edgate.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
# SQLite (`make run`, small installs) under concurrent requests: WAL lets readers go on while
# one writer writes; BEGIN IMMEDIATE takes the write lock when a transaction starts, so two
# transactions never both read and then both try to write (SQLite answers that with "database
# is locked" at once, whatever the timeout); the timeout (seconds) is how long a request waits
# for the lock. Of 45 simultaneous page-1 posts, 16 to 30 got a 500 without these and none
# with them (bench/sqlite_concurrency.py). An in-memory database needs none of it.
# (synchronous=NORMAL is safe with WAL: a power cut may lose the last commits, never the file.)
_default_db = DATABASES["default"]
if _default_db["ENGINE"] == "django.db.backends.sqlite3" and _default_db["NAME"] not in ("", ":memory:"):
    _default_db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "edgate.core.cache.RedisCache",  # one client per pool (core/cache.py)
            "LOCATION": REDIS_URL,
            # An unreachable Redis must cost a request a moment, not a hang (core.outage).
            "OPTIONS": {
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
                # Text only: Django's default pickles, and sessions are all that is cached.
                "serializer": "edgate.core.sessions.cached.TextSerializer",
            },
        }
    }
    # Sessions: the database row is the truth, Redis a read cache of at most a minute per entry
    # (core/sessions/cached.py says why this and not the `cache` backend): a Redis restart signs nobody
    # out, and with Redis down sessions are read from the database.
    SESSION_ENGINE = "edgate.core.sessions.cached"
else:
    # Without Redis the database store: a per-process cache would go stale between workers (a
    # session signed out in one would live on in another).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "edgate.core.sessions.db"
# The parts of every page that are the same for everyone in one language ({% cache %} in
# core/base.html: banner, header, anonymous links, footer), rendered once per process. In the
# process's memory, not Redis: a round trip would cost about what rendering them does. Only
# text without anything about the person or the request may go in it.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "edgate-fragments",
    "TIMEOUT": None,
}

AUTH_USER_MODEL = "accounts.Profile"
# Profile.username is unique without regard to case (a functional unique constraint on
# Lower(username)), which is stricter than the plain unique=True this check looks for.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = ["edgate.accounts.backends.ProfileBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "directory:applications"

# Argon2id first (SECURITY.md); parameters measured in bench/hashing.py.
PASSWORD_HASHERS = [
    "edgate.core.hashers.EdgateArgon2Hasher",
    # Recognises the OIDC provider's stored client secrets (CLIENT_SECRET_HASHER below); it
    # refuses anything shorter than a generated secret, so it never serves for a password.
    "edgate.core.hashers.ClientSecretHasher",
]
# Argon2 hashes in flight per process (edgate.core.hashers): each holds 46 MiB while it runs,
# and two cores finish no more hashes per second with more of them at once. `edgate serve`
# sets it from its workers (edgate/serve/gunicorn_conf.py); elsewhere (runserver, commands)
# one per core. A request waiting longer than the wait for a slot is answered 503 (Retry-After).
PASSWORD_HASHING_CONCURRENCY = int(os.environ.get("EDGATE_HASH_CONCURRENCY") or 0) or len(
    os.sched_getaffinity(0)
)
PASSWORD_HASHING_WAIT_SECONDS = float(os.environ.get("EDGATE_HASH_WAIT_SECONDS") or 10)
# Hashes run in threads of their own at this nice value (edgate.core.hashers.run_hash), so the
# pages a worker serves beside sign-ins get the cores first; a hash still gets its turn (nice 10
# weighs about a tenth of a normal thread on a busy core, never nothing). docs/performance.md.
# "idle" (measured, not the default): SCHED_IDLE instead of a nice value.
_hash_nice = os.environ.get("EDGATE_HASH_NICE", "").strip() or "10"
PASSWORD_HASHING_NICE = -1 if _hash_nice == "idle" else max(0, min(19, int(_hash_nice)))
# Argon2's 46 MiB working memory kept by the process between hashes (at most one buffer per
# hashing slot, up to the cores) instead of mapped, faulted in and unmapped by every hash:
# ~25 ms less CPU per hash, all of it kernel work (edgate.core.argon2_kept). 0 turns it off.
PASSWORD_HASHING_KEEP_MEMORY = os.environ.get("EDGATE_HASH_KEEP_MEMORY", "").strip() != "0"

# NIST SP 800-63B §3.1.1.2, in the order a person is told (the first refusal only, see
# accounts/passwords.py validate_new_password); the slow current-password hash comes last.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "edgate.accounts.passwords.LengthValidator"},
    {"NAME": "edgate.accounts.passwords.ContextWordsValidator"},
    {"NAME": "edgate.accounts.passwords.PatternValidator"},
    {"NAME": "edgate.accounts.passwords.BreachedPasswordValidator"},
    {"NAME": "edgate.accounts.passwords.GuessabilityValidator"},
    {"NAME": "edgate.accounts.passwords.ReuseValidator"},
]

# Sessions: 30 min idle, 12 h absolute. The idle expiry is pushed on by activity at most once
# a minute (EDGATE["SESSION_REFRESH_SECONDS"], core.middleware.IdleSessionMiddleware), not by a
# session write on every request.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "edgate.core.views.csrf_failure"
# Sensitive variables and POST fields are hidden on every error report, DEBUG or not.
DEFAULT_EXCEPTION_REPORTER_FILTER = "edgate.core.debug.PersonalDataFilter"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Every page in English and Spanish (docs/i18n.md). No language prefix in URLs: a person's choice
# is the language switch's cookie (Django's set_language view), else the browser's
# Accept-Language; the same address serves both, so a registration step keeps its URL, and its
# answers (kept server-side in the flow row) survive a switch of language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Dates typed into forms read month first on Spanish pages too (edgate.core.formats).
FORMAT_MODULE_PATH = ["edgate.core.formats"]
# The language cookie says nothing about the person, but is sent only as the session cookie is.
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("EDGATE_STATIC_ROOT") or WORK_DIR / "staticfiles")
# npm packages (USWDS, axe-core): the working directory's, else the checkout this package
# was installed from in editable mode (so `edgate` works from any directory in development).
NODE_MODULES = Path(
    os.environ.get("EDGATE_NODE_MODULES")
    or next(
        (p for p in (WORK_DIR / "node_modules", PACKAGE_DIR.parents[1] / "node_modules") if p.is_dir()),
        WORK_DIR / "node_modules",
    )
)
# Only what the pages use from the USWDS package (its SCSS sources are not served).
STATICFILES_DIRS = [
    (f"uswds/{part}", NODE_MODULES / "@uswds" / "uswds" / "dist" / part)
    for part in ("css", "js", "img", "fonts")
] + [("zxcvbn", NODE_MODULES / "zxcvbn" / "dist")]  # the password strength meter's estimator
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Second factor (django-otp). Its own per-device exponential throttles are off: the limit is the
# project's `otp_profile` throttle, counted before the code is examined, shared by every node and
# audited like sign-in; two limits at once would refuse a right code silently after a wrong one.


def OTP_TOTP_ISSUER(device: object) -> str:  # noqa: N802 - django-otp calls the setting
    """The portal's name in the authenticator app (edgate.core.context_processors.portal_name)."""
    from edgate.core.context_processors import totp_issuer

    return totp_issuer(device)


OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# Addresses or networks (10.0.0.0/24) of the proxies allowed to set X-Forwarded-For and
# X-Forwarded-Proto (edgate.core.proxies). Checked here, so a mistyped entry stops every process
# at start instead of being silently ignored.
TRUSTED_PROXIES = env_list("EDGATE_TRUSTED_PROXIES")
_proxies.parse(TRUSTED_PROXIES)

# OpenID Connect provider (django-oauth-toolkit; edgate.sso, docs/sso.md). The signing keys are
# not settings: they live encrypted in the database (`edgate oidc keys rotate`), see edgate.sso.keys.
# The library's own client model (named here for migrations that refer to it, as it asks).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    # The issuer; derived from the request's host when empty (set it behind a proxy).
    "OIDC_ISS_ENDPOINT": os.environ.get("EDGATE_OIDC_ISSUER", ""),
    "OAUTH2_VALIDATOR_CLASS": "edgate.sso.validators.EdgateValidator",
    # Generated 128-character secrets need no slow hash, and a slow one lets every wrong secret
    # at the token endpoint cost the server an Argon2 (secrets stored with Argon2 before still
    # verify: that hasher stays first in PASSWORD_HASHERS).
    "CLIENT_SECRET_HASHER": "client-secret-sha256",
    "SCOPES": {
        "openid": "Who you are to this application (an identifier) and your roles in it",
        "profile": "Your User Name and your name",
        "email": "Your email address",
    },
    "DEFAULT_SCOPES": ["openid"],
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "PKCE_REQUIRED": True,  # every client, public or confidential; S256 only (below)
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 10 * 60,
    "ID_TOKEN_EXPIRE_SECONDS": 10 * 60,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 8 * 3600,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,  # a replayed refresh token ends its whole family
    "REQUEST_APPROVAL_PROMPT": "auto",  # third-party clients: consent once per live token
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,  # asked only without a matching id_token_hint
    # The address after sign-out must be one the client registered (always checked); "strict"
    # would also refuse http for public clients, which production refuses for every client
    # (ALLOWED_REDIRECT_URI_SCHEMES there) and the demo's public clients on 127.0.0.1 need.
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": False,
    "OIDC_RP_INITIATED_LOGOUT_ACCEPT_EXPIRED_TOKENS": True,
    # Tokens end at sign-out only for the signed-in person's own ID token, and only that
    # client's: edgate.sso.views.LogoutView does it (the library's would act without a session).
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": False,
    # OAuth 2.0 Security BCP (RFC 9700): no implicit or password grants, no "plain" PKCE,
    # tokens only in headers, the issuer in authorization responses, tokens hashed at rest.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
}

_AGENCY_NAME = "State Department of Education"

# Product settings, validated at start-up by edgate.core.conf (one place, typed).
EDGATE = {
    "AGENCY_NAME": os.environ.get("EDGATE_AGENCY_NAME", _AGENCY_NAME),
    # The agency's name in the portal's other languages (docs/i18n.md): a language with no name
    # here shows AGENCY_NAME as written, marked with its own `lang`. The default name comes with
    # its Spanish; a deployment that renames the agency gives its own (EDGATE_AGENCY_NAME_ES).
    "AGENCY_NAME_TRANSLATIONS": {
        "es": os.environ.get(
            "EDGATE_AGENCY_NAME_ES",
            "Departamento de Educación del Estado"
            if os.environ.get("EDGATE_AGENCY_NAME", _AGENCY_NAME) == _AGENCY_NAME
            else "",
        ),
    },
    "AGENCY_SHORT_NAME": os.environ.get("EDGATE_AGENCY_SHORT_NAME", "DOE"),
    # The short name in the other languages, the same way: the default "DOE" comes with the
    # initials of the default Spanish name; a deployment gives its own (EDGATE_AGENCY_SHORT_NAME_ES).
    "AGENCY_SHORT_NAME_TRANSLATIONS": {
        "es": os.environ.get(
            "EDGATE_AGENCY_SHORT_NAME_ES",
            "DEE"
            if os.environ.get("EDGATE_AGENCY_SHORT_NAME", "DOE") == "DOE"
            and os.environ.get("EDGATE_AGENCY_NAME", _AGENCY_NAME) == _AGENCY_NAME
            else "",
        ),
    },
    "CUSTOMER_SERVICE_PHONE": os.environ.get("EDGATE_CUSTOMER_SERVICE_PHONE", "(555) 010-6600"),
    "USERNAME_SCHEME": "edgate.accounts.usernames.first_initial_last_name",
    "MATCHER": "edgate.identity.engine.RuleMatcher",
    "MATCH_RULES": "rules-5",
    "FLOW_TTL_MINUTES": 30,
    "ABSOLUTE_SESSION_HOURS": 12,
    # A session verified by a second factor (privileged people) is shorter.
    "PRIVILEGED_IDLE_MINUTES": 15,
    "PRIVILEGED_ABSOLUTE_HOURS": 8,
    # Activity saves the session (pushing its idle expiry on) at most this often.
    "SESSION_REFRESH_SECONDS": 60,
    "MIN_AGE_YEARS": 14,
    "MAX_AGE_YEARS": 110,
    # name: (limit, window in seconds). Every attempt is counted before it is examined;
    # a successful sign-in, hint answer or code takes its own attempt back.
    "THROTTLES": {
        "sign_in_profile": (10, 15 * 60),  # per User Name (canonical form), then locked
        "sign_in_address": (50, 15 * 60),  # failed sign-ins per client address
        "hint_profile": (5, 24 * 3600),  # wrong hint answers per Profile: recovery locked
        "hint_address": (20, 3600),
        "match_identity": (10, 3600),  # identity matches per SSN (keyed hash), any address
        "match_address": (30, 3600),  # identity matches per client address
        "match_flow": (5, 3600),  # identity matches within one registration
        "register_address": (20, 3600),  # Profiles completed per client address
        # wrong set-up codes per Profile (refused beyond it); wrong recovery codes per User Name
        # (never refused, 130-bit codes: beyond it a throttle alert for customer service)
        "code_profile": (5, 24 * 3600),
        "code_address": (20, 3600),
        "reauth_profile": (10, 15 * 60),  # current-password checks by a signed-in Profile
        "otp_profile": (5, 15 * 60),  # wrong second-factor codes per Profile, then locked
        "otp_profile_day": (20, 24 * 3600),  # and per day, so slow guessing never adds up
        "case_status_address": (20, 3600),  # case status look-ups per client address
        # failed client authentications at the token and revocation endpoints per address
        "oauth_client_address": (30, 15 * 60),
        # registrations and recoveries begun per client address: a school office's shared
        # address may begin many, a robot that refuses cookies may not write rows for ever
        "flow_start_address": (120, 3600),
        "console_refused_profile": (60, 3600),  # console pages refused to one Profile, audited
        # flow refusal events written for the whole site, a minute and reason (each address has
        # one a minute per reason): beyond it counted, and the numbers written once it is over
        "flow_refused_site": (60, 60),
        "staff_search_actor": (30, 3600),  # console searches by SSN per administrator (an SSN oracle)
    },
    # Sign-in: the first 3 attempts for a User Name are free; after that each one waits
    # 2 s, 4 s, 8 s … (at most 5 minutes) before it is examined; 10 lock it (THROTTLES).
    # Per-address limits (names ending in _address) count an IPv6 client by its /64 network: a
    # single host is commonly given a whole /64 (2^64 addresses), so counting single addresses
    # would let it start afresh with every request. 48 or 56 is stricter (a site's allocation).
    "THROTTLE_IPV6_PREFIX": int(os.environ.get("EDGATE_THROTTLE_IPV6_PREFIX") or 64),
    "SIGN_IN_DELAY": {"FREE_ATTEMPTS": 3, "FIRST_DELAY_SECONDS": 2, "MAX_DELAY_SECONDS": 300},
    # One-time codes that customer service issues: to set up a pre-created Profile (days), and
    # to recover a privileged Profile, which never recovers by hint question (hours).
    # Single sign-on: a refresh-token family ends this long after the person authorized the
    # application (a workday, as ABSOLUTE_SESSION_HOURS); then the application sends them
    # through /oauth/authorize/ again (docs/sso.md, "Refresh tokens").
    "OIDC_REFRESH_MAX_SECONDS": os.environ.get("EDGATE_OIDC_REFRESH_MAX_SECONDS") or 12 * 3600,
    "ACTIVATION_CODE_DAYS": 15,
    "RECOVERY_CODE_HOURS": 24,
}

# Any throttle from the environment: EDGATE_THROTTLE_<NAME>="LIMIT/SECONDS", e.g.
# EDGATE_THROTTLE_REGISTER_ADDRESS=100000/3600 for a load test from one address; checked by
# edgate.core.conf at start-up (docs/security.md, Security settings).
for _name in EDGATE["THROTTLES"]:
    if _value := os.environ.get(f"EDGATE_THROTTLE_{_name.upper()}", "").strip():
        EDGATE["THROTTLES"][_name] = _value

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    # Never log request bodies or POST data: Django's own 4xx warnings carry only the path.
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
