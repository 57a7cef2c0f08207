from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "edgate.accounts"
    label = "accounts"
