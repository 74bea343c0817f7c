"""Celery tasks of the client base: thin, tenant id first, guarded by a status."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.tenancy.tasks import for_each_tenant, tenant_task

from .importer.run import run_job
from .models import ImportJob


@tenant_task(name="contacts.import_contacts", acks_late=True)
def import_contacts(tenant_id: int, job_id: int) -> None:
    """Run an import job; a job that is not QUEUED (already run, or running) is left alone."""

    run_job(job_id)


@shared_task(name="contacts.recover_imports")
def recover_imports(stalled_after_minutes: int = 30) -> dict:
    """Jobs a worker will never finish: a RUNNING job whose worker died is marked failed (its
    merge is one transaction, so nothing of it was saved and it can simply be run again); a
    QUEUED job whose task was lost is queued again (the status guard keeps it from running
    twice)."""
    cutoff = timezone.now() - timedelta(minutes=stalled_after_minutes)
    counts = {"failed": 0, "requeued": 0}

    def recover(tenant_id: int) -> int:
        counts["failed"] += ImportJob.objects.filter(
            status=ImportJob.RUNNING, started_at__lt=cutoff
        ).update(
            status=ImportJob.FAILED,
            finished_at=timezone.now(),
            # The page adds that nothing was saved, and a button to try again.
            error=_("The import stopped before it finished."),
        )
        for job_id in ImportJob.objects.filter(
            status=ImportJob.QUEUED, created_at__lt=cutoff
        ).values_list("id", flat=True):
            import_contacts.delay(tenant_id, job_id)
            counts["requeued"] += 1
        return 0

    for_each_tenant(recover)
    return counts
