from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "edgate.directory"
    label = "directory"
    verbose_name = "Organizations, staff and access"
