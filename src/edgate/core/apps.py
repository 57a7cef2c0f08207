from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "edgate.core"
    label = "core"

    def ready(self) -> None:
        # Read and check the typed settings once, at start-up, so a bad value fails early.
        from django.contrib.auth.signals import user_logged_in

        from . import checks, conf  # noqa: F401 - checks registers itself
        from .middleware import remember_sign_in_time

        conf.get()
        user_logged_in.connect(remember_sign_in_time, dispatch_uid="edgate.remember_sign_in_time")
