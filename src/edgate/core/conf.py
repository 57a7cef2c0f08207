"""Typed product settings, read in one place and checked at start-up (STYLE.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from edgate.identity.rules import RULES


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window: timedelta


@dataclass(frozen=True)
class DelayPolicy:
    """Progressive sign-in delay: after `free_attempts` counted attempts for one User Name,
    each further attempt waits `first_delay`, doubling, at most `max_delay`."""

    free_attempts: int
    first_delay: timedelta
    max_delay: timedelta


@dataclass(frozen=True)
class EdgateSettings:
    agency_name: str
    agency_short_name: str
    customer_service_phone: str
    username_scheme: str
    matcher: str
    match_rules: str
    flow_ttl: timedelta
    absolute_session: timedelta
    privileged_idle: timedelta
    privileged_absolute: timedelta
    session_refresh: timedelta
    min_age_years: int
    max_age_years: int
    throttles: dict[str, Limit]
    sign_in_delay: DelayPolicy
    activation_code_ttl: timedelta
    recovery_code_ttl: timedelta
    pii_keys: tuple[str, ...]
    lookup_key: bytes
    # Per-address limits count an IPv6 client by its network of this prefix length: one host is
    # commonly given a whole /64, and every address in it would otherwise be a fresh count.
    ipv6_prefix: int = 64
    # The agency's name in the portal's other languages (language code -> name); a language
    # with none shows agency_name as written (docs/i18n.md).
    agency_name_translations: dict[str, str] = field(default_factory=dict)
    # The short name ("DOE") in the portal's other languages, the same way.
    agency_short_name_translations: dict[str, str] = field(default_factory=dict)
    # A rotated refresh-token family (one sign-in to an application) ends this long after the
    # person authorized it, however often it was refreshed (docs/sso.md, "Refresh tokens").
    oidc_refresh_max: timedelta = timedelta(hours=12)

    def limit(self, name: str) -> Limit:
        return self.throttles[name]

    def agency_name_in(self, language: str | None) -> str | None:
        """The agency's name written in `language`, or None when it has none there (the name
        is then shown as written in the site's first language)."""
        if language is None or language == settings.LANGUAGE_CODE:
            return self.agency_name
        return self.agency_name_translations.get(language) or None

    def agency_short_name_in(self, language: str | None) -> str | None:
        """The short name written in `language`, or None when it has none there."""
        if language is None or language == settings.LANGUAGE_CODE:
            return self.agency_short_name
        return self.agency_short_name_translations.get(language) or None

    def agency_names(self) -> tuple[str, ...]:
        """Every way the agency's name is written, long and short (passwords built around it
        are refused)."""
        return (
            self.agency_name,
            *(name for name in self.agency_name_translations.values() if name),
            self.agency_short_name,
            *(name for name in self.agency_short_name_translations.values() if name),
        )


REQUIRED_THROTTLES = {
    "sign_in_profile",
    "sign_in_address",
    "hint_profile",
    "hint_address",
    "match_identity",
    "match_address",
    "match_flow",
    "register_address",
    "code_profile",
    "code_address",
    "reauth_profile",
    "otp_profile",
    "otp_profile_day",
    "case_status_address",
    "oauth_client_address",
    "staff_search_actor",
    "flow_refused_site",
}


def _throttle(name: str, value: object) -> Limit:
    """(limit, seconds), or "LIMIT/SECONDS" as EDGATE_THROTTLE_<NAME> gives it."""
    if isinstance(value, str):
        parts = value.replace(" ", "").split("/")
        if len(parts) != 2 or not all(part.isdigit() for part in parts):
            raise ImproperlyConfigured(
                f"EDGATE_THROTTLE_{name.upper()} must be LIMIT/SECONDS (two whole numbers), e.g. 20/3600"
            )
        limit, seconds = int(parts[0]), int(parts[1])
    else:
        limit, seconds = (int(part) for part in value)  # type: ignore[union-attr]
    if limit < 1 or seconds < 1:
        raise ImproperlyConfigured(f"throttle {name}: the limit and the window must be at least 1")
    return Limit(name, limit, timedelta(seconds=seconds))


def _seconds(variable: str, value: object) -> timedelta:
    text = str(value).strip()
    if not text.isdigit():
        raise ImproperlyConfigured(f"{variable} must be a whole number of seconds, not {text!r}")
    return timedelta(seconds=int(text))


def _load() -> EdgateSettings:
    raw = dict(getattr(settings, "EDGATE", {}))
    try:
        throttles = {name: _throttle(name, value) for name, value in raw["THROTTLES"].items()}
        conf = EdgateSettings(
            agency_name=str(raw["AGENCY_NAME"]),
            agency_short_name=str(raw["AGENCY_SHORT_NAME"]),
            customer_service_phone=str(raw["CUSTOMER_SERVICE_PHONE"]),
            username_scheme=str(raw["USERNAME_SCHEME"]),
            matcher=str(raw["MATCHER"]),
            match_rules=str(raw.get("MATCH_RULES", "rules-5")),
            flow_ttl=timedelta(minutes=int(raw["FLOW_TTL_MINUTES"])),
            absolute_session=timedelta(hours=int(raw["ABSOLUTE_SESSION_HOURS"])),
            privileged_idle=timedelta(minutes=int(raw["PRIVILEGED_IDLE_MINUTES"])),
            privileged_absolute=timedelta(hours=int(raw["PRIVILEGED_ABSOLUTE_HOURS"])),
            session_refresh=timedelta(seconds=int(raw.get("SESSION_REFRESH_SECONDS", 60))),
            min_age_years=int(raw["MIN_AGE_YEARS"]),
            max_age_years=int(raw["MAX_AGE_YEARS"]),
            throttles=throttles,
            sign_in_delay=DelayPolicy(
                free_attempts=int(raw["SIGN_IN_DELAY"]["FREE_ATTEMPTS"]),
                first_delay=timedelta(seconds=float(raw["SIGN_IN_DELAY"]["FIRST_DELAY_SECONDS"])),
                max_delay=timedelta(seconds=float(raw["SIGN_IN_DELAY"]["MAX_DELAY_SECONDS"])),
            ),
            activation_code_ttl=timedelta(days=int(raw["ACTIVATION_CODE_DAYS"])),
            recovery_code_ttl=timedelta(hours=int(raw["RECOVERY_CODE_HOURS"])),
            pii_keys=tuple(getattr(settings, "PII_KEYS", ())),
            lookup_key=str(getattr(settings, "LOOKUP_KEY", "")).encode(),
            ipv6_prefix=int(raw.get("THROTTLE_IPV6_PREFIX", 64)),
            oidc_refresh_max=_seconds(
                "EDGATE_OIDC_REFRESH_MAX_SECONDS", raw.get("OIDC_REFRESH_MAX_SECONDS", 12 * 3600)
            ),
            agency_name_translations={
                str(language): str(name).strip()
                for language, name in dict(raw.get("AGENCY_NAME_TRANSLATIONS", {})).items()
            },
            agency_short_name_translations={
                str(language): str(name).strip()
                for language, name in dict(raw.get("AGENCY_SHORT_NAME_TRANSLATIONS", {})).items()
            },
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"EDGATE settings are incomplete or invalid: {exc!r}") from exc
    missing = REQUIRED_THROTTLES - throttles.keys()
    if missing:
        raise ImproperlyConfigured(f"EDGATE['THROTTLES'] lacks {sorted(missing)}")
    if not conf.pii_keys or not conf.lookup_key:
        raise ImproperlyConfigured("PII_KEYS and LOOKUP_KEY must be set")
    if conf.sign_in_delay.free_attempts < 1 or conf.sign_in_delay.max_delay < conf.sign_in_delay.first_delay:
        raise ImproperlyConfigured("SIGN_IN_DELAY: FREE_ATTEMPTS >= 1 and MAX_DELAY >= FIRST_DELAY")
    if not 0 <= conf.session_refresh.total_seconds() <= 300:
        raise ImproperlyConfigured("SESSION_REFRESH_SECONDS must be between 0 and 300")
    if not 0 < conf.min_age_years < conf.max_age_years:
        raise ImproperlyConfigured("MIN_AGE_YEARS must be positive and below MAX_AGE_YEARS")
    if not timedelta(hours=1) <= conf.oidc_refresh_max <= timedelta(days=30):
        # At least an hour: a family's row is also what recognises its code used again, and it
        # must outlive the code (60 s) and the access token the first exchange gave (10 min).
        raise ImproperlyConfigured("EDGATE_OIDC_REFRESH_MAX_SECONDS must be between 3600 and 2592000")
    if not 32 <= conf.ipv6_prefix <= 128:
        raise ImproperlyConfigured("THROTTLE_IPV6_PREFIX must be between 32 and 128")
    others = {code for code, _name in settings.LANGUAGES} - {settings.LANGUAGE_CODE}
    for key, names in (
        ("AGENCY_NAME_TRANSLATIONS", conf.agency_name_translations),
        ("AGENCY_SHORT_NAME_TRANSLATIONS", conf.agency_short_name_translations),
    ):
        if not names.keys() <= others:
            raise ImproperlyConfigured(
                f"EDGATE['{key}'] may name only the portal's other languages: {sorted(others)}"
            )
    if conf.match_rules not in RULES:
        raise ImproperlyConfigured(f"EDGATE['MATCH_RULES'] must be one of {sorted(RULES)}")
    for dotted in (conf.username_scheme, conf.matcher):
        import_string(dotted)  # fails start-up on a typo
    return conf


@cache
def get() -> EdgateSettings:
    return _load()


def reset() -> None:
    """For tests that override settings."""
    get.cache_clear()
