"""The person's own single sign-on page, under My Profile (the provider's endpoints are in
urls.py, in django-oauth-toolkit's namespace)."""

from django.urls import path

from . import connected

app_name = "sso"

urlpatterns = [
    path("profile/connected-applications/", connected.connected_applications, name="connected"),
]
