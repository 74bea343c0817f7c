from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from crm.accounts import demo as demo_data

        from . import (
            calls,  # noqa: F401  stores call events (ingest.stores("call"))
            demo,
            event_types,
            object_types,
        )
        from .channels import (  # noqa: F401  telephony adapters
            pbx,
            telegram,
            twilio,
            zadarma,
        )

        event_types.declare_all()
        object_types.register()  # "conversation": the inbox
        demo_data.register(demo.seed, order=40)

        from crm.web import dialers

        from . import call_views

        dialers.register(call_views.dialers_for)  # "Call via <channel>" on clients' cards
