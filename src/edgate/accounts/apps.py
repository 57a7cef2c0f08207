from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "edgate.accounts"
    label = "accounts"

    def ready(self) -> None:
        from edgate.core.sessions.cached import cached_copy_kept

        from .sessions import on_cached_copy_kept

        cached_copy_kept.connect(on_cached_copy_kept, dispatch_uid="edgate.accounts.cached_copy_kept")
