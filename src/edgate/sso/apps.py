from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "edgate.sso"
    label = "sso"
    verbose_name = "Single sign-on (OpenID Connect)"

    def ready(self) -> None:
        from . import keys

        keys.serve_keys_from_database()
