"""Celery tasks of reports: thin, tenant id first, guarded by a status."""

from celery import shared_task

from crm.tenancy.tasks import for_each_tenant, tenant_task

from .background import export_run, recover


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
