"""The consoles, under /console/. Each part keeps its own list of pages."""

from django.urls import path

from . import case_urls, org_urls, service_urls, views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    *org_urls.urlpatterns,
    *case_urls.urlpatterns,
    *service_urls.urlpatterns,
]
