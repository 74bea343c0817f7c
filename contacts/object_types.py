"""The client base's object types for the registry (crm/objects.py): "company" and
"contact", with their field catalogues. Custom fields join the catalogue as admins define
them, so reports, filters and exports see them with no other change."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from crm import objects
from crm.accounts.permissions import ALL, full
from crm.objects import Field

from . import custom_fields, selectors
from .models import Company, Contact, CustomField

# What the accountant sees of the client base: everything, read-only.
GRANTS = {"accountant": full(ALL, ("view",))}

CUSTOM_TYPES = {
    CustomField.TEXT: objects.TEXT,
    CustomField.NUMBER: objects.NUMBER,
    CustomField.MONEY: objects.MONEY,
    CustomField.DATE: objects.DATE,
    CustomField.SELECT: objects.CHOICE,
    CustomField.MULTISELECT: objects.CHOICES,
    CustomField.CHECKBOX: objects.BOOL,
    CustomField.URL: objects.URL,
}


def custom_catalogue(object_type: str):
    """The workspace's custom fields of `object_type` (read in its scope, when asked)."""

    def read() -> list[Field]:
        return [
            Field(
                key=f"cf_{d.key}",
                label=d.label,
                type=CUSTOM_TYPES.get(d.field_type, objects.TEXT),
                path=f"custom__{d.key}",
                choices=tuple((o, o) for o in d.options),
                filterable=True,
                sortable=True,
                groupable=d.field_type in (CustomField.SELECT, CustomField.CHECKBOX),
                summable=d.field_type in (CustomField.NUMBER, CustomField.MONEY),
                custom=True,
            )
            for d in custom_fields.definitions(object_type)
        ]

    return read


def _common() -> list[Field]:
    return [
        Field("owner", _("Owner"), objects.USER, "owner", filterable=True, groupable=True),
        Field("emails", _("Emails"), objects.EMAIL),
        Field("phones", _("Phones"), objects.PHONE),
        Field("tags", _("Tags"), objects.TAGS, filterable=True, groupable=True),
        Field("created_at", _("Created"), objects.DATETIME, filterable=True, sortable=True,
              groupable=True),
        Field("updated_at", _("Updated"), objects.DATETIME, sortable=True),
        Field("last_activity_at", _("Last activity"), objects.DATETIME, filterable=True,
              sortable=True),
        Field("last_purchase_at", _("Last purchase"), objects.DATETIME, filterable=True),
    ]  # fmt: skip


def contact_fields() -> list[Field]:
    return [
        Field("first_name", _("First name"), sortable=True),
        Field("last_name", _("Last name"), sortable=True),
        Field("middle_name", _("Middle name")),
        Field("company", _("Company"), objects.RECORD, "company__name", filterable=True,
              sortable=True, groupable=True),
        Field("position", _("Position"), sortable=True, groupable=True),
        Field("telegram", _("Telegram")),
        Field("whatsapp", _("WhatsApp")),
        Field("birthday", _("Birthday"), objects.DATE),
        Field("source", _("Lead source"), filterable=True, groupable=True),
        *[Field(f"utm_{p}", f"UTM {p}", groupable=True)
          for p in ("source", "medium", "campaign", "term", "content")],
        *_common(),
    ]  # fmt: skip


def company_fields() -> list[Field]:
    return [
        Field("name", _("Name"), sortable=True),
        Field("legal_name", _("Legal name")),
        Field("tax_number", _("Tax number")),
        Field("industry", _("Industry"), sortable=True, filterable=True, groupable=True),
        Field("website", _("Website"), objects.URL),
        Field("address", _("Address")),
        *_common(),
    ]


def register() -> None:
    objects.register(
        objects.ObjectType(
            key="contact",
            label=_("Contact"),
            plural=_("Contacts"),
            model=Contact,
            records=selectors.contacts_for,
            card="contact_card",
            section="contacts",
            nav_order=30,
            activity=True,
            fields=tuple(contact_fields()),
            custom_fields=custom_catalogue("contact"),
            lookups=(objects.Lookup("company", _("Company"), "company"),),
            relations=(
                objects.Relation("contacts", _("Contacts"), "company", "contact", "company"),
            ),
            builtin_grants=GRANTS,
        )
    )
    objects.register(
        objects.ObjectType(
            key="company",
            label=_("Company"),
            plural=_("Companies"),
            model=Company,
            records=selectors.companies_for,
            card="company_card",
            section="companies",
            nav_order=40,
            activity=True,
            fields=tuple(company_fields()),
            custom_fields=custom_catalogue("company"),
            builtin_grants=GRANTS,
        )
    )
