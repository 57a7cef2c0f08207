from django.urls import path
from django.views.i18n import set_language

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    # Answered by HealthCheckMiddleware before anything else; named here for reverse().
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("privacy/", views.privacy, name="privacy"),
    path("favicon.ico", views.favicon),
    # The language switch in the header posts here (Django's view: a cookie, then back to `next`).
    path("language/", set_language, name="set_language"),
]
