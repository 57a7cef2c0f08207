"""The customer-service console, under /console/service/."""

from django.urls import path

from . import service_views as views

urlpatterns = [
    path("service/", views.search, name="service"),
    path("service/profile/<int:profile>/", views.profile_page, name="service_profile"),
    path(
        "service/profile/<int:profile>/unlock/",
        views.profile_action,
        {"action": "unlock"},
        name="service_unlock",
    ),
    path(
        "service/profile/<int:profile>/disable/",
        views.profile_action,
        {"action": "disable"},
        name="service_disable",
    ),
    path(
        "service/profile/<int:profile>/enable/",
        views.profile_action,
        {"action": "enable"},
        name="service_enable",
    ),
    path(
        "service/profile/<int:profile>/reset-recovery/",
        views.profile_action,
        {"action": "reset-recovery"},
        name="service_reset_recovery",
    ),
    path(
        "service/profile/<int:profile>/setup-code/",
        views.profile_action,
        {"action": "setup-code"},
        name="service_setup_code",
    ),
    path(
        "service/profile/<int:profile>/reset-second-factor/",
        views.profile_action,
        {"action": "reset-second-factor"},
        name="service_reset_second_factor",
    ),
    path("service/profile/<int:profile>/appoint/", views.appoint, name="service_appoint"),
    path(
        "service/profile/<int:profile>/appointments/<str:code>/remove/",
        views.remove_appointment,
        name="service_remove_appointment",
    ),
    path("service/merge/", views.merge, name="service_merge"),
    path("service/merge/<int:person>/undo/", views.unmerge, name="service_unmerge"),
]
