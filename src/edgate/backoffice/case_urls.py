"""The match-case console's pages (under /console/)."""

from django.urls import path

from . import case_views

urlpatterns: list = [
    path("cases/", case_views.case_list, name="cases"),
    path("cases/<str:reference>/", case_views.case_detail, name="case"),
    path("cases/<str:reference>/resolve/", case_views.case_resolve, name="case_resolve"),
    path("cases/<str:reference>/escalate/", case_views.case_escalate, name="case_escalate"),
    path("cases/<str:reference>/has-profile/", case_views.case_has_profile, name="case_has_profile"),
    path("cases/<str:reference>/route/", case_views.case_route, name="case_route"),
]
