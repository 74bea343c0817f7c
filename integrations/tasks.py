"""Celery tasks of the inbox, on the "ingest" queue (CELERY_TASK_ROUTES)."""

from celery import shared_task

from crm.tenancy.tasks import for_each_tenant, tenant_task

from . import ingest


@tenant_task(name="integrations.ingest_delivery")
def ingest_delivery(tenant_id: int, delivery_id: int):
    ingest.process(delivery_id)


@shared_task(name="integrations.wake_snoozed")
def wake_snoozed() -> int:
    """Beat, every minute: snoozed conversations whose time has come open again, tenant by
    tenant (row-level security stays on)."""
    return for_each_tenant(lambda _tenant: ingest.wake_snoozed())
