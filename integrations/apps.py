from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from crm.accounts import demo as demo_data

        from . import demo, demo_meta, event_types, object_types, profiles  # noqa: F401

        # Each registers its adapters: telegram; whatsapp, messenger, instagram; vk.
        from .channels import meta, telegram, vk  # noqa: F401

        event_types.declare_all()
        object_types.register()  # "conversation": the inbox
        demo_data.register(demo.seed, order=40)
        demo_data.register(demo_meta.seed, order=41)  # WhatsApp, Instagram, VK

        from . import calls

        calls.register()  # telephony: its channel kinds, call events, click-to-call
