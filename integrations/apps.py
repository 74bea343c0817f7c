from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from crm.accounts import demo as demo_data

        # visitors and webforms register their steps after ingestion (ingest.after_store).
        from . import demo, demo_site, event_types, object_types, visitors, webforms  # noqa: F401

        # Each registers its adapter: Telegram, the site's chat and its web forms.
        from .channels import sitechat, telegram, webform  # noqa: F401

        event_types.declare_all()
        object_types.register()  # "conversation": the inbox
        demo_data.register(demo.seed, order=40)
        demo_data.register(demo_site.seed, order=41)  # the site's form and chat
