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
        # A new visitor's CSRF secret and mask, and the rotation at sign-in, from one read of the
        # random source each rather than one per character (core/crypto.py random_string).
        import django.middleware.csrf

        from .crypto import csrf_string

        django.middleware.csrf._get_new_csrf_string = csrf_string
