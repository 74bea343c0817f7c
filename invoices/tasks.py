from celery import shared_task

from crm.tenancy.tasks import for_each_tenant, tenant_task

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


@tenant_task(
    name="invoices.send_reminder_email",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def send_reminder_email(tenant_id: int, invoice_id: int, to: str) -> bool:
    invoice = Invoice.objects.filter(pk=invoice_id).first()
    if invoice is None:
        return False
    emails.send_invoice(invoice, to, reminder=True)
    return True


@shared_task(name="invoices.mark_overdue")
def mark_overdue() -> int:
    """Beat, daily: invoice.overdue once per invoice past its due date, workspace by
    workspace (row-level security stays on)."""
    from . import flows

    return for_each_tenant(lambda _tenant: flows.overdue_mark())
