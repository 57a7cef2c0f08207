from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "edgate.core"
    label = "core"

    def ready(self) -> None:
        # Read and check the typed settings once, at start-up, so a bad value fails early.
        from . import conf

        conf.get()
