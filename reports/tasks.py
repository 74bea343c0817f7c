"""Celery tasks of reports: thin, tenant id first, guarded by a status. Subscriptions' beat
and mail (reports/delivery.py says how each period is mailed once), and big exports in the
background (reports/background.py)."""

from celery import shared_task

from crm.tenancy.context import require_tenant_id
from crm.tenancy.tasks import for_each_tenant, tenant_task

from . import delivery, rebuilds
from .background import export_run, recover


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


@tenant_task(name="reports.export_report", acks_late=True)
def export_report(tenant_id: int, job_id: int) -> None:
    """Write a big export's file; an export that is not QUEUED is left alone."""
    export_run(job_id)


@shared_task(name="reports.recover_exports")
def recover_exports(stalled_after_minutes: int = 30) -> dict:
    """Exports a dead worker or a lost task left behind, workspace by workspace."""
    counts = {"failed": 0, "requeued": 0}

    def one(tenant_id: int) -> int:
        for key, n in recover(stalled_after_minutes).items():
            counts[key] += n
        return 0

    for_each_tenant(one)
    return counts


@tenant_task(name="reports.rebuild_rollups", acks_late=True)
def rebuild_rollups(tenant_id: int) -> None:
    """The workspace's rollups again, after a stage reorder or a time-zone change."""
    rebuilds.run(tenant_id)
