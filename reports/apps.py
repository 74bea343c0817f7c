from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self):
        from . import object_types

        object_types.register()  # "report": the Reports section and the right to use it
