from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "crm.activity"
    label = "activity"
    verbose_name = "Activity"

    def ready(self):
        from . import consumers  # noqa: F401  registers the audit and timeline consumers
