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
    # The flows around the money (flows.py).
    declare("invoice.viewed", _("Invoice viewed by the client"), subject="invoice",
            payload=INVOICE)  # fmt: skip
    declare("invoice.overdue", _("Invoice overdue"), subject="invoice",
            payload=(*INVOICE, "due_date"))  # fmt: skip
    declare("invoice.reminded", _("Payment reminder sent"), subject="invoice",
            payload=(*INVOICE, "to"))  # fmt: skip
    declare("invoice.link_created", _("Client page link made"), subject="invoice",
            payload=INVOICE)  # fmt: skip
    declare("invoice.link_revoked", _("Client page link revoked"), subject="invoice",
            payload=INVOICE)  # fmt: skip
    declare("invoice.requested", _("Invoice asked of the accountant"), subject="deal",
            payload=("deal", "assignee", "note"))  # fmt: skip
