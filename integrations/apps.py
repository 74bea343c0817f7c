from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from crm.accounts import demo as demo_data

        from . import demo, event_types, object_types
        from .channels import telegram  # noqa: F401  registers the "telegram" adapter

        event_types.declare_all()
        object_types.register()  # "conversation": the inbox
        demo_data.register(demo.seed, order=40)

        from . import assignment, desk_demo, unsorted

        unsorted.register()  # keeps blocked senders out, remembers who wrote (ingest hooks)
        assignment.register()  # hands a channel's new conversations out by its rule
        demo_data.register(desk_demo.seed, order=41)
