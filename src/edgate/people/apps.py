from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "edgate.people"
    label = "people"
    verbose_name = "Agency person records"
