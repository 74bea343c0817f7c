"""Thin tasks: post one delivery; beat's sweep of due deliveries, workspace by workspace."""

from celery import shared_task

from crm.tenancy.tasks import for_each_tenant, tenant_task

from . import delivery


# No Celery retry: a failure is written to the row with its next attempt, and the sweep
# takes it up then. acks_late: a worker that dies before posting leaves the task queued.
@tenant_task(name="automation.deliver_webhook", acks_late=True)
def deliver_webhook(tenant_id: int, delivery_id: int, attempts: int) -> bool:
    outcome = delivery.attempt(delivery_id, attempts)
    return bool(outcome and outcome.ok)


@shared_task(name="automation.sweep_webhooks")
def sweep_webhooks() -> int:
    return for_each_tenant(lambda _tenant: delivery.sweep())
