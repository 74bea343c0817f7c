"""The "deal" object type for the registry (crm/objects.py), with its field catalogue."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from contacts.object_types import custom_catalogue
from crm import objects
from crm.accounts.permissions import ALL, full
from crm.objects import Field

from . import selectors
from .models import Deal, LineItem, StageHistory

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


# A deal's line items, as reports read them (`selectors.line_item_rows`): the deal's own
# fields (title, owner, stage, ...) join through the "deal" lookup as `deal.owner`.
LINE_ITEM_FIELDS = (
    Field("product", _("Product"), objects.RECORD, "name", filterable=True, groupable=True),
    Field("quantity", _("Quantity"), objects.NUMBER, filterable=True, sortable=True,
          summable=True),
    Field("price", _("Price"), objects.MONEY, filterable=True, sortable=True, summable=True),
    Field("discount", _("Discount, %"), objects.NUMBER, filterable=True, sortable=True),
    Field("tax_rate", _("Tax, %"), objects.NUMBER, filterable=True, sortable=True),
    Field("total", _("Total"), objects.MONEY, filterable=True, sortable=True, summable=True),
    Field("deal", _("Deal"), objects.RECORD, "deal__title", filterable=True, groupable=True),
)  # fmt: skip

# A deal's moves through the funnel (`selectors.stage_history_for`): each row the move
# into `to_stage` at `changed_at` by `changed_by`, from the stage it was in before.
STAGE_CHANGE_FIELDS = (
    Field("changed_at", _("Changed at"), objects.DATETIME, "entered_at", filterable=True,
          sortable=True, groupable=True),
    Field("from_stage", _("From stage"), objects.RECORD, "from_stage", filterable=True,
          groupable=True),
    Field("to_stage", _("To stage"), objects.RECORD, "stage_name", filterable=True,
          groupable=True),
    Field("pipeline", _("Funnel"), objects.RECORD, "stage__pipeline__name", filterable=True,
          groupable=True),
    Field("changed_by", _("Changed by"), objects.USER, "moved_by", filterable=True,
          groupable=True),
    Field("days_in_previous", _("Days in the previous stage"), objects.NUMBER,
          "days_in_previous", filterable=True, sortable=True, summable=True),
    Field("left_at", _("Left the stage"), objects.DATETIME, filterable=True, sortable=True),
    Field("days_in_stage", _("Days in the stage"), objects.NUMBER, "days_in_stage",
          filterable=True, sortable=True, summable=True),
    Field("deal", _("Deal"), objects.RECORD, "deal__title", filterable=True, groupable=True),
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
    # Parts of a deal: seen where the deal is, under the deal's grant (no grant of their own).
    deal_lookup = (objects.Lookup("deal", _("Deal"), "deal"),)
    objects.register(
        objects.ObjectType(
            key="line_item",
            label=_("Deal line item"),
            plural=_("Deal line items"),
            model=LineItem,
            records=selectors.line_item_rows,
            nav_order=21,
            fields=LINE_ITEM_FIELDS,
            lookups=deal_lookup,
            relations=(
                objects.Relation("line_items", _("Line items"), "deal", "line_item", "deal"),
            ),
            part_of="deal",
        )
    )
    objects.register(
        objects.ObjectType(
            key="stage_change",
            label=_("Stage change"),
            plural=_("Stage history"),
            model=StageHistory,
            records=selectors.stage_history_for,
            nav_order=22,
            fields=STAGE_CHANGE_FIELDS,
            lookups=deal_lookup,
            # "Deals that reached Negotiation", "deals never moved by their owner".
            relations=(
                objects.Relation(
                    "stage_history", _("Stage history"), "deal", "stage_change", "deal"
                ),
            ),
            part_of="deal",
        )
    )
