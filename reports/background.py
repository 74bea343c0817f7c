"""Big exports in the background: a report whose detail rows number more than
`REPORT_EXPORT_SYNC_MAX_ROWS` is written by a worker (the `heavy` queue), row by row to a
file on disk (CSV through a writer, XLSX in constant memory; the rows read in chunks), so
memory stays flat whatever the size. The page follows its progress and offers the file when
it is done; the API answers 202 with the export's id and a status URL.

The worker runs the report as the member who asked, with their role as it is when it runs:
it fails, writing nothing, if they have left the workspace or may no longer export.
"""

from __future__ import annotations

import datetime
import tempfile

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import after_commit
from crm.accounts.models import Membership

from . import export, run
from .models import Report, ReportExport

PROGRESS_EVERY = 5000  # rows between two progress writes


def sync_max_rows() -> int:
    return int(getattr(settings, "REPORT_EXPORT_SYNC_MAX_ROWS", 10_000))


def exports_for(membership: Membership) -> QuerySet[ReportExport]:
    """A member's own exports: a file holds what its requester's role showed them."""
    return ReportExport.objects.select_related("report").filter(requested_by_id=membership.user_id)


def needs_background(compiler) -> int:
    """The number of detail rows when the export is too big to answer at once, else 0 (a
    summary without columns is its groups: never big)."""
    if not compiler.spec.columns:
        return 0
    total = compiler.queryset().count()
    return total if total > sync_max_rows() else 0


def export_start(*, actor: Membership, report: Report, fmt: str, total: int) -> ReportExport:
    if not actor.can("report", "export"):
        raise PermissionDenied
    job = ReportExport.objects.create(
        report=report, requested_by=actor.user, file_format="xlsx" if fmt == "xlsx" else "csv",
        total=total, file_name=export.filename(report.name, fmt),
    )  # fmt: skip
    tenant_id, job_id = job.tenant_id, job.pk

    def enqueue():
        from .tasks import export_report

        export_report.delay(tenant_id, job_id)

    after_commit.send(enqueue, "an export")
    return job


def _fail(job: ReportExport, message: str) -> None:
    ReportExport.objects.filter(pk=job.pk).update(
        status=ReportExport.FAILED, error=message, finished_at=timezone.now()
    )


def export_run(job_id: int) -> None:
    """Write the file of a QUEUED export (compare-and-set to RUNNING: a task delivered twice
    writes it once)."""
    if not ReportExport.objects.filter(pk=job_id, status=ReportExport.QUEUED).update(
        status=ReportExport.RUNNING, started_at=timezone.now()
    ):
        return
    job = ReportExport.objects.select_related("report").get(pk=job_id)
    membership = (
        Membership.objects.select_related("role", "user", "tenant")
        .filter(user_id=job.requested_by_id, is_active=True)
        .first()
    )
    if membership is None or not membership.can("report", "export"):
        _fail(job, _("You may no longer export reports in this workspace."))
        return
    report = job.report
    outcome, compiler = run.compiler_for(
        report.report_type, report.spec, membership, membership.tenant.time_zone
    )
    if compiler is None:
        _fail(job, " ".join(outcome.problems))
        return

    def progress(rows: int) -> None:
        ReportExport.objects.filter(pk=job_id).update(processed=rows)

    try:
        with tempfile.TemporaryFile() as spool:
            rows = export.write_file(compiler, spool, job.file_format, progress, PROGRESS_EVERY)
            spool.seek(0)
            job.file.save(job.file_name, File(spool), save=False)
    except Exception as exc:  # the job says why; the worker goes on with the next one
        _fail(job, _("The export failed: %(e)s") % {"e": exc})
        raise
    ReportExport.objects.filter(pk=job_id).update(
        status=ReportExport.DONE, file=job.file.name, processed=rows, total=max(rows, job.total),
        finished_at=timezone.now(),
    )  # fmt: skip


def recover(stalled_after_minutes: int = 30) -> dict:
    """Exports a worker will never finish, in the current workspace: a RUNNING one whose
    worker died fails (its file was never stored; asking again writes a new one); a QUEUED
    one whose task was lost is queued again (the status guard keeps it from running twice)."""
    from .tasks import export_report

    cutoff = timezone.now() - datetime.timedelta(minutes=stalled_after_minutes)
    failed = ReportExport.objects.filter(status=ReportExport.RUNNING, started_at__lt=cutoff).update(
        status=ReportExport.FAILED, finished_at=timezone.now(),
        error=_("The export stopped before it finished. Export the report again."),
    )  # fmt: skip
    requeued = 0
    for tenant_id, job_id in ReportExport.objects.filter(
        status=ReportExport.QUEUED, created_at__lt=cutoff
    ).values_list("tenant_id", "id"):
        export_report.delay(tenant_id, job_id)
        requeued += 1
    return {"failed": failed, "requeued": requeued}
