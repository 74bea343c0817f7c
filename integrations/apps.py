from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from crm.accounts import demo as demo_data

        # profiles names senders; visitors and webforms register their steps after ingestion.
        from . import (  # noqa: F401
            demo,
            demo_meta,
            demo_site,
            event_types,
            object_types,
            profiles,
            visitors,
            webforms,
        )

        # Each registers its adapters: telegram; whatsapp, messenger, instagram; vk; the
        # site's chat and its web forms.
        from .channels import meta, sitechat, telegram, vk, webform  # noqa: F401

        event_types.declare_all()
        object_types.register()  # "conversation": the inbox
        demo_data.register(demo.seed, order=40)
        demo_data.register(demo_meta.seed, order=41)  # WhatsApp, Instagram, VK
        demo_data.register(demo_site.seed, order=42)  # the site's form and chat
