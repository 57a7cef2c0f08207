from django.conf import settings as django_settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from . import conf

# branding()'s answer per language, made once per process (every page asks for it): the page's
# language, the site's first language and the product settings (conf.reset() makes a new
# object, so a changed setting is never answered from here).
_BRANDING: dict[tuple[str | None, str], tuple[object, dict[str, str]]] = {}


def branding(request: HttpRequest | None) -> dict[str, str]:
    settings = conf.get()
    key = (translation.get_language(), django_settings.LANGUAGE_CODE)
    kept = _BRANDING.get(key)
    if kept is not None and kept[0] is settings:
        return kept[1]
    names = _branding(settings)
    _BRANDING[key] = (settings, names)
    return names


def _branding(settings: conf.EdgateSettings) -> dict[str, str]:
    # The agency's name in the page's language when the settings give one (AGENCY_NAME_
    # TRANSLATIONS); otherwise as written, in the site's first language.
    translated = settings.agency_name_in(translation.get_language())
    short = settings.agency_short_name_in(translation.get_language())
    return {
        "agency_name": translated or settings.agency_name,
        "agency_short_name": short or settings.agency_short_name,
        "customer_service_phone": settings.customer_service_phone,
        "portal_name": portal_name(),
        "portal_name_text": portal_name(text=True),
        # The entry in the authenticator app keeps the site's first language: pages name it so.
        "authenticator_name_text": in_own_language(totp_issuer(None)),
        # For running text: a name written in the site's first language (LANGUAGE_CODE) carries
        # its own `lang` inside a page in another language, so a screen reader pronounces it as
        # written (docs/i18n.md). Not for attributes.
        "agency_name_text": translated or in_own_language(settings.agency_name),
        "agency_short_name_text": short or in_own_language(settings.agency_short_name),
    }


def in_own_language(name: str) -> str | SafeString:
    own = django_settings.LANGUAGE_CODE
    if translation.get_language() in (None, own):
        return name
    return format_html('<span lang="{}">{}</span>', own, name)


def portal_name(*, text: bool = False) -> str | SafeString:
    """The portal's one name, wherever it names itself (the header, the home page, every window
    title, the entry in the authenticator app), in the active language: built from the
    AGENCY_SHORT_NAME setting ("DOE Security Portal"), or its translation for the page's
    language (AGENCY_SHORT_NAME_TRANSLATIONS: "Portal de seguridad del DEE"). The agency
    itself, the organization behind the portal, is named by AGENCY_NAME. `text`: for running
    text, with the short name in its own language (`in_own_language`) when it has none in the
    page's."""
    settings = conf.get()
    translated = settings.agency_short_name_in(translation.get_language())
    short = translated or settings.agency_short_name
    if not text:
        return gettext("%(agency_short_name)s Security Portal") % {"agency_short_name": short}
    own = conditional_escape(translated or in_own_language(short))
    template = conditional_escape(gettext("%(agency_short_name)s Security Portal"))
    return mark_safe(template % {"agency_short_name": own})  # noqa: S308 - both parts escaped


def totp_issuer(device: object) -> str:
    """OTP_TOTP_ISSUER: the name the authenticator app shows, in the site's first language
    (the entry outlives the page it was added from)."""
    with translation.override(django_settings.LANGUAGE_CODE):
        return portal_name()
