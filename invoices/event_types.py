"""The invoices' events on the spine: automation moves a deal when its invoice is paid."""

from django.utils.translation import gettext_lazy as _

from crm.activity.catalogue import declare

INVOICE = ("number", "total", "currency", "deal")


def declare_all() -> None:
    declare("invoice.created", _("Invoice drafted"), subject="invoice", payload=INVOICE)
    declare("invoice.updated", _("Invoice draft changed"), subject="invoice", payload=INVOICE)
    declare("invoice.issued", _("Invoice issued"), subject="invoice", payload=INVOICE)
    declare("invoice.sent", _("Invoice sent"), subject="invoice", payload=(*INVOICE, "to"))
    declare("invoice.cancelled", _("Invoice cancelled"), subject="invoice", payload=INVOICE)
    declare(
        "invoice.payment_recorded",
        _("Payment recorded"),
        subject="invoice",
        payload=(*INVOICE, "amount", "payment_status", "refund"),
    )
    declare("invoice.paid", _("Invoice paid"), subject="invoice", payload=INVOICE)
