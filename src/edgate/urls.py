from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "EdGate administration"
admin.site.site_title = "EdGate administration"

urlpatterns = [
    path("", include("edgate.core.urls")),
    path("", include("edgate.accounts.urls")),
    path("", include("edgate.directory.urls")),
    path("register/", include("edgate.registration.urls")),
    path("recover/", include("edgate.recovery.urls")),
    # Staff sign in through the portal's sign-in (throttled and audited), not the admin's own.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("admin/", admin.site.urls),
]

handler400 = "edgate.core.views.bad_request"
handler403 = "edgate.core.views.permission_denied"
handler404 = "edgate.core.views.not_found"
handler500 = "edgate.core.views.server_error"
