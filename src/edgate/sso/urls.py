"""The provider's addresses. The namespace is django-oauth-toolkit's own (its views reverse
these names); only the endpoints the portal offers are mounted — no client self-registration,
no token management pages, no device flow."""

from django.urls import path, re_path
from oauth2_provider import views as dot

from . import views

app_name = "oauth2_provider"

urlpatterns = [
    # Discovery at the issuer (the portal's root): https://portal/.well-known/openid-configuration
    re_path(
        r"^\.well-known/openid-configuration$",
        views.DiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path("oauth/jwks/", dot.JwksInfoView.as_view(), name="jwks-info"),
    path("oauth/authorize/", views.AuthorizeView.as_view(), name="authorize"),
    path("oauth/token/", views.TokenView.as_view(), name="token"),
    path("oauth/userinfo/", dot.UserInfoView.as_view(), name="user-info"),
    path("oauth/revoke/", views.RevokeView.as_view(), name="revoke-token"),
    path("oauth/logout/", views.LogoutView.as_view(), name="rp-initiated-logout"),
]
