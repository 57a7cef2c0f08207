from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "edgate.backoffice"
    label = "backoffice"
    verbose_name = "Back-office consoles"
