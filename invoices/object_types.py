"""The "invoice" object type for the registry (crm/objects.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from crm import objects
from crm.accounts.permissions import ALL, full
from crm.objects import Field

from . import selectors
from .models import Allocation, Invoice

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


# Payments (`selectors.payment_rows`): a payment's share of one invoice per row; the
# invoice's fields join as `invoice.status`, `invoice.deal`.
PAYMENT_FIELDS = (
    Field("amount", _("Amount"), objects.MONEY, "signed_amount", filterable=True,
          sortable=True, summable=True),
    Field("currency", _("Currency"), objects.CHOICE, "payment__currency", filterable=True,
          groupable=True),
    Field("paid_on", _("Paid on"), objects.DATE, "payment__paid_on", filterable=True,
          sortable=True, groupable=True),
    Field("method", _("Method"), objects.CHOICE, "method", choices=(
        ("manual", _("Recorded by hand")), ("bank", _("Bank statement")),
        ("stripe", "Stripe"), ("razorpay", "Razorpay"), ("other", _("Other"))),
        filterable=True, groupable=True),
    Field("refund", _("Refund"), objects.BOOL, "payment__is_refund", filterable=True,
          groupable=True),
    Field("recorded_by", _("Recorded by"), objects.USER, "payment__created_by",
          filterable=True, groupable=True),
    Field("invoice", _("Invoice"), objects.RECORD, "invoice__number", filterable=True,
          groupable=True),
    Field("client", _("Client"), objects.RECORD, "client_name", filterable=True,
          groupable=True),
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
    objects.register(
        objects.ObjectType(
            key="payment",
            label=_("Payment"),
            plural=_("Payments"),
            model=Allocation,
            records=selectors.payment_rows,
            nav_order=61,
            fields=PAYMENT_FIELDS,
            lookups=(objects.Lookup("invoice", _("Invoice"), "invoice"),),
            # "Invoices paid by bank transfer", "issued invoices with no payment".
            relations=(
                objects.Relation("payments", _("Payments"), "invoice", "payment", "invoice"),
            ),
            part_of="invoice",
        )
    )
