from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "edgate.console"
    label = "console"
