"""Automation: rules on funnel stages and workspace events, durable delayed steps, run history
and outgoing webhooks. Apps add triggers and actions through the platform's catalogue
(crm/automations.py); the engine imports no app."""

from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "automation"
    label = "automation"
    verbose_name = "Automation"

    def ready(self):
        from crm import automations
        from deals import board_links

        from . import engine, event_types, executor, object_types, views, wait
        from .webhooks import action as webhook_action
        from .webhooks import consumers, tasks  # noqa: F401  (they register)
        from .webhooks import event_types as webhook_event_types

        event_types.declare_all()
        webhook_event_types.declare_all()
        object_types.register()  # "automation": the right to see and edit rules
        wait.register()  # the engine's own actions: "Wait", "Call an outgoing webhook"
        webhook_action.register()
        # Last of the apps (INSTALLED_APPS): every trigger is registered by now.
        engine.register()
        automations.on_delivery_failure(executor.delivery_failed)  # a refused send, reported
        board_links.register(views.board_link)  # "Automation" beside the board and the list
