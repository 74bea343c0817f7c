"""The "deal" object type for the registry (crm/objects.py), with its field catalogue."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from contacts.object_types import custom_catalogue
from crm import objects
from crm.accounts.permissions import ALL, full
from crm.objects import Field

from . import selectors
from .models import Deal

FIELDS = (
    Field("title", _("Title"), sortable=True),
    Field("amount", _("Amount"), objects.MONEY, filterable=True, sortable=True, summable=True),
    Field("currency", _("Currency"), objects.CHOICE, filterable=True, groupable=True),
    Field("pipeline", _("Funnel"), objects.RECORD, "pipeline__name", filterable=True,
          groupable=True),
    Field("stage", _("Stage"), objects.RECORD, "stage__name", filterable=True, groupable=True),
    Field("status", _("Status"), objects.CHOICE, choices=tuple(Deal.STATUSES), filterable=True,
          groupable=True),
    Field("owner", _("Owner"), objects.USER, filterable=True, groupable=True, sortable=True),
    Field("company", _("Company"), objects.RECORD, "company__name", filterable=True,
          groupable=True),
    Field("expected_close", _("Expected close"), objects.DATE, filterable=True, sortable=True),
    Field("created_at", _("Created"), objects.DATETIME, filterable=True, sortable=True,
          groupable=True),
    Field("closed_at", _("Closed"), objects.DATETIME, filterable=True, sortable=True,
          groupable=True),
    Field("lost_reason", _("Lost reason"), objects.RECORD, "lost_reason__name",
          groupable=True),
    Field("source", _("Lead source"), filterable=True, groupable=True),
    Field("tags", _("Tags"), objects.TAGS, filterable=True, groupable=True),
    *[Field(f"utm_{p}", f"UTM {p}", groupable=True)
      for p in ("source", "medium", "campaign", "term", "content")],
    Field("next_activity_at", _("Next activity"), objects.DATETIME, filterable=True,
          sortable=True),
    # Automation's "in the stage longer than N days" reads it.
    Field("stage_entered_at", _("In the stage since"), objects.DATETIME),
)  # fmt: skip


def register() -> None:
    objects.register(
        objects.ObjectType(
            key="deal",
            label=_("Deal"),
            plural=_("Deals"),
            model=Deal,
            records=selectors.deals_for,
            card="deal_card",
            section="deals",
            nav_order=20,
            activity=True,
            fields=FIELDS,
            custom_fields=custom_catalogue("deal"),
            lookups=(objects.Lookup("company", _("Company"), "company"),),
            # A company's deals, and a contact's (the deal's contacts): "contacts with open
            # deals", "companies without deals".
            relations=(
                objects.Relation("deals", _("Deals"), "company", "deal", "company"),
                objects.Relation("deals", _("Deals"), "contact", "deal", "contacts"),
            ),
            builtin_grants={"accountant": full(ALL, ("view",))},
        )
    )
