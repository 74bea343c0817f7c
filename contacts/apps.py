from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    label = "contacts"
    verbose_name = "Contacts"

    def ready(self):
        from crm.accounts import demo as demo_data
        from crm.activity import records

        from . import (
            consumers,  # noqa: F401  registers the client-activity consumer
            demo,
            selectors,
        )

        demo_data.register(demo.seed, order=10)
        records.register_subject_type(
            "contact", label=_("Contact"), records=selectors.contacts_for, card="contact_card"
        )
        records.register_subject_type(
            "company", label=_("Company"), records=selectors.companies_for, card="company_card"
        )
