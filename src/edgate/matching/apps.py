from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "edgate.matching"
    label = "matching"
