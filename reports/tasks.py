"""Beat and mail tasks of report subscriptions (reports/delivery.py says how each period is
mailed once)."""

from celery import shared_task

from crm.tenancy.context import require_tenant_id
from crm.tenancy.tasks import for_each_tenant, tenant_task

from . import delivery


@shared_task(name="reports.sweep_subscriptions")
def sweep_subscriptions() -> int:
    """Beat, every minute: claim each workspace's due subscriptions and queue their mail."""

    def claim(_tenant) -> int:
        ids = delivery.claim_due()  # committed: a lost task is handed out again after a lease
        tenant_id = require_tenant_id()
        for pk in ids:
            send_subscription.delay(tenant_id, pk)
        return len(ids)

    return for_each_tenant(claim)


@tenant_task(
    name="reports.send_subscription", acks_late=True, autoretry_for=(OSError,),
    retry_backoff=True, max_retries=8,
)  # fmt: skip
def send_subscription(tenant_id: int, subscription_id: int) -> str | None:
    return delivery.deliver(subscription_id)
