from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    label = "contacts"
    verbose_name = "Contacts"

    def ready(self):
        from . import consumers  # noqa: F401  registers the client-activity consumer
