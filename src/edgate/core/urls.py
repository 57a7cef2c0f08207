from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    # Answered by HealthCheckMiddleware before anything else; named here for reverse().
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("privacy/", views.privacy, name="privacy"),
    path("favicon.ico", views.favicon),
]
