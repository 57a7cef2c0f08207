from django.conf import settings as django_settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString

from . import conf


def branding(request: HttpRequest) -> dict[str, str]:
    settings = conf.get()
    return {
        "agency_name": settings.agency_name,
        "agency_short_name": settings.agency_short_name,
        "customer_service_phone": settings.customer_service_phone,
        # For running text: the agency's names are written in the site's first language
        # (LANGUAGE_CODE), so inside a page in another language they carry their own `lang`
        # and a screen reader pronounces them as written (docs/i18n.md). Not for attributes.
        "agency_name_text": in_own_language(settings.agency_name),
        "agency_short_name_text": in_own_language(settings.agency_short_name),
    }


def in_own_language(name: str) -> str | SafeString:
    own = django_settings.LANGUAGE_CODE
    if translation.get_language() in (None, own):
        return name
    return format_html('<span lang="{}">{}</span>', own, name)
