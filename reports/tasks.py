"""Celery tasks of reports: thin, tenant id first, guarded by a status."""

from crm.tenancy.tasks import tenant_task

from .background import export_run


@tenant_task(name="reports.export_report", acks_late=True)
def export_report(tenant_id: int, job_id: int) -> None:
    """Write a big export's file; an export that is not QUEUED is left alone."""
    export_run(job_id)
