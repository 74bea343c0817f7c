from crm.tenancy.tasks import tenant_task

from . import emails
from .models import Invoice


@tenant_task(
    name="invoices.send_invoice_email",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def send_invoice_email(tenant_id: int, invoice_id: int, to: str) -> bool:
    invoice = Invoice.objects.filter(pk=invoice_id).first()
    if invoice is None:
        return False
    emails.send_invoice(invoice, to)
    return True
