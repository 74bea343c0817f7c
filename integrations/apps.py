from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from contacts import panels
        from crm.accounts import demo as demo_data
        from crm.web import lean

        from . import autoreply as _autoreply  # noqa: F401  its after-store steps

        # profiles names senders; visitors and webforms register their steps after ingestion.
        from . import (  # noqa: F401
            demo,
            demo_meta,
            demo_site,
            event_types,
            object_types,
            profiles,
            urls,
            visitors,
            webforms,
        )
        from . import panels as inbox_panels

        # Each registers its adapters: email; telegram; whatsapp, messenger, instagram; vk; the
        # site's chat and its web forms.
        from .channels import email, meta, sitechat, telegram, vk, webform  # noqa: F401

        # The webhooks skip the browser's middleware.
        lean.register(urls.WEBHOOK_PREFIX, urls.webhook_patterns)
        event_types.declare_all()
        from . import consumers  # noqa: F401  notifications of @mentions in notes

        object_types.register()  # "conversation": the inbox
        from . import automations

        automations.register()  # message received, form submitted, call missed, returned
        demo_data.register(demo.seed, order=40)
        demo_data.register(demo_meta.seed, order=41)  # WhatsApp, Instagram, VK

        from . import assignment, desk_demo, unsorted

        unsorted.register()  # keeps blocked senders out, remembers who wrote (ingest hooks)
        assignment.register()  # hands a channel's new conversations out by its rule
        demo_data.register(desk_demo.seed, order=42)
        panels.register(inbox_panels.client_panel)  # the client cards' "Conversations"
        demo_data.register(demo_site.seed, order=43)  # the site's form and chat

        from . import calls

        calls.register()  # telephony: its channel kinds, call events, click-to-call

        from . import demo_email

        demo_data.register(demo_email.seed, order=45)
