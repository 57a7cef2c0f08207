"""django-oauth-toolkit's own admin pages would write clients and tokens without an audit
event: clients are registered and removed with `edgate client` (edgate.sso.actions), keys with
`edgate oidc keys`; the admin shows neither."""

from django.contrib import admin
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

for model in (Application, AccessToken, Grant, IDToken, RefreshToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
