from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "edgate.mfa"
    label = "mfa"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import session

        user_logged_in.connect(session.forget_second_factor, dispatch_uid="edgate.mfa.forget")
        user_logged_in.connect(session.mark_second_factor_due, dispatch_uid="edgate.mfa.due")
