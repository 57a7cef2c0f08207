from django.apps import AppConfig


class ImporterConfig(AppConfig):
    name = "edgate.importer"
    label = "importer"
    verbose_name = "Person file imports"
