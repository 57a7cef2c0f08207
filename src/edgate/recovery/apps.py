from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "edgate.recovery"
    label = "recovery"
