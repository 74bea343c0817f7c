from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from contacts import panels
        from crm.accounts import demo as demo_data

        from . import demo, event_types, object_types
        from . import panels as inbox_panels
        from .channels import telegram  # noqa: F401  registers the "telegram" adapter

        event_types.declare_all()
        from . import consumers  # noqa: F401  notifications of @mentions in notes

        object_types.register()  # "conversation": the inbox
        demo_data.register(demo.seed, order=40)
        panels.register(inbox_panels.client_panel)  # the client cards' "Conversations"
