from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from edgate.accounts import views as accounts_views

admin.site.site_header = "EdGate administration"
admin.site.site_title = "EdGate administration"

urlpatterns = [
    path("", include("edgate.core.urls")),
    path("", include("edgate.accounts.urls")),
    path("", include("edgate.directory.urls")),
    path("register/", include("edgate.registration.urls")),
    path("recover/", include("edgate.recovery.urls")),
    path("second-factor/", include("edgate.mfa.urls")),
    path("console/", include("edgate.backoffice.urls")),
    # OpenID Connect: discovery at /.well-known/openid-configuration, endpoints under /oauth/.
    path("", include("edgate.sso.urls")),
    path("", include("edgate.sso.account_urls")),  # Connected applications, under My Profile
    # Staff sign in through the portal's sign-in (throttled and audited), not the admin's own.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    # Likewise changing a password (counted, audited, other sessions ended) and signing out
    # (audited): the admin's own pages for these would bypass the portal's rules.
    path("admin/password_change/", RedirectView.as_view(pattern_name="accounts:change_password")),
    path("admin/password_change/done/", RedirectView.as_view(pattern_name="accounts:profile")),
    path("admin/logout/", accounts_views.logout_view),
    path("admin/", admin.site.urls),
]

handler400 = "edgate.core.views.bad_request"
handler403 = "edgate.core.views.permission_denied"
handler404 = "edgate.core.views.not_found"
handler500 = "edgate.core.views.server_error"
