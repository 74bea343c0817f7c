from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "crm.activity"
    label = "activity"
    verbose_name = "Activity"

    def ready(self):
        from crm.accounts import demo as demo_data

        from . import (
            automations,
            consumers,  # noqa: F401  the audit, timeline and notification consumers
            demo,
            event_types,
            object_types,
        )

        event_types.declare_all()
        object_types.register()  # "task"
        automations.register()  # create a task, notify, comment: actions of the rules
        demo_data.register(demo.seed, order=30)  # tasks and comments about the demo clients
