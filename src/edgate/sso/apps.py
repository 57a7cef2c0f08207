from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "edgate.sso"
    label = "sso"
    verbose_name = "Single sign-on (OpenID Connect)"

    def ready(self) -> None:
        from edgate.accounts.signals import password_changed, sessions_ended

        from . import keys
        from .tokens import on_password_changed, on_sessions_ended

        keys.serve_keys_from_database()
        password_changed.connect(on_password_changed, dispatch_uid="edgate.sso.password_changed")
        sessions_ended.connect(on_sessions_ended, dispatch_uid="edgate.sso.sessions_ended")
