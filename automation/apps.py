"""Automation: rules on funnel stages and workspace events, durable delayed steps, run history
and outgoing webhooks. Apps add triggers and actions through the platform's catalogue; the
engine imports no app."""

from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "automation"
    label = "automation"
    verbose_name = "Automation"

    def ready(self):
        from .webhooks import consumers, event_types, tasks  # noqa: F401  (they register)

        event_types.declare_all()
