"""Running one import job from start to end (the Celery task calls `run_job`).

Only a QUEUED job runs: the status moves to RUNNING with a compare-and-set, so a second
delivery of the task does nothing. It runs as the member who started it, with their role
as it is now: it fails if they left the workspace or may no longer import, and it matches
only the records they may see. Rows are read and validated first, outside any
transaction, with the progress written every few thousand rows for the progress bar; then
the whole merge, the job's counts and the `import.completed` event are one transaction, so
a failure changes nothing in the base. The failed rows go to ImportJob.errors_file (CSV,
UTF-8 with a BOM for Excel), with a "reason" column.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
import uuid
from pathlib import PurePath

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.accounts.models import Membership
from crm.activity.catalogue import id_ranges
from crm.activity.events import emit
from crm.spreadsheets import defuse_row
from crm.tenancy.models import Tenant

from ..models import ImportJob
from ..services import require
from . import loader, reader
from .mapping import CUSTOM_PREFIX, loaded
from .validate import Context

logger = logging.getLogger(__name__)


class ErrorsWriter:
    """The failed rows, as the user gave them, plus the reason; kept in a temporary file."""

    def __init__(self, headers: list[str]):
        self.raw = tempfile.TemporaryFile()  # noqa: SIM115 (closed in save/close)
        self.text = io.TextIOWrapper(self.raw, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.text)
        self.writer.writerow(defuse_row([*headers, _("reason")]))
        self.count = 0

    def __call__(self, cells, reasons: list[str]) -> None:
        # The reasons name the file's columns, which may start like a formula too.
        self.writer.writerow(defuse_row([*cells, "; ".join(reasons)]))
        self.count += 1

    def save(self, job: ImportJob) -> None:
        self.text.flush()
        self.raw.seek(0)
        # A random name: a media URL must not be guessable (the rows are clients' data);
        # errors_download_name() gives the name people see.
        job.errors_file.save(f"{uuid.uuid4().hex}-errors.csv", File(self.raw), save=False)

    def close(self) -> None:
        self.text.close()


def errors_download_name(job: ImportJob) -> str:
    return f"{PurePath(job.original_name).stem[:80] or 'import'}-errors.csv"


def _language(job: ImportJob) -> str:
    user_language = getattr(job.created_by, "language", "") if job.created_by_id else ""
    return user_language or Tenant.objects.get(pk=job.tenant_id).language


def run_job(job_id: int) -> ImportJob | None:
    """Run the job if it is queued; return it when done (or failed), None if not run."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.QUEUED).update(
        status=ImportJob.RUNNING, started_at=timezone.now(), finished_at=None, error=""
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    with translation.override(_language(job)):
        try:
            _run(job, _starter(job))
        except reader.ImportFileError as exc:
            _fail(job, exc.messages[0])
        except PermissionDenied as exc:
            _fail(job, str(exc))
        except Exception as exc:
            logger.exception("import job %s failed", job.pk)
            _fail(
                job,
                _("The import stopped on an unexpected error; nothing was changed. (%(e)s)")
                % {"e": type(exc).__name__},
            )
    return job


def _progress(job: ImportJob):
    def report(processed: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            processed=processed, total=Greatest(F("total"), processed)
        )

    return report


def _starter(job: ImportJob) -> Membership:
    """The active membership of the member who started the job, allowed to run it now."""
    membership = job.created_by_id and (
        Membership.objects.select_related("role", "user", "tenant")
        .filter(user_id=job.created_by_id, is_active=True)
        .first()
    )
    if not membership:
        raise PermissionDenied(
            _("The member who started this import is no longer in the workspace.")
        )
    require(membership, job.object_type, "create")
    if job.duplicate_policy == ImportJob.UPDATE:
        require(membership, job.object_type, "edit")
    return membership


def _run(job: ImportJob, actor: Membership) -> None:
    context = Context.load(job.object_type)
    # A custom field deleted since the mapping was chosen: its column is left out.
    mapping = {
        index: field
        for index, field in loaded(job.mapping).items()
        if not field.startswith(CUSTOM_PREFIX)
        or field.removeprefix(CUSTOM_PREFIX) in context.custom
    }
    errors = None
    try:
        # The working copy the upload made (import_create): already checked, and quick to read.
        table = reader.open_job_file(job)
        with job.file:
            ImportJob.objects.filter(pk=job.pk).update(total=table.estimated_rows, processed=0)
            mapping = {i: f for i, f in mapping.items() if i < len(table.headers)}
            errors = ErrorsWriter(table.headers)
            staged = loader.stage(table, mapping, context, errors, progress=_progress(job))
        if errors.count:
            errors.save(job)
    finally:
        if errors is not None:
            errors.close()
    with transaction.atomic():
        # A bulk load does not wait for its commit to reach the disk: a crash of the database
        # server in the next fraction of a second would lose the import as a whole (the job
        # with it, in the same transaction), never half of it, and it can be run again.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
        counts = loader.merge(staged, policy=job.duplicate_policy, actor=actor)
        job.status = ImportJob.DONE
        job.total = job.processed = counts.total
        job.created, job.updated = counts.created, counts.updated
        job.skipped, job.failed = counts.skipped, counts.failed
        job.finished_at = timezone.now()
        job.save(
            update_fields=[
                "status", "total", "processed", "created", "updated", "skipped", "failed",
                "finished_at", "errors_file",
            ]
        )  # fmt: skip
        emit(
            "import.completed",
            actor=job.created_by,
            subject=job,
            data={
                "file": job.original_name,
                "object_type": job.object_type,
                "duplicate_policy": job.duplicate_policy,
                **counts.as_dict(),
            },
        )
        if counts.created_ids:
            # One event for the contacts the file created; a consumer of "contact.created"
            # gets one per contact (catalogue.declare's expands_to).
            emit(
                "contact.imported",
                actor=job.created_by,
                subject=job,
                data={"ids": id_ranges(counts.created_ids)},
            )


def _fail(job: ImportJob, message: str) -> None:
    job.status = ImportJob.FAILED
    job.error = message
    job.finished_at = timezone.now()
    fields = ["status", "error", "finished_at"]
    if job.errors_file:
        fields.append("errors_file")
    job.save(update_fields=fields)


def errors_response(job: ImportJob):
    """The failed rows with their reasons, as a download (404 when there were none)."""
    from django.http import FileResponse, Http404

    if not job.errors_file:
        raise Http404
    return FileResponse(
        job.errors_file.open("rb"),
        as_attachment=True,
        filename=errors_download_name(job),
        content_type="text/csv; charset=utf-8",
    )
