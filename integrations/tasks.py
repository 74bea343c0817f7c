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


@shared_task(name="integrations.poll_mail")
def poll_mail() -> int:
    """Beat, every minute: each workspace's email channels fetch their new mail, one
    channel at a time (a folder's state row, locked, keeps two polls from overlapping)."""
    from . import mailpoll

    return for_each_tenant(lambda _tenant: mailpoll.poll_all())


@tenant_task(name="integrations.send_autoreply")
def send_autoreply(tenant_id: int, conversation_id: int, text: str, reason: str):
    """An automatic answer, sent through the conversation's channel (the "mail" queue: a
    slow mail server never holds up ingestion)."""
    from . import autoreply

    autoreply.send(conversation_id, text, reason)
