from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "edgate.sso"
    label = "sso"
    verbose_name = "Single sign-on (OpenID Connect)"

    def ready(self) -> None:
        from edgate.accounts.signals import password_changed

        from . import keys
        from .tokens import on_password_changed

        keys.serve_keys_from_database()
        password_changed.connect(on_password_changed, dispatch_uid="edgate.sso.password_changed")
