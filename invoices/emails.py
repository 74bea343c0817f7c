"""The invoice by email: a short note in the invoice's language with its PDF attached."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from . import pdf
from .models import Invoice


def send_invoice(invoice: Invoice, to: str) -> None:
    with translation.override(invoice.language):
        context = {"invoice": invoice, "total": pdf.document_data(invoice)["total"]}
        subject = render_to_string("invoices/email/invoice_subject.txt", context).strip()
        body = render_to_string("invoices/email/invoice.txt", context)
    message = EmailMessage(" ".join(subject.split()), body, None, [to])
    message.attach(f"{invoice.number}.pdf", pdf.render(invoice), "application/pdf")
    message.send()
