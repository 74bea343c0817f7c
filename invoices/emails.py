"""The invoice by email: a short note in the invoice's language with its PDF attached and
the link to the client's page; a reminder is the same with the balance due."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from crm.web.l10n import format_money

from . import pdf
from .models import ClientLink, Invoice


def send_invoice(invoice: Invoice, to: str, reminder: bool = False) -> None:
    from .flows import client_url  # flows imports the tasks, which import this module

    link = ClientLink.objects.filter(invoice=invoice, revoked_at=None).first()
    with translation.override(invoice.language):
        context = {
            "invoice": invoice,
            "total": pdf.document_data(invoice)["total"],
            "due": format_money(invoice.due, invoice.currency),
            "link": client_url(link) if link else "",
        }
        name = "reminder" if reminder else "invoice"
        subject = render_to_string(f"invoices/email/{name}_subject.txt", context).strip()
        body = render_to_string(f"invoices/email/{name}.txt", context)
    message = EmailMessage(" ".join(subject.split()), body, None, [to])
    message.attach(f"{invoice.number}.pdf", pdf.render(invoice), "application/pdf")
    message.send()
