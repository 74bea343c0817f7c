"""Celery tasks of the inbox, on the "ingest" queue (CELERY_TASK_ROUTES)."""

from crm.tenancy.tasks import tenant_task

from . import ingest


@tenant_task(name="integrations.ingest_delivery")
def ingest_delivery(tenant_id: int, delivery_id: int):
    ingest.process(delivery_id)
