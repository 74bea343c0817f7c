from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from contacts import panels
        from crm.accounts import demo as demo_data

        from . import demo, demo_meta, event_types, object_types, profiles  # noqa: F401

        from . import panels as inbox_panels

        # Each registers its adapters: telegram; whatsapp, messenger, instagram; vk.
        from .channels import meta, telegram, vk  # noqa: F401

        event_types.declare_all()
        from . import consumers  # noqa: F401  notifications of @mentions in notes

        object_types.register()  # "conversation": the inbox
        demo_data.register(demo.seed, order=40)
        demo_data.register(demo_meta.seed, order=41)  # WhatsApp, Instagram, VK

        from . import assignment, desk_demo, unsorted

        unsorted.register()  # keeps blocked senders out, remembers who wrote (ingest hooks)
        assignment.register()  # hands a channel's new conversations out by its rule
        demo_data.register(desk_demo.seed, order=42)
        panels.register(inbox_panels.client_panel)  # the client cards' "Conversations"
