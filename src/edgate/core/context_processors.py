from django.http import HttpRequest

from . import conf


def branding(request: HttpRequest) -> dict[str, str]:
    settings = conf.get()
    return {
        "agency_name": settings.agency_name,
        "agency_short_name": settings.agency_short_name,
        "customer_service_phone": settings.customer_service_phone,
    }
