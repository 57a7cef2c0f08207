from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "core/home.html")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means not healthy
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "core/error.html", {"title": "Your form expired", "kind": "csrf"}, status=403)


def _error_page(request: HttpRequest, title: str, kind: str, status: int) -> HttpResponse:
    return render(request, "core/error.html", {"title": title, "kind": kind}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "Something is wrong with that request", "400", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "You do not have access to this page", "403", 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "Page not found", "404", 404)


def request_too_large(request: HttpRequest) -> HttpResponse:
    return _error_page(request, "That was more than this page accepts", "413", 413)


def length_required(request: HttpRequest) -> HttpResponse:
    return _error_page(request, "Something is wrong with that request", "400", 411)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(request, "Something went wrong on our side", "500", 500)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to. Resolved per request, so the
    hashed name of the production static files is found when it exists."""
    return HttpResponsePermanentRedirect(static("uswds/img/favicons/favicon.ico"))
