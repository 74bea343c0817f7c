from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self):
        from crm.accounts import demo as demo_data

        from . import consumers, dashboard_demo, event_types, object_types  # noqa: F401

        event_types.declare_all()

        object_types.register()  # "report", "dashboard" (the navigation), "sales_plan"
        demo_data.register(dashboard_demo.seed, order=90)  # last: plans, then the rollups
