from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    label = "contacts"
    verbose_name = "Contacts"

    def ready(self):
        from crm.accounts import demo as demo_data

        from . import (
            automations,
            consumers,  # noqa: F401  registers the client-activity consumer
            demo,
            event_types,
            object_types,
        )

        event_types.declare_all()
        object_types.register()  # "contact" and "company"
        automations.register()  # a new contact; assign its owner, tag it
        demo_data.register(demo.seed, order=10)
