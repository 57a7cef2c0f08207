from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "edgate.audit"
    label = "audit"
