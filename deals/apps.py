from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "deals"
    label = "deals"
    verbose_name = "Deals"

    def ready(self):
        from crm.accounts import demo as demo_data
        from crm.activity import subjects
        from pipelines import occupants

        from . import automations, demo, event_types, object_types, services  # services: relinker
        from .stages import DealsInStages

        event_types.declare_all()
        object_types.register()  # "deal"
        automations.register()  # its triggers and actions in the automation catalogue
        occupants.register(DealsInStages())  # deals move off deleted stages, follow kinds
        subjects.register("deal", services.next_activity_refresh)  # next activity <- tasks
        demo_data.register(demo.seed, order=20)  # after the clients: deals name them
