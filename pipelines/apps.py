from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "pipelines"
    label = "pipelines"
    verbose_name = "Sales funnels"

    def ready(self):
        from crm.accounts import initialisers

        from . import event_types
        from .services import default_pipeline_create

        event_types.declare_all()
        initialisers.register(default_pipeline_create)  # every workspace starts with a funnel
