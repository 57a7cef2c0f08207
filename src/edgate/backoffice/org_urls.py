"""The Directory Administrator console, under /console/org/."""

from django.urls import path

from . import org_views

urlpatterns = [
    path("org/", org_views.organizations, name="orgs"),
    path("org/<str:code>/", org_views.organization, name="org"),
    path("org/<str:code>/activity/", org_views.activity, name="org_activity"),
    path("org/<str:code>/staff/add/", org_views.add_staff, name="org_add"),
    path("org/<str:code>/staff/add/pick/", org_views.add_staff_pick, name="org_add_pick"),
    path("org/<str:code>/staff/add/known/", org_views.add_staff_known, name="org_add_known"),
    path("org/<str:code>/staff/add/new/", org_views.add_staff_new, name="org_add_new"),
    path("org/<str:code>/staff/<int:entry>/", org_views.staff_entry, name="org_entry"),
    path("org/<str:code>/staff/<int:entry>/edit/", org_views.edit_entry, name="org_edit"),
    path("org/<str:code>/staff/<int:entry>/end/", org_views.end_entry, name="org_end"),
    path("org/<str:code>/staff/<int:entry>/code/", org_views.activation_code, name="org_code"),
    path("org/<str:code>/grants/<int:grant>/revoke/", org_views.revoke_grant, name="org_revoke"),
]
