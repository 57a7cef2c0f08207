from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "edgate.registration"
    label = "registration"
