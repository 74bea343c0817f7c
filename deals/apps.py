from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "deals"
    label = "deals"
    verbose_name = "Deals"

    def ready(self):
        from crm.accounts import demo as demo_data
        from crm.activity import records, subjects
        from pipelines import occupants

        from . import (  # services registers the relinker for merged records
            demo,
            selectors,
            services,
        )
        from .stages import DealsInStages

        occupants.register(DealsInStages())  # deals move off deleted stages, follow kinds
        subjects.register("deal", services.next_activity_refresh)  # next activity <- tasks
        demo_data.register(demo.seed, order=20)  # after the clients: deals name them
        records.register_subject_type(
            "deal", label=_("Deal"), records=selectors.deals_for, card="deal_card"
        )
