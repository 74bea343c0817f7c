from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "deals"
    label = "deals"
    verbose_name = "Deals"

    def ready(self):
        from crm.activity import subjects

        from . import services  # registers the relinker: merged contacts and companies

        # A deal's next activity follows its tasks.
        subjects.register("deal", services.next_activity_refresh)
