from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from crm.accounts import demo as demo_data

        from . import autoreply as _autoreply  # noqa: F401  its after-store steps
        from . import demo, event_types, object_types
        from .channels import email as _email  # noqa: F401  registers the "email" adapter
        from .channels import telegram  # noqa: F401  registers the "telegram" adapter

        event_types.declare_all()
        object_types.register()  # "conversation": the inbox
        demo_data.register(demo.seed, order=40)
        from . import demo_email

        demo_data.register(demo_email.seed, order=41)
