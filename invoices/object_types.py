"""The "invoice" object type for the registry (crm/objects.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from crm import objects
from crm.accounts.permissions import ALL, full
from crm.objects import Field

from . import selectors
from .models import Invoice

FIELDS = (
    Field("number", _("Invoice no."), sortable=True),
    Field("status", _("Status"), objects.CHOICE, choices=tuple(Invoice.STATUSES),
          filterable=True, groupable=True),
    Field("payment_status", _("Payment status"), objects.CHOICE,
          choices=tuple(Invoice.PAYMENT_STATUSES), filterable=True, groupable=True),
    Field("currency", _("Currency"), objects.CHOICE, filterable=True, groupable=True),
    Field("total", _("Total"), objects.MONEY, filterable=True, sortable=True, summable=True),
    Field("issue_date", _("Issue date"), objects.DATE, filterable=True, sortable=True),
    Field("due_date", _("Due date"), objects.DATE, filterable=True, sortable=True),
    Field("deal", _("Deal"), objects.RECORD, "deal__title", filterable=True),
)  # fmt: skip


def register() -> None:
    objects.register(
        objects.ObjectType(
            key="invoice",
            label=_("Invoice"),
            plural=_("Invoices"),
            model=Invoice,
            records=selectors.invoices_for,
            card="invoice_card",
            section="invoices",
            nav_order=60,  # after tasks: the accountant's desk
            fields=FIELDS,
            lookups=(objects.Lookup("deal", _("Deal"), "deal"),),
            # A deal's invoices, a company's, a contact's: "deals with invoices overdue".
            relations=tuple(
                objects.Relation("invoices", _("Invoices"), source, "invoice", source)
                for source in ("deal", "company", "contact")
            ),
            # Accountants keep the invoices of every deal (and read the deals: deals say so).
            builtin_grants={"accountant": full(ALL)},
        )
    )
