from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "crm.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from . import event_types

        event_types.declare_all()
