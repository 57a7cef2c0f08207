import logging
import sys

import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_safe

from . import context_processors

logger = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "core/home.html")


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers requests. It touches nothing else, so a database outage
    does not make a supervisor restart every node (that is what /readyz is for)."""
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers, and Redis too when REDIS_URL is set (the throttles and
    the cache of every node live there). The body is fixed; why a check failed goes to the
    log by its exception's class only, never its message."""
    failed = [name for name, check in (("database", _database_ready), ("redis", _redis_ready)) if not check()]
    if failed:
        logger.warning("readyz: not ready (%s)", ", ".join(failed))
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def _database_ready() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any database failure means not ready
        logger.warning("readyz: database check failed: %s", type(error).__name__)
        connection.close()  # a persistent connection that failed is opened afresh next time
        return False
    return True


def _redis_ready() -> bool:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return True
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as error:  # noqa: BLE001 - any Redis failure means not ready
        logger.warning("readyz: redis check failed: %s", type(error).__name__)
        return False
    finally:
        client.close()
    return True


HEALTH_VIEWS = {"/healthz": healthz, "/readyz": readyz}


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused for its CSRF token. Sent with no cookie at all (no CSRF cookie, no session,
    no language), the browser refuses cookies: "reload and try again" would fail the same way, so
    the page says what is needed, as a flow's page does (flowview.cookies_needed)."""
    if not request.COOKIES:
        return error_page(
            request, _("Your browser did not keep your place"), "cookies", 403, start_url=_retry_url(request)
        )
    return render(request, "core/error.html", {"title": _("Your form expired"), "kind": "csrf"}, status=403)


def _retry_url(request: HttpRequest) -> str:
    """Where "Start again" leads after a refused form: the page the language switch was posted
    from (its `next`, when it is this site's), else the form's own address (sign-in, a flow's
    page: a GET there shows the form afresh)."""
    if request.path == reverse("core:set_language"):
        wanted = request.POST.get("next", "")
        safe = url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return wanted if wanted and safe else reverse("core:home")
    return request.path


def error_page(request: HttpRequest, title: str, kind: str, status: int, **context: object) -> HttpResponse:
    return render(request, "core/error.html", {"title": title, "kind": kind, **context}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, _("Something is wrong with that request"), "400", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, _("You do not have access to this page"), "403", 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, _("Page not found"), "404", 404)


def request_too_large(request: HttpRequest) -> HttpResponse:
    return error_page(request, _("That was more than this page accepts"), "413", 413)


def length_required(request: HttpRequest) -> HttpResponse:
    return error_page(request, _("Something is wrong with that request"), "400", 411)


# Seconds a client is asked to wait when the database cannot be reached.
UNAVAILABLE_RETRY_AFTER = 5


def hashing_busy(request: HttpRequest, retry_after: int) -> HttpResponse:
    """Every password check in this process is taken and none came free in time: nothing was
    examined or saved, so the person may simply try again."""
    response = error_page(request, _("The portal is busy"), "503-busy", 503)
    response["Retry-After"] = str(retry_after)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler, called while the exception is being handled. The database being
    unreachable (PostgreSQL restarting, the pool out of connections for its timeout, SQLite
    locked past its timeout: OperationalError, InterfaceError) is not a bug: it is answered
    503 with Retry-After, and the next request succeeds once the database is back (the pool
    replaces dead connections, core.settings). Every other error, programming errors and
    integrity errors included, stays a 500 and is logged as one."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return unavailable(request)
    return error_page(request, _("Something went wrong on our side"), "500", 500)


def unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 page, rendered without the request's context: the session, the signed-in person
    and messages all need the database, so the page shows what a signed-out visitor sees."""
    content = render_to_string(
        "core/error.html",
        {
            "title": _("The portal is unavailable for a moment"),
            "kind": "503",
            **context_processors.branding(None),
        },
    )
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    return response


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to. Resolved per request, so the
    hashed name of the production static files is found when it exists."""
    return HttpResponsePermanentRedirect(static("uswds/img/favicons/favicon.ico"))
