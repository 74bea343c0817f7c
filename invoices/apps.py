from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "invoices"
    label = "invoices"
    verbose_name = "Invoices"

    def ready(self):
        from crm.accounts import demo as demo_data
        from crm.accounts import initialisers
        from deals import panels

        from . import automations, consumers, demo, event_types, object_types, services, views  # noqa: F401

        event_types.declare_all()
        object_types.register()  # "invoice"
        automations.register()  # invoice paid / overdue triggers, "create the invoice"
        initialisers.register(services.workspace_setup)  # series and the country's tax rates
        panels.register(views.deal_panel)  # the deal card's "Invoices" panel
        demo_data.register(demo.seed, order=35)  # after deals: invoices are made from them
