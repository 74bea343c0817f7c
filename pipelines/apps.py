from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "pipelines"
    label = "pipelines"
    verbose_name = "Sales funnels"

    def ready(self):
        from crm.accounts import initialisers

        from .services import default_pipeline_create

        initialisers.register(default_pipeline_create)  # every workspace starts with a funnel
