"""Celery tasks of the client base: thin, tenant id first, guarded by a status."""

from crm.tenancy.tasks import tenant_task


@tenant_task(name="contacts.import_contacts", acks_late=True)
def import_contacts(tenant_id: int, job_id: int) -> None:
    """Run an import job; a job that is not QUEUED (already run, or running) is left alone."""
    from .importer.run import run_job

    run_job(job_id)
